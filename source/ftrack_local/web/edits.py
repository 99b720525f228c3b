"""``POST /edit/<type>/<id>``: the small edits the entity page offers.

A status, a scalar attribute or a custom attribute value, changed through
the API as the signed-in user: the same checks apply, and the change is
published as the same ``ftrack.update`` event as a script's would be.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from aiohttp import web

from ..errors import ApiError, ValidationError
from ..http import BACKEND
from ..query.literals import quoted
from ..schema import EntityType
from . import entities
from .pages import call, changing_form, entity_url, form_of, query, render


def form_value(kind: Optional[str], text: str) -> Any:
    """The value typed in a form field of *kind*, as the API takes it."""
    text = text.strip()
    if kind == "text":
        return text
    if text == "":
        return None
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValidationError('"{0}" is not a number.'.format(text)) from None
        return int(number) if number.is_integer() and "." not in text else number
    if kind == "checkbox":
        if text.lower() not in ("true", "false"):
            raise ValidationError('"{0}" is not true or false.'.format(text))
        return text.lower() == "true"
    if kind == "datetime":
        return {"__type__": "datetime", "value": text.replace(" ", "T")}
    if kind == "list":
        try:
            value = json.loads(text)
        except ValueError:
            return [text]
        return value if isinstance(value, list) else [value]
    return text


def _value_type(entity_type: EntityType) -> str:
    """The custom attribute value type for entities of *entity_type*."""
    value_type = entities.value_type_of(entity_type)
    if value_type is None:
        raise ValidationError("{0} has no custom attributes.".format(entity_type.name))
    return value_type


async def _custom_operations(request: web.Request, entity_type: EntityType, entity_id: str, key: str,
                             text: str) -> List[Dict[str, Any]]:
    rows = await query(request, "select object_type_id, custom_attributes from {0} where id is {1}".format(
        entity_type.name, quoted(entity_id))) if entity_type.attribute("object_type_id") else \
        await query(request, "select custom_attributes from {0} where id is {1}".format(
            entity_type.name, quoted(entity_id)))
    if not rows:
        raise web.HTTPNotFound(text="No such entity.")
    configurations = [c for c in await query(request, entities.CONFIGURATIONS_EXPRESSION)
                      if entities.applies(c, entity_type, rows[0].get("object_type_id")) and c.get("key") == key]
    if not configurations:
        raise ValidationError('No custom attribute "{0}" applies to this {1}.'.format(key, entity_type.name))
    configuration = configurations[0]
    kind_name = ((configuration.get("type") or {}).get("name") or "").lower()
    value = form_value(entities.CUSTOM_EDIT_KINDS.get(kind_name, "text"), text)
    value_type = _value_type(entity_type)
    exists = any(item.get("key") == key for item in rows[0].get("custom_attributes") or [])
    if exists:
        return [{"action": "update", "entity_type": value_type,
                 "entity_key": [configuration["id"], entity_id], "entity_data": {"value": value}}]
    return [{"action": "create", "entity_type": value_type, "entity_data": {
        "__entity_type__": value_type, "configuration_id": configuration["id"], "entity_id": entity_id,
        "value": value}}]


async def _operations(request: web.Request, entity_type: EntityType, entity_id: str) -> List[Dict[str, Any]]:
    form = form_of(request)
    kind = str(form.get("kind", ""))
    text = str(form.get("value", ""))
    if kind == "status":
        if entity_type.attribute("status_id") is None:
            raise ValidationError("{0} has no status.".format(entity_type.name))
        if not await query(request, "select id from Status where id is {0}".format(quoted(text))):
            raise ValidationError('No status with id "{0}".'.format(text))
        return [_update(entity_type, entity_id, {"status_id": text})]
    name = str(form.get("name", ""))
    if kind == "attribute":
        attribute = entity_type.attribute(name)
        editing = entities.edit_kind(attribute, entity_type) if attribute is not None else None
        if editing is None:
            raise ValidationError('"{0}" cannot be edited here.'.format(name))
        return [_update(entity_type, entity_id, {name: form_value(editing, text)})]
    if kind == "custom":
        return await _custom_operations(request, entity_type, entity_id, name, text)
    raise ValidationError("Unknown edit.")


def _update(entity_type: EntityType, entity_id: str, data: Dict[str, Any]) -> Dict[str, Any]:
    return {"action": "update", "entity_type": entity_type.name, "entity_key": [entity_id],
            "entity_data": dict(data, __entity_type__=entity_type.name)}


@changing_form
async def handle_edit(request: web.Request) -> web.Response:
    """Apply one edit, then show the entity again."""
    entity_type = request.app[BACKEND].schema.types.get(request.match_info["type"])
    if entity_type is None:
        raise web.HTTPNotFound(text="No such entity type.")
    entity_id = request.match_info["id"]
    try:
        await call(request, await _operations(request, entity_type, entity_id))
    except ApiError as error:
        return render(request, "error.html", status=error.status, message=error.content)
    raise web.HTTPSeeOther(entity_url(entity_type.name, entity_id))
