"""The aiohttp application: ``POST /api``, the web pages (:mod:`ftrack_local.web`), the
component endpoints (:mod:`ftrack_local.components.routes`) and snapshot
loading (:mod:`ftrack_local.snapshot.routes`).

Everything that may block (authentication, the backend call, JSON decoding
and encoding of possibly large payloads) runs in a thread pool owned by the
application; the event loop only moves bytes. Requests that may write take
one of a limited number of write slots before they get a thread, so however
many writers wait (on SQLite they go one at a time) threads stay free for
reads (see ``doc/local_server_concurrency.rst``).

Other modules add their routes through ``make_app(backend, extra_routes=...)``
or an *extension* callable that receives the application before it is
frozen. Handlers reach the backend with ``request.app[BACKEND]`` (the
application keys live in :mod:`ftrack_local.http`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Optional, Tuple

from aiohttp import web

from .api.concurrency import writes_data
from .components import routes as component_routes
from .errors import ApiError, InvalidActionError, ValidationError
from .http import (BACKEND, EXECUTOR, LIMITS, WRITE_SLOTS, Answer, credentials, credentials_refusal, dump_json,
                   error_answer, internal_error, json_response)
from .limits import LimitExceeded, Limits
from .snapshot import routes as snapshot_routes
from .web import install as install_web_pages

if TYPE_CHECKING:
    from .api.backend import Backend

log = logging.getLogger(__name__)

#: Bytes read from a request body at a time.
READ_CHUNK = 256 * 1024

Extension = Callable[[web.Application], None]


def make_app(backend: Backend, extra_routes: Iterable[web.AbstractRouteDef] = (),
             extensions: Iterable[Extension] = (),
             max_workers: int = 16,
             limits: Optional[Limits] = None) -> web.Application:
    """Return the web application serving *backend*.

    *extra_routes* are route definitions (``web.get(path, handler)`` …)
    added after the core routes; *extensions* are callables given the
    application to register routes, hooks or state of their own.
    *limits* bound what one request may ask (default: :class:`Limits()`).
    """
    limits = limits or Limits()
    app = web.Application(client_max_size=limits.max_body_bytes)
    app[BACKEND] = backend
    app[LIMITS] = limits
    app[EXECUTOR] = ThreadPoolExecutor(
        max_workers=max_workers, thread_name_prefix="ftrack-local-api")
    app.on_cleanup.append(_shutdown_executor)

    async def create_write_slots(app: web.Application) -> None:
        # Created on the serving loop (Python 3.9 binds it at creation).
        app[WRITE_SLOTS] = asyncio.Semaphore(max(1, max_workers // 2))

    app.on_startup.append(create_write_slots)
    app.add_routes([web.post("/api", handle_api)])
    install_web_pages(app)
    component_routes.install(app)
    snapshot_routes.install(app)
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
    limits = app[LIMITS]
    loop = asyncio.get_running_loop()
    user, key = credentials(request)
    strict = request.headers.get("ftrack-strict-api", "").strip().lower() == "true"
    refused = await credentials_refusal(request, user, key)
    if refused is not None:
        return refused
    try:
        body = await read_body(request, limits.max_body_bytes)
    except (ApiError, web.HTTPException, web.RequestPayloadError) as error:
        # A body over the size limit or a broken compressed stream: answer,
        # then drop the connection since the rest of the body is unusable.
        if isinstance(error, web.RequestPayloadError):
            request.content.feed_eof()
        refused = error
        if not isinstance(refused, ApiError):
            reason = getattr(error, "reason", None) or _payload_error_text(error)
            refused = ValidationError(
                "Request body could not be read: {0}".format(reason.strip()),
                status=getattr(error, "status", 400))
        response = json_response(*error_answer(refused, strict))
        response.force_close()
        return response
    # Only the holder keeps the body from here on: decoding drops it as
    # soon as the operations are parsed.
    holder = BodyHolder(body)
    del body
    executor = app[EXECUTOR]
    operations, refusal = await loop.run_in_executor(
        executor, decode_operations, holder, request.headers.get("Content-Encoding", ""),
        strict, limits)
    if refusal is not None:
        return json_response(*refusal)
    writes = writes_data(operations)
    holder = BodyHolder(operations)
    del operations
    if not writes:
        answer = await loop.run_in_executor(
            executor, execute_operations, app[BACKEND], user, holder, strict)
    else:
        async with app[WRITE_SLOTS]:
            answer = await loop.run_in_executor(
                executor, execute_operations, app[BACKEND], user, holder, strict)
    return json_response(*answer)


class BodyHolder:
    """A request body handed over once: :meth:`take` returns it and forgets it."""

    __slots__ = ("_body",)

    def __init__(self, body: Any) -> None:
        self._body = body

    def take(self) -> Any:
        """The body; the holder keeps no reference to it afterwards."""
        body, self._body = self._body, None
        return body


async def read_body(request: web.Request, max_bytes: int) -> bytearray:
    """The request body (decompressed by aiohttp), refused beyond *max_bytes*.

    Read in chunks into one buffer, so the body is held once; a declared
    length over the limit is refused before anything is read.
    """
    declared = request.content_length
    if declared is not None and declared > max_bytes:
        raise _body_too_large(max_bytes, declared)
    body = bytearray()
    while True:
        chunk = await request.content.read(READ_CHUNK)
        if not chunk:
            return body
        if len(body) + len(chunk) > max_bytes:
            raise _body_too_large(max_bytes)
        body += chunk


def _body_too_large(max_bytes: int, actual: Optional[int] = None) -> LimitExceeded:
    return LimitExceeded("max_body_bytes", max_bytes, "The request body", actual, status=413)


def _payload_error_text(error: Exception) -> str:
    """The message of a payload error without aiohttp's "400, message:"."""
    text = " ".join(str(error).split())
    prefix, sep, rest = text.partition(", message: ")
    return rest if sep and prefix.isdigit() else text


