"""Pass an existing resource identifier through unchanged."""

from ftrack_api.structure.base import Structure  # noqa: F401 (public name of this module)
import ftrack_api.exception
import ftrack_api.structure.base


class OriginStructure(ftrack_api.structure.base.Structure):
    """Use ``context['source_resource_identifier']`` as the identifier."""

    def get_resource_identifier(self, entity, context=None):
        if not context or "source_resource_identifier" not in context:
            raise ftrack_api.exception.StructureError(
                'OriginStructure needs "source_resource_identifier" in its context.')
        return context["source_resource_identifier"]
