"""HTTP endpoints of the ``ftrack.server`` location and of widgets.
(doc/protocol.rst, "Component data")

* ``PUT /component/upload?token=…`` — the upload URL handed out by
  ``get_upload_metadata``; the signed token is the only credential, so the
  PUT needs no ftrack headers. Answers an ``ETag`` (hex MD5 of the body).
* ``GET /component/get?id=…&username=…&apiKey=…`` — the data, streamed.
* ``GET /component/remove?id=…&username=…&apiKey=…`` — deletes the data.
* ``GET /component/thumbnail?id=…&username=…&apiKey=…[&size=n]`` — the image
  fitted into n×n when ffmpeg is available, else the stored bytes.
* ``GET /widget/<name>?token=…`` — a small HTML page for ``get_widget_url``.
* ``GET /img/thumbnail2.png`` — the placeholder of entities without thumbnail.

Failures answer ``{"exception", "content", "error_code"}`` with a 4xx status.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import secrets
import struct
import zlib
from typing import Any, Dict, Optional

from aiohttp import web

from ..errors import ApiError, NotFoundError, PermissionError, ValidationError
from ..http import BACKEND, EXECUTOR, LIMITS, blocking, credentials_refusal, error_response
from ..limits import LimitExceeded
from . import ffmpeg
from .service import PART_PURPOSE, UPLOAD_PURPOSE, WIDGET_NAMES, WIDGET_PURPOSE, ComponentService
from .store import CHUNK_SIZE, StoreError, Upload, check_identifier, decode_md5
from .tokens import TokenError

log = logging.getLogger(__name__)

#: Largest thumbnail edge accepted in ``size``.
MAX_THUMBNAIL_SIZE = 4096


def install(app: web.Application) -> None:
    """Add the component and widget routes to *app*.

    On startup, encoding jobs an earlier run left unfinished are marked
    failed; while the app runs, deleting a component through the API also
    deletes its stored data; on cleanup the media encoder is stopped.
    """
    app.add_routes([
        web.put("/component/upload", handle_upload),
        web.get("/component/get", handle_get),
        web.get("/component/remove", handle_remove),
        web.get("/component/thumbnail", handle_thumbnail),
        web.get("/widget/{name}", handle_widget),
        web.get("/img/thumbnail2.png", handle_placeholder),
    ])

    backend = app[BACKEND]
    listeners = backend.commit_listeners

    async def start(app: web.Application) -> None:
        service = backend.components
        service.limits = app[LIMITS]
        listeners.append(service.forget_removed)
        try:
            await asyncio.get_running_loop().run_in_executor(
                app[EXECUTOR], service.encoder.fail_interrupted)
        except Exception:  # noqa: BLE001 - serving matters more
            log.exception("Could not mark interrupted encoding jobs as failed")

    async def close(app: web.Application) -> None:
        service = backend.components_if_made
        if service is None:
            return
        if service.forget_removed in listeners:
            listeners.remove(service.forget_removed)
        await asyncio.get_running_loop().run_in_executor(None, service.close)

    app.on_startup.append(start)
    app.on_cleanup.insert(0, close)


def _service(request: web.Request) -> ComponentService:
    return request.app[BACKEND].components


def _store_error(error: StoreError) -> ApiError:
    """The error answering a refusal of the blob store."""
    if error.status == 404:
        return NotFoundError(error.message)
    return ValidationError(error.message, status=error.status)


def _component_id(request: web.Request) -> str:
    return check_identifier(request.query.get("id"))


# -- upload ----------------------------------------------------------------------------

async def handle_upload(request: web.Request) -> web.StreamResponse:
    """Store the body under the component named by the signed token.

    Each upload URL works once (a second PUT is refused with 409) unless
    the first use failed and stored nothing. Bodies beyond the server's
    ``max_upload_bytes`` are refused with 413, declared size or not.
    """
    service = _service(request)
    token = request.query.get("token")
    try:
        claims = service.signer.verify(token, UPLOAD_PURPOSE, PART_PURPOSE)
    except TokenError as error:
        return error_response(PermissionError("Upload refused: {0}".format(error)))
    maximum = service.limits.max_upload_bytes
    declared = request.content_length
    if declared is not None and declared > maximum:
        return _refuse_oversized(service, declared)
    try:
        await blocking(request, service.used_tokens.spend, claims)
    except TokenError as error:
        return error_response(PermissionError("Upload refused: {0}".format(error), status=409))
    try:
        upload = await blocking(request, _begin_upload, service, claims, request.headers)
    except StoreError as error:
        service.used_tokens.restore(claims)
        return error_response(_store_error(error))
    try:
        received = 0
        async for chunk in request.content.iter_chunked(CHUNK_SIZE):
            received += len(chunk)
            if received > maximum:
                upload.abort()
                service.used_tokens.restore(claims)
                return _refuse_oversized(service)
            await blocking(request, upload.write, chunk)
        if declared is not None and received != declared:
            raise StoreError("Upload is incomplete: received {0} of {1} bytes.".format(
                received, declared))
        await blocking(request, upload.commit)
    except StoreError as error:
        upload.abort()
        service.used_tokens.restore(claims)
        return error_response(_store_error(error))
    except (asyncio.CancelledError, Exception) as error:
        # A dropped connection or a broken body: nothing becomes visible.
        upload.abort()
        service.used_tokens.restore(claims)
        if isinstance(error, asyncio.CancelledError):
            raise
        log.info("Upload of %s aborted: %s", claims.get("id"), error)
        response = error_response(ValidationError("Upload failed: {0}".format(error)))
        response.force_close()
        return response
    etag = '"{0}"'.format(upload.md5.hex())
    return web.json_response({"component_id": claims["id"], "size": upload.size},
                             headers={"ETag": etag})


def _refuse_oversized(service: ComponentService, size: Optional[int] = None) -> web.Response:
    """The 413 answer to an upload beyond ``max_upload_bytes``; closes the connection."""
    error = LimitExceeded("max_upload_bytes", service.limits.max_upload_bytes, "The upload",
                          size, status=413)
    response = error_response(error)
    response.force_close()
    return response


def _begin_upload(service: ComponentService, claims: Dict[str, Any], headers: Any) -> Upload:
    header_md5 = decode_md5(headers.get("Content-MD5"))
    if claims["purpose"] == PART_PURPOSE:
        return service.store.begin_part(claims["upload_id"], claims["part"], header_md5)
    signed_md5 = decode_md5(claims.get("md5"))
    if header_md5 is not None and signed_md5 is not None and header_md5 != signed_md5:
        raise StoreError("Content-MD5 does not match the checksum given to get_upload_metadata.")
    size = claims.get("size")
    length = headers.get("Content-Length")
    if size is not None and length is not None and length.isdigit() and int(length) != size:
        raise StoreError("Content-Length {0} does not match the file size {1} given to "
                         "get_upload_metadata.".format(length, size))
    return service.store.begin(claims["id"], size, header_md5 or signed_md5)


# -- download, remove, thumbnail -----------------------------------------------------

async def _authorise(request: web.Request, write: bool) -> Optional[web.Response]:
    """None when the credentials are valid and the user may read (or *write*)
    the data of component ``id``, else the refusal (see ``doc/local_server_users.rst``)."""
    refusal = await credentials_refusal(request, request.query.get("username") or None,
                                        request.query.get("apiKey") or None)
    if refusal is not None:
        return refusal
    try:
        component_id = _component_id(request)
    except StoreError:
        return None  # the handler reports the malformed id
    allowed = await blocking(request, request.app[BACKEND].may_access_component,
                             request.query.get("username"), component_id, write)
    if allowed:
        return None
    return error_response(PermissionError(
        'Permission denied: none of the user\'s roles allows {0} the data of Component "{1}".'.format(
            "changing" if write else "reading", component_id)))


async def handle_get(request: web.Request) -> web.StreamResponse:
    """Stream the stored data of ``id``."""
    refusal = await _authorise(request, write=False)
    if refusal is not None:
        return refusal
    try:
        path = _service(request).store.existing_path(_component_id(request))
    except StoreError as error:
        return error_response(_store_error(error))
    return web.FileResponse(path, chunk_size=CHUNK_SIZE, headers={
        "Content-Type": "application/octet-stream"})


async def handle_remove(request: web.Request) -> web.Response:
    """Delete the stored data of ``id`` (answers 200 whether or not there was any)."""
    refusal = await _authorise(request, write=True)
    if refusal is not None:
        return refusal
    try:
        component_id = _component_id(request)
        removed = await blocking(request, _service(request).store.remove, component_id)
    except StoreError as error:
        return error_response(_store_error(error))
    return web.json_response({"component_id": component_id, "removed": removed})


async def handle_thumbnail(request: web.Request) -> web.StreamResponse:
    """The image of ``id``, fitted into ``size``×``size`` when a size is given."""
    refusal = await _authorise(request, write=False)
    if refusal is not None:
        return refusal
    text = request.query.get("size")
    size = None
    if text is not None and text != "":
        if not text.isdigit() or not 1 <= int(text) <= MAX_THUMBNAIL_SIZE:
            return error_response(ValidationError("size must be a whole number of pixels from 1 to {0}, "
                                                  "not {1!r}.".format(MAX_THUMBNAIL_SIZE, text)))
        size = int(text)
    store = _service(request).store
    try:
        component_id = _component_id(request)
        path = store.existing_path(component_id)
    except StoreError as error:
        return error_response(_store_error(error))
    if size is not None:
        scaled = await blocking(request, _scaled_thumbnail, store, component_id, path, size)
        if scaled is not None:
            return web.FileResponse(scaled, headers={"Content-Type": "image/jpeg"})
    return web.FileResponse(path, headers={"Content-Type": _image_type(path)})


def _scaled_thumbnail(store: Any, component_id: str, source: str, size: int) -> Optional[str]:
    """The cached fitted thumbnail, made now if needed; None without ffmpeg or on failure."""
    target = store.thumbnail_path(component_id, size)
    if os.path.isfile(target):
        return target
    executable = ffmpeg.find_ffmpeg()
    if executable is None:
        return None
    temporary = os.path.join(store.incoming_dir, secrets.token_hex(16) + ".jpg")
    try:
        ffmpeg.scale_image(executable, source, temporary, size)
        os.replace(temporary, target)
    except (ffmpeg.FfmpegError, OSError) as error:
        log.info("Thumbnail of %s not scaled: %s", component_id, error)
        return None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"BM", "image/bmp"))


def _image_type(path: str) -> str:
    """The content type of an image file from its first bytes."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


