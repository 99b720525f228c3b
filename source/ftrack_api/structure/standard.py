"""Identifiers following the project hierarchy: ``project/seq/shot/asset/v003/name.ext``."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any, Mapping, Optional

import ftrack_api.exception
import ftrack_api.structure.base
import ftrack_api.symbol
from ftrack_api.structure.base import _text

if TYPE_CHECKING:
    from ftrack_api.entity.base import Entity

#: Characters kept by :meth:`StandardStructure.sanitise_for_filesystem`.
_ILLEGAL = re.compile(r"[^\w.\-]")


class StandardStructure(ftrack_api.structure.base.Structure):
    """Lay components out by project, contexts, asset and version.

    The folder of a version is ``my_project/folder_a/folder_b/asset_name/v003``.
    In it, by component kind: a file is ``foo.jpg`` (name and file type); a
    sequence ``foo.%04d.jpg`` and its members ``foo.0042.jpg`` (the member's
    name is its frame); a container the folder ``bar`` and its members
    ``bar/baz.pdf``. Every part is passed through
    :meth:`sanitise_for_filesystem`. Nested containers are not supported.
    """

    def __init__(
        self, project_versions_prefix: Optional[str] = None, illegal_character_substitute: Optional[str] = "_"
    ) -> None:
        """Initialise with the folder for project-level versions and the path character substitute.

        *project_versions_prefix* is inserted for versions published directly
        under a project (``my_project/<prefix>/asset/v001/foo.jpg``);
        *illegal_character_substitute* replaces characters awkward in paths
        (None keeps names unchanged).
        """
        super(StandardStructure, self).__init__()
        self.project_versions_prefix = project_versions_prefix
        self.illegal_character_substitute = illegal_character_substitute

    def _get_parts(self, entity: Entity) -> list[str]:
        """Return the sanitised folder names of the version *entity* belongs to.

        Raise :exc:`~ftrack_api.exception.StructureError` unless *entity* is
        attached to a committed version whose asset sits in a context.
        """
        session = entity.session
        version = entity["version"]
        if version is ftrack_api.symbol.NOT_SET and entity["version_id"]:
            version = session.get("AssetVersion", entity["version_id"])

        unset = version is None or version is ftrack_api.symbol.NOT_SET
        link = None if unset or version in session.created else version["link"]
        if not link:
            raise ftrack_api.exception.StructureError(
                "Component {0!r} must be attached to a committed version and a "
                "committed asset with a parent context.".format(entity))

        parts = [session.get("Project", link[0]["id"])["name"]]
        contexts = [entry["name"] for entry in link[1:-1]]
        if contexts:
            parts.extend(contexts)
        elif self.project_versions_prefix:
            parts.append(self.project_versions_prefix)
        parts.append(version["asset"]["name"])
        parts.append(self._format_version(version["version"]))
        return [self.sanitise_for_filesystem(part) for part in parts]

    def _format_version(self, number: int) -> str:
        """Return the folder name of version *number*: ``v003``."""
        return "v{0:03d}".format(number)

    def sanitise_for_filesystem(self, value: Any) -> Any:
        """Return *value* made safe and plain for filesystems.

        Accents are dropped, other non-ASCII characters removed, anything but
        letters, digits, ``_``, ``.`` and ``-`` replaced by the configured
        substitute and the result lower-cased. Without a substitute (None)
        *value* is returned unchanged.
        """
        substitute = self.illegal_character_substitute
        if substitute is None:
            return value
        plain = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii")
        return _ILLEGAL.sub(substitute, plain).strip().lower()

    def get_resource_identifier(self, entity: Entity, context: Optional[Mapping[str, Any]] = None) -> str:
        """Return the identifier of the component *entity* (*context* is not used).

        Raise :exc:`~ftrack_api.exception.StructureError` when the component
        (or its container) is not attached to a committed version, and
        :exc:`NotImplementedError` for entities that are not file, sequence or
        container components.
        """
        entity_type = entity.entity_type
        if entity_type == "FileComponent":
            file_type = _text(entity["file_type"])
            container = entity["container"]
            if not container:
                parts = self._get_parts(entity)
                parts.append(self.sanitise_for_filesystem(entity["name"] + file_type))
            elif container.entity_type == "SequenceComponent":
                # A frame sits next to its sequence: foo.%04d.jpg -> foo.0042.jpg.
                folder = self.get_resource_identifier(container).rpartition(
                    self.path_separator)[0]
                name = "{0}.{1}{2}".format(container["name"], entity["name"], file_type)
                parts = [folder, self.sanitise_for_filesystem(name)]
            else:
                parts = [self.get_resource_identifier(container),
                         self.sanitise_for_filesystem(entity["name"] + file_type)]
        elif entity_type == "SequenceComponent":
            parts = self._get_parts(entity)
            parts.append("{0}.{1}{2}".format(
                self.sanitise_for_filesystem(entity["name"]),
                self._get_sequence_expression(entity),
                self.sanitise_for_filesystem(_text(entity["file_type"]))))
        elif entity_type == "ContainerComponent":
            parts = self._get_parts(entity)
            parts.append(self.sanitise_for_filesystem(entity["name"]))
        else:
            raise NotImplementedError(
                "Cannot generate resource identifier for unsupported entity {0!r}".format(entity))
        return self.path_separator.join(parts)
