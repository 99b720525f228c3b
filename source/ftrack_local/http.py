"""What every HTTP handler of the server shares: the application keys, the
credentials check and the JSON answers in the ftrack error envelope.

The API endpoint (:mod:`ftrack_local.app`), the component endpoints
(:mod:`ftrack_local.components.routes`) and the event hub all build on this
module, which depends on none of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Optional, Tuple, TypeVar

from aiohttp import web

from .errors import ApiError, AuthenticationError
from .limits import Limits

if TYPE_CHECKING:
    from .api.backend import Backend

log = logging.getLogger(__name__)

#: Application key of the backend serving the requests.
BACKEND: web.AppKey[Backend] = web.AppKey("ftrack_local.backend", object)
#: Application key of the thread pool running blocking work.
EXECUTOR: web.AppKey[ThreadPoolExecutor] = web.AppKey("ftrack_local.executor", ThreadPoolExecutor)
#: Application key of the :class:`~ftrack_local.limits.Limits` in force.
LIMITS: web.AppKey[Limits] = web.AppKey("ftrack_local.limits", Limits)
#: Application key of the semaphore bounding writing requests in the pool.
WRITE_SLOTS: web.AppKey[asyncio.Semaphore] = web.AppKey("ftrack_local.write_slots", asyncio.Semaphore)

JSON_CONTENT_TYPE = "application/json"
MISSING_CREDENTIALS = (
    "No API credentials were sent: set the ftrack-user and ftrack-api-key "
    "request headers.")
MISSING_HEADER = (
    "The request has no {0} header: set both the ftrack-user and "
    "ftrack-api-key request headers.")

#: An HTTP status and the JSON body answering it.
Answer = Tuple[int, bytes]

_Result = TypeVar("_Result")


def dump_json(value: Any) -> bytes:
    """Serialise an answer as ASCII-only JSON."""
    return json.dumps(value, ensure_ascii=True).encode("ascii")


def error_answer(error: ApiError, strict: bool = True) -> Answer:
    """The status and envelope for *error*.

    Authentication failures are always 401; anything else is 200 unless
    *strict* (the client asked for ``ftrack-strict-api`` status codes).
    """
    if isinstance(error, AuthenticationError):
        status = 401
    else:
        status = error.status if strict else 200
    return status, dump_json(error.envelope())


def internal_error(error: BaseException) -> ApiError:
    """The error reported for an unexpected failure *error* of the server."""
    return ApiError("Internal server error: {0}".format(error))


def json_response(status: int, payload: bytes) -> web.Response:
    """A response carrying the JSON *payload* (see :func:`dump_json`)."""
    return web.Response(body=payload, status=status, content_type=JSON_CONTENT_TYPE, charset="utf-8")


def error_response(error: ApiError) -> web.Response:
    """The error envelope of *error* with its own HTTP status."""
    return json_response(*error_answer(error))


def credentials(request: web.Request) -> Tuple[Optional[str], Optional[str]]:
    """The user and API key of *request*: the ``ftrack-user`` and
    ``ftrack-api-key`` headers, else the ``api_user`` and ``api_key`` query
    parameters (each None when missing)."""
    user = request.headers.get("ftrack-user")
    key = request.headers.get("ftrack-api-key")
    if not user and not key:
        user = request.query.get("api_user")
        key = request.query.get("api_key")
    return user or None, key or None


def check_credentials(backend: Backend, user: Optional[str], key: Optional[str]) -> Optional[Answer]:
    """None when *user*/*key* are valid, else the 401 answer. Blocks: run it
    in the application's :data:`EXECUTOR`."""
    try:
        if not user and not key:
            raise AuthenticationError(MISSING_CREDENTIALS)
        if not user or not key:
            raise AuthenticationError(MISSING_HEADER.format("ftrack-user" if not user else "ftrack-api-key"))
        try:
            backend.authenticate(user, key)
        except AuthenticationError:
            raise
        except ApiError as error:
            # Any other refusal at login time is an authentication failure for the client.
            raise AuthenticationError(error.content) from error
    except AuthenticationError as error:
        return error_answer(error)
    except Exception as error:  # noqa: BLE001 - the server must keep serving
        log.exception("Unexpected error while checking API credentials")
        return error_answer(internal_error(error), strict=False)
    return None


async def blocking(request: web.Request, function: Callable[..., _Result], *args: Any) -> _Result:
    """``function(*args)`` run in the application's thread pool."""
    return await asyncio.get_running_loop().run_in_executor(request.app[EXECUTOR], function, *args)


async def credentials_refusal(request: web.Request, user: Optional[str], key: Optional[str]) -> Optional[web.Response]:
    """None when *user*/*key* are valid credentials, else the 401 response."""
    refused = await blocking(request, check_credentials, request.app[BACKEND], user, key)
    return None if refused is None else json_response(*refused)
