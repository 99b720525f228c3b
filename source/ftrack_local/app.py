"""The aiohttp application: ``POST /api``, a small index page and the
component endpoints (:mod:`ftrack_local.components.routes`).

Everything that may block (authentication, the backend call, JSON decoding
and encoding of possibly large payloads) runs in a thread pool owned by the
application; the event loop only moves bytes.

Other modules add their routes through ``make_app(backend, extra_routes=...)``
or an *extension* callable that receives the application before it is
frozen. Handlers reach the backend with ``request.app[BACKEND]``.
"""

import asyncio
import gzip
import json
import logging
import re
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, List, Optional, Tuple

from aiohttp import web

from . import __version__
from .errors import ApiError, AuthenticationError, ValidationError

log = logging.getLogger(__name__)

#: Application key of the backend serving the requests.
BACKEND: "web.AppKey[Any]" = web.AppKey("ftrack_local.backend", object)
#: Application key of the thread pool running blocking work.
EXECUTOR: "web.AppKey[ThreadPoolExecutor]" = web.AppKey(
    "ftrack_local.executor", ThreadPoolExecutor)

#: Largest accepted request body (uploads of big batches).
CLIENT_MAX_SIZE = 1024 ** 3

JSON_CONTENT_TYPE = "application/json"
MISSING_CREDENTIALS = (
    "No API credentials were sent: set the ftrack-user and ftrack-api-key "
    "request headers.")
MISSING_HEADER = (
    "The request has no {0} header: set both the ftrack-user and "
    "ftrack-api-key request headers.")

Extension = Callable[[web.Application], None]


def make_app(backend: Any, extra_routes: Iterable[web.AbstractRouteDef] = (),
             extensions: Iterable[Extension] = (),
             max_workers: int = 16) -> web.Application:
    """Return the web application serving *backend*.

    *extra_routes* are route definitions (``web.get(path, handler)`` …)
    added after the core routes; *extensions* are callables given the
    application to register routes, hooks or state of their own.
    """
    app = web.Application(client_max_size=CLIENT_MAX_SIZE)
    app[BACKEND] = backend
    app[EXECUTOR] = ThreadPoolExecutor(
        max_workers=max_workers, thread_name_prefix="ftrack-local-api")
    app.on_cleanup.append(_shutdown_executor)
    app.add_routes([
        web.post("/api", handle_api),
        web.get("/", handle_index),
    ])
    # Imported here: the component routes use this module's application keys.
    from .components import routes as component_routes

    component_routes.install(app)
    app.add_routes(list(extra_routes))
    for extension in extensions:
        extension(app)
    return app


async def _shutdown_executor(app: web.Application) -> None:
    # Wait for running calls so the backend is idle when it gets closed.
    app[EXECUTOR].shutdown(wait=True)


# -- /api -------------------------------------------------------------------

async def handle_api(request: web.Request) -> web.Response:
    """Authenticate, run one batch of operations and answer in JSON."""
    app = request.app
    loop = asyncio.get_running_loop()
    user, key = _credentials(request)
    strict = request.headers.get("ftrack-strict-api", "").strip().lower() == "true"
    refusal = await loop.run_in_executor(
        app[EXECUTOR], check_credentials, app[BACKEND], user, key)
    if refusal is not None:
        return _json_response(*refusal)
    try:
        body = await request.read()
    except (web.HTTPException, web.RequestPayloadError) as error:
        # A body over the size limit or a broken compressed stream: answer,
        # then drop the connection since the rest of the body is unusable.
        reason = getattr(error, "reason", None) or _payload_error_text(error)
        response = _json_response(*_error_answer(ValidationError(
            "Request body could not be read: {0}".format(reason.strip()),
            status=getattr(error, "status", 400)), strict))
        response.force_close()
        if isinstance(error, web.RequestPayloadError):
            request.content.feed_eof()
        return response
    answer = await loop.run_in_executor(
        app[EXECUTOR], run_operations, app[BACKEND], user, body,
        request.headers.get("Content-Encoding", ""), strict)
    return _json_response(*answer)


def _payload_error_text(error: Exception) -> str:
    """The message of a payload error without aiohttp's "400, message:"."""
    text = " ".join(str(error).split())
    prefix, sep, rest = text.partition(", message: ")
    return rest if sep and prefix.isdigit() else text


def _json_response(status: int, payload: bytes) -> web.Response:
    return web.Response(body=payload, status=status,
                        content_type=JSON_CONTENT_TYPE, charset="utf-8")


def _credentials(request: web.Request) -> Tuple[Optional[str], Optional[str]]:
    """Return the user and API key from the headers or query parameters."""
    user = request.headers.get("ftrack-user")
    key = request.headers.get("ftrack-api-key")
    if not user and not key:
        user = request.query.get("api_user")
        key = request.query.get("api_key")
    return user or None, key or None


