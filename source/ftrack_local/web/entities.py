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
from typing import Any, Dict, List, Optional, Tuple

from .. import families
from ..schema import Attribute, EntityType, Schema
from ..query.literals import quoted

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


def edit_kind(attribute: Attribute, entity_type: Optional[EntityType] = None) -> Optional[str]:
    """How a page edits *attribute* (None: it cannot be edited there).

    Keys, computed and immutable attributes, and the ones the server
    itself keeps (a type's system projections, such as ``context_type``)
    are not edited.
    """
    if attribute.kind != "scalar" or not attribute.stored or attribute.computed or attribute.immutable \
            or attribute.restricted or attribute.name.endswith("_id") or attribute.transform:
        return None
    if entity_type is not None and attribute.name in entity_type.system_projections:
        return None
    return _EDIT_KINDS.get(attribute.value_type or "")


def value_type_of(entity_type: EntityType) -> Optional[str]:
    """The type of the custom attribute values of entities of *entity_type* (None: they have none)."""
    lineage = set(families.lineage(entity_type.name))
    return next((value_type for value_type, owner in families.CUSTOM_ATTRIBUTE_OWNERS.items() if owner in lineage),
                None)


def set_values_expression(entity_type: EntityType, entity_id: Any) -> Optional[str]:
    """The query finding which custom attributes of one entity have a value of their own (not the default)."""
    value_type = value_type_of(entity_type)
    if value_type is None:
        return None
    return "select configuration_id from {0} where entity_id is {1}".format(value_type, quoted(entity_id))


def title_of(entity_type: EntityType, row: Dict[str, Any]) -> str:
    """How the page of the entity *row* is headed: its name, or ``asset v003`` for a version."""
    if entity_type.is_a("AssetVersion") and isinstance(row.get("asset"), dict):
        version = row.get("version")
        number = "v{0:03d}".format(version) if isinstance(version, int) else "v{0}".format(version)
        return "{0} {1}".format(row["asset"].get("name") or "", number).strip()
    return text_of(row, label_of(entity_type))


def _references(entity_type: EntityType, schema: Schema) -> Dict[str, str]:
    """Reference attribute -> the label attribute of its target."""
    found = {}
    for attribute in entity_type.attributes.values():
        relation = attribute.relation
        if attribute.kind == "reference" and relation is not None and relation.kind == "many_to_one" \
                and attribute.target in schema.types:
            found[attribute.name] = label_of(schema.types[attribute.target])
    return found


#: Scalar attributes not listed among the fields. ``link`` makes the breadcrumbs; the others are not even
#: read, since the server works each of them out anew on every read.
UNLISTED = ("link", "_link", "thumbnail_url")
_UNREAD = frozenset(UNLISTED) - {"link"}


def _shown_scalars(entity_type: EntityType) -> List[str]:
    """The scalar attributes listed on an entity's page."""
    return sorted(a.name for a in entity_type.attributes.values()
                  if a.kind == "scalar" and not a.restricted and a.name not in UNLISTED)


def entity_expression(entity_type: EntityType, schema: Schema, entity_id: Any) -> str:
    """The query reading what the page of one entity shows."""
    names = [a.name for a in entity_type.attributes.values()
             if a.kind == "scalar" and not a.restricted and a.name not in _UNREAD]
    names.extend("{0}.{1}".format(name, label) for name, label in _references(entity_type, schema).items())
    for name in ("custom_attributes", "metadata"):
        if entity_type.attribute(name) is not None:
            names.append(name)
    return "select {0} from {1} where id is {2}".format(", ".join(sorted(names)), entity_type.name,
                                                        quoted(entity_id))


def build_page(entity_type: EntityType, schema: Schema, row: Dict[str, Any],
               configurations: List[Dict[str, Any]], collections: List[Collection],
               set_values: Optional[List[Dict[str, Any]]] = None) -> EntityPage:
    """The page of the entity *row* (read with :func:`entity_expression`).

    *set_values* are the rows of :func:`set_values_expression`: the custom
    attributes with a value of their own.
    """
    references = _references(entity_type, schema)
    fields = []
    for name in _shown_scalars(entity_type):
        fields.append(Field(name, row.get(name), editable=edit_kind(entity_type.attributes[name], entity_type)))
    for name, label in sorted(references.items()):
        value = row.get(name)
        link = Link(value["__entity_type__"], value.get("id"), text_of(value, label)) \
            if isinstance(value, dict) and value.get("id") is not None else None
        fields.append(Field(name, None, link=link))
    status = next((field.link for field in fields if field.name == "status"), None)
    return EntityPage(
        entity_type=entity_type.name, id=row.get("id"), title=title_of(entity_type, row),
        fields=fields, custom_attributes=custom_attributes(row, configurations, set_values),
        metadata=sorted((item.get("key"), item.get("value")) for item in row.get("metadata") or []),
        collections=collections, breadcrumbs=breadcrumbs(row), thumbnail_id=row.get("thumbnail_id"),
        status=status)


