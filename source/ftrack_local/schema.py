"""The server's entity model, derived from the shipped ``query_schemas`` answer.

Every entity type of the schema becomes an :class:`EntityType` holding
:class:`Attribute` objects. Scalars map to columns, references and
collections to :class:`Relation` objects resolved from the schema itself
(foreign-key properties, ``$ref``/``items`` and ``alias_for``). What the
schema does not say is stated once, in the explicit maps of
:mod:`ftrack_local.families`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Optional, Tuple

from . import families
from .errors import UnknownEntityTypeError

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")
SCHEMA_PATH = os.path.join(DATA_DIR, "query_schemas.json")

SCALAR_TYPES = {"string", "integer", "number", "boolean", "variable", "object"}
_FOREIGN_KEY = re.compile(r"Foreign key\(s\): (\w+)\.(\w+)")


@dataclass(frozen=True)
class Relation:
    """How a reference or collection attribute reaches its target rows.

    * ``many_to_one``: ``owner.<local_column>`` holds the target's ``id``.
    * ``one_to_many``: ``target.<remote_column>`` holds the owner's id;
      *where* adds fixed column values the target rows must have.
    * ``many_to_many``: rows of *link_type* (an entity type) or the private
      link table (*link_type* None, rows tagged *link_name*) pair
      ``link.<owner_column>`` (owner id) with ``link.<target_column>``.
    * ``derived``: computed by :mod:`ftrack_local.api.derived` under *name*.
    """

    kind: str
    target: str
    local_column: Optional[str] = None
    remote_column: Optional[str] = None
    link_type: Optional[str] = None
    link_name: Optional[str] = None
    owner_column: Optional[str] = None
    target_column: Optional[str] = None
    where: Tuple[Tuple[str, Any], ...] = ()
    derived: Optional[str] = None


@dataclass
class Attribute:
    """One public attribute of an entity type."""

    name: str
    kind: str  # "scalar", "reference", "collection" or "mapped"
    value_type: Optional[str] = None  # scalars: string/integer/number/boolean/datetime/json/variable/object
    target: Optional[str] = None
    default: Any = None
    has_default: bool = False
    computed: bool = False
    immutable: bool = False
    required: bool = False
    restricted: bool = False
    column: Optional[str] = None
    relation: Optional[Relation] = None
    transform: bool = False  # value is an entity type name (parent_type & co)

    @property
    def stored(self) -> bool:
        """Whether the value lives in a column of the owner's table."""
        return self.kind == "scalar" and self.column is not None


@dataclass
class EntityType:
    """An entity type of the schema, with its storage and relations."""

    name: str
    raw: Dict[str, Any]
    table: str = ""
    attributes: Dict[str, Attribute] = field(default_factory=dict)
    primary_key: Tuple[str, ...] = ()
    default_projections: Tuple[str, ...] = ()
    system_projections: Tuple[str, ...] = ()
    required: Tuple[str, ...] = ()
    base: Optional[str] = None
    subtypes: Tuple[str, ...] = ()  # every type below this one, all levels
    stored_types: Tuple[str, ...] = ()  # values of the table's type column that belong here
    report_as_self: bool = False  # a view: rows are reported as this type

    def attribute(self, name: str) -> Optional[Attribute]:
        """The attribute *name*, or None when the type has none of that name."""
        return self.attributes.get(name)

    def is_a(self, other: str) -> bool:
        """Whether this type is *other* or one of its subtypes."""
        name: Optional[str] = self.name
        while name is not None:
            if name == other:
                return True
            name = families.BASES.get(name)
        return False


