"""The subscribers of a hub, and calling them with the events they want.

An event reaches the subscribers whose subscription it matches, in priority
order, and only those whose information matches the event's target when it
has one (doc/protocol.rst, "Event routing").
"""

from __future__ import annotations

import logging
import operator
import threading
import uuid
from typing import Any, Callable, List, Optional

import ftrack_api.event.expression
import ftrack_api.event.subscriber
import ftrack_api.exception
from ftrack_api.logging import LazyLogMessage as L

#: Sort key of the subscribers: lower priorities are called first.
_BY_PRIORITY = operator.attrgetter("priority")


class SubscriberRegistry(object):
    """Keep the subscribers of one hub and dispatch events to them."""

    def __init__(self, lock: threading.RLock, logger: logging.Logger) -> None:
        """Keep subscribers under *lock*, logging failures on *logger*."""
        self.lock = lock
        self.logger = logger
        #: The subscribers, in the order they were added.
        self.subscribers: List[ftrack_api.event.subscriber.Subscriber] = []
        #: Parser of event targets.
        self.parser = ftrack_api.event.expression.Parser()

    def get(self, identifier: Any) -> Optional[ftrack_api.event.subscriber.Subscriber]:
        """Return the subscriber with *identifier*, or None."""
        for subscriber in self.subscribers[:]:
            if subscriber.metadata.get("id") == identifier:
                return subscriber
        return None

    def add(
        self, subscription: str, callback: Callable, subscriber: Any = None, priority: int = 100
    ) -> ftrack_api.event.subscriber.Subscriber:
        """Create, store and return a subscriber.

        *subscriber* is its information, given an ``id`` when it has none.
        Raise :exc:`ftrack_api.exception.NotUniqueError` when a subscriber
        with the same identifier exists already.
        """
        if subscriber is None:
            subscriber = {}
        if subscriber.get("id") is None:
            subscriber["id"] = uuid.uuid4().hex

        with self.lock:
            if self.get(subscriber["id"]) is not None:
                raise ftrack_api.exception.NotUniqueError(
                    "Subscriber with identifier {0} already exists.".format(subscriber["id"])
                )
            instance = ftrack_api.event.subscriber.Subscriber(
                subscription=subscription,
                callback=callback,
                metadata=subscriber,
                priority=priority,
            )
            self.subscribers.append(instance)
        return instance

    def remove(self, identifier: Any) -> ftrack_api.event.subscriber.Subscriber:
        """Remove and return the subscriber with *identifier*.

        Raise :exc:`ftrack_api.exception.NotFoundError` when there is none.
        """
        with self.lock:
            subscriber = self.get(identifier)
            if subscriber is None:
                raise ftrack_api.exception.NotFoundError(
                    "Cannot unsubscribe missing subscriber with identifier "
                    "{0}".format(identifier)
                )
            self.subscribers.remove(subscriber)
        return subscriber

    def dispatch(
        self, event: Any, reply: Optional[Callable[[Any, Any, Any], Any]] = None
    ) -> List[Any]:
        """Call the subscribers interested in *event*; return their results.

        A stopped event reaches no further subscriber; the results of
        failing callbacks are left out. With *reply*, each result other than
        None is published as a reply: see :meth:`_reply`.
        """
        results = []
        target = event.get("target", None)
        target_expression = self._target_expression(event) if target else None
        if target and target_expression is None:
            return results

        for subscriber in sorted(self.subscribers, key=_BY_PRIORITY):
            if target_expression is not None and not target_expression.match(
                subscriber.metadata
            ):
                continue
            if not subscriber.interested_in(event):
                continue

            try:
                response = subscriber.callback(event)
            except Exception:
                self.logger.exception(
                    L("Error calling subscriber {0} for event {1}.", subscriber, event)
                )
            else:
                results.append(response)
                if reply is not None and response is not None:
                    self._reply(reply, event, response, subscriber)

            if event.is_stopped():
                self.logger.debug(
                    L(
                        "Subscriber {0} stopped event {1}; the subscribers "
                        "after it are not called.",
                        subscriber,
                        event,
                    )
                )
                break
        return results

    def _reply(self, reply: Callable, event: Any, response: Any, subscriber: Any) -> None:
        """Call *reply* with *event*, *response* and the subscriber's information.

        A failure is logged.
        """
        try:
            reply(event, response, dict(subscriber.metadata))
        except Exception:
            self.logger.exception(
                L(
                    "Error publishing response {0} from subscriber {1} "
                    "for event {2}.",
                    response,
                    subscriber,
                    event,
                )
            )

    def _target_expression(self, event: Any) -> Any:
        """Return the parsed target of *event*, or None (logged) when invalid."""
        try:
            return self.parser.parse(event["target"])
        except Exception:
            self.logger.exception(
                L(
                    "Cannot handle event as failed to parse event target "
                    "information: {0}",
                    event,
                )
            )
            return None
