"""Events: the event object, subscriptions and the event hub.

:mod:`ftrack_api.event.base` holds :class:`~ftrack_api.event.base.Event`,
:mod:`ftrack_api.event.expression` the small filter language used by
subscriptions and event targets, :mod:`ftrack_api.event.subscription` and
:mod:`ftrack_api.event.subscriber` the objects the hub keeps for each
registered callback, and :mod:`ftrack_api.event.hub` the hub itself.
"""
