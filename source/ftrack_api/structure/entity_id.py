"""Identifiers that are the entity's id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

import ftrack_api.structure.base

if TYPE_CHECKING:
    from ftrack_api.entity.base import Entity


class EntityIdStructure(ftrack_api.structure.base.Structure):
    """Use the entity's id, unchanged, as its resource identifier.

    The ``ftrack.server`` location stores each component under its id. Like
    the official client, the structure's prefix is not used.
    """

    def get_resource_identifier(self, entity: Entity, context: Optional[Mapping[str, Any]] = None) -> str:
        """Return ``entity['id']``."""
        return entity["id"]
