"""Template plugin: add a studio disk location to every session.

After creating the built-in locations a session publishes
``ftrack.api.session.configure-location`` synchronously (data: the
``session``). A handler gives locations an accessor (how to read and write
data), a structure (where in the storage each component goes) and a
priority (lower wins when the session picks a location).

This template ensures a location named by ``STUDIO_LOCATION_NAME`` (default
``studio.disk``) exists on the server and stores its files below the
directory named by ``STUDIO_LOCATION_PREFIX``. Copy the file into a
directory on ``FTRACK_EVENT_PLUGIN_PATH`` and edit it.
"""

import logging
import os

import ftrack_api.accessor.disk
import ftrack_api.session
import ftrack_api.structure.standard

logger = logging.getLogger("ftrack_api.template.configure_locations")


def configure_locations(event):
    """Configure the studio location of the session in *event*."""
    session = event["data"]["session"]
    prefix = os.environ.get("STUDIO_LOCATION_PREFIX")
    if not prefix:
        logger.debug("STUDIO_LOCATION_PREFIX is not set; nothing to configure.")
        return

    name = os.environ.get("STUDIO_LOCATION_NAME", "studio.disk")
    location = session.ensure("Location", {"name": name})
    location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix=prefix)
    location.structure = ftrack_api.structure.standard.StandardStructure()
    location.priority = 10
    logger.debug("Configured location %s on %s.", name, prefix)


def register(session, **kw):
    """Subscribe :func:`configure_locations` on *session*."""
    if not isinstance(session, ftrack_api.session.Session):
        return
    session.event_hub.subscribe(
        "topic=ftrack.api.session.configure-location", configure_locations
    )
