"""``POST /ftrack-local/snapshot``: load a snapshot into the running server.

The body is a snapshot archive (``.tar``, ``.tar.gz`` or ``.tar.xz``;
the compression is recognised from the bytes). Only administrators may
load, with the usual ``ftrack-user`` and ``ftrack-api-key`` headers. The
archive may be as large as the server's ``max_upload_bytes``. The load runs
alone (no other request writes meanwhile), in one transaction: it applies
whole or not at all, and answers what it wrote::

    {"entities": 10234, "types": 41, "files": 30, "seconds": 1.9,
     "unknown_types": [], "unknown_attributes": {}}

No ``ftrack.update`` events are published for the loaded rows.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from typing import Any, Optional

from aiohttp import web

from ..api.permissions import rights_of
from ..errors import ApiError, PermissionError, ValidationError
from ..http import BACKEND, LIMITS, blocking, credentials, credentials_refusal, dump_json, error_response, \
    json_response
from ..limits import LimitExceeded
from .format import SnapshotError
from .load import load

PATH = "/ftrack-local/snapshot"
_CHUNK = 1 << 20


def install(app: web.Application) -> None:
    """Add the snapshot route to *app*."""
    app.add_routes([web.post(PATH, handle_load)])


async def handle_load(request: web.Request) -> web.Response:
    """Check the caller is an administrator, receive the archive and load it."""
    user, key = credentials(request)
    refused = await credentials_refusal(request, user, key)
    if refused is not None:
        return refused
    backend = request.app[BACKEND]
    if not await blocking(request, _is_admin, backend, user):
        return error_response(PermissionError("Permission denied: loading a snapshot needs the Administrator role."))
    maximum = request.app[LIMITS].max_upload_bytes
    if request.content_length is not None and request.content_length > maximum:
        return _oversized(request.content_length, maximum)
    handle, path = tempfile.mkstemp(prefix="snapshot-", suffix=".tar", dir=backend.data_dir)
    try:
        with os.fdopen(handle, "wb") as target:
            received = 0
            async for chunk in request.content.iter_chunked(_CHUNK):
                received += len(chunk)
                if received > maximum:
                    return _oversized(None, maximum)
                target.write(chunk)
        try:
            report = await blocking(request, _load_alone, backend, path)
        except SnapshotError as error:
            reason = str(error).replace(path, "the request body")
            return error_response(ValidationError("The snapshot cannot be loaded: {0}".format(reason)))
        except ApiError as error:
            return error_response(error)
        return json_response(200, dump_json(dataclasses.asdict(report)))
    finally:
        os.unlink(path)


def _is_admin(backend: Any, username: Optional[str]) -> bool:
    with backend.storage.engine.connect() as connection:
        user_id = backend.user_id_in(connection, username or "")
        return bool(user_id) and rights_of(backend.storage, connection, user_id).admin


def _load_alone(backend: Any, path: str) -> Any:
    with backend.writing_alone():
        return load(backend, path)


def _oversized(size: Optional[int], maximum: int) -> web.Response:
    response = error_response(LimitExceeded("max_upload_bytes", maximum, "The snapshot", size, status=413))
    response.force_close()
    return response

