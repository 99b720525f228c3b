"""Identifiers made from the component id, chunked into folders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

import ftrack_api.structure.base
from ftrack_api.structure.base import _text

if TYPE_CHECKING:
    from ftrack_api.entity.base import Entity


class IdStructure(ftrack_api.structure.base.Structure):
    """Place components by id: ``prefix/1/2/3/4/56789.exr``.

    The first four characters of the id become four nested folders, so no
    folder holds millions of entries, and the rest of the id (plus the file
    type) names the file. A container is the folder named by its id; its
    members are stored inside it under their own id. A sequence is
    ``<folder>/file.%04d.exr`` (its padding) and its members are
    ``<folder>/file.<member name>.exr``, the member's name being its frame.

    Only file, sequence and container components are supported; anything
    else raises :exc:`NotImplementedError`.
    """

    def get_resource_identifier(self, entity: Entity, context: Optional[Mapping[str, Any]] = None) -> str:
        """Return ``prefix/1/2/3/4/56789.exr`` style identifiers (*context* is not used)."""
        entity_type = entity.entity_type
        if entity_type == "FileComponent":
            parts = self._file_parts(entity)
        elif entity_type == "SequenceComponent":
            name = "file." + self._get_sequence_expression(entity) + _text(entity["file_type"])
            parts = self._id_parts(entity) + [name]
        elif entity_type == "ContainerComponent":
            parts = self._id_parts(entity)
        else:
            raise NotImplementedError(
                "Cannot generate path for unsupported entity {0}".format(entity))
        return self.path_separator.join(parts).strip("/")

    def _id_parts(self, component: Entity) -> list[str]:
        """Prefix, four single-character folders and the rest of the id."""
        identifier = component["id"]
        return [self.prefix] + list(identifier[:4]) + [identifier[4:]]

    def _file_parts(self, component: Entity) -> list[str]:
        """Parts of the identifier of a file component, inside its container if any."""
        file_type = _text(component["file_type"])
        container = component["container"]
        if not container:
            parts = self._id_parts(component)
            parts[-1] += file_type
            return parts
        container_path = self.get_resource_identifier(container)
        if container.entity_type == "SequenceComponent":
            # The member replaces the frame expression in the sequence's name.
            folder = container_path.rpartition(self.path_separator)[0]
            return [folder, "file.{0}{1}".format(component["name"], file_type)]
        return [container_path, component["id"] + file_type]
