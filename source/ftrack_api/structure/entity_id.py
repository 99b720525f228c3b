"""Identifiers that are the entity's id."""

import ftrack_api.structure.base


class EntityIdStructure(ftrack_api.structure.base.Structure):
    """Use the entity's id, unchanged, as its resource identifier.

    The ``ftrack.server`` location stores each component under its id. Like
    the official client, the structure's prefix is not used.
    """

    def get_resource_identifier(self, entity, context=None):
        """Return ``entity['id']``."""
        return entity["id"]
