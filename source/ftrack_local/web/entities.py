"""What an entity page shows, worked out from the schema: the queries and their rows turned into sections.

An entity page has the entity's attributes (scalars, and references as
links labelled by the target's name), its custom attributes (every
configuration that applies, with the value set or the default), its
metadata and its collections (children, assets, versions, components,
notes, …), each a page of links. The queries are ordinary API queries,
run as the signed-in user.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from .. import families
from ..schema import Attribute, EntityType, Schema
from ..query.literals import quoted

Query = Callable[[str], Awaitable[List[Dict[str, Any]]]]

#: Attributes naming an entity, tried in this order.
LABELS = ("name", "username", "full_name", "label", "key", "title", "resource_identifier", "content",
          "comment", "version", "id")
#: Collections not listed among the others: shown in their own sections, or of no use on a page.
OWN_SECTIONS = frozenset({"custom_attributes", "metadata", "custom_attribute_links", "custom_attribute_links_from",
                          "incoming_links", "outgoing_links", "descendants"})
#: Links shown per collection on an entity page, and per collection page.
PREVIEW_SIZE = 10
PAGE_SIZE = 50


def label_of(entity_type: EntityType) -> str:
    """The attribute naming entities of *entity_type*."""
    return next((name for name in LABELS if (entity_type.attribute(name) or Attribute(name, "")).kind == "scalar"),
                "id")


def text_of(row: Optional[Dict[str, Any]], label: str) -> str:
    """How a link to *row* reads."""
    if not row:
        return ""
    value = row.get(label)
    if value in (None, ""):
        value = row.get("id", "")
    return str(value)[:120]


@dataclasses.dataclass
class Link:
    """A link to another entity's page."""

    entity_type: str
    id: Any
    text: str


@dataclasses.dataclass
class Field:
    """One attribute row: its value, or a link, and how it may be edited."""

    name: str
    value: Any = None
    link: Optional[Link] = None
    editable: Optional[str] = None  # the input kind: text, number, checkbox, datetime


@dataclasses.dataclass
class Collection:
    """A page (or preview) of the members of a collection."""

    name: str
    target: str
    links: List[Link]
    more: bool


@dataclasses.dataclass
class CustomAttribute:
    """A custom attribute of the entity: its configuration and value."""

    key: str
    label: str
    value: Any
    is_set: bool
    editable: Optional[str]


@dataclasses.dataclass
class EntityPage:
    """Everything an entity page shows."""

    entity_type: str
    id: Any
    title: str
    fields: List[Field]
    custom_attributes: List[CustomAttribute]
    metadata: List[Tuple[str, Any]]
    collections: List[Collection]
    breadcrumbs: List[Link]
    thumbnail_id: Optional[str]
    status: Optional[Link]


_EDIT_KINDS = {"string": "text", "integer": "number", "number": "number", "boolean": "checkbox",
               "datetime": "datetime"}


def edit_kind(attribute: Attribute) -> Optional[str]:
    """How a page edits *attribute* (None: it cannot be edited there)."""
    if attribute.kind != "scalar" or not attribute.stored or attribute.computed or attribute.immutable \
            or attribute.restricted or attribute.name.endswith("_id") or attribute.transform:
        return None
    return _EDIT_KINDS.get(attribute.value_type or "")


def _references(entity_type: EntityType, schema: Schema) -> Dict[str, str]:
    """Reference attribute -> the label attribute of its target."""
    found = {}
    for attribute in entity_type.attributes.values():
        relation = attribute.relation
        if attribute.kind == "reference" and relation is not None and relation.kind == "many_to_one" \
                and attribute.target in schema.types:
            found[attribute.name] = label_of(schema.types[attribute.target])
    return found


def entity_expression(entity_type: EntityType, schema: Schema, entity_id: Any) -> str:
    """The query reading what the page of one entity shows."""
    names = [a.name for a in entity_type.attributes.values() if a.kind == "scalar" and not a.restricted]
    names.extend("{0}.{1}".format(name, label) for name, label in _references(entity_type, schema).items())
    for name in ("custom_attributes", "metadata"):
        if entity_type.attribute(name) is not None:
            names.append(name)
    return "select {0} from {1} where id is {2}".format(", ".join(sorted(names)), entity_type.name,
                                                        quoted(entity_id))


