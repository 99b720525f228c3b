"""Asset version entity."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Union

import ftrack_api.entity.base
from ftrack_api.entity.base import Entity


class AssetVersion(ftrack_api.entity.base.Entity):
    """Represent asset version."""

    def create_component(
        self, path: str, data: Optional[Mapping[str, Any]] = None, location: Union[Entity, str, None] = None
    ) -> Entity:
        """Create a component of this version from *path* (a file or a sequence).

        *path*, *data* and *location* are as for
        :meth:`ftrack_api.session.Session.create_component`; the component's
        version is always this version (``version`` and ``version_id`` in
        *data* are replaced).
        """
        data = dict(data or {})
        # The component always belongs to this version, whatever *data* says.
        data.pop("version_id", None)
        data["version"] = self
        return self.session.create_component(path, data=data, location=location)

    def encode_media(self, media: Union[str, Entity], keep_original: Union[bool, str] = "auto") -> Entity:
        """Encode *media* (a file path or a server component) for this version.

        Returns the encoding Job; see
        :meth:`ftrack_api.session.Session.encode_media`.
        """
        return self.session.encode_media(media, version_id=self["id"], keep_original=keep_original)
