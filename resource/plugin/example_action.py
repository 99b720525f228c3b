"""Example action plugin: "Add note" on the entities selected in ftrack.

Put this file in a directory named by ``FTRACK_EVENT_PLUGIN_PATH`` (or pass
that directory in ``plugin_paths``) and start a session whose event hub is
connected, for example::

    session = ftrack_api.Session(auto_connect_event_hub=True)
    session.event_hub.wait()

The action then answers two events sent through the event server:

* ``ftrack.action.discover`` — when the event's ``data.selection`` holds
  something, it offers one item, ``{"label": "Add note", "actionIdentifier":
  "ftrack-local.example.add-note"}``;
* ``ftrack.action.launch`` whose ``data.actionIdentifier`` is that
  identifier — it writes a note on every selected entity, commits, and
  answers ``{"success": True, "message": ...}``.

A selection is a list of ``{"entityId": ..., "entityType": ...}`` mappings,
``entityType`` being the server's lower-case name (``task`` for any
object of the project tree, ``show`` for a project, ``assetversion`` for a
version). ``data.content`` may carry the text of the note.
"""

import logging

import ftrack_api.session

#: Identifier the launch events of this action carry.
ACTION_IDENTIFIER = "ftrack-local.example.add-note"
#: Name shown for the action.
LABEL = "Add note"
#: Note written when the launch event gives no ``data.content``.
DEFAULT_CONTENT = "Note added by the example action."

#: API entity type of each selection ``entityType`` the action handles.
ENTITY_TYPES = {
    "task": "TypedContext",
    "show": "Project",
    "assetversion": "AssetVersion",
}

logger = logging.getLogger("ftrack_local.example.add_note_action")


class AddNoteAction(object):
    """Offer and perform "Add note" through *session*."""

    def __init__(self, session):
        self.session = session

    def register(self):
        """Subscribe the action's handlers on the session's event hub."""
        hub = self.session.event_hub
        hub.subscribe("topic=ftrack.action.discover", self.discover)
        hub.subscribe(
            "topic=ftrack.action.launch and data.actionIdentifier={0}".format(
                ACTION_IDENTIFIER
            ),
            self.launch,
        )

    def _entities(self, event):
        """Return the selected entities this action can write notes on."""
        entities = []
        for item in event["data"].get("selection") or []:
            entity_type = ENTITY_TYPES.get(item.get("entityType"))
            if entity_type is None or not item.get("entityId"):
                continue
            entity = self.session.get(entity_type, item["entityId"])
            if entity is not None:
                entities.append(entity)
        return entities

    def discover(self, event):
        """Offer the action when something it handles is selected."""
        selection = event["data"].get("selection") or []
        if not any(item.get("entityType") in ENTITY_TYPES for item in selection):
            return None
        return {"items": [{"label": LABEL, "actionIdentifier": ACTION_IDENTIFIER}]}

    def _author(self, event):
        """Return the user who launched the action, or the session's user."""
        username = (event["source"].get("user") or {}).get("username")
        for name in (username, self.session.api_user):
            if name:
                user = self.session.query(
                    'User where username is "{0}"'.format(name)
                ).first()
                if user is not None:
                    return user
        return None

    def launch(self, event):
        """Write a note on each selected entity and report the outcome."""
        entities = self._entities(event)
        if not entities:
            return {"success": False, "message": "Nothing selected to add a note to."}
        author = self._author(event)
        if author is None:
            return {"success": False, "message": "No user to sign the note with."}
        content = event["data"].get("content") or DEFAULT_CONTENT
        try:
            for entity in entities:
                entity.create_note(content, author)
            self.session.commit()
        except Exception as error:  # the launcher gets the reason
            self.session.rollback()
            logger.exception("Adding notes failed.")
            return {"success": False, "message": "Could not add the note: {0}".format(error)}
        return {
            "success": True,
            "message": "Added a note to {0} entit{1}.".format(
                len(entities), "y" if len(entities) == 1 else "ies"
            ),
        }


def register(session, **kw):
    """Register the "Add note" action with *session*.

    Other callers of plugin ``register`` functions (such as older APIs
    loading the same directory) pass something else than a session; the
    plugin then does nothing.
    """
    if not isinstance(session, ftrack_api.session.Session):
        return
    AddNoteAction(session).register()
    logger.debug("Registered the %r action.", ACTION_IDENTIFIER)