# -- widgets and the placeholder ------------------------------------------------------

WIDGET_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
body.dark {{ background: #2b2b2b; color: #e0e0e0; }}
body.light {{ background: #ffffff; color: #202020; }}
</style></head>
<body class="{theme}">
<h1>{title}</h1>
<p>Widget <code>{name}</code> of ftrack_local for user <code>{username}</code>.</p>
{entity}
</body>
</html>
"""


async def handle_widget(request: web.Request) -> web.Response:
    """A small HTML page for a widget URL whose token is valid."""
    name = request.match_info["name"]
    try:
        claims = _service(request).signer.verify(request.query.get("token"), WIDGET_PURPOSE)
    except TokenError as error:
        return web.Response(status=403, text="Widget URL refused: {0}".format(error))
    if claims.get("name") != name or name not in WIDGET_NAMES:
        return web.Response(status=403, text="Widget URL refused: the token is for another widget.")
    theme = claims.get("theme") if claims.get("theme") in ("light", "dark") else "dark"
    entity = ""
    if claims.get("entity_type"):
        entity = "<p>Entity: <code>{0}</code> <code>{1}</code></p>".format(
            html.escape(str(claims["entity_type"])),
            html.escape(json.dumps(claims.get("entity_key"))))
    page = WIDGET_PAGE.format(title=html.escape(name.replace("_", " ").capitalize()),
                              theme=theme, name=html.escape(name),
                              username=html.escape(str(claims.get("username"))), entity=entity)
    return web.Response(text=page, content_type="text/html", charset="utf-8")


def _placeholder_png(size: int = 64, grey: int = 0xc8) -> bytes:
    """A plain grey PNG of size×size pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\x00" + bytes([grey]) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


PLACEHOLDER_PNG = _placeholder_png()


async def handle_placeholder(request: web.Request) -> web.Response:
    """The image shown for entities without a thumbnail."""
    return web.Response(body=PLACEHOLDER_PNG, content_type="image/png")
