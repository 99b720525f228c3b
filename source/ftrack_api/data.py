"""File like data objects used when transferring component data.

Accessors hand out :class:`Data` instances so that locations can copy data
between storage mechanisms in chunks without caring where it lives.
"""

from __future__ import annotations

import abc
import codecs
import tempfile
from typing import IO, Optional, Union


class Data(metaclass=abc.ABCMeta):
    """File like interface to some data."""

    def __init__(self) -> None:
        """Initialise data object."""
        super(Data, self).__init__()

    @abc.abstractmethod
    def read(self, limit: Optional[int] = None) -> Union[bytes, str]:
        """Return up to *limit* bytes of content, or all remaining content."""

    @abc.abstractmethod
    def write(self, content: Union[bytes, str]) -> None:
        """Write *content* at the current position."""

    def flush(self) -> None:
        """Push any buffered content to the underlying storage."""

    def seek(self, offset: int, whence: int = 0) -> None:
        """Move the current position to *offset* relative to *whence*.

        *whence* is 0 (start), 1 (current position) or 2 (end), as for
        :meth:`io.IOBase.seek`. Raise :exc:`NotImplementedError` when
        unsupported.
        """
        raise NotImplementedError("Seek not supported.")

    def tell(self) -> int:
        """Return the current position.

        Raise :exc:`NotImplementedError` when unsupported.
        """
        raise NotImplementedError("Tell not supported.")

    def close(self) -> None:
        """Release the resources held; the object cannot be used afterwards."""


class FileWrapper(Data):
    """Data object delegating to an already open file object."""

    def __init__(self, wrapped_file: IO) -> None:
        """Wrap *wrapped_file*, an open file like object."""
        self.wrapped_file = wrapped_file
        super(FileWrapper, self).__init__()

    def read(self, limit: Optional[int] = None) -> Union[bytes, str]:
        """Return up to *limit* bytes of content, or all remaining content."""
        if limit is None:
            limit = -1
        return self.wrapped_file.read(limit)

    def write(self, content: Union[bytes, str]) -> None:
        """Write *content* at the current position."""
        self.wrapped_file.write(content)

    def flush(self) -> None:
        """Flush the wrapped file."""
        self.wrapped_file.flush()

    def seek(self, offset: int, whence: int = 0) -> None:
        """Move the current position to *offset* relative to *whence*."""
        self.wrapped_file.seek(offset, whence)

    def tell(self) -> int:
        """Return the current position in the wrapped file."""
        return self.wrapped_file.tell()

    def close(self) -> None:
        """Close the wrapped file."""
        self.wrapped_file.close()


class File(FileWrapper):
    """Data object for a file on disk."""

    def __init__(self, path: str, mode: str = "rb") -> None:
        """Open file at *path* with *mode* (binary read by default)."""
        super(File, self).__init__(open(path, mode))


class String(FileWrapper):
    """Data object holding in-memory style content.

    The content is kept in an anonymous temporary file rather than in memory
    so that large content does not exhaust memory. Both text and bytes can be
    written; text is stored UTF-8 encoded. Reading gives back the same kind of
    value the content was first given as: text for text, bytes for bytes.
    """

    def __init__(self, content: Optional[Union[bytes, str]] = None) -> None:
        """Initialise with optional *content* (text or bytes).

        The position is left at the start so *content* can be read directly.
        """
        super(String, self).__init__(tempfile.TemporaryFile(mode="w+b"))
        self._text = None
        self._decoder = None
        self._decoder_position = None

        if content is not None:
            self.write(content)
            self.flush()
            self.seek(0)

    def write(self, content: Union[bytes, str]) -> None:
        """Write *content* (text or bytes) at the current position."""
        if isinstance(content, str):
            if self._text is None:
                self._text = True
            content = content.encode("utf-8")
        else:
            if self._text is None:
                self._text = False
            if not isinstance(content, bytes):
                content = bytes(content)

        self._decoder = None
        super(String, self).write(content)

    def read(self, limit: Optional[int] = None) -> Union[bytes, str]:
        """Return up to *limit* bytes of content, or all remaining content.

        Content first written as text is returned as text; otherwise bytes
        are returned. A multi-byte character is never split between two
        reads, so an empty value is only returned at the end of the content.
        """
        if not self._text:
            return super(String, self).read(limit)

        if self._decoder is None or self._decoder_position != self.tell():
            self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

        if limit is None or limit < 0:
            raw = super(String, self).read(-1)
            text = self._decoder.decode(raw, final=True)
        else:
            raw = super(String, self).read(limit)
            text = self._decoder.decode(raw, final=not raw)
            while raw and not text:
                # Only part of a character was read: continue byte by byte.
                raw = super(String, self).read(1)
                text = self._decoder.decode(raw, final=not raw)

        self._decoder_position = self.tell()
        return text
