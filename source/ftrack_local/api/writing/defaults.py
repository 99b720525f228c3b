"""Values the server gives new rows a client leaves out, and uniqueness rules.

The tables are data (:data:`SERVER_DEFAULTS`, :data:`UNIQUE`); the fill
functions apply them, with the schema's literal defaults and the creation
stamps, to the column values of a new row.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from ...schema import Attribute, EntityType
from ...storage import now
from ...values import to_storage

if TYPE_CHECKING:
    from .plans import Plan

#: Types that cannot be created: only their subtypes exist as rows.
ABSTRACT_TYPES = frozenset({"Context"})

#: Values the server gives required (or commonly read) attributes a client
#: may leave out, per base type.
SERVER_DEFAULTS: Dict[str, Dict[str, Any]] = {
    # The priority is the schema default of every typed context subtype.
    # (doc/protocol.rst, "Seed data")
    "TypedContext": {"bid": 0, "sort": 0, "priority_id": "9661b320-3a0c-11e2-81c1-0800200c9a66"},
    "Project": {"status": "active", "is_global": False, "is_private": False},
    "User": {"is_active": True, "is_otp_enabled": False, "is_totp_enabled": False,
             "require_details_update": False},
    "Group": {"local": False},
    "Status": {"is_active": True},
    "ReviewSessionObject": {"sort_order": 0},
}

#: Attribute sets that must be unique among the rows of a type.
UNIQUE: Dict[str, Tuple[Tuple[str, ...], ...]] = {
    "Timer": (("user_id",),),
    "User": (("username",),),
}

#: The literal default standing for "a new unique id".
_NEW_ID = "{uid}"


def server_defaults_for(entity_type: EntityType, column_attribute: Dict[str, Attribute]) -> Dict[str, Any]:
    """Column -> stored server default of the scalars *entity_type* stores (see :data:`SERVER_DEFAULTS`)."""
    found: Dict[str, Any] = {}
    for base, defaults in SERVER_DEFAULTS.items():
        if entity_type.is_a(base):
            for name, value in defaults.items():
                if name in column_attribute:
                    found[name] = to_storage(column_attribute[name], value)
    return found


def unique_for(entity_type: EntityType) -> Tuple[Tuple[str, ...], ...]:
    """The column sets that must be unique among rows of *entity_type* (see :data:`UNIQUE`)."""
    return tuple(group for base, groups in UNIQUE.items() if entity_type.is_a(base) for group in groups)


def fill_literal_defaults(plan: Plan, values: Dict[str, Any]) -> None:
    """Give every stored scalar left out of *values* its schema literal default."""
    for column, attribute in plan.literal_defaults:
        if column not in values:
            default = attribute.default
            values[column] = str(uuid.uuid4()) if default == _NEW_ID else to_storage(
                attribute, default, plan.entity_type.name)


def fill_server_defaults(plan: Plan, values: Dict[str, Any]) -> None:
    """Give every empty column with a server default that default."""
    for column, default in plan.server_defaults.items():
        if values.get(column) is None:
            values[column] = default


def fill_creation_stamp(plan: Plan, values: Dict[str, Any], user_id: Optional[str]) -> None:
    """``created_at`` and ``created_by`` of types that have them."""
    if "created_at" in plan.column_attribute and values.get("created_at") is None:
        values["created_at"] = now()
    has_creator = "created_by_id" in plan.column_attribute or "created_by" in plan.entity_type.attributes
    if has_creator and "created_by_id" in plan.columns and values.get("created_by_id") is None:
        values["created_by_id"] = user_id
