"""Identifiers that are the entity's id."""

import ftrack_api.structure.base


class EntityIdStructure(ftrack_api.structure.base.Structure):
    """Use the entity's id as its resource identifier (after the prefix).

    The ``ftrack.server`` location stores each component under its id.
    """

    def get_resource_identifier(self, entity, context=None):
        """Return ``prefix/<id>``, or just the id without a prefix."""
        return self._join(entity["id"])
