"""Which subtype a row is, from the values of its discriminator columns.

:data:`DISCRIMINATORS` is the rule table; :class:`Discriminators` applies
it to one schema: it resolves the subtype of a new row, fills the
discriminator values of a row created as a subtype and retypes a row whose
discriminator changes.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Tuple

from ... import families
from ...errors import ValidationError
from ...schema import EntityType, Schema

#: (base type, discriminator column, value -> subtype)
Discriminator = Tuple[str, str, Dict[Any, str]]

#: A create of the base with a known value becomes the subtype; a create of
#: a subtype gets its value filled in (``context_type``, ``resource_type``,
#: ``system_type``…). The typed context entry is completed from the schema
#: defaults of each subtype's ``object_type_id`` (see :class:`Discriminators`).
DISCRIMINATORS: Tuple[Discriminator, ...] = (
    ("Context", "context_type", {"show": "Project", "task": "TypedContext"}),
    ("TypedContext", "object_type_id", {}),
    ("Resource", "resource_type", {"user": "User", "group": "Group"}),
    ("Component", "system_type", {"file": "FileComponent", "sequence": "SequenceComponent",
                                  "container": "ContainerComponent"}),
    ("List", "system_type", {"task": "TypedContextList", "assetversion": "AssetVersionList"}),
)

#: Discriminator values of rows created under a base type itself: a
#: ``Component`` created without a ``system_type`` is a file component, as on
#: a real server (whose component table defaults the column).
BASE_DISCRIMINATOR_DEFAULTS: Dict[str, Tuple[str, Any]] = {
    "Component": ("system_type", "file"),
}

#: Bases whose subtype never changes after creation (a project stays a project).
_FIXED_BASES = frozenset({"Context"})


class Discriminators:
    """The discriminator rules completed for one schema."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.entries: List[Discriminator] = [
            (base, column, self._complete(base, mapping)) for base, column, mapping in DISCRIMINATORS]
        self._by_type: Dict[str, List[Discriminator]] = {}

    def _complete(self, base: str, mapping: Dict[Any, str]) -> Dict[Any, str]:
        """*mapping* with the typed context subtypes keyed by their object type default."""
        mapping = dict(mapping)
        if base == "TypedContext":
            for name in families.TYPED_CONTEXT_TYPES:
                attribute = self.schema.types[name].attributes.get("object_type_id")
                if attribute is not None and attribute.has_default:
                    mapping[attribute.default] = name
        return mapping

    def for_type(self, entity_type: EntityType) -> List[Discriminator]:
        """The discriminators applying to *entity_type* (those of its bases)."""
        found = self._by_type.get(entity_type.name)
        if found is None:
            found = self._by_type[entity_type.name] = [
                entry for entry in self.entries if entity_type.is_a(entry[0])]
        return found

    def resolve(self, requested: EntityType, values: Dict[str, Any]) -> EntityType:
        """The most specific type of a new row, from the discriminators in *values*."""
        current = requested
        if current.report_as_self:
            return current
        changed = True
        while changed:
            changed = False
            for base, column, mapping in self.entries:
                if current.name != base:
                    continue
                subtype = mapping.get(values.get(column))
                if subtype is not None and subtype != current.name and subtype in self.schema.types:
                    current = self.schema.types[subtype]
                    changed = True
        return current

    def fill(self, entity_type: EntityType, columns: Iterable[str], values: Dict[str, Any]) -> None:
        """Write the discriminator values *entity_type* implies; refuse values naming another type."""
        for _, column, mapping in self.for_type(entity_type):
            if column not in columns:
                continue
            expected = [value for value, subtype in mapping.items() if subtype == entity_type.name] or [
                value for value, subtype in mapping.items()
                if subtype in self.schema.types and entity_type.is_a(subtype)]
            if len(expected) != 1:
                continue
            current = values.get(column)
            if current is None:
                values[column] = expected[0]
            elif current != expected[0] and current in mapping:
                raise ValidationError('"{0}" {1} does not fit type "{2}" (it means "{3}").'.format(
                    column, current, entity_type.name, mapping[current]))

    def retype(self, row_type: EntityType, changes: Dict[str, Any]) -> EntityType:
        """The row's type after *changes* to a discriminator (typed contexts changing object type)."""
        for base, column, mapping in self.entries:
            if column not in changes or not row_type.is_a(base) or row_type.name == base:
                continue
            if base in _FIXED_BASES:
                continue
            subtype = mapping.get(changes[column], base)
            if subtype != row_type.name:
                return self.schema.types[subtype]
        return row_type


def fill_base_default(requested: EntityType, values: Dict[str, Any]) -> None:
    """The discriminator value of a row created under a base type itself (see :data:`BASE_DISCRIMINATOR_DEFAULTS`)."""
    default = BASE_DISCRIMINATOR_DEFAULTS.get(requested.name)
    if default is not None and values.get(default[0]) is None:
        values[default[0]] = default[1]
