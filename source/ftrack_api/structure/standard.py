"""Identifiers following the project hierarchy: ``project/seq/shot/asset/v003/name.ext``."""

import re
import unicodedata

import ftrack_api.exception
import ftrack_api.structure.base

_ILLEGAL = re.compile(r"[^a-zA-Z0-9_.\-]")


class StandardStructure(ftrack_api.structure.base.Structure):
    """Lay components out by project, contexts, asset and version.

    ``my_project/folder_a/folder_b/asset_name/v003`` then, by component kind:
    a file ``foo.jpg``; a sequence ``foo.%04d.jpg`` and its members
    ``foo.0042.jpg``; a container folder ``bar`` and its members
    ``bar/baz.pdf``. Names are sanitised for filesystems.
    """

    def __init__(self, project_versions_prefix=None, illegal_character_substitute="_"):
        """*project_versions_prefix* is inserted for versions published directly
        under a project (``my_project/<prefix>/v001/foo.jpg``);
        *illegal_character_substitute* replaces characters awkward in paths
        (None keeps names unchanged)."""
        super(StandardStructure, self).__init__()
        self.project_versions_prefix = project_versions_prefix
        self.illegal_character_substitute = illegal_character_substitute

    def sanitise_for_filesystem(self, value):
        """Return *value* with spaces, non-ASCII and other awkward characters replaced."""
        if self.illegal_character_substitute is None:
            return value
        text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii")
        return _ILLEGAL.sub(self.illegal_character_substitute, text)

    def get_resource_identifier(self, entity, context=None):
        if not entity.entity_type.endswith("Component"):
            raise ftrack_api.exception.StructureError(
                "StandardStructure only supports components, not {0}.".format(entity.entity_type))
        container = entity.get("container")
        if container:
            folder = self._version_path(container)
            if container.entity_type == "SequenceComponent":
                name = "{0}.{1}{2}".format(
                    self.sanitise_for_filesystem(container["name"]),
                    self._padded(entity["name"], container.get("padding")), self._file_type(container))
                return self._join(folder, name)
            return self._join(folder, self.sanitise_for_filesystem(container["name"]),
                              self.sanitise_for_filesystem(entity["name"]) + self._file_type(entity))
        folder = self._version_path(entity)
        name = self.sanitise_for_filesystem(entity["name"])
        if entity.entity_type == "SequenceComponent":
            return self._join(folder, "{0}.%0{1}d{2}".format(
                name, int(entity.get("padding") or 0), self._file_type(entity)))
        if entity.entity_type == "ContainerComponent":
            return self._join(folder, name)
        return self._join(folder, name + self._file_type(entity))

    def _version_path(self, component):
        version = component.get("version")
        if not version:
            raise ftrack_api.exception.StructureError(
                "Component {0} is not attached to a committed version.".format(component["id"]))
        asset = version.get("asset")
        if not asset or not asset.get("parent"):
            raise ftrack_api.exception.StructureError(
                "Version {0} has no asset with a parent context.".format(version["id"]))
        link = asset["parent"]["link"]
        project = component.session.get("Project", link[0]["id"])
        parts = [self.sanitise_for_filesystem(project["name"])]
        parts.extend(self.sanitise_for_filesystem(entry["name"]) for entry in link[1:])
        if len(link) == 1 and self.project_versions_prefix:
            parts.append(self.project_versions_prefix)
        parts.append(self.sanitise_for_filesystem(asset["name"]))
        parts.append("v{0:03d}".format(int(version["version"])))
        return self.path_separator.join(parts)
