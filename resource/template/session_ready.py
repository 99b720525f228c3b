"""Template plugin: do something once a session is ready.

``ftrack.api.session.ready`` is published synchronously at the end of a
session's start, with the ``session`` in the event data: plugins are
loaded, entity classes built and locations configured. Handlers run while
the caller waits for its session, so keep them short.

This template looks up the user the session acts for and keeps it on the
session as ``session.current_user``. Copy the file into a directory on
``FTRACK_EVENT_PLUGIN_PATH`` and edit it.
"""

import logging

import ftrack_api.session

logger = logging.getLogger("ftrack_api.template.session_ready")


def on_session_ready(event):
    """Remember the session's user on the session in *event*."""
    session = event["data"]["session"]
    session.current_user = session.query(
        'User where username is "{0}"'.format(session.api_user)
    ).first()
    logger.debug("Session ready for %s.", session.api_user)


def register(session, **kw):
    """Subscribe :func:`on_session_ready` on *session*."""
    if not isinstance(session, ftrack_api.session.Session):
        return
    session.event_hub.subscribe("topic=ftrack.api.session.ready", on_session_ready)
