"""Replies: the events answering an event published by a hub.

A reply is an ``ftrack.meta.reply`` event targeted at the publisher's
``source.id`` and naming the event it answers; each hub subscribes to them
under its own id and passes each to the ``on_reply`` callback given when
the answered event was published (doc/protocol.rst, "Replies").
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional

import ftrack_api.event.base
import ftrack_api.event._topics
import ftrack_api.exception


def make_reply_event(
    event: ftrack_api.event.base.Event,
    source_event: Mapping[str, Any],
    source: Optional[Mapping[str, Any]] = None,
) -> None:
    """Make *event* a reply to *source_event*.

    Target it to the sender of *source_event*, refer to that event and,
    when *source* is given, use it as the source of *event*.
    """
    event["target"] = "id={0}".format(source_event["source"]["id"])
    event["in_reply_to_event"] = source_event["id"]
    if source is not None:
        event["source"] = source


class ReplyTracker(object):
    """Hand the replies received by one hub to the callbacks awaiting them."""

    def __init__(self, hub: Any) -> None:
        """Track the replies to the events *hub* publishes."""
        self._hub = hub
        #: Id of a published event -> callback receiving each reply to it.
        self.callbacks: Dict[str, Callable[[Any], Any]] = {}

    def listen(self) -> None:
        """Subscribe the hub, under its own id, to reply events (locally only).

        The server learns about this subscriber with the others, when the
        hub announces them.
        """
        hub = self._hub
        try:
            hub._add_subscriber(
                "topic={0}".format(ftrack_api.event._topics.REPLY),
                hub._handle_reply,
                subscriber=dict(id=hub.id),
            )
        except ftrack_api.exception.NotUniqueError:
            pass

    def expect(self, event_id: str, on_reply: Callable[[Any], Any]) -> None:
        """Call *on_reply* with each reply to the event *event_id*."""
        self.callbacks[event_id] = on_reply

    def handle(self, event: Mapping[str, Any]) -> None:
        """Call the callback registered for the event *event* answers."""
        callback = self.callbacks.get(event["in_reply_to_event"], None)
        if callback is not None:
            callback(event)