def build_page(entity_type: EntityType, schema: Schema, row: Dict[str, Any],
               configurations: List[Dict[str, Any]], collections: List[Collection]) -> EntityPage:
    """The page of the entity *row* (read with :func:`entity_expression`)."""
    references = _references(entity_type, schema)
    fields = []
    for name in sorted(a.name for a in entity_type.attributes.values() if a.kind == "scalar" and not a.restricted):
        if name in ("link", "_link", "thumbnail_url"):
            continue
        fields.append(Field(name, row.get(name), editable=edit_kind(entity_type.attributes[name])))
    for name, label in sorted(references.items()):
        value = row.get(name)
        link = Link(value["__entity_type__"], value.get("id"), text_of(value, label)) \
            if isinstance(value, dict) and value.get("id") is not None else None
        fields.append(Field(name, None, link=link))
    status = next((field.link for field in fields if field.name == "status"), None)
    return EntityPage(
        entity_type=entity_type.name, id=row.get("id"), title=text_of(row, label_of(entity_type)),
        fields=fields, custom_attributes=custom_attributes(row, configurations),
        metadata=sorted((item.get("key"), item.get("value")) for item in row.get("metadata") or []),
        collections=collections, breadcrumbs=breadcrumbs(row), thumbnail_id=row.get("thumbnail_id"),
        status=status)


def breadcrumbs(row: Dict[str, Any]) -> List[Link]:
    """The path from the project down to a context (its ``link``)."""
    links = []
    for item in row.get("link") or []:
        kind = "Project" if item.get("type") == "Project" else "TypedContext"
        links.append(Link(kind, item.get("id"), str(item.get("name"))))
    return links


# -- custom attributes ---------------------------------------------------------------

CONFIGURATIONS_EXPRESSION = ("select id, key, label, entity_type, object_type_id, default, sort, type.name "
                             "from CustomAttributeConfiguration")


def applies(configuration: Dict[str, Any], entity_type: EntityType, object_type_id: Any) -> bool:
    """Whether a custom attribute *configuration* applies to entities of *entity_type*."""
    legacy = {families.legacy_name(name) for name in families.lineage(entity_type.name)}
    if configuration.get("entity_type") not in legacy:
        return False
    wanted = configuration.get("object_type_id")
    return configuration.get("entity_type") != "task" or wanted is None or wanted == object_type_id


#: Custom attribute type -> how a page edits its values.
CUSTOM_EDIT_KINDS = {"text": "text", "number": "number", "boolean": "checkbox", "date": "datetime",
                     "enumerator": "list", "dynamic enumerator": "list"}


def custom_attributes(row: Dict[str, Any], configurations: List[Dict[str, Any]]) -> List[CustomAttribute]:
    """The custom attributes of the entity *row*: each configuration with its value or default."""
    values = {item.get("key"): item.get("value") for item in row.get("custom_attributes") or []}
    found = []
    for configuration in sorted(configurations, key=lambda c: (c.get("sort") or 0, str(c.get("key")))):
        key = configuration.get("key")
        kind = ((configuration.get("type") or {}).get("name") or "").lower()
        found.append(CustomAttribute(
            key=str(key), label=str(configuration.get("label") or key), value=values.get(key, configuration.get(
                "default")), is_set=key in values, editable=CUSTOM_EDIT_KINDS.get(kind)))
    return found


# -- collections ----------------------------------------------------------------------

def collection_attributes(entity_type: EntityType, schema: Schema) -> List[Attribute]:
    """The collections listed on the page of an entity of *entity_type*."""
    return [attribute for name, attribute in sorted(entity_type.attributes.items())
            if attribute.kind == "collection" and name not in OWN_SECTIONS and attribute.relation is not None
            and attribute.target in schema.types]


async def collection(query: Query, entity_type: EntityType, schema: Schema, attribute: Attribute,
                     entity_id: Any, offset: int, size: int) -> Collection:
    """Members *offset* to *offset* + *size* of the collection *attribute* of one entity."""
    target = schema.types[str(attribute.target)]
    label = label_of(target)
    relation = attribute.relation
    if relation is not None and relation.kind == "one_to_many" and relation.remote_column \
            and relation.remote_column in target.attributes:
        conditions = ["{0} is {1}".format(relation.remote_column, quoted(entity_id))]
        conditions.extend("{0} is {1}".format(column, quoted(value)) for column, value in relation.where)
        rows = await query("select id, {0} from {1} where {2} order by {0} offset {3} limit {4}".format(
            label, target.name, " and ".join(conditions), offset, size + 1))
    else:
        owner = await query("select {0}.id, {0}.{1} from {2} where id is {3}".format(
            attribute.name, label, entity_type.name, quoted(entity_id)))
        members = sorted((owner[0].get(attribute.name) or []) if owner else [], key=lambda m: text_of(m, label))
        rows = members[offset:offset + size + 1]
    links = [Link(row.get("__entity_type__", target.name), row.get("id"), text_of(row, label)) for row in rows[:size]]
    return Collection(attribute.name, target.name, links, more=len(rows) > size)