def run_operations(backend: Backend, user: str, body: Any,
                   content_encoding: str = "", strict: bool = False,
                   limits: Optional[Limits] = None) -> Answer:
    """Decode *body*, run its operations as *user*; return status and body.

    *body* is bytes or a :class:`BodyHolder` (then no copy of the raw body
    outlives decoding). Never raises: every failure becomes an error envelope.
    """
    operations, refusal = decode_operations(body, content_encoding, strict, limits)
    if refusal is not None:
        return refusal
    return execute_operations(backend, user, BodyHolder(operations), strict)


def decode_operations(body: Any, content_encoding: str = "", strict: bool = False,
                      limits: Optional[Limits] = None
                      ) -> Tuple[List[dict], Optional[Answer]]:
    """The operations of *body* (bytes or a :class:`BodyHolder`), or the refusal.

    Never raises: a body that cannot be decoded gives ``([], answer)``.
    """
    try:
        if isinstance(body, BodyHolder):
            body = body.take()
        limits = limits or Limits()
        text = decode_text(_decode_body(body, content_encoding, limits.max_body_bytes))
        del body
        return parse_operations(text, limits), None
    except ApiError as error:
        return [], error_answer(error, strict)
    except Exception as error:  # noqa: BLE001 - the server must keep serving
        log.exception("Unexpected error while decoding an API request")
        return [], error_answer(internal_error(error), strict)


def execute_operations(backend: Backend, user: str, operations: Any,
                       strict: bool = False) -> Answer:
    """Run *operations* (a list or a :class:`BodyHolder` of one) as *user*.

    Never raises: every failure becomes an error envelope.
    """
    try:
        if isinstance(operations, BodyHolder):
            operations = operations.take()
        result = backend.call(operations, user) if operations else []
        del operations
        return 200, dump_json(result)
    except ApiError as error:
        return error_answer(error, strict)
    except Exception as error:  # noqa: BLE001 - the server must keep serving
        log.exception("Unexpected error while handling an API request")
        return error_answer(internal_error(error), strict)


