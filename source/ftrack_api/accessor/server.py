"""Access to the data a server stores for components (the ``ftrack.server`` location).

Resource identifiers are component ids. Data is read with ``component/get``,
removed with ``component/remove`` (both authenticated in the query string)
and written by asking the server for upload metadata, then sending the
bytes with HTTP PUT to the URL it returned, with exactly its headers.

Every failure to talk to the server, timeouts included, is raised as
:class:`~ftrack_api.exception.AccessorOperationFailedError`. Requests use
the session's ``request_timeout`` as it was when the accessor (or file) was
made.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from typing import IO, TYPE_CHECKING, Any, Optional, Union

import requests

import ftrack_api.symbol
from ftrack_api.accessor.base import Accessor
from ftrack_api.data import String
from ftrack_api.exception import AccessorOperationFailedError

if TYPE_CHECKING:
    from ftrack_api.session import Session

#: Component types looked up when naming the uploaded file.
_COMPONENT_TYPES = ("FileComponent", "Component")

_THREAD = threading.local()

#: Seconds to wait for the server when a session has no ``request_timeout``
#: (the default of :class:`ftrack_api.session.Session`).
_DEFAULT_TIMEOUT = 60


def _timeout_of(session: Session) -> float:
    """The request timeout of *session*, as it is now."""
    return getattr(session, "request_timeout", _DEFAULT_TIMEOUT)


def _http() -> requests.Session:
    """This thread's HTTP session for data transfers (kept-alive connections).

    It carries no ftrack credentials, headers or cookies: transfers are
    authenticated by their URL alone.
    """
    http = getattr(_THREAD, "http", None)
    if http is None:
        http = _THREAD.http = requests.Session()
    return http


def _component_url(session: Session, endpoint: str, resource_identifier: str, quote: bool = True, **extra: Any) -> str:
    """URL of ``component/<endpoint>`` for *resource_identifier*, with credentials.

    With *quote* the query is URL-encoded (for requests we send); without, it
    is assembled as it is (the form handed to users, as the official client
    does).
    """
    params = [("id", resource_identifier), ("username", session.api_user),
              ("apiKey", session.api_key)]
    params.extend((key, value) for key, value in extra.items() if value is not None)
    if quote:
        query = requests.compat.urlencode([(key, str(value)) for key, value in params])
    else:
        query = "&".join("{0}={1}".format(key, value) for key, value in params)
    return "{0}/component/{1}?{2}".format(session.server_url, endpoint, query)


def _describe(session: Session, error: Exception) -> str:
    """Text of *error* for a message, without the session's API key in it.

    Errors of requests may quote the URL, which carries the key.
    """
    text = str(error)
    response = getattr(error, "response", None)
    if response is not None:
        try:
            content = response.json().get("content")
        except Exception:
            content = None
        if content:
            text = "{0} ({1})".format(text, content)
    key = session.api_key
    if key:
        for form in {key, requests.compat.quote_plus(key), requests.compat.quote(key, safe="")}:
            text = text.replace(form, "***")
    return text


def _failure(session: Session, template: str, error: Exception) -> AccessorOperationFailedError:
    """The error raised for a failed transfer: *template* filled with *error*'s text."""
    return AccessorOperationFailedError(template.format(_describe(session, error)))


