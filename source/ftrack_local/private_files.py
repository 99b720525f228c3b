"""Files only their owner may read: keys, secrets and the database.

On POSIX systems the files are created with mode 0600 (never readable by
others, not even for a moment) and existing ones get that mode back when
the data dir is opened; a data dir this server creates is mode 0700.
Elsewhere the functions create and write files without changing modes.
"""

from __future__ import annotations

import os

FILE_MODE = 0o600
DIR_MODE = 0o700
#: Files SQLite keeps beside a database file.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def _posix() -> bool:
    return os.name == "posix"


def make_private_dir(path: str) -> None:
    """Create the folder *path* (mode 0700) unless it exists; an existing one is kept as is."""
    if os.path.isdir(path):
        return
    os.makedirs(path, mode=DIR_MODE, exist_ok=True)
    if _posix():
        os.chmod(path, DIR_MODE)


def make_private(path: str) -> None:
    """Create *path* empty with mode 0600, or give an existing file mode 0600."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    if _posix():
        os.chmod(path, FILE_MODE)


def make_private_database(path: str) -> None:
    """:func:`make_private` for a SQLite file and the companions it has now."""
    make_private(path)
    for suffix in SQLITE_COMPANIONS:
        if os.path.exists(path + suffix) and _posix():
            os.chmod(path + suffix, FILE_MODE)


def write_private(path: str, text: str) -> None:
    """Replace the contents of *path* with *text*; the file has mode 0600."""
    make_private(path)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
