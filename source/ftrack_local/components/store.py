"""Blob storage for the ``ftrack.server`` location, on disk in the data dir.

Layout under the storage root (``<data_dir>/components``)::

    data/<id>                 complete blobs, keyed by component id
    incoming/<random>         uploads being written (never visible as blobs)
    multipart/<upload id>/    parts of a multi-part upload and its manifest
    thumbnails/<id>-<size>    scaled thumbnails, removed with their blob
    used-tokens/<exp>-<nonce> spent upload URLs (see ``tokens.UsedTokens``)

Every name that comes from a client goes through :func:`check_identifier`, so
no path can leave the root. Uploads are written to ``incoming/`` and renamed
into ``data/`` only once complete and verified; an interrupted or refused
upload leaves no blob behind. Data is streamed in chunks, never held whole.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
import shutil
from typing import IO, Dict, Iterator, List, Optional, Tuple

#: Bytes moved per read or write.
CHUNK_SIZE = 1024 * 1024
#: Most parts one multi-part upload may have.
MAX_PARTS = 10000

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class StoreError(Exception):
    """A refused storage operation; *status* is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class BlobNotFound(StoreError):
    """No data is stored under the requested component id."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=404)


def check_identifier(value: object, what: str = "component id") -> str:
    """*value* if it is a safe single path component, else raise StoreError.

    Letters, digits, ``.``, ``_`` and ``-`` only, starting with a letter or
    digit and holding no ``..``: no separators, no absolute paths, no NUL.
    """
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value) or ".." in value:
        raise StoreError("Invalid {0} {1!r}: use letters, digits, '.', '_' and '-' only, "
                         "without '..' or path separators.".format(what, value))
    return value


def decode_md5(checksum: Optional[str]) -> Optional[bytes]:
    """The 16-byte digest of a base64 MD5 checksum (RFC 1864), None if absent."""
    if checksum is None or checksum == "":
        return None
    try:
        digest = base64.b64decode(checksum.strip(), validate=True)
    except (binascii.Error, ValueError, AttributeError):
        digest = b""
    if len(digest) != 16:
        raise StoreError("Invalid checksum {0!r}: expected the base64 encoded MD5 digest of the "
                         "data (RFC 1864).".format(checksum))
    return digest


def encode_md5(digest: bytes) -> str:
    """Base64 text of an MD5 digest, as sent in ``Content-MD5``."""
    return base64.b64encode(digest).decode("ascii")


class Upload:
    """One blob being written: feed it with :meth:`write`, then :meth:`commit`.

    Until committed the bytes live in a temporary file; :meth:`abort` (or a
    failed :meth:`commit`) deletes it. Usable as a context manager that
    aborts unless committed.
    """

    def __init__(self, store: "BlobStore", target: str, expected_size: Optional[int],
                 expected_md5: Optional[bytes]) -> None:
        self._store = store
        self._target = target
        self.expected_size = expected_size
        self.expected_md5 = expected_md5
        self.size = 0
        self._md5 = hashlib.md5()
        self.path = os.path.join(store.incoming_dir, secrets.token_hex(16))
        self._handle: Optional[IO[bytes]] = open(self.path, "xb")
        self.done = False

    def write(self, chunk: bytes) -> None:
        """Append *chunk*; refuses data beyond the expected size."""
        if self._handle is None:
            raise StoreError("The upload is already finished.")
        if self.expected_size is not None and self.size + len(chunk) > self.expected_size:
            self.abort()
            raise StoreError("Upload is larger than the declared size of {0} bytes.".format(
                self.expected_size), status=413)
        self._handle.write(chunk)
        self._md5.update(chunk)
        self.size += len(chunk)

    @property
    def md5(self) -> bytes:
        """MD5 digest of the bytes written so far."""
        return self._md5.digest()

    def commit(self) -> str:
        """Verify size and checksum, then make the blob visible; return its path."""
        if self._handle is None:
            raise StoreError("The upload is already finished.")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._handle = None
        try:
            if self.expected_size is not None and self.size != self.expected_size:
                raise StoreError("Upload is incomplete: received {0} of {1} bytes.".format(
                    self.size, self.expected_size))
            if self.expected_md5 is not None and self.md5 != self.expected_md5:
                raise StoreError("Checksum mismatch: the data has MD5 {0}, expected {1}.".format(
                    encode_md5(self.md5), encode_md5(self.expected_md5)))
            self._store.forget_thumbnails(os.path.basename(self._target))
            os.replace(self.path, self._target)
        except BaseException:
            self._discard()
            raise
        self.done = True
        return self._target

    def abort(self) -> None:
        """Throw away what was written (nothing becomes visible)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._discard()

    def _discard(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def __enter__(self) -> "Upload":
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.done:
            self.abort()


class BlobStore:
    """Component data under *root*; see the module text for the layout."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.data_dir = os.path.join(self.root, "data")
        self.incoming_dir = os.path.join(self.root, "incoming")
        self.multipart_dir = os.path.join(self.root, "multipart")
        self.thumbnail_dir = os.path.join(self.root, "thumbnails")
        for path in (self.data_dir, self.incoming_dir, self.multipart_dir, self.thumbnail_dir):
            os.makedirs(path, exist_ok=True)

    # -- single blobs --------------------------------------------------------------

    def path_of(self, component_id: str) -> str:
        """The path of a blob (whether or not it exists)."""
        return os.path.join(self.data_dir, check_identifier(component_id))

    def exists(self, component_id: str) -> bool:
        """Whether data is stored for *component_id*."""
        return os.path.isfile(self.path_of(component_id))

    def size_of(self, component_id: str) -> int:
        """Size in bytes of the data of *component_id*."""
        try:
            return os.path.getsize(self.path_of(component_id))
        except FileNotFoundError:
            raise BlobNotFound("No data is stored for component {0!r}.".format(component_id))

    def existing_path(self, component_id: str) -> str:
        """The blob's path; BlobNotFound when nothing is stored."""
        path = self.path_of(component_id)
        if not os.path.isfile(path):
            raise BlobNotFound("No data is stored for component {0!r}.".format(component_id))
        return path

    def begin(self, component_id: str, expected_size: Optional[int] = None,
              expected_md5: Optional[bytes] = None) -> Upload:
        """Start writing the blob of *component_id* (replacing it once committed)."""
        target = self.path_of(component_id)
        if expected_size is not None and (not isinstance(expected_size, int) or expected_size < 0):
            raise StoreError("Invalid file size {0!r}.".format(expected_size))
        return Upload(self, target, expected_size, expected_md5)

    def put(self, component_id: str, chunks: Iterator[bytes], expected_size: Optional[int] = None,
            expected_md5: Optional[bytes] = None) -> str:
        """Store the blob of *component_id* from *chunks*; all or nothing."""
        with self.begin(component_id, expected_size, expected_md5) as upload:
            for chunk in chunks:
                upload.write(chunk)
            return upload.commit()

    def adopt(self, component_id: str, path: str) -> str:
        """Move the finished file *path* (on the same disk) into place as a blob."""
        target = self.path_of(component_id)
        self.forget_thumbnails(component_id)
        os.replace(path, target)
        return target

    def read(self, component_id: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The blob's bytes in chunks."""
        with open(self.existing_path(component_id), "rb") as handle:
            while True:
                chunk = handle.read(chunk_size)
                if not chunk:
                    return
                yield chunk

    def remove(self, component_id: str) -> bool:
        """Delete the blob (and its thumbnails); whether there was one."""
        path = self.path_of(component_id)
        self.forget_thumbnails(component_id)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        return True

    # -- thumbnails -------------------------------------------------------------------

    def thumbnail_path(self, component_id: str, size: int) -> str:
        """Where the thumbnail of *component_id* at *size* is cached."""
        return os.path.join(self.thumbnail_dir, "{0}-{1}".format(check_identifier(component_id),
                                                                 int(size)))

    def forget_thumbnails(self, component_id: str) -> None:
        """Remove the cached thumbnails of *component_id*."""
        prefix = check_identifier(component_id) + "-"
        for name in os.listdir(self.thumbnail_dir):
            if name.startswith(prefix) and name[len(prefix):].isdigit():
                try:
                    os.unlink(os.path.join(self.thumbnail_dir, name))
                except FileNotFoundError:
                    pass

    # -- multi-part uploads ----------------------------------------------------------

    def start_multipart(self, component_id: str, parts: int, expected_size: Optional[int] = None,
                        expected_md5: Optional[bytes] = None) -> str:
        """Open a multi-part upload of *parts* parts; return its upload id."""
        check_identifier(component_id)
        if not isinstance(parts, int) or isinstance(parts, bool) or not 1 <= parts <= MAX_PARTS:
            raise StoreError("The number of parts must be between 1 and {0}, not {1!r}.".format(
                MAX_PARTS, parts))
        upload_id = secrets.token_hex(16)
        folder = os.path.join(self.multipart_dir, upload_id)
        os.makedirs(folder)
        manifest = {"component_id": component_id, "parts": parts, "file_size": expected_size,
                    "checksum": encode_md5(expected_md5) if expected_md5 else None}
        with open(os.path.join(folder, "manifest.json"), "w", encoding="utf-8") as handle:
            json.dump(manifest, handle)
        return upload_id

    def multipart_manifest(self, upload_id: str) -> Dict[str, object]:
        """The recorded details of the multi-part upload *upload_id*."""
        folder = os.path.join(self.multipart_dir, check_identifier(upload_id, "upload id"))
        try:
            with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            raise BlobNotFound("No multi-part upload {0!r} is open.".format(upload_id))

    def _part_path(self, upload_id: str, part_number: int) -> str:
        manifest = self.multipart_manifest(upload_id)
        if not isinstance(part_number, int) or isinstance(part_number, bool) or \
                not 1 <= part_number <= int(manifest["parts"]):  # type: ignore[call-overload]
            raise StoreError("Part number {0!r} is out of range 1-{1}.".format(
                part_number, manifest["parts"]))
        return os.path.join(self.multipart_dir, upload_id, "part-{0:05d}".format(part_number))

    def put_part(self, upload_id: str, part_number: int, chunks: Iterator[bytes],
                 expected_md5: Optional[bytes] = None) -> str:
        """Store one part; return its ETag (the hex MD5 of the part)."""
        target = self._part_path(upload_id, part_number)
        upload = Upload(self, target, None, expected_md5)
        with upload:
            for chunk in chunks:
                upload.write(chunk)
            upload.commit()
        return upload.md5.hex()

    def begin_part(self, upload_id: str, part_number: int,
                   expected_md5: Optional[bytes] = None) -> Upload:
        """An :class:`Upload` writing one part (its ETag is ``upload.md5.hex()``)."""
        return Upload(self, self._part_path(upload_id, part_number), None, expected_md5)

    def parts_size(self, upload_id: str, numbers: List[int]) -> int:
        """Bytes of the uploaded parts *numbers* of *upload_id* (missing ones count 0)."""
        total = 0
        for number in numbers:
            try:
                total += os.path.getsize(self._part_path(upload_id, number))
            except FileNotFoundError:
                pass
        return total

    def complete_multipart(self, upload_id: str, component_id: str,
                           parts: List[Tuple[int, str]]) -> str:
        """Join the listed ``(part number, etag)`` parts into the blob, in order.

        Every part must be present with a matching ETag; the joined data must
        match the size and checksum declared when the upload was opened. The
        upload is closed once the blob is in place.
        """
        manifest = self.multipart_manifest(upload_id)
        if manifest["component_id"] != component_id:
            raise StoreError("Upload {0!r} belongs to component {1!r}, not {2!r}.".format(
                upload_id, manifest["component_id"], component_id))
        numbers = [number for number, _ in parts]
        if not parts or numbers != sorted(set(numbers)):
            raise StoreError("Parts must be listed once each, sorted by part number.")
        paths = []
        for number, etag in parts:
            path = self._part_path(upload_id, number)
            if not os.path.isfile(path):
                raise StoreError("Part {0} of upload {1!r} was not uploaded.".format(number, upload_id))
            if _md5_of(path).hex() != str(etag).strip().strip('"').lower():
                raise StoreError("ETag of part {0} does not match the uploaded data.".format(number))
            paths.append(path)
        checksum = manifest.get("checksum")
        upload = self.begin(component_id, manifest.get("file_size"),  # type: ignore[arg-type]
                            decode_md5(checksum) if isinstance(checksum, str) else None)
        with upload:
            for path in paths:
                with open(path, "rb") as handle:
                    for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
                        upload.write(chunk)
            result = upload.commit()
        shutil.rmtree(os.path.join(self.multipart_dir, upload_id), ignore_errors=True)
        return result


def _md5_of(path: str) -> bytes:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.digest()
