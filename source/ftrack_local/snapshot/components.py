"""Copying the files of file components into a snapshot.

Each file is read from the location the reading session picks for it
(``Session.pick_locations``: the accessible location of lowest priority
holding it, such as the server's own storage or a studio disk the session
has a plugin for), through that location's accessor. Files already in the
snapshot folder (a resumed run) are not read again.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any, Callable, List, Sequence, Tuple

from .format import SnapshotWriter
from ..query.literals import where_in

#: Components asked for in one query.
COMPONENTS_PER_QUERY = 100


def copy_files(session: Any, writer: SnapshotWriter, component_ids: Sequence[str], concurrency: int,
               progress: Callable[..., None]) -> List[str]:
    """Copy the file of each of *component_ids* into *writer*; return the ids no location had."""
    wanted = [component_id for component_id in component_ids if not writer.has_blob(component_id)]
    missing: List[str] = []
    copied = len(component_ids) - len(wanted)
    progress("files", done=copied, files=len(component_ids))
    with concurrent.futures.ThreadPoolExecutor(concurrency) as executor:
        for start in range(0, len(wanted), COMPONENTS_PER_QUERY):
            sources, unreachable = _sources(session, wanted[start:start + COMPONENTS_PER_QUERY])
            missing.extend(unreachable)
            futures = [executor.submit(_copy, writer, component_id, location, identifier)
                       for component_id, location, identifier in sources]
            for future in concurrent.futures.as_completed(futures):
                future.result()
                copied += 1
                progress("files", done=copied, files=len(component_ids))
    return sorted(missing)


def _sources(session: Any, component_ids: List[str]) -> Tuple[List[Tuple[str, Any, str]], List[str]]:
    """(component id, location, resource identifier) of each reachable component, and the others."""
    components = session.query(
        "select id, name, file_type, size, component_locations.location_id, "
        "component_locations.resource_identifier from FileComponent where {0}".format(
            where_in("id", component_ids))).all()
    found = {component["id"] for component in components}
    unreachable = [component_id for component_id in component_ids if component_id not in found]
    sources = []
    for component, location in zip(components, session.pick_locations(components)):
        if location is None or getattr(location, "accessor", None) is None:
            unreachable.append(component["id"])
            continue
        sources.append((component["id"], location, location.get_resource_identifier(component)))
    return sources, unreachable


def _copy(writer: SnapshotWriter, component_id: str, location: Any, identifier: str) -> None:
    data = location.accessor.open(identifier, "rb")
    try:
        writer.write_blob(component_id, data)
    finally:
        close = getattr(data, "close", None)
        if close is not None:
            close()