class Schema:
    """All entity types, ready for storage, queries and serialisation."""

    def __init__(self, raw_schemas: List[Dict[str, Any]]) -> None:
        self.raw = raw_schemas
        self.types: Dict[str, EntityType] = {}
        self.tables: Dict[str, List[str]] = {}
        for raw in raw_schemas:
            self.types[raw["id"]] = EntityType(name=raw["id"], raw=raw)
        self._build_hierarchy()
        for entity_type in self.types.values():
            self._build_attributes(entity_type)
        for entity_type in self.types.values():
            for attribute in entity_type.attributes.values():
                if attribute.kind in ("collection", "mapped"):
                    attribute.relation = self._resolve_collection(entity_type, attribute)

    # -- lookup -----------------------------------------------------------

    def get(self, name: str) -> EntityType:
        """The entity type *name*; raises UnknownEntityTypeError when there is none."""
        try:
            return self.types[name]
        except KeyError:
            raise UnknownEntityTypeError(
                'Entity type "{0}" does not exist.'.format(name)) from None

    def __contains__(self, name: str) -> bool:
        return name in self.types

    def table_columns(self, table: str) -> Dict[str, str]:
        """Column name -> value type, the union over every type sharing *table*."""
        columns: Dict[str, str] = {}
        for type_name in self.tables[table]:
            for attribute in self.types[type_name].attributes.values():
                if attribute.stored:
                    columns.setdefault(attribute.column, attribute.value_type)
                if attribute.relation and attribute.relation.kind == "many_to_one":
                    columns.setdefault(attribute.relation.local_column, "string")
        return columns

    # -- construction -----------------------------------------------------

    def _build_hierarchy(self) -> None:
        for name, entity_type in self.types.items():
            entity_type.base = families.BASES.get(name)
            entity_type.table = families.table_for(name)
            self.tables.setdefault(entity_type.table, []).append(name)
        for name, entity_type in self.types.items():
            below = [other for other in self.types
                     if other != name and self.types[other].is_a(name)]
            entity_type.subtypes = tuple(below)
            if name in families.VIEWS:
                entity_type.stored_types = tuple(self.tables[entity_type.table])
                entity_type.report_as_self = True
            else:
                entity_type.stored_types = (name,) + entity_type.subtypes

    def _build_attributes(self, entity_type: EntityType) -> None:
        raw = entity_type.raw
        properties: Dict[str, Dict[str, Any]] = raw.get("properties", {})
        immutable = set(raw.get("immutable", ()))
        computed = set(raw.get("computed", ())) | families.DERIVED_SCALARS.get(
            "*", set()) | families.DERIVED_SCALARS.get(entity_type.name, set())
        required = set(raw.get("required", ()))
        entity_type.primary_key = tuple(raw.get("primary_key", ("id",)))
        entity_type.default_projections = tuple(raw.get("default_projections", ()))
        entity_type.required = tuple(name for name in raw.get("required", ()) if name in properties)

        for name, spec in properties.items():
            kind, value_type, target = _classify(spec)
            if kind is None:
                continue
            attribute = Attribute(
                name=name, kind=kind, value_type=value_type, target=target,
                computed=name in computed, immutable=name in immutable,
                required=name in required,
                restricted=bool(spec.get("restricted_projection")),
                transform="transform" in spec,
            )
            if "default" in spec:
                attribute.has_default = True
                attribute.default = spec["default"]
            if kind == "scalar" and not attribute.computed:
                attribute.column = name
            entity_type.attributes[name] = attribute

        for attribute in entity_type.attributes.values():
            if attribute.kind == "reference":
                attribute.relation = self._resolve_reference(entity_type, attribute, properties)
            elif attribute.kind == "scalar" and attribute.computed:
                attribute.relation = Relation(kind="derived", target="", derived=attribute.name)

        entity_type.system_projections = tuple(
            _public_names(raw.get("system_projections", ()), properties))

    def _resolve_reference(self, entity_type: EntityType, attribute: Attribute,
                           properties: Dict[str, Dict[str, Any]]) -> Relation:
        name = attribute.name
        explicit = families.REFERENCE_KEYS.get((entity_type.name, name))
        if explicit == families.DERIVED:
            return Relation(kind="derived", target=attribute.target, derived=name)
        if explicit is None and name in families.DERIVED_REFERENCES:
            return Relation(kind="derived", target=attribute.target, derived=name)
        column = explicit
        if column is None and _is_scalar(properties.get(name + "_id")):
            column = name + "_id"
        if column is None:
            alias = (properties[name].get("alias_for") or "").lower()
            for other, spec in properties.items():
                if alias and _is_scalar(spec) and (spec.get("alias_for") or "").lower() == alias + "id":
                    column = other
                    break
        if column is None:
            alias = properties[name].get("alias_for")
            for other, spec in properties.items():
                if other != name and alias and spec.get("alias_for") == alias and _is_scalar(
                        properties.get(other + "_id")):
                    column = other + "_id"
                    break
        if column is None:
            column = name + "_id"  # a private column of the table
        return Relation(kind="many_to_one", target=attribute.target, local_column=column)

    def _applies(self, spec: Dict[str, Any]) -> bool:
        """Whether a wildcard collection rule fits *owner* (its target has the column)."""
        column = spec.get("remote_column")
        if column is None:
            return True
        target = self.types[spec["target"]]
        return column in target.attributes or any(
            a.relation is not None and a.relation.local_column == column
            for a in target.attributes.values())

    def _resolve_collection(self, owner: EntityType, attribute: Attribute) -> Relation:
        explicit = families.collection_rule(owner.name, attribute.name)
        if explicit is not None:
            spec = dict(explicit, target=explicit["target"] or attribute.target)
            if self._applies(spec):
                return Relation(**spec)
        target = self.types[attribute.target]
        if attribute.kind == "mapped" and attribute.target.endswith("CustomAttributeValue"):
            return Relation(kind="derived", target=attribute.target, derived="custom_attributes")

        # An association type keyed by two foreign keys: owner and target.
        for link in self.types.values():
            if len(link.primary_key) != 2:
                continue
            owner_column = _fk_column_to(link, owner, self)
            target_column = _fk_column_to(link, target, self, exclude=owner_column)
            if owner_column and target_column and {owner_column, target_column} == set(link.primary_key):
                return Relation(kind="many_to_many", target=target.name, link_type=link.name,
                                owner_column=owner_column, target_column=target_column)

        # The target refers back to the owner (or one of the owner's bases).
        candidates = []
        for other in target.attributes.values():
            if other.kind == "reference" and other.relation and other.relation.kind == "many_to_one" \
                    and owner.is_a(other.target):
                candidates.append(other)
        columns = {c.relation.local_column for c in candidates}
        if len(columns) == 1:
            return Relation(kind="one_to_many", target=target.name, remote_column=columns.pop())
        if not candidates:
            column = _fk_column_to(target, owner, self)
            if column:
                return Relation(kind="one_to_many", target=target.name, remote_column=column)
        # Nothing in the schema pairs them: a private link table.
        return Relation(kind="many_to_many", target=target.name,
                        link_name="{0}.{1}".format(owner.table, attribute.name),
                        owner_column="from_id", target_column="to_id")


