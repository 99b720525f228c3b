"""Events: the event object, subscriptions and the event hub.

:mod:`ftrack_api.event.base` holds :class:`~ftrack_api.event.base.Event`,
:mod:`ftrack_api.event.expression` the small filter language used by
subscriptions and event targets, :mod:`ftrack_api.event.subscription` and
:mod:`ftrack_api.event.subscriber` the objects the hub keeps for each
registered callback, and :mod:`ftrack_api.event.hub` the hub itself, a
front for the modules doing its work: the Socket.IO wire format
(``_socketio``, ``_event_json``,
``_acknowledgements``), reading and acting on packets
(``_reader``, ``_packet_handler``),
the connection (``_connection``), the subscribers
(``_subscriber_registry``,
``_server_subscriptions``), sending events
(``_outbox``) and replies
(``_replies``); ``_topics`` names
the meta topics.
"""
