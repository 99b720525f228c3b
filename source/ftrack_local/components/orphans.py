"""Removing stored data that no component ever claimed.

An upload URL is handed out for a component id before the client commits
the component (clients upload first and register afterwards), so the store
may receive data for an id that never becomes a component: the client
failed or gave up between the two steps. Data older than the upload URL
lifetime whose id is no ``Component`` is such an orphan and is removed.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Iterator, List

from .store import BlobStore

if TYPE_CHECKING:
    from ..api.backend import Backend

log = logging.getLogger(__name__)

#: Ids looked up in one query.
CHUNK = 200


def _old_blobs(store: BlobStore, older_than: float) -> Iterator[str]:
    """Ids of the blobs last written before *older_than* (Unix time)."""
    try:
        entries = os.scandir(store.data_dir)
    except FileNotFoundError:
        return
    with entries:
        for entry in entries:
            try:
                if entry.is_file() and entry.stat().st_mtime < older_than:
                    yield entry.name
            except OSError:
                continue


def find_orphans(store: BlobStore, backend: Backend, username: str, max_age: float,
                 now: float = 0.0) -> List[str]:
    """Ids of blobs older than *max_age* seconds that belong to no component."""
    older_than = (now or time.time()) - max_age
    candidates = list(_old_blobs(store, older_than))
    orphans: List[str] = []
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start:start + CHUNK]
        quoted = ", ".join('"{0}"'.format(i) for i in chunk if '"' not in i and "\\" not in i)
        known = set()
        if quoted:
            [found] = backend.call([{"action": "query", "expression":
                                     "select id from Component where id in ({0})".format(quoted)}],
                                   username)
            known = {row["id"] for row in found["data"]}
        orphans.extend(i for i in chunk if i not in known)
    return orphans


def remove_orphans(store: BlobStore, backend: Backend, username: str, max_age: float) -> int:
    """Remove the data of orphans (see :func:`find_orphans`); return how many."""
    removed = 0
    for component_id in find_orphans(store, backend, username, max_age):
        try:
            if store.remove(component_id):
                removed += 1
        except Exception:  # noqa: BLE001 - one bad name must not stop the sweep
            log.warning("Could not remove the unclaimed data of %r", component_id)
    if removed:
        log.info("Removed the data of %d uploads no component claimed", removed)
    return removed