def _decode_body(body: Any, content_encoding: str, max_bytes: int) -> Any:
    """Undo a gzip/deflate encoding the HTTP layer has not already removed.

    aiohttp normally decompresses request bodies itself; the magic bytes
    tell whether that happened (JSON text never starts with them). The
    decompressed body is refused beyond *max_bytes*.
    """
    encoding = content_encoding.strip().lower()
    if encoding in ("gzip", "x-gzip") and body[:2] == b"\x1f\x8b":
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate" and body[:1] == b"\x78":
        decompressor = zlib.decompressobj()
    else:
        return body
    try:
        data = decompressor.decompress(body, max_bytes + 1)
        if len(data) > max_bytes:
            raise _body_too_large(max_bytes)
        if not decompressor.eof:
            raise ValidationError(
                "Request body could not be decompressed ({0}): the data is "
                "truncated.".format(encoding))
    except zlib.error as error:
        raise ValidationError(
            "Request body could not be decompressed ({0}): {1}".format(
                encoding, error))
    return data


def decode_text(body: Any) -> str:
    """The UTF-8 text of *body* (a byte order mark is skipped)."""
    try:
        return str(body, "utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError("Request body is not valid JSON: {0}".format(error)) from None


#: A JSON escape of a NUL or of a UTF-16 surrogate (valid only as half of a pair).
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
#: Characters no text of a request may hold: NUL (no database keeps it in
#: text) and a surrogate left without its pair.
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def parse_operations(text: Any, limits: Optional[Limits] = None) -> List[dict]:
    """Decode *text* into a list of operation objects or raise ValidationError.

    *text* is the body text (bytes are decoded as UTF-8); anything beyond
    *limits* is refused with :class:`~ftrack_local.limits.LimitExceeded`.
    """
    limits = limits or Limits()
    if not isinstance(text, str):
        text = decode_text(text)
    suspect = _SUSPECT_ESCAPE.search(text) is not None
    try:
        operations = json.loads(text)
    except ValueError as error:
        raise ValidationError("Request body is not valid JSON: {0}".format(_short(error)))
    except RecursionError:
        raise _too_deep(limits.max_json_depth)
    del text
    if not isinstance(operations, list):
        raise ValidationError("Request body must be a JSON list of operations.")
    if len(operations) > limits.max_operations:
        raise LimitExceeded("max_operations", limits.max_operations,
                            "The number of operations in the batch", len(operations))
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise ValidationError(
                "Request body must be a JSON list of operations: item {0} is "
                "a JSON {1}, not an object.".format(index, _json_kind(operation)))
        if not isinstance(operation.get("action"), str):
            raise InvalidActionError(operation.get("action"))
        expression = operation.get("expression")
        if isinstance(expression, str) and len(expression) > limits.max_query_length:
            raise LimitExceeded("max_query_length", limits.max_query_length,
                                "The query expression of operation {0}".format(index + 1),
                                len(expression))
    for index, operation in enumerate(operations):
        try:
            _check_values(operation, limits.max_json_depth, suspect, depth=2)
        except LimitExceeded:
            raise
        except ValidationError as error:
            error.content = "{0} (operation {1})".format(error.content, index + 1)
            raise
    return operations


def _too_deep(max_depth: int) -> LimitExceeded:
    return LimitExceeded("max_json_depth", max_depth,
                         "The request body's JSON is nested too deeply: its depth")


def _short(error: Exception, length: int = 300) -> str:
    """The text of *error*, cut to *length* characters."""
    text = str(error)
    return text if len(text) <= length else text[:length] + "..."


def _check_values(value: Any, max_depth: int, check_text: bool, depth: int = 1) -> None:
    """Refuse JSON nested beyond *max_depth* and, when *check_text*, text
    holding a NUL or a lone surrogate; *value* is at level *depth*.

    An iterative walk over the containers, so any depth is safe to check.
    """
    stack = [(value, depth)]
    while stack:
        container, depth = stack.pop()
        if depth > max_depth:
            raise _too_deep(max_depth)
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, item in items:
            if check_text:
                for text in (key, item):
                    if isinstance(text, str):
                        _check_characters(text)
            if isinstance(item, (dict, list)):
                stack.append((item, depth + 1))


def _check_characters(text: str) -> None:
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return
    if found.group() == "\x00":
        raise ValidationError("Request body holds a NUL character (\\u0000) in a string; "
                              "text values cannot contain it.")
    raise ValidationError(
        "Request body is not valid JSON: a string holds a lone surrogate "
        "(\\ud800-\\udfff) that is not part of a pair.")


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
