"""Identifiers made from an entity's type and id."""

import ftrack_api.structure.base


class EntityIdStructure(ftrack_api.structure.base.Structure):
    """Place any entity at ``prefix/<entity type>/<id>``."""

    def get_resource_identifier(self, entity, context=None):
        return self._join(entity.entity_type, entity["id"])
