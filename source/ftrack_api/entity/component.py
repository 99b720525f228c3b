"""Component entities and the mixin giving entities thumbnails from files."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

import ftrack_api.entity.base
import ftrack_api.symbol
from ftrack_api.entity.base import Entity


class Component(ftrack_api.entity.base.Entity):
    """Represent a component."""

    def get_availability(self, locations: Optional[Iterable[Entity]] = None) -> dict[str, float]:
        """Return ``{location id: availability in percent}`` for this component.

        *locations* limits the answer to those locations; by default every
        location known to the server is included.
        """
        return self.session.get_component_availability(self, locations=locations)


class CreateThumbnailMixin(object):
    """Mixin to add create_thumbnail method on entity class."""

    def create_thumbnail(self, path: str, data: Optional[Mapping[str, Any]] = None) -> Entity:
        """Upload the image at *path* to the server and make it this entity's thumbnail.

        The component is made with *data* (named ``thumbnail`` unless *data*
        gives a non-empty name) in the ``ftrack.server`` location. Commits;
        returns the component.
        """
        session = self.session
        data = dict(data or {})
        if not data.get("name"):
            data["name"] = "thumbnail"
        server_location = session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
        component = session.create_component(path, data=data, location=server_location)
        self["thumbnail_id"] = component["id"]
        session.commit()
        return component