class ServerFile(String):
    """The data of one component on the server, buffered in a temporary file.

    Opened for reading, the data is downloaded (streamed) on the first
    :meth:`read`. Opened for writing (``w`` or ``a`` in *mode*), the data
    is uploaded on :meth:`flush` and :meth:`close`; a file opened for writing
    is uploaded once even when nothing was written (an empty file).
    """

    def __init__(self, resource_identifier: str, session: Session, mode: str = "rb") -> None:
        """Give access to *resource_identifier* through *session* in *mode*."""
        self.mode = mode
        self.resource_identifier = resource_identifier
        self._session = session
        self._timeout = _timeout_of(session)
        self._has_read = "w" in mode
        self._writable = "w" in mode or "a" in mode
        self._pending = "w" in mode
        self._closed = False
        super(ServerFile, self).__init__()

    def read(self, limit: Optional[int] = None) -> Union[bytes, str]:
        """Return up to *limit* bytes, or all remaining data (downloaded first)."""
        if not self._has_read:
            self._read()
            self._has_read = True
        return super(ServerFile, self).read(limit)

    def write(self, content: Union[bytes, str]) -> None:
        """Write *content*; it is uploaded on the next flush."""
        super(ServerFile, self).write(content)
        if self._writable:
            self._pending = True

    def flush(self) -> None:
        """Upload the data when something is waiting to be uploaded."""
        super(ServerFile, self).flush()
        if self._pending:
            self._write()
            self._pending = False

    def close(self) -> None:
        """Upload pending data and release the temporary file."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            super(ServerFile, self).close()

    def abort(self) -> None:
        """Close without uploading what was written (after a failed transfer)."""
        self._pending = False
        self.close()

    def seek(self, offset: int, whence: int = 0) -> None:
        """Move the position to *offset* relative to *whence*."""
        super(ServerFile, self).seek(offset, whence)

    def tell(self) -> int:
        """Return the current position."""
        return super(ServerFile, self).tell()

    def _read(self) -> None:
        """Download the data into the buffer, keeping the current position."""
        stream = self.wrapped_file
        position = stream.tell()
        stream.seek(0)
        url = _component_url(self._session, "get", self.resource_identifier)
        try:
            response = _http().get(url, stream=True, timeout=self._timeout)
        except Exception as error:
            raise _failure(self._session, "Failed to read data: {0}.", error)
        with response:
            try:
                response.raise_for_status()
                for chunk in response.iter_content(ftrack_api.symbol.CHUNK_SIZE):
                    stream.write(chunk)
            except Exception as error:
                raise _failure(self._session, "Failed to read data: {0}.", error)
        stream.flush()
        stream.seek(position)

    def _write(self) -> None:
        """Upload the whole buffer, keeping the current position."""
        session = self._session
        stream = self.wrapped_file
        position = stream.tell()
        component = None
        for entity_type in _COMPONENT_TYPES:
            component = session.get(entity_type, self.resource_identifier)
            if component is not None:
                break
        if component is None:
            raise AccessorOperationFailedError(
                "Unable to retrieve component with id: {0}.".format(self.resource_identifier))
        name = component["name"]
        file_type = (component["file_type"] or "").lstrip(".")
        if file_type:
            name = "{0}.{1}".format(name, file_type)

        try:
            stream.seek(0)
            try:
                metadata = session.get_upload_metadata(
                    component_id=self.resource_identifier, file_name=name,
                    file_size=self._get_size(), checksum=self._compute_checksum())
            except Exception as error:
                raise _failure(session, "Failed to get put metadata: {0}.", error)
            stream.seek(0)
            try:
                # The file object is sent in chunks by requests, never read whole.
                response = _http().put(
                    metadata["url"], data=_ChunkedReader(stream, self._get_size()),
                    headers=dict(metadata.get("headers") or {}), timeout=self._timeout)
                with response:
                    response.raise_for_status()
            except Exception as error:
                raise _failure(session, "Failed to put file to server: {0}.", error)
        finally:
            stream.seek(position)

    def _get_size(self) -> int:
        """Size of the buffered data in bytes."""
        stream = self.wrapped_file
        position = stream.tell()
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(position)
        return size

    def _compute_checksum(self) -> str:
        """Base64 MD5 digest (RFC 1864) of the buffer from the current position."""
        stream = self.wrapped_file
        position = stream.tell()
        digest = hashlib.md5()
        for chunk in iter(lambda: stream.read(ftrack_api.symbol.CHUNK_SIZE), b""):
            digest.update(chunk)
        stream.seek(position)
        return base64.b64encode(digest.digest()).decode("ascii")


class _ChunkedReader(object):
    """File-like view on *stream* that requests sends with a known length."""

    def __init__(self, stream: IO[bytes], size: int) -> None:
        """Read from *stream*, which holds *size* bytes."""
        self._stream = stream
        self.len = size

    def read(self, size: Optional[int] = -1) -> bytes:
        """Return the next chunk of at most *size* bytes (a default chunk when negative)."""
        if size is None or size < 0:
            size = ftrack_api.symbol.CHUNK_SIZE
        chunk = self._stream.read(size)
        self.len = max(0, self.len - len(chunk))
        return chunk


class ServerAccessor(Accessor):
    """Accessor for the server's own storage, reached over HTTP.

    Only reading, writing and removing data and making URLs are possible:
    containers need nothing on the server, :meth:`exists` is always False
    and listing or inspecting resources raises :exc:`NotImplementedError`.
    """

    def __init__(self, session: Session, **kw: Any) -> None:
        """Use *session* for credentials, the server URL and upload metadata."""
        super(ServerAccessor, self).__init__(**kw)
        self._session = session
        self._timeout = _timeout_of(session)

    @property
    def session(self) -> Session:
        """The session this accessor talks to the server through."""
        return self._session

    def _url(self, endpoint: str, resource_identifier: str, quote: bool = True, **extra: Any) -> str:
        """URL of ``component/<endpoint>`` for *resource_identifier* (see :func:`_component_url`)."""
        return _component_url(self._session, endpoint, resource_identifier, quote, **extra)

    def open(self, resource_identifier: str, mode: str = "rb") -> ServerFile:
        """Return a :class:`ServerFile` on *resource_identifier*."""
        return ServerFile(resource_identifier, session=self._session, mode=mode)

    def remove(self, resource_identifier: str) -> None:
        """Ask the server to delete the data of *resource_identifier*."""
        url = self._url("remove", resource_identifier)
        try:
            response = _http().get(url, timeout=self._timeout)
            with response:
                response.raise_for_status()
        except Exception as error:
            raise _failure(self._session, "Failed to remove file: {0}.", error)

    def get_container(self, resource_identifier: str) -> Optional[str]:
        """Components are not kept in containers on the server: None."""
        return None

    def make_container(self, resource_identifier: str, recursive: bool = True) -> None:
        """Containers need nothing on the server."""

    def list(self, resource_identifier: str) -> list[str]:
        raise NotImplementedError()

    def exists(self, resource_identifier: str) -> bool:
        """Always False: existence is not checked against the server."""
        return False

    def is_file(self, resource_identifier: str) -> bool:
        raise NotImplementedError()

    def is_container(self, resource_identifier: str) -> bool:
        raise NotImplementedError()

    def is_sequence(self, resource_identifier: str) -> bool:
        raise NotImplementedError()

    def get_url(self, resource_identifier: str) -> str:
        """URL that downloads the data of *resource_identifier*."""
        return self._url("get", resource_identifier, quote=False)

    def get_thumbnail_url(self, resource_identifier: str, size: Optional[int] = None) -> str:
        """URL of a thumbnail of *resource_identifier*, scaled to fit *size* pixels."""
        return self._url("thumbnail", resource_identifier, quote=False, size=size)


#: The official client's name of the accessor.
_ServerAccessor = ServerAccessor
