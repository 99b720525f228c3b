"""Identifiers made from the component id, chunked into folders."""

import ftrack_api.exception
import ftrack_api.structure.base


class IdStructure(ftrack_api.structure.base.Structure):
    """Place components by id: ``prefix/1/2/3/4/56789.exr``.

    The first four characters of the id become four nested folders, so no
    folder holds millions of entries. Members of a container live inside
    their container's folder (named by id), members of a sequence are named
    ``file.<index>`` with the sequence's padding.
    """

    def get_resource_identifier(self, entity, context=None):
        if not entity.entity_type.endswith("Component"):
            raise ftrack_api.exception.StructureError(
                "IdStructure only supports components, not {0}.".format(entity.entity_type))
        container = entity.get("container") if "container" in entity.keys() else None
        if container:
            parent = self._id_path(container)
            if container.entity_type == "SequenceComponent":
                name = "file." + self._padded(entity["name"], container.get("padding"))
            else:
                name = entity["id"]
            return self._join(parent, name + self._file_type(entity))
        path = self._id_path(entity)
        if entity.entity_type == "SequenceComponent":
            padding = entity.get("padding") or 0
            return self._join(path, "file.%0{0}d{1}".format(int(padding), self._file_type(entity)))
        if entity.entity_type == "ContainerComponent":
            return self._join(path)
        return self._join(path) + self._file_type(entity)

    def _id_path(self, component):
        identifier = str(component["id"])
        return "/".join(list(identifier[:4]) + [identifier[4:]])
