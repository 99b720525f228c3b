"""The snapshot folder: a versioned, diffable copy of entities and their files.

A snapshot is a folder::

    manifest.json              what the snapshot holds (see :class:`Manifest`)
    entities/<Type>.jsonl      one entity a line, sorted by primary key
    blobs/<ab>/<component id>  component data, fanned out by the id's first two characters

Each entity line is a JSON object with sorted keys: the entity's primary
key and stored attributes, as the API sends them (doc/protocol.rst, "Values
on the wire"): dates tagged ``{"__type__": "datetime", ...}``, references as
``<name>_id`` foreign keys. Ids are kept, so links and scripts with
hard-coded ids keep working after a load. Sorting and one entity per line
make two snapshots of the same site compare well with ``diff``. Types of
which a snapshot holds no entity have no file.

The same folder packed as a ``.tar``, ``.tar.gz`` or ``.tar.xz`` archive
(:func:`pack`) is a snapshot too; :func:`unpacked` opens either.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import lzma
import os
import shutil
import tarfile
import tempfile
import zlib
from typing import Any, BinaryIO, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence

#: The name written in every manifest; a folder without it is no snapshot.
FORMAT_NAME = "ftrack-local-snapshot"
#: The version this module writes; it reads this version only.
FORMAT_VERSION = 1

MANIFEST = "manifest.json"
ENTITIES = "entities"
BLOBS = "blobs"
_CHUNK = 1 << 20


class SnapshotError(ValueError):
    """A snapshot folder that cannot be read or written as asked."""


@dataclasses.dataclass
class TypeEntry:
    """What the manifest records of one entity type's file."""

    count: int
    sha256: str

    def as_json(self) -> Dict[str, Any]:
        """The entry as stored in the manifest."""
        return {"count": self.count, "sha256": self.sha256}


