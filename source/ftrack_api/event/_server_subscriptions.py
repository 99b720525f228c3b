"""Telling the event server which subscribers a hub has.

The server only forwards events some subscriber of the connection wants, so
every subscriber is announced with an ``ftrack.meta.subscribe`` event once
connected, and withdrawn with ``ftrack.meta.unsubscribe``
(doc/protocol.rst, "Subscriptions").
"""

from __future__ import annotations

import collections.abc
import functools
import threading
import time
from typing import Any, Dict, List, Mapping

import ftrack_api.event.base
import ftrack_api.event._topics
import ftrack_api.exception
from ftrack_api.logging import LazyLogMessage as L

#: Seconds a connect waits for the server to confirm the subscriptions it
#: was told about.
CONFIRMATION_TIMEOUT = 5


def response_mapping(response: Any) -> Mapping[str, Any]:
    """Return the server's acknowledgement *response* as a mapping."""
    if type(response) is dict or isinstance(response, collections.abc.Mapping):
        return response
    return {}


class SubscriptionAnnouncer(object):
    """Keep the server's view of one hub's subscribers up to date."""

    def __init__(self, hub: Any) -> None:
        """Announce the subscribers of *hub*."""
        self._hub = hub
        #: Whether the server of the current connection was told about the
        #: subscribers (later subscribers are announced one by one).
        self.announced = False
        #: Subscriber id -> threading.Event set when the server confirmed
        #: it, for the subscriptions sent by the connect under way.
        self.pending: Dict[Any, threading.Event] = {}

    def announce_all(self) -> List[threading.Event]:
        """Announce every subscriber; return the events set on confirmation."""
        hub = self._hub
        with hub._lock:
            subscribers = hub._subscribers[:]
            self.announced = True
            confirmations = [threading.Event() for _ in subscribers]
            self.pending = dict(
                (subscriber.metadata.get("id"), confirmation)
                for subscriber, confirmation in zip(subscribers, confirmations)
            )

        for subscriber in subscribers:
            try:
                hub._notify_server_about_subscriber(subscriber)
            except ftrack_api.exception.EventHubConnectionError as error:
                hub.logger.debug(
                    L("Could not announce subscriber {0}: {1}", subscriber, error)
                )
        return confirmations

    def await_confirmations(self, confirmations: List[threading.Event]) -> None:
        """Wait a few seconds at most for every one of *confirmations*."""
        deadline = time.monotonic() + CONFIRMATION_TIMEOUT
        for confirmation in confirmations:
            if not confirmation.wait(max(0, deadline - time.monotonic())):
                self._hub.logger.warning(
                    "The event server did not confirm all subscriptions in "
                    "time; some events may be missed until it does."
                )
                break
        self.pending = {}

    def announce(self, subscriber: Any) -> None:
        """Publish the ``ftrack.meta.subscribe`` event for *subscriber*."""
        hub = self._hub
        event = ftrack_api.event.base.Event(
            topic=ftrack_api.event._topics.SUBSCRIBE,
            data=dict(
                subscriber=subscriber.metadata,
                subscription=str(subscriber.subscription),
            ),
        )
        hub._publish(event, callback=functools.partial(hub._on_subscribed, subscriber))

    def withdraw(self, subscriber: Any) -> None:
        """Publish the ``ftrack.meta.unsubscribe`` event for *subscriber*.

        A hub that is not connected only logs that it could not.
        """
        hub = self._hub
        event = ftrack_api.event.base.Event(
            topic=ftrack_api.event._topics.UNSUBSCRIBE,
            data=dict(subscriber=subscriber.metadata),
        )
        try:
            hub._publish(
                event, callback=functools.partial(hub._on_unsubscribed, subscriber)
            )
        except ftrack_api.exception.EventHubConnectionError:
            self._log_not_connected("tell the server to unsubscribe", subscriber)

    def announce_new(self, subscriber: Any) -> None:
        """Announce *subscriber*, added after the others; log when not connected."""
        try:
            self._hub._notify_server_about_subscriber(subscriber)
        except ftrack_api.exception.EventHubConnectionError:
            self._log_not_connected("tell the server about new", subscriber)

    def _log_not_connected(self, what: str, subscriber: Any) -> None:
        """Log that the server could not be told *what* about *subscriber*."""
        self._hub.logger.debug(
            L("Could not {0} subscriber {1}: not connected.", what, subscriber.metadata["id"])
        )

    def subscribed(self, subscriber: Any, response: Any) -> None:
        """Handle the server's answer to subscribing *subscriber*."""
        response = response_mapping(response)
        if response.get("success") is False:
            self._log_refusal("subscribe", subscriber, response)
        confirmation = self.pending.pop(subscriber.metadata.get("id"), None)
        if confirmation is not None:
            confirmation.set()

    def unsubscribed(self, subscriber: Any, response: Any) -> None:
        """Handle the server's answer to unsubscribing *subscriber*."""
        response = response_mapping(response)
        if response.get("success") is not True:
            self._log_refusal("unsubscribe", subscriber, response)

    def _log_refusal(self, what: str, subscriber: Any, response: Mapping[str, Any]) -> None:
        """Warn that the server failed to *what* *subscriber*."""
        self._hub.logger.warning(
            L(
                "Server failed to {0} subscriber {1}: {2}",
                what,
                subscriber.metadata["id"],
                response.get("message"),
            )
        )
