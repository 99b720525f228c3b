"""Access to the data a server stores for components (the ``ftrack.server`` location).

Resource identifiers are component ids. Data is read with ``component/get``,
removed with ``component/remove`` (both authenticated in the query string)
and written by asking the server for upload metadata, then sending the
bytes with HTTP PUT to the URL it returned, with exactly its headers.
"""

import base64
import hashlib
import os
import threading

import requests

import ftrack_api.symbol
from ftrack_api.accessor.base import Accessor
from ftrack_api.data import String
from ftrack_api.exception import (
    AccessorOperationFailedError,
    AccessorUnsupportedOperationError,
)

#: Component types looked up when naming the uploaded file.
_COMPONENT_TYPES = ("FileComponent", "Component")

_THREAD = threading.local()


def _http():
    """This thread's HTTP session for data transfers (kept-alive connections).

    It carries no ftrack credentials, headers or cookies: transfers are
    authenticated by their URL alone.
    """
    http = getattr(_THREAD, "http", None)
    if http is None:
        http = _THREAD.http = requests.Session()
    return http


def _content_md5(stream):
    """Base64 MD5 digest of *stream* from its start (RFC 1864), read in chunks."""
    digest = hashlib.md5()
    stream.seek(0)
    while True:
        chunk = stream.read(ftrack_api.symbol.CHUNK_SIZE)
        if not chunk:
            break
        digest.update(chunk)
    stream.seek(0)
    return base64.b64encode(digest.digest()).decode("ascii")


def _stream_size(stream):
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _upload_file_name(session, component_id):
    """The file name the server is told: component name plus file type."""
    component = None
    for entity_type in _COMPONENT_TYPES:
        component = session.get(entity_type, component_id)
        if component is not None:
            break
    if component is None:
        return str(component_id)
    name = component["name"]
    file_type = (component["file_type"] or "").lstrip(".")
    return "{0}.{1}".format(name, file_type) if file_type else name


def _check_response(response, operation, resource_identifier):
    if response.status_code >= 400:
        raise AccessorOperationFailedError(
            operation=operation,
            resource_identifier=resource_identifier,
            error="server answered {0}: {1}".format(
                response.status_code, response.text[:500]),
        )


