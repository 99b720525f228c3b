"""What the writer needs to know about one entity type, computed once per batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import sqlalchemy as sa

from ...schema import Attribute, EntityType, Schema
from ...storage import Storage
from .cascades import Cascade, cascades_for
from .defaults import server_defaults_for, unique_for
from .derivations import derivations_for


@dataclass
class Plan:
    """Everything the writer needs about one entity type."""

    entity_type: EntityType
    table: sa.Table
    columns: Set[str]
    #: public attribute -> Attribute, including those only subtypes have.
    attributes: Dict[str, Attribute]
    #: stored scalars with a schema literal default: (column, attribute)
    literal_defaults: List[Tuple[str, Attribute]]
    #: column -> the public scalar attribute stored in it (for coercion)
    column_attribute: Dict[str, Attribute]
    #: column -> name of an immutable attribute writing it
    immutable: Dict[str, str]
    #: required attribute -> column holding it
    required: List[Tuple[str, str]]
    #: column -> stored server default (see :data:`.defaults.SERVER_DEFAULTS`)
    server_defaults: Dict[str, Any] = field(default_factory=dict)
    unique: Tuple[Tuple[str, ...], ...] = ()
    cascades: Tuple[Cascade, ...] = ()
    derivations: List[Callable[..., None]] = field(default_factory=list)


def column_of(attribute: Attribute) -> Optional[str]:
    """The column of the owner's table an attribute writes (None when it writes none)."""
    if attribute.stored:
        return attribute.column
    relation = attribute.relation
    if attribute.kind == "reference" and relation is not None and relation.kind == "many_to_one":
        return relation.local_column
    return None


class Plans:
    """The plans of one storage's entity types, built on first use."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.schema: Schema = storage.schema
        self._plans: Dict[str, Plan] = {}

    def get(self, entity_type: EntityType) -> Plan:
        """The plan of *entity_type*."""
        plan = self._plans.get(entity_type.name)
        if plan is None:
            plan = self._plans[entity_type.name] = self._build(entity_type)
        return plan

    def named(self, type_name: str) -> Plan:
        """The plan of the entity type called *type_name* (which must exist)."""
        return self.get(self.schema.types[type_name])

    def _build(self, entity_type: EntityType) -> Plan:
        table = self.storage.table(entity_type)
        attributes: Dict[str, Attribute] = {}
        for name in entity_type.subtypes:
            attributes.update(self.schema.types[name].attributes)
        attributes.update(entity_type.attributes)
        column_attribute: Dict[str, Attribute] = {}
        immutable: Dict[str, str] = {}
        for attribute in entity_type.attributes.values():
            column = column_of(attribute)
            if column is None:
                continue
            if attribute.stored:
                column_attribute[column] = attribute
            if attribute.immutable:
                immutable.setdefault(column, attribute.name)
        return Plan(
            entity_type=entity_type,
            table=table,
            columns=set(table.c.keys()),
            attributes=attributes,
            literal_defaults=[(a.column, a) for a in entity_type.attributes.values()
                              if a.stored and a.has_default and a.name not in entity_type.primary_key],
            column_attribute=column_attribute,
            immutable=immutable,
            required=_required(entity_type, table),
            server_defaults=server_defaults_for(entity_type, column_attribute),
            unique=unique_for(entity_type),
            cascades=cascades_for(entity_type),
            derivations=derivations_for(entity_type),
        )


def _required(entity_type: EntityType, table: sa.Table) -> List[Tuple[str, str]]:
    """(required attribute, column holding it) of *entity_type*."""
    required = []
    for name in entity_type.required:
        column = column_of(entity_type.attributes[name])
        if column is not None and column in table.c:
            required.append((name, column))
    return required
