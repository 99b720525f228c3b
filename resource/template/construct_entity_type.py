"""Template plugin: build the entity classes of a session yourself.

A session asks for one class per entity type of the server's schema by
publishing ``ftrack.api.session.construct-entity-type`` synchronously, with
the type's ``schema`` and all ``schemas`` in the event data. The first
handler that returns a class decides. This template answers with classes
from :class:`ftrack_api.entity.factory.StandardFactory` and shows where to
mix in helpers of your own: every context (project, sequence, shot, task …)
gets a ``path`` method giving its place in the project tree.

Copy the file into a directory on ``FTRACK_EVENT_PLUGIN_PATH`` and edit it.
"""

import logging

import ftrack_api.entity.base
import ftrack_api.entity.factory
import ftrack_api.session

logger = logging.getLogger("ftrack_api.template.construct_entity_type")


class ContextPathMixin(object):
    """Helpers added to the classes of context types."""

    def path(self, separator=" / "):
        """Return the names from the project down to this entity."""
        return separator.join(item["name"] for item in self["link"])


class Factory(ftrack_api.entity.factory.StandardFactory):
    """Standard classes, with :class:`ContextPathMixin` on contexts."""

    def create(self, schema, bases=None):
        """Return the class for *schema*."""
        bases = list(bases or [ftrack_api.entity.base.Entity])
        if _is_context(schema):
            bases.insert(0, ContextPathMixin)
        return super(Factory, self).create(schema, bases=bases)


def _is_context(schema):
    """Return whether *schema* describes a context type."""
    return schema["id"] in ("Context", "Project") or "context_type" in schema.get(
        "properties", {}
    )


def register(session, **kw):
    """Answer the construct events of *session* with :class:`Factory`."""
    if not isinstance(session, ftrack_api.session.Session):
        # Called by another API that shares the plugin directory.
        return

    factory = Factory()

    def construct_entity_type(event):
        """Return the class for the schema in *event*."""
        schema = event["data"]["schema"]
        # The session's own factory need not build a class as well.
        event.stop()
        return factory.create(schema)

    session.event_hub.subscribe(
        "topic=ftrack.api.session.construct-entity-type",
        construct_entity_type,
        priority=10,
    )
    logger.debug("Entity classes are built by the template factory.")
