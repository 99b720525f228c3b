"""What a session asks of the server besides entities.

The server's version check (doc/protocol.rst, "Server information and
schemas") and the optional actions: widget URLs, upload metadata,
invitations and media encoding (doc/protocol.rst, "Component and job
actions"). A server without one of those actions answers ``Invalid action``,
which becomes :exc:`~ftrack_api.exception.ServerCompatibilityError`.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, List, Optional

import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.symbol

#: The oldest server version the client works with (``dev`` always passes).
MINIMUM_SERVER_VERSION = (3, 3, 11)


def check_compatibility(server_information: dict) -> None:
    """Raise :exc:`~ftrack_api.exception.ServerCompatibilityError` for a server too old."""
    server_version = server_information.get("version")
    if server_version is None:
        raise ftrack_api.exception.ServerCompatibilityError("Could not determine server version.")
    if server_version == "dev":
        return
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", str(server_version))
    if match is None:
        return
    if tuple(int(part) for part in match.groups()) < MINIMUM_SERVER_VERSION:
        raise ftrack_api.exception.ServerCompatibilityError(
            "Server version {0!r} incompatible with this version of the "
            "API which requires a server version >= {1}".format(
                server_version, ".".join(str(part) for part in MINIMUM_SERVER_VERSION)
            )
        )


def call_action(session: Any, action: str, operations: List[dict]) -> list:
    """Send *operations* of the optional *action*; a server without it raises a compatibility error."""
    try:
        return session._call(operations)
    except ftrack_api.exception.ServerCompatibilityError:
        raise
    except ftrack_api.exception.ServerError as error:
        if "Invalid action u'{0}'".format(action) in str(error):
            raise ftrack_api.exception.ServerCompatibilityError(
                'Server version {0!r} does not support "{1}", please update '
                "server and try again.".format(session.server_information.get("version"), action)
            )
        raise


def widget_url(session: Any, name: str, entity: Any = None, theme: Optional[str] = None) -> str:
    """Return the signed URL of widget *name*, for *entity* when given."""
    operation = {"action": "get_widget_url", "name": name, "theme": theme}
    if entity:
        operation["entity_type"] = entity.entity_type
        operation["entity_key"] = list(ftrack_api.inspection.primary_key(entity).values())
    return session._call_action("get_widget_url", [operation])[0]["widget_url"]


def upload_metadata(
    session: Any, component_id: str, file_name: str, file_size: int, checksum: Optional[str] = None
) -> dict:
    """Return the URL and headers to upload the data of *component_id* with."""
    operation = {
        "action": "get_upload_metadata",
        "component_id": component_id,
        "file_name": file_name,
        "file_size": file_size,
        "checksum": checksum,
    }
    return session._call_action("get_upload_metadata", [operation])[0]


def send_invites(session: Any, action: str, key: str, entities: Iterable[Any]) -> None:
    """Send *action* once per entity of *entities*, its id given as *key*."""
    session._call_action(action, [{"action": action, key: entity["id"]} for entity in entities])


def encode_media(session: Any, media: Any, version_id: Optional[str] = None, keep_original: Any = "auto") -> Any:
    """Start encoding *media* (a path or a FileComponent); return the Job.

    A path is first uploaded as a new component to ftrack.server and, with
    *keep_original* ``'auto'``, not kept once encoded; a component is kept.
    """
    if isinstance(media, str):
        server_location = session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
        component = session.create_component(media, location=server_location)
    else:
        component = media
    if keep_original == "auto":
        keep_original = not isinstance(media, str)
    operation = {
        "action": "encode_media",
        "component_id": component["id"],
        "version_id": version_id,
        "keep_original": keep_original,
    }
    result = session._call_action("encode_media", [operation])
    return session.get("Job", result[0]["job_id"])
