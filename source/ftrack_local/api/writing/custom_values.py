"""Custom attribute values: written by upsert and checked against their configuration's type.

Every value type is keyed by ``[configuration_id, entity_id]``. A write
through the legacy ``CustomAttributeValue`` lands on the specific value
type of the configuration's entity type.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

import sqlalchemy as sa

from ... import families
from ...errors import DuplicateEntryError, ValidationError
from ...schema import EntityType, Schema
from ...storage import SEQ, TYPE
from ...values import format_datetime, is_encoded_datetime, parse_datetime
from .batch import Batch
from .parsing import checked_key, parse, same
from .rows import Row

#: The legacy value type, standing for every specific one.
LEGACY_VALUE_TYPE = "CustomAttributeValue"

#: Custom attribute value types (all keyed by ``[configuration_id, entity_id]``).
CUSTOM_VALUE_TYPES = frozenset(set(families.CUSTOM_ATTRIBUTE_OWNERS) | {LEGACY_VALUE_TYPE})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _is_choice(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(i, str) for i in value))


#: Custom attribute type name -> (check, what the value must be, for errors).
VALUE_CHECKS: Dict[str, Tuple[Callable[[Any], bool], str]] = {
    "number": (_is_number, "a number"),
    "text": (_is_text, "text"),
    "url": (_is_text, "text"),
    "expression": (_is_text, "text"),
    "boolean": (_is_boolean, "a boolean"),
    "enumerator": (_is_choice, "a list of strings"),
    "dynamic enumerator": (_is_choice, "a list of strings"),
}


def check_custom_value(configuration: Row, value: Any) -> Any:
    """Validate *value* against the configuration's type; return its stored form."""
    if value is None:
        return None
    type_name = configuration.get("_type_name")
    key = configuration.get("key")
    if type_name == "date":
        text = value.get("value") if is_encoded_datetime(value) else value
        if isinstance(text, str):
            try:
                parsed = parse_datetime(text)
            except ValidationError:
                parsed = None
            if parsed is not None:
                return {"__type__": "datetime", "value": format_datetime(parsed)}
        raise ValidationError('Value of custom attribute "{0}" must be a date and time.'.format(key))
    check = VALUE_CHECKS.get(type_name or "")
    if check is not None and not check[0](value):
        raise ValidationError('Value of custom attribute "{0}" must be {1}.'.format(key, check[1]))
    return value


def value_type_for(schema: Schema, requested: EntityType, configuration: Row) -> EntityType:
    """The specific value type for a write through the legacy ``CustomAttributeValue``."""
    if requested.name != LEGACY_VALUE_TYPE:
        return requested
    legacy = configuration.get("entity_type")
    for value_type, owner in families.CUSTOM_ATTRIBUTE_OWNERS.items():
        for type_name, legacy_name in families.LEGACY_NAMES.items():
            if legacy_name == legacy and type_name in schema.types and \
                    schema.types[type_name].is_a(owner) and value_type in schema.types:
                return schema.types[value_type]
    return requested


def write_custom_value(batch: Batch, requested: EntityType, entity_key: Optional[list], data: dict,
                       creating: bool) -> Tuple[EntityType, Row]:
    """Create or update one custom attribute value; return (its type, its row)."""
    plan = batch.plans.get(requested)
    values, collections = parse(batch.schema, plan, data)
    if collections:
        raise ValidationError('"{0}" has no collections to write.'.format(requested.name))
    if entity_key is None and not creating:
        raise ValidationError("An update needs the entity key.")
    if creating:
        batch.rows.fill_key(plan, values, entity_key)
    else:
        values.update(checked_key(requested, entity_key, values))
    configuration = batch.related.configuration(values["configuration_id"])
    if "value" in values:
        values["value"] = check_custom_value(configuration, values["value"])
    values["key"] = configuration.get("key")
    table = plan.table
    existing = batch.connection.execute(sa.select(table).where(
        table.c.configuration_id == values["configuration_id"],
        table.c.entity_id == values["entity_id"])).mappings().first()
    if existing is None:
        if "value" not in values:
            values["value"] = configuration.get("default")
        value_type = value_type_for(batch.schema, requested, configuration)
        values[TYPE] = value_type.name
        return value_type, batch.rows.add(batch.plans.get(value_type), values, value_type)
    if creating:
        raise DuplicateEntryError('{0} with key "{1}, {2}" already exists.'.format(
            requested.name, values["configuration_id"], values["entity_id"]))
    row = dict(existing)
    row_type = batch.rows.type(row[TYPE])
    changes = {c: v for c, v in values.items() if not same(row.get(c), v)}
    if changes:
        batch.rows.update(table, row, changes, row_type)
    batch.rows.touched[(table.name, row[SEQ])] = row_type.name
    return row_type, row