Answer = Tuple[int, bytes]


def check_credentials(backend: Any, user: Optional[str],
                      key: Optional[str]) -> Optional[Answer]:
    """Return None when *user*/*key* are valid, else the 401 answer."""
    try:
        if not user and not key:
            raise AuthenticationError(MISSING_CREDENTIALS)
        if not user or not key:
            raise AuthenticationError(MISSING_HEADER.format(
                "ftrack-user" if not user else "ftrack-api-key"))
        try:
            backend.authenticate(user, key)
        except AuthenticationError:
            raise
        except ApiError as error:
            # Any other refusal at login time is an authentication failure
            # for the client.
            raise AuthenticationError(error.content) from error
    except AuthenticationError as error:
        return 401, dump_json(error.envelope())
    except Exception as error:  # noqa: BLE001 - the server must keep serving
        log.exception("Unexpected error while checking API credentials")
        return _error_answer(
            ApiError("Internal server error: {0}".format(error)), False)
    return None


def run_operations(backend: Any, user: str, body: bytes,
                   content_encoding: str = "", strict: bool = False) -> Answer:
    """Decode *body*, run its operations as *user*; return status and body.

    Never raises: every failure becomes an error envelope.
    """
    try:
        operations = parse_operations(_decode_body(body, content_encoding))
        result = backend.call(operations, user) if operations else []
        return 200, dump_json(result)
    except ApiError as error:
        return _error_answer(error, strict)
    except Exception as error:  # noqa: BLE001 - the server must keep serving
        log.exception("Unexpected error while handling an API request")
        return _error_answer(
            ApiError("Internal server error: {0}".format(error)), strict)


def _error_answer(error: ApiError, strict: bool) -> Answer:
    """The status and envelope for *error*.

    Authentication failures are always 401; anything else is 200 unless the
    client asked for strict status codes.
    """
    if isinstance(error, AuthenticationError):
        status = 401
    else:
        status = error.status if strict else 200
    return status, dump_json(error.envelope())


def _decode_body(body: bytes, content_encoding: str) -> bytes:
    """Undo a gzip/deflate encoding the HTTP layer has not already removed.

    aiohttp normally decompresses request bodies itself; the magic bytes
    tell whether that happened (JSON text never starts with them).
    """
    encoding = content_encoding.strip().lower()
    try:
        if encoding in ("gzip", "x-gzip") and body[:2] == b"\x1f\x8b":
            return gzip.decompress(body)
        if encoding == "deflate" and body[:1] == b"\x78":
            return zlib.decompress(body)
    except (OSError, EOFError, zlib.error) as error:
        raise ValidationError(
            "Request body could not be decompressed ({0}): {1}".format(
                encoding, error))
    return body


#: A JSON escape of a UTF-16 surrogate (valid only as half of a pair).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse_operations(body: bytes) -> List[dict]:
    """Decode *body* into a list of operation objects or raise ValidationError."""
    try:
        text = body.decode("utf-8-sig")
        operations = json.loads(text)
    except (UnicodeDecodeError, ValueError) as error:
        raise ValidationError("Request body is not valid JSON: {0}".format(error))
    except RecursionError:
        raise ValidationError("Request body is not valid JSON: it is nested too deeply.")
    if _SURROGATE_ESCAPE.search(text):
        # Escaped surrogates must come in pairs; a lone one is no character.
        try:
            json.dumps(operations, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(
                "Request body is not valid JSON: a string holds a lone surrogate "
                "(\\ud800-\\udfff) that is not part of a pair.") from None
    if not isinstance(operations, list):
        raise ValidationError("Request body must be a JSON list of operations.")
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise ValidationError(
                "Request body must be a JSON list of operations: item {0} is "
                "a JSON {1}, not an object.".format(index, _json_kind(operation)))
    return operations


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def dump_json(value: Any) -> bytes:
    """Serialise an answer as ASCII-only JSON."""
    return json.dumps(value, ensure_ascii=True).encode("ascii")


# -- / ------------------------------------------------------------------------

async def handle_index(request: web.Request) -> web.Response:
    """A plain-text page saying what this server is and how to connect."""
    backend = request.app[BACKEND]
    url = getattr(backend, "server_url", None) or "{0}://{1}".format(
        request.scheme, request.host)
    text = (
        "ftrack_local {version}\n"
        "A local server speaking the ftrack API protocol.\n"
        "\n"
        "API endpoint: POST {url}/api\n"
        "\n"
        "Connect with the ftrack Python API:\n"
        "    export FTRACK_SERVER={url}\n"
        "    export FTRACK_API_USER={user}\n"
        "    export FTRACK_API_KEY=<the key printed when the server started>\n"
    ).format(version=__version__, url=url,
             user=getattr(backend, "api_user", "admin"))
    return web.Response(text=text, content_type="text/plain", charset="utf-8")
