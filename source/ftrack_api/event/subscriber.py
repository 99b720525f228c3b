"""Subscribers: a callback registered with the event hub."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import ftrack_api.event.subscription


class Subscriber(object):
    """A callback together with its subscription, information and priority.

    Attributes:

    * ``subscription`` -- the :class:`~ftrack_api.event.subscription.Subscription`
      deciding which events reach the callback;
    * ``callback`` -- the callable receiving each matching event;
    * ``metadata`` -- mapping describing the subscriber, with a unique
      ``id``; event targets are matched against it;
    * ``priority`` -- order among the hub's subscribers, lower first.
    """

    def __init__(
        self, subscription: str, callback: Callable[[Any], Any], metadata: Optional[Dict[str, Any]], priority: int
    ) -> None:
        """Create a subscriber.

        *subscription* is the expression text selecting events (parsed here;
        :class:`ftrack_api.exception.ParseError` is raised when invalid).
        *callback* is called with each selected event. *metadata* is a
        mapping of information about the subscriber, normally including an
        ``id``. *priority* orders the callbacks of a hub: lower numbers are
        called first.
        """
        super(Subscriber, self).__init__()
        self.subscription = ftrack_api.event.subscription.Subscription(
            subscription
        )
        self.callback = callback
        self.metadata = {} if metadata is None else metadata
        self.priority = priority

    def __str__(self) -> str:
        """Return ``<Subscriber metadata=... subscription="...">``."""
        return '<{0} metadata={1} subscription="{2}">'.format(
            type(self).__name__, self.metadata, self.subscription
        )

    def interested_in(self, event: Any) -> bool:
        """Return whether *event* matches this subscriber's subscription.

        Only the subscription is tested here. An event's ``target`` is an
        expression about subscribers, tested by the hub against
        :attr:`metadata`.
        """
        return self.subscription.includes(event)