def breadcrumbs(row: Dict[str, Any]) -> List[Link]:
    """The path from the project down to a context or version (its ``link``).

    A link names its items' types as Project, TypedContext (the entity page
    sends on to the actual type) or AssetVersion.
    """
    links = []
    for item in row.get("link") or []:
        links.append(Link(str(item.get("type") or "TypedContext"), item.get("id"), str(item.get("name"))))
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


def custom_attributes(row: Dict[str, Any], configurations: List[Dict[str, Any]],
                      set_values: Optional[List[Dict[str, Any]]] = None) -> List[CustomAttribute]:
    """The custom attributes of the entity *row*: each configuration with its value or default.

    The server answers an unset attribute with its default; *set_values*
    (rows with a ``configuration_id``) tell which have a value of their own.
    """
    values = {item.get("key"): item.get("value") for item in row.get("custom_attributes") or []}
    own = None if set_values is None else {item.get("configuration_id") for item in set_values}
    found = []
    for configuration in sorted(configurations, key=lambda c: (c.get("sort") or 0, str(c.get("key")))):
        key = configuration.get("key")
        kind = ((configuration.get("type") or {}).get("name") or "").lower()
        is_set = key in values if own is None else configuration.get("id") in own
        found.append(CustomAttribute(
            key=str(key), label=str(configuration.get("label") or key), value=values.get(key, configuration.get(
                "default")), is_set=is_set, editable=CUSTOM_EDIT_KINDS.get(kind)))
    return found


# -- collections ----------------------------------------------------------------------

def collection_attributes(entity_type: EntityType, schema: Schema) -> List[Attribute]:
    """The collections listed on the page of an entity of *entity_type*."""
    return [attribute for name, attribute in sorted(entity_type.attributes.items())
            if attribute.kind == "collection" and name not in OWN_SECTIONS and attribute.relation is not None
            and attribute.target in schema.types]


@dataclasses.dataclass
class CollectionRead:
    """How a page of one collection is read: the query to run, and what its rows become."""

    attribute: Attribute
    target: EntityType
    expression: str
    offset: int
    size: int
    #: Whether the query reads the owner (members then sorted and sliced here) or the members.
    through_owner: bool

    def members(self, rows: List[Dict[str, Any]]) -> Collection:
        """The page of members, from the rows of :attr:`expression`."""
        label = label_of(self.target)
        if self.through_owner:
            members = sorted((rows[0].get(self.attribute.name) or []) if rows else [],
                             key=lambda member: text_of(member, label))
            rows = members[self.offset:self.offset + self.size + 1]
        links = [Link(row.get("__entity_type__", self.target.name), row.get("id"), text_of(row, label))
                 for row in rows[:self.size]]
        return Collection(self.attribute.name, self.target.name, links, more=len(rows) > self.size)


def collection_read(entity_type: EntityType, schema: Schema, attribute: Attribute, entity_id: Any,
                    offset: int, size: int) -> CollectionRead:
    """How to read members *offset* to *offset* + *size* of the collection *attribute* of one entity.

    Members pointing at their owner are read a page at a time, in the
    database; other collections through the owner, whole.
    """
    target = schema.types[str(attribute.target)]
    label = label_of(target)
    relation = attribute.relation
    if relation is not None and relation.kind == "one_to_many" and relation.remote_column \
            and relation.remote_column in target.attributes:
        conditions = ["{0} is {1}".format(relation.remote_column, quoted(entity_id))]
        conditions.extend("{0} is {1}".format(column, quoted(value)) for column, value in relation.where)
        expression = "select id, {0} from {1} where {2} order by {0} offset {3} limit {4}".format(
            label, target.name, " and ".join(conditions), offset, size + 1)
        return CollectionRead(attribute, target, expression, offset, size, through_owner=False)
    expression = "select {0}.id, {0}.{1} from {2} where id is {3}".format(
        attribute.name, label, entity_type.name, quoted(entity_id))
    return CollectionRead(attribute, target, expression, offset, size, through_owner=True)

