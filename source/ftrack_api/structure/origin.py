"""Pass an existing resource identifier through unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

import ftrack_api.structure.base
from ftrack_api.structure.base import Structure  # noqa: F401 (public name of this module)

if TYPE_CHECKING:
    from ftrack_api.entity.base import Entity


class OriginStructure(ftrack_api.structure.base.Structure):
    """Use ``context['source_resource_identifier']`` as the identifier.

    Raise :exc:`ValueError` when *context* is missing or holds no (or a None)
    source resource identifier.
    """

    def get_resource_identifier(self, entity: Entity, context: Optional[Mapping[str, Any]] = None) -> str:
        identifier = (context or {}).get("source_resource_identifier")
        if identifier is None:
            raise ValueError(
                "Could not generate resource identifier as no source resource "
                "identifier found in passed context."
            )
        return identifier