class ServerFile(String):
    """The data of one component on the server, buffered in a temporary file.

    Opened for reading, the data is downloaded (streamed) when the object is
    made. Opened for writing, what is written is uploaded on :meth:`flush`
    and :meth:`close`.
    """

    def __init__(self, resource_identifier, session, mode="rb"):
        """Give access to *resource_identifier* through *session* in *mode*."""
        super(ServerFile, self).__init__()
        self.resource_identifier = resource_identifier
        self._session = session
        self.mode = mode
        self._written = False
        self._closed = False
        if "r" in mode:
            try:
                self._download()
            except BaseException:
                self.abort()
                raise

    def _download(self):
        url = ServerAccessor(self._session)._url("get", self.resource_identifier)
        try:
            response = _http().get(url, stream=True, timeout=self._session.request_timeout)
        except requests.RequestException as error:
            raise AccessorOperationFailedError(
                operation="read", resource_identifier=self.resource_identifier, error=error)
        with response:
            _check_response(response, "read", self.resource_identifier)
            for chunk in response.iter_content(ftrack_api.symbol.CHUNK_SIZE):
                self.wrapped_file.write(chunk)
        self.wrapped_file.flush()
        self.wrapped_file.seek(0)

    def read(self, limit=None):
        """Return up to *limit* bytes, or all remaining data."""
        return super(ServerFile, self).read(limit)

    def write(self, content):
        """Write *content*; it is uploaded on the next flush."""
        self._written = True
        super(ServerFile, self).write(content)

    def flush(self):
        """Upload what was written since the last upload."""
        super(ServerFile, self).flush()
        if self._written:
            self._upload()
            self._written = False

    def close(self):
        """Upload pending data and release the temporary file."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            super(ServerFile, self).close()

    def abort(self):
        """Close without uploading what was written (after a failed transfer)."""
        self._written = False
        self.close()

    def seek(self, offset, whence=0):
        """Move the position to *offset* relative to *whence*."""
        super(ServerFile, self).seek(offset, whence)

    def tell(self):
        """Return the current position."""
        return super(ServerFile, self).tell()

    def _upload(self):
        stream = self.wrapped_file
        position = stream.tell()
        size = _stream_size(stream)
        checksum = _content_md5(stream)
        metadata = self._session.get_upload_metadata(
            component_id=self.resource_identifier,
            file_name=_upload_file_name(self._session, self.resource_identifier),
            file_size=size,
            checksum=checksum,
        )
        stream.seek(0)
        try:
            # The file object is sent in chunks by requests, never read whole.
            response = _http().put(
                metadata["url"], data=_ChunkedReader(stream, size),
                headers=dict(metadata.get("headers") or {}),
                timeout=self._session.request_timeout)
        except requests.RequestException as error:
            raise AccessorOperationFailedError(
                operation="write", resource_identifier=self.resource_identifier, error=error)
        finally:
            stream.seek(position)
        with response:
            _check_response(response, "write", self.resource_identifier)


class _ChunkedReader(object):
    """File-like view on *stream* that requests sends with a known length."""

    def __init__(self, stream, size):
        self._stream = stream
        self.len = size

    def read(self, size=-1):
        if size is None or size < 0:
            size = ftrack_api.symbol.CHUNK_SIZE
        chunk = self._stream.read(size)
        self.len = max(0, self.len - len(chunk))
        return chunk


class ServerAccessor(Accessor):
    """Accessor for the server's own storage, reached over HTTP."""

    def __init__(self, session, **kw):
        """Use *session* for credentials, the server URL and upload metadata."""
        super(ServerAccessor, self).__init__(**kw)
        self.session = session

    def _url(self, endpoint, resource_identifier, quote=True, **extra):
        params = [("id", resource_identifier), ("username", self.session.api_user),
                  ("apiKey", self.session.api_key)]
        params.extend((key, value) for key, value in extra.items() if value is not None)
        if quote:
            query = requests.compat.urlencode([(key, str(value)) for key, value in params])
        else:
            query = "&".join("{0}={1}".format(key, value) for key, value in params)
        return "{0}/component/{1}?{2}".format(self.session.server_url, endpoint, query)

    def open(self, resource_identifier, mode="rb"):
        """Return a :class:`ServerFile` on *resource_identifier*."""
        return ServerFile(resource_identifier, session=self.session, mode=mode)

    def remove(self, resource_identifier):
        """Delete the data of *resource_identifier* on the server."""
        url = self._url("remove", resource_identifier)
        try:
            response = _http().get(url, timeout=self.session.request_timeout)
        except requests.RequestException as error:
            raise AccessorOperationFailedError(
                operation="remove", resource_identifier=resource_identifier, error=error)
        with response:
            _check_response(response, "remove", resource_identifier)

    def make_container(self, resource_identifier, recursive=True):
        """Containers need nothing on the server."""

    def list(self, resource_identifier):
        raise AccessorUnsupportedOperationError("list", resource_identifier=resource_identifier)

    def exists(self, resource_identifier):
        """Always False: existence is not checked against the server."""
        return False

    def is_file(self, resource_identifier):
        raise AccessorUnsupportedOperationError("is_file", resource_identifier=resource_identifier)

    def is_container(self, resource_identifier):
        raise AccessorUnsupportedOperationError(
            "is_container", resource_identifier=resource_identifier)

    def is_sequence(self, resource_identifier):
        raise AccessorUnsupportedOperationError(
            "is_sequence", resource_identifier=resource_identifier)

    def get_container(self, resource_identifier):
        raise AccessorUnsupportedOperationError(
            "get_container", resource_identifier=resource_identifier)

    def remove_container(self, resource_identifier):
        """Containers hold no data on the server: nothing to remove."""

    def get_url(self, resource_identifier):
        """URL that downloads the data of *resource_identifier*."""
        return self._url("get", resource_identifier, quote=False)

    def get_thumbnail_url(self, resource_identifier, size=None):
        """URL of a thumbnail of *resource_identifier*, scaled to fit *size* pixels."""
        return self._url("thumbnail", resource_identifier, quote=False, size=size)


#: Name kept for code written against older releases.
_ServerAccessor = ServerAccessor
