"""Browsing: the projects (``/``), an entity (``/browse/<type>/<id>``) and its collections.

Also the pictures and files of components, served to the signed-in user
when they may read the component: ``/browse/thumbnail/<id>`` and
``/browse/file/<id>`` (with ranges, so a ``<video>`` can seek).
"""

from __future__ import annotations

import mimetypes
from typing import Any, Dict, List

from aiohttp import web

from ..components.store import StoreError
from ..errors import ApiError
from ..http import BACKEND, blocking
from ..query.literals import quoted
from . import entities
from .login import login_page
from .pages import call, entity_url, query, render, signed_in, signed_in_page, user_of


async def handle_home(request: web.Request) -> web.Response:
    """``GET /``: the projects, or the sign-in form."""
    user = await signed_in(request)
    if user is None:
        return login_page(request)
    return await _projects(request)


@signed_in_page
async def _projects(request: web.Request) -> web.Response:
    # Sorted here: a site has few projects, and a database ordering them by name may walk every context.
    projects = await query(request, "select id, name, full_name, status, created_at, thumbnail_id from Project")
    return render(request, "home.html", projects=sorted(projects, key=lambda project: str(project.get("name"))))


def _entity_type(request: web.Request) -> Any:
    schema = request.app[BACKEND].schema
    entity_type = schema.types.get(request.match_info["type"])
    if entity_type is None or entity_type.primary_key != ("id",):
        raise web.HTTPNotFound(text="No such entity type.")
    return entity_type


#: The statuses offered by the status form.
STATUSES_EXPRESSION = "select id, name from Status order by sort, name"


async def _read(request: web.Request, expressions: List[str]) -> List[List[Dict[str, Any]]]:
    """The rows of each query of *expressions*, read in one request (one transaction)."""
    results = await call(request, [{"action": "query", "expression": expression} for expression in expressions])
    return [result["data"] for result in results]


@signed_in_page
async def handle_entity(request: web.Request) -> web.Response:
    """``GET /browse/<type>/<id>``: every attribute, custom attributes, metadata and collections.

    Everything the page shows is read in one request; an entity asked for
    by a type with subtypes (a ``TypedContext`` of a link) is first sent on
    to the page of its own type.
    """
    entity_type = _entity_type(request)
    schema = request.app[BACKEND].schema
    entity_id = request.match_info["id"]
    if entity_type.subtypes:
        await _send_to_own_type(request, entity_type, entity_id)
    reads = {"entity": entities.entity_expression(entity_type, schema, entity_id)}
    if entity_type.attribute("custom_attributes") is not None:
        reads["configurations"] = entities.CONFIGURATIONS_EXPRESSION
        set_values = entities.set_values_expression(entity_type, entity_id)
        if set_values is not None:
            reads["set_values"] = set_values
    if entity_type.attribute("status") is not None:
        reads["statuses"] = STATUSES_EXPRESSION
    if entity_type.is_a("AssetVersion"):
        reads["media"] = ("select id, name, file_type from FileComponent where version_id is {0} "
                          "order by name".format(quoted(entity_id)))
    collections = [entities.collection_read(entity_type, schema, attribute, entity_id, 0, entities.PREVIEW_SIZE)
                   for attribute in entities.collection_attributes(entity_type, schema)]
    try:
        results = await _read(request, list(reads.values()) + [read.expression for read in collections])
    except ApiError as error:
        return render(request, "error.html", status=error.status, message=error.content)
    found = dict(zip(reads, results))
    if not found["entity"]:
        return render(request, "error.html", status=404,
                      message="No {0} with id {1} (or you may not read it).".format(entity_type.name, entity_id))
    row = found["entity"][0]
    configurations = [configuration for configuration in found.get("configurations", [])
                      if entities.applies(configuration, entity_type, row.get("object_type_id"))]
    page = entities.build_page(entity_type, schema, row, configurations, [
        read.members(rows) for read, rows in zip(collections, results[len(reads):])], found.get("set_values"))
    return render(request, "entity.html", page=page, statuses=found.get("statuses", []),
                  media=_media(entity_type, row, found.get("media", [])))


async def _send_to_own_type(request: web.Request, entity_type: Any, entity_id: str) -> None:
    """Redirect to the page of the entity's own type when it is a subtype of *entity_type*."""
    try:
        rows = await query(request, "select id from {0} where id is {1}".format(entity_type.name, quoted(entity_id)))
    except ApiError:
        return  # the page's own read reports it
    actual = rows[0].get("__entity_type__") if rows else None
    if actual and actual != entity_type.name and actual in request.app[BACKEND].schema.types:
        raise web.HTTPSeeOther(entity_url(actual, entity_id))


#: File types shown in a ``<video>``, and as pictures.
VIDEO_TYPES = (".mp4", ".webm", ".mov", ".m4v")
IMAGE_TYPES = (".jpg", ".jpeg", ".png", ".gif", ".webp")


def _media(entity_type: Any, row: Dict[str, Any], components: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The playable or viewable files of a version (its reviewable *components*) or of a component."""
    if entity_type.is_a("AssetVersion"):
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
    read = entities.collection_read(entity_type, schema, attribute, entity_id, (number - 1) * entities.PAGE_SIZE,
                                    entities.PAGE_SIZE)
    try:
        owner, rows = await _read(request, ["select id, {0} from {1} where id is {2}".format(
            entities.label_of(entity_type), entity_type.name, quoted(entity_id)), read.expression])
    except ApiError as error:
        return render(request, "error.html", status=error.status, message=error.content)
    if not owner:
        raise web.HTTPNotFound(text="No such entity.")
    return render(request, "collection.html", entity_type=entity_type.name, id=entity_id,
                  title=entities.text_of(owner[0], entities.label_of(entity_type)), collection=read.members(rows),
                  page=number)


# -- component data ---------------------------------------------------------------------

async def _component_file(request: web.Request, thumbnail: bool) -> web.StreamResponse:
    backend = request.app[BACKEND]
    component_id = request.match_info["id"]
    if not await blocking(request, backend.may_access_component, user_of(request), component_id, False):
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