@dataclasses.dataclass
class Manifest:
    """The description of a snapshot, stored as ``manifest.json``.

    *source* describes where the data came from (``server_url``,
    ``server_version``); *projects* the projects taken (``id``, ``name``);
    *options* how it was taken (``components``, ``since``, ``anonymised``);
    *types* maps each entity type to its :class:`TypeEntry`; *blobs* counts
    the component files.
    """

    created_at: str
    source: Dict[str, Any] = dataclasses.field(default_factory=dict)
    projects: List[Dict[str, Any]] = dataclasses.field(default_factory=list)
    options: Dict[str, Any] = dataclasses.field(default_factory=dict)
    types: Dict[str, TypeEntry] = dataclasses.field(default_factory=dict)
    blobs: int = 0
    version: int = FORMAT_VERSION

    def as_json(self) -> Dict[str, Any]:
        """The manifest as stored, keys in a stable order."""
        return {
            "format": FORMAT_NAME,
            "version": self.version,
            "created_at": self.created_at,
            "source": self.source,
            "projects": self.projects,
            "options": self.options,
            "types": {name: self.types[name].as_json() for name in sorted(self.types)},
            "blobs": self.blobs,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        """Read a stored manifest, refusing other formats and versions."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT_NAME:
            raise SnapshotError("Not a snapshot manifest: no \"format\": \"{0}\".".format(FORMAT_NAME))
        if data.get("version") != FORMAT_VERSION:
            raise SnapshotError("Snapshot format version {0!r} is not supported (this version reads {1}).".format(
                data.get("version"), FORMAT_VERSION))
        try:
            types = {str(name): TypeEntry(int(entry["count"]), str(entry["sha256"]))
                     for name, entry in data.get("types", {}).items()}
            return cls(created_at=str(data["created_at"]), source=dict(data.get("source", {})),
                       projects=list(data.get("projects", [])), options=dict(data.get("options", {})),
                       types=types, blobs=int(data.get("blobs", 0)))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise SnapshotError("Malformed snapshot manifest: {0}".format(error)) from None


def entity_line(entity: Mapping[str, Any]) -> str:
    """One entity as its snapshot line: compact JSON with sorted keys, no newline."""
    return json.dumps(entity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sort_key(primary_key: Sequence[str]):
    def key(entity: Mapping[str, Any]):
        return tuple(str(entity.get(name, "")) for name in primary_key)
    return key


def _checked_type_name(type_name: str) -> str:
    if not type_name or not type_name.replace("_", "").isalnum():
        raise SnapshotError("Entity type name {0!r} cannot name a snapshot file.".format(type_name))
    return type_name


def _checked_blob_id(component_id: str) -> str:
    if len(component_id) < 3 or not all(c.isalnum() or c == "-" for c in component_id):
        raise SnapshotError("Component id {0!r} cannot name a snapshot file.".format(component_id))
    return component_id


def blob_path(root: str, component_id: str) -> str:
    """Where the data of *component_id* lives in the snapshot at *root*."""
    _checked_blob_id(component_id)
    return os.path.join(root, BLOBS, component_id[:2], component_id)


class SnapshotWriter:
    """Writes a snapshot folder; nothing appears at *path* until :meth:`close`.

    The snapshot is built in a sibling temporary folder and renamed into
    place at the end, so an interrupted run never leaves a half snapshot
    that looks whole.
    """

    def __init__(self, path: str, manifest: Manifest, work: Optional[str] = None) -> None:
        """Prepare to write the snapshot described by *manifest* at *path* (which must not exist).

        *work* is the folder to build it in (on the same disk; kept between
        tries of a resumable run, so the files already in it are kept);
        by default a new temporary sibling of *path*.
        """
        self.path = os.path.abspath(path)
        if os.path.exists(self.path):
            raise SnapshotError("{0} already exists; a snapshot is written to a new folder.".format(self.path))
        parent = os.path.dirname(self.path)
        os.makedirs(parent, exist_ok=True)
        self.manifest = manifest
        self._work = work or tempfile.mkdtemp(prefix=".snapshot-", dir=parent)
        os.makedirs(os.path.join(self._work, ENTITIES), exist_ok=True)
        os.makedirs(os.path.join(self._work, BLOBS), exist_ok=True)

    def write_type(self, type_name: str, entities: Iterable[Mapping[str, Any]],
                   primary_key: Sequence[str] = ("id",)) -> TypeEntry:
        """Write every entity of *type_name*, sorted by *primary_key*; return its manifest entry."""
        ordered = sorted(entities, key=_sort_key(primary_key))
        digest = hashlib.sha256()
        target = os.path.join(self._work, ENTITIES, _checked_type_name(type_name) + ".jsonl")
        with open(target, "w", encoding="utf-8", newline="\n") as handle:
            for entity in ordered:
                line = entity_line(entity) + "\n"
                digest.update(line.encode("utf-8"))
                handle.write(line)
        entry = TypeEntry(len(ordered), digest.hexdigest())
        self.manifest.types[type_name] = entry
        return entry

    def has_blob(self, component_id: str) -> bool:
        """Whether the data of *component_id* is written already (a resumed run)."""
        return os.path.isfile(blob_path(self._work, component_id))

    def write_blob(self, component_id: str, source: BinaryIO) -> int:
        """Copy the readable binary *source* in as the data of *component_id*; return its size.

        The file appears whole or not at all.
        """
        target = blob_path(self._work, component_id)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        size = 0
        partial = target + ".part"
        with open(partial, "wb") as handle:
            for chunk in iter(lambda: source.read(_CHUNK), b""):
                handle.write(chunk)
                size += len(chunk)
        os.replace(partial, target)
        return size

    def close(self) -> str:
        """Write the manifest and move the snapshot into place; return its path.

        The manifest counts the component files present.
        """
        blobs = os.path.join(self._work, BLOBS)
        self.manifest.blobs = sum(len([name for name in names if not name.endswith(".part")])
                                  for _, _, names in os.walk(blobs))
        with open(os.path.join(self._work, MANIFEST), "w", encoding="utf-8") as handle:
            json.dump(self.manifest.as_json(), handle, indent=2, sort_keys=False, ensure_ascii=False)
            handle.write("\n")
        os.rename(self._work, self.path)
        return self.path

    def abort(self) -> None:
        """Throw the unfinished snapshot away."""
        shutil.rmtree(self._work, ignore_errors=True)

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(self, exception_type: Any, exception: Any, traceback: Any) -> None:
        if exception_type is None:
            self.close()
        else:
            self.abort()


class SnapshotReader:
    """Reads a snapshot folder written by :class:`SnapshotWriter`."""

    def __init__(self, path: str) -> None:
        """Open the snapshot at *path*, checking its manifest."""
        self.path = os.path.abspath(path)
        try:
            with open(os.path.join(self.path, MANIFEST), encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            raise SnapshotError("{0} is not a snapshot: it has no {1}.".format(self.path, MANIFEST)) from None
        except ValueError as error:
            raise SnapshotError("{0}: unreadable manifest ({1}).".format(self.path, error)) from None
        self.manifest = Manifest.from_json(data)

    @property
    def type_names(self) -> List[str]:
        """The entity types the snapshot holds, sorted."""
        return sorted(self.manifest.types)

    def entities(self, type_name: str) -> Iterator[Dict[str, Any]]:
        """Yield the entities of *type_name* in file order."""
        if type_name not in self.manifest.types:
            raise SnapshotError("The snapshot holds no entities of type {0!r}.".format(type_name))
        target = os.path.join(self.path, ENTITIES, _checked_type_name(type_name) + ".jsonl")
        with open(target, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    yield json.loads(line)
                except ValueError as error:
                    raise SnapshotError("{0} line {1}: {2}".format(target, number, error)) from None

    def open_blob(self, component_id: str) -> BinaryIO:
        """Open the data of *component_id* for reading."""
        try:
            return open(blob_path(self.path, component_id), "rb")
        except FileNotFoundError:
            raise SnapshotError("The snapshot holds no data for component {0}.".format(component_id)) from None

    def verify(self) -> None:
        """Check every entity file against its manifest count and checksum; raise :exc:`SnapshotError` if not."""
        for type_name, entry in self.manifest.types.items():
            digest = hashlib.sha256()
            count = 0
            target = os.path.join(self.path, ENTITIES, _checked_type_name(type_name) + ".jsonl")
            try:
                with open(target, "rb") as handle:
                    for line in handle:
                        digest.update(line)
                        count += 1
            except FileNotFoundError:
                raise SnapshotError("{0} is missing.".format(target)) from None
            if count != entry.count:
                raise SnapshotError("{0} does not match the manifest: {1} lines, {2} expected.".format(
                    target, count, entry.count))
            if digest.hexdigest() != entry.sha256:
                raise SnapshotError("{0} does not match the manifest: its content changed (SHA-256 differs).".format(
                    target))



# -- archives -------------------------------------------------------------------------

#: File name endings of snapshots kept as one archive, and their ``tarfile`` modes.
ARCHIVE_MODES = {".tar": "", ".tar.gz": "gz", ".tgz": "gz", ".tar.xz": "xz"}


def archive_mode(path: str) -> Optional[str]:
    """The compression of the archive *path* names (``""`` for none), or None for a folder."""
    lowered = path.lower()
    return next((mode for ending, mode in ARCHIVE_MODES.items() if lowered.endswith(ending)), None)


def pack(folder: str, archive: str) -> str:
    """Put the snapshot *folder* into the archive *archive* (``.tar``, ``.tar.gz``, ``.tar.xz``)."""
    mode = archive_mode(archive)
    if mode is None:
        raise SnapshotError("{0} is no archive name (use .tar, .tar.gz or .tar.xz).".format(archive))
    if os.path.exists(archive):
        raise SnapshotError("{0} already exists; a snapshot is written to a new file.".format(archive))
    partial = archive + ".part"
    try:
        names = sorted(os.listdir(folder))
        with tarfile.open(partial, "w:" + mode) as handle:
            for name in names:
                handle.add(os.path.join(folder, name), arcname=name)
        os.replace(partial, archive)
    except OSError as error:
        if os.path.exists(partial):
            os.unlink(partial)
        raise SnapshotError("Cannot pack {0} into {1}: {2}".format(folder, archive, error.strerror or error)) from None
    return archive


@contextlib.contextmanager
def unpacked(path: str) -> Iterator[str]:
    """The snapshot at *path* as a folder: itself, or an archive unpacked into a temporary one."""
    mode = archive_mode(path)
    if mode is None or os.path.isdir(path):
        yield path
        return
    if not os.path.isfile(path):
        raise SnapshotError("{0} does not exist.".format(path))
    folder = tempfile.mkdtemp(prefix="ftrack-snapshot-")
    try:
        _extract(path, folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


#: What a damaged archive raises while it is read: a bad header, a compressed stream cut short or corrupt.
_ARCHIVE_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError)


def _extract(path: str, folder: str) -> None:
    """Unpack the archive *path* into *folder*, refusing anything but plain files and folders inside it."""
    try:
        with tarfile.open(path, "r:*") as handle:  # the compression is told by the bytes
            for member in handle.getmembers():
                target = os.path.realpath(os.path.join(folder, member.name))
                if not (member.isfile() or member.isdir()) or not target.startswith(os.path.realpath(folder) + os.sep):
                    raise SnapshotError("{0}: {1!r} is not a snapshot file.".format(path, member.name))
            handle.extractall(folder, **_EXTRACT_OPTIONS)
    except _ARCHIVE_ERRORS as error:
        reason = (str(error).splitlines() or [type(error).__name__])[0].rstrip(":")
        raise SnapshotError("{0} is not a readable snapshot archive (.tar, .tar.gz or .tar.xz): {1}.".format(
            path, reason)) from None


#: Extraction that refuses links and special files where ``tarfile`` can (Python 3.12, and 3.9.17+).
_EXTRACT_OPTIONS: Dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
