"""Turning recorded operations into the batch a commit sends.

(doc/protocol.rst, "Batches") Operations are sent in the order they were
recorded, with three savings: an entity created and deleted before the
commit sends nothing, only the last update of an attribute is sent, and
updates following the create or update of the same entity are folded into
it.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Set

import ftrack_api.inspection
import ftrack_api.operation
import ftrack_api.symbol

NOT_SET = ftrack_api.symbol.NOT_SET
_Create = ftrack_api.operation.CreateEntityOperation
_Update = ftrack_api.operation.UpdateEntityOperation
_Delete = ftrack_api.operation.DeleteEntityOperation


def _created_then_deleted(identities, operations) -> Set[Any]:
    """Return the identities of entities both created and deleted by *operations*."""
    created = set()
    dropped = set()
    for identity, operation in zip(identities, operations):
        if isinstance(operation, _Create):
            created.add(identity)
        elif isinstance(operation, _Delete) and identity in created:
            dropped.add(identity)
    return dropped


def _last_updates(identities, operations) -> Dict[Any, int]:
    """Return, per (identity, attribute name), the position of its last update."""
    last = {}
    for index, (identity, operation) in enumerate(zip(identities, operations)):
        if isinstance(operation, _Update):
            last[(identity, operation.attribute_name)] = index
    return last


def _create_payload(operation, entity_key, encode_value):
    """Return the payload creating the entity of *operation*."""
    entity_type = operation.entity_type
    entity_data = {"__entity_type__": entity_type}
    for key, value in operation.entity_data.items():
        if value is not NOT_SET:
            entity_data[key] = encode_value(value)
    return {
        "action": "create",
        "entity_type": entity_type,
        "entity_key": entity_key,
        "entity_data": entity_data,
    }


def _add_update(payloads, operation, entity_key, encode_value):
    """Add the update *operation* to *payloads*, folded into the last one when it is
    the create or update of the same entity."""
    if operation.new_value is NOT_SET:
        return
    entity_type = operation.entity_type
    value = encode_value(operation.new_value)
    previous = payloads[-1] if payloads else None
    if (
        previous is not None
        and previous["action"] in ("create", "update")
        and previous["entity_type"] == entity_type
        and previous["entity_key"] == entity_key
    ):
        previous["entity_data"][operation.attribute_name] = value
        return
    payloads.append(
        {
            "action": "update",
            "entity_type": entity_type,
            "entity_key": entity_key,
            "entity_data": {"__entity_type__": entity_type, operation.attribute_name: value},
        }
    )


def build_batch(operations: Sequence[Any], encode_value: Callable[[Any], Any]) -> List[dict]:
    """Return the payloads sending *operations*; *encode_value* prepares each value sent."""
    identities = [ftrack_api.inspection.operation_identity(operation) for operation in operations]
    dropped = _created_then_deleted(identities, operations)
    last_update = _last_updates(identities, operations)
    payloads = []
    for index, (identity, operation) in enumerate(zip(identities, operations)):
        if identity in dropped:
            continue
        entity_key = list(identity[1])
        if isinstance(operation, _Create):
            payloads.append(_create_payload(operation, entity_key, encode_value))
        elif isinstance(operation, _Update):
            if last_update[(identity, operation.attribute_name)] == index:
                _add_update(payloads, operation, entity_key, encode_value)
        elif isinstance(operation, _Delete):
            payloads.append(
                {"action": "delete", "entity_type": operation.entity_type, "entity_key": entity_key}
            )
    return payloads
