"""Events: the event object, subscriptions and the event hub.

:mod:`ftrack_api.event.base` holds :class:`~ftrack_api.event.base.Event`,
:mod:`ftrack_api.event.expression` the small filter language used by
subscriptions and event targets, :mod:`ftrack_api.event.subscription` and
:mod:`ftrack_api.event.subscriber` the objects the hub keeps for each
registered callback, and :mod:`ftrack_api.event.hub` the hub itself, a
front for the modules doing its work: the Socket.IO wire format
(:mod:`~ftrack_api.event._socketio`, :mod:`~ftrack_api.event._event_json`,
:mod:`~ftrack_api.event._acknowledgements`), reading and acting on packets
(:mod:`~ftrack_api.event._reader`, :mod:`~ftrack_api.event._packet_handler`),
the connection (:mod:`~ftrack_api.event._connection`), the subscribers
(:mod:`~ftrack_api.event._subscriber_registry`,
:mod:`~ftrack_api.event._server_subscriptions`), sending events
(:mod:`~ftrack_api.event._outbox`) and replies
(:mod:`~ftrack_api.event._replies`); :mod:`~ftrack_api.event._topics` names
the meta topics.
"""
