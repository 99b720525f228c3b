"""Wire values of an operation turned into column values, keys and collection writes."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Tuple

from ...errors import ImmutableAttributeError, UnknownAttributeError, ValidationError
from ...schema import Attribute, EntityType, Schema
from ...values import to_storage
from .plans import Plan

#: (collection attribute, the member references sent for it)
CollectionWrite = Tuple[Attribute, List[Any]]


def same(left: Any, right: Any) -> bool:
    """Whether two stored values are equal (``True`` is not ``1``)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right or (left == right and type(left) is type(right))
    return left == right


def show_key(values: Iterable[Any]) -> str:
    """A key as error messages show it."""
    return ", ".join(str(v) for v in values)


class _Assigned:
    """Column values of one operation, refusing two attributes that disagree on a column.

    A reference (``priority``) wins over the foreign key it sets
    (``priority_id``): clients send the key filled from its schema default
    along with the reference the user chose.
    """

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        self.values: Dict[str, Any] = {}
        self.sources: Dict[str, str] = {}
        self.by_reference: Dict[str, bool] = {}

    def assign(self, column: str, value: Any, source: str, reference: bool = False) -> None:
        if column in self.values and not same(self.values[column], value):
            earlier = self.by_reference[column]
            if earlier and not reference:
                return
            if earlier or not reference:
                raise ValidationError('Attributes "{0}" and "{1}" of "{2}" disagree.'.format(
                    self.sources[column], source, self.type_name))
            self.sources[column] = source
        self.values[column] = value
        self.sources.setdefault(column, source)
        self.by_reference[column] = self.by_reference.get(column, False) or reference


def parse(schema: Schema, plan: Plan, data: Any) -> Tuple[Dict[str, Any], List[CollectionWrite]]:
    """Split wire *data* into column values and collection writes.

    Returns (column -> stored value, [(collection attribute, member references)]).
    A reference and its foreign-key attribute (``parent``/``parent_id``)
    may both be sent but must agree.
    """
    type_name = plan.entity_type.name
    if not isinstance(data, dict):
        raise ValidationError('"entity_data" of {0} must be an object.'.format(type_name))
    assigned = _Assigned(type_name)
    collections: List[CollectionWrite] = []
    for name, value in data.items():
        if name == "__entity_type__":
            continue
        attribute = plan.attributes.get(name)
        if attribute is None:
            raise UnknownAttributeError('Attribute "{0}" does not exist on type "{1}".'.format(name, type_name))
        if attribute.kind == "scalar":
            if attribute.column is not None:  # None: computed on read; clients echo these
                assigned.assign(attribute.column, to_storage(attribute, value, type_name), name)
        elif attribute.kind == "reference":
            relation = attribute.relation
            if relation is None or relation.kind != "many_to_one":
                raise _computed(name, type_name)
            assigned.assign(relation.local_column, reference_id(schema, plan, attribute, value), name, reference=True)
        else:
            members = _collection_members(attribute, value, type_name)
            if members is not None:
                collections.append((attribute, members))
    return assigned.values, collections


def _computed(name: str, type_name: str, hint: str = "") -> ValidationError:
    return ValidationError('Attribute "{0}" of "{1}" is computed by the server and cannot be set{2}.'.format(
        name, type_name, hint))


def _collection_members(attribute: Attribute, value: Any, type_name: str) -> Any:
    """The member references sent for a collection (None: an empty derived one, ignored)."""
    relation = attribute.relation
    if relation is None or relation.kind == "derived" or attribute.restricted:
        if relation is not None and relation.kind == "derived" and value in (None, []):
            return None
        hint = "; update the custom attribute value entities instead" \
            if attribute.name == "custom_attributes" else ""
        raise _computed(attribute.name, type_name, hint)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError('Attribute "{0}" of "{1}" must be a list of entity references.'.format(
            attribute.name, type_name))
    return value


def reference_id(schema: Schema, plan: Plan, attribute: Attribute, value: Any) -> Any:
    """The stored foreign key of a reference sent as an entity (or a bare key)."""
    if value is None:
        return None
    if isinstance(value, dict):
        sent = value.get("__entity_type__")
        target = schema.types.get(sent) if isinstance(sent, str) else None
        expected = schema.types.get(attribute.target or "")
        if target is not None and expected is not None and target.table != expected.table:
            raise ValidationError('Attribute "{0}" of "{1}" must refer to a {2}, not a {3}.'.format(
                attribute.name, plan.entity_type.name, expected.name, target.name))
        key_name = (target or expected).primary_key[0] if (target or expected) else "id"
        if "id" in value:
            key_name = "id"
        identifier = value.get(key_name)
    elif isinstance(value, (str, int)) and not isinstance(value, bool):
        identifier = value
    else:
        raise ValidationError('Attribute "{0}" of "{1}" must be an entity reference.'.format(
            attribute.name, plan.entity_type.name))
    if identifier is None:
        raise ValidationError('The reference given for "{0}" of "{1}" has no key.'.format(
            attribute.name, plan.entity_type.name))
    column_attribute = plan.column_attribute.get(attribute.relation.local_column)
    if column_attribute is not None:
        return to_storage(column_attribute, identifier, plan.entity_type.name)
    return str(identifier)


def coerce_key(entity_type: EntityType, entity_key: Any) -> Dict[str, Any]:
    """Key attribute -> stored value of an ``entity_key`` (one value or a list)."""
    if not isinstance(entity_key, (list, tuple)):
        entity_key = [entity_key]
    names = entity_type.primary_key
    if len(entity_key) != len(names):
        raise ValidationError('The key of {0} has {1} value(s) ({2}), {3} given.'.format(
            entity_type.name, len(names), ", ".join(names), len(entity_key)))
    key: Dict[str, Any] = {}
    for name, value in zip(names, entity_key):
        if value is None:
            raise ValidationError('Key attribute "{0}" of {1} cannot be null.'.format(name, entity_type.name))
        key[name] = to_storage(entity_type.attributes[name], value, entity_type.name)
    return key


def checked_key(entity_type: EntityType, entity_key: Any, values: Dict[str, Any]) -> Dict[str, Any]:
    """The coerced key of an update; *values* may repeat it but not change it."""
    key = coerce_key(entity_type, entity_key)
    for name, value in key.items():
        if values.get(name) is not None and not same(values[name], value):
            raise ImmutableAttributeError('Attribute "{0}" of "{1}" is immutable and cannot be '
                                          'changed.'.format(name, entity_type.name))
    return key