def _classify(spec: Dict[str, Any]) -> Tuple[Optional[str], Optional[str], Optional[str]]:
    """Return (kind, value type, target type) for one schema property."""
    kind = spec.get("type")
    if kind in SCALAR_TYPES:
        value_type = kind
        if kind == "string" and spec.get("format") == "date-time":
            value_type = "datetime"
        elif kind == "string" and spec.get("format") == "json":
            value_type = "json"
        return "scalar", value_type, None
    if kind == "array":
        return "collection", None, spec.get("items", {}).get("$ref")
    if kind == "mapped_array":
        target = spec.get("items", {}).get("$ref")
        return ("mapped", None, target) if target else (None, None, None)
    if kind is None and "$ref" in spec:
        return "reference", None, spec["$ref"]
    if kind is None:
        return "scalar", "string", None  # untyped (``User.user_type_id``): stored as text
    return None, None, None


def _is_scalar(spec: Optional[Dict[str, Any]]) -> bool:
    return bool(spec) and spec.get("type") in SCALAR_TYPES


def _fk_column_to(entity_type: EntityType, target: EntityType, schema: Schema,
                  exclude: Optional[str] = None) -> Optional[str]:
    """A scalar column of *entity_type* described as a foreign key to *target* (or a base)."""
    for name, spec in entity_type.raw.get("properties", {}).items():
        if name == exclude or not _is_scalar(spec):
            continue
        match = _FOREIGN_KEY.search(spec.get("description", ""))
        if match and match.group(1) in schema.types and target.is_a(match.group(1)):
            return name
    return None


def _public_names(internal: Iterable[str], properties: Dict[str, Dict[str, Any]]) -> List[str]:
    """Translate internal column names to the public attributes that alias them."""
    names = []
    for column in internal:
        column = column.lstrip("_")
        for name, spec in properties.items():
            alias = (spec.get("alias_for") or name).lstrip("_")
            if column in (alias, name) and _is_scalar(spec):
                names.append(name)
                break
    return names


@lru_cache(maxsize=None)
def load_raw() -> Tuple[str, ...]:
    """The shipped schema document as text (cached)."""
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return (handle.read(),)


def load() -> Schema:
    """Build the schema model from the shipped ``query_schemas`` answer."""
    return Schema(json.loads(load_raw()[0]))
