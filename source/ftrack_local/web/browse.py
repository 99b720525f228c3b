"""Browsing: the projects (``/``), an entity (``/browse/<type>/<id>``) and its collections.

Also the pictures and files of components, served to the signed-in user
when they may read the component: ``/browse/thumbnail/<id>`` and
``/browse/file/<id>`` (with ranges, so a ``<video>`` can seek).
"""

from __future__ import annotations

import asyncio
import mimetypes
from typing import Any, List

from aiohttp import web

from ..components.store import StoreError
from ..errors import ApiError
from ..http import BACKEND, blocking
from ..query.literals import quoted
from . import entities
from .login import login_page
from .pages import entity_url, query, render, signed_in, signed_in_page


async def handle_home(request: web.Request) -> web.Response:
    """``GET /``: the projects, or the sign-in form."""
    user = await signed_in(request)
    if user is None:
        return login_page(request)
    return await _projects(request)


@signed_in_page
async def _projects(request: web.Request) -> web.Response:
    projects = await query(request, "select id, name, full_name, status, created_at, thumbnail_id from Project "
                                    "order by name")
    return render(request, "home.html", projects=projects)


def _entity_type(request: web.Request) -> Any:
    schema = request.app[BACKEND].schema
    entity_type = schema.types.get(request.match_info["type"])
    if entity_type is None or entity_type.primary_key != ("id",):
        raise web.HTTPNotFound(text="No such entity type.")
    return entity_type


@signed_in_page
async def handle_entity(request: web.Request) -> web.Response:
    """``GET /browse/<type>/<id>``: every attribute, custom attributes, metadata and collections."""
    entity_type = _entity_type(request)
    schema = request.app[BACKEND].schema
    entity_id = request.match_info["id"]
    try:
        rows = await query(request, entities.entity_expression(entity_type, schema, entity_id))
    except ApiError as error:
        return render(request, "error.html", status=error.status, message=error.content)
    if not rows:
        return render(request, "error.html", status=404,
                      message="No {0} with id {1} (or you may not read it).".format(entity_type.name, entity_id))
    row = rows[0]
    actual = schema.types.get(row.get("__entity_type__")) or entity_type
    if actual.name != entity_type.name:
        raise web.HTTPSeeOther(entity_url(actual.name, entity_id))
    configurations = []
    if entity_type.attribute("custom_attributes") is not None:
        configurations = [c for c in await query(request, entities.CONFIGURATIONS_EXPRESSION)
                          if entities.applies(c, entity_type, row.get("object_type_id"))]
    collections = await asyncio.gather(*(
        entities.collection(lambda text: query(request, text), entity_type, schema, attribute, entity_id,
                            0, entities.PREVIEW_SIZE)
        for attribute in entities.collection_attributes(entity_type, schema)))
    page = entities.build_page(entity_type, schema, row, configurations, list(collections))
    statuses: List[Any] = []
    if page.status is not None or entity_type.attribute("status") is not None:
        statuses = await query(request, "select id, name from Status order by sort, name")
    return render(request, "entity.html", page=page, statuses=statuses,
                  media=await _media(request, entity_type, row))


#: File types shown in a ``<video>``, and as pictures.
VIDEO_TYPES = (".mp4", ".webm", ".mov", ".m4v")
IMAGE_TYPES = (".jpg", ".jpeg", ".png", ".gif", ".webp")


async def _media(request: web.Request, entity_type: Any, row: Any) -> List[Any]:
    """The playable or viewable files of a version (its reviewable components) or of a component."""
    if entity_type.is_a("AssetVersion"):
        components = await query(request, "select id, name, file_type from FileComponent where version_id is "
                                          "{0} order by name".format(quoted(row.get("id"))))
        components = [c for c in components if str(c.get("name", "")).startswith("ftrackreview")]
    elif entity_type.is_a("FileComponent"):
        components = [row]
    else:
        return []
    media = []
    for component in components:
        file_type = str(component.get("file_type") or "").lower()
        kind = "video" if file_type in VIDEO_TYPES else "image" if file_type in IMAGE_TYPES else None
        if kind:
            media.append({"id": component.get("id"), "name": component.get("name"), "kind": kind})
    return media


@signed_in_page
async def handle_collection(request: web.Request) -> web.Response:
    """``GET /browse/<type>/<id>/<collection>?page=N``: one page of a collection's members."""
    entity_type = _entity_type(request)
    schema = request.app[BACKEND].schema
    attribute = entity_type.attribute(request.match_info["collection"])
    if attribute is None or attribute not in entities.collection_attributes(entity_type, schema):
        raise web.HTTPNotFound(text="No such collection.")
    try:
        number = max(1, int(request.query.get("page", "1")))
    except ValueError:
        number = 1
    entity_id = request.match_info["id"]
    try:
        members = await entities.collection(lambda text: query(request, text), entity_type, schema, attribute,
                                            entity_id, (number - 1) * entities.PAGE_SIZE, entities.PAGE_SIZE)
        owner = await query(request, "select id, {0} from {1} where id is {2}".format(
            entities.label_of(entity_type), entity_type.name, quoted(entity_id)))
    except ApiError as error:
        return render(request, "error.html", status=error.status, message=error.content)
    if not owner:
        raise web.HTTPNotFound(text="No such entity.")
    return render(request, "collection.html", entity_type=entity_type.name, id=entity_id,
                  title=entities.text_of(owner[0], entities.label_of(entity_type)), collection=members,
                  page=number)


# -- component data ---------------------------------------------------------------------

async def _component_file(request: web.Request, thumbnail: bool) -> web.StreamResponse:
    backend = request.app[BACKEND]
    component_id = request.match_info["id"]
    if not await blocking(request, backend.may_access_component, request["user"], component_id, False):
        raise web.HTTPNotFound(text="No such file.")
    store = backend.components.store
    try:
        path = await blocking(request, store.existing_path, component_id)
    except StoreError:
        raise web.HTTPNotFound(text="No data is stored for this component.")
    rows = await query(request, "select file_type from Component where id is {0}".format(quoted(component_id)))
    file_type = str((rows[0].get("file_type") if rows else None) or "")
    content_type = mimetypes.guess_type("data" + file_type)[0] or "application/octet-stream"
    response = web.FileResponse(path, headers={"Content-Type": content_type})
    response.headers["Cache-Control"] = "private, max-age=60"
    if not thumbnail:
        response.headers["Content-Disposition"] = "inline"
    return response


@signed_in_page
async def handle_thumbnail(request: web.Request) -> web.StreamResponse:
    """``GET /browse/thumbnail/<component id>``: the picture of a thumbnail component."""
    return await _component_file(request, thumbnail=True)


@signed_in_page
async def handle_file(request: web.Request) -> web.StreamResponse:
    """``GET /browse/file/<component id>``: the data of a component (ranges served)."""
    return await _component_file(request, thumbnail=False)
