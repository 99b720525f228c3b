"""What a hub does with each packet the event server sends.

Received events are queued for :meth:`~ftrack_api.event.hub.EventHub.wait`,
acknowledgements passed to the callbacks waiting for them, heartbeats
answered (doc/protocol.rst, "Packets" and "Heartbeats").
"""

from __future__ import annotations

import collections.abc
import logging
import threading
from typing import Any, Callable, Dict, Mapping, Optional

import ftrack_api.event.base
import ftrack_api.event._reader
import ftrack_api.event._topics
import ftrack_api.exception
from ftrack_api.logging import LazyLogMessage as L

#: Keyword arguments of :class:`~ftrack_api.event.base.Event` taken from an
#: event received from the server; other keys are ignored
#: (doc/protocol.rst, "Event keys").
EVENT_KEYS = ("id", "topic", "data", "sent", "source", "target", "in_reply_to_event")


def _is_mapping(value: Any) -> bool:
    """Return whether *value* is a mapping (quickly for a plain dictionary)."""
    return type(value) is dict or isinstance(value, collections.abc.Mapping)


def event_from_payload(
    payload: Mapping[str, Any], logger: logging.Logger
) -> Optional[ftrack_api.event.base.Event]:
    """Return the event described by the decoded *payload*, or None.

    Keys other than those of an event are ignored; a missing or null target
    means no target. A payload that makes no event is logged on *logger*.
    """
    arguments = {}
    for key in EVENT_KEYS:
        if key in payload:
            arguments[key] = payload[key]
    if arguments.get("target") is None:
        arguments["target"] = ""
    try:
        return ftrack_api.event.base.Event(**arguments)
    except Exception:
        logger.exception(L("Failed to convert payload into event: {0}", payload))
        return None


class PacketHandler(object):
    """Act on the packets received by one hub, by packet name."""

    def __init__(self, hub: Any) -> None:
        """Act on behalf of *hub*."""
        self._hub = hub
        self._actions: Dict[str, Callable[[Optional[str]], None]] = {
            "event": self._on_event,
            "acknowledge": self._on_acknowledge,
            "heartbeat": self._on_heartbeat,
            "connect": self._on_connect,
            "disconnect": self._on_disconnect,
            "message": self._on_message,
            "error": self._on_error,
        }

    def handle(self, code: str, data: Optional[str]) -> None:
        """Act on a packet of *code* carrying *data*.

        A disconnection packet counts as losing the connection, which the
        hub re-establishes unless it disconnected on purpose.
        """
        name = self._hub._code_name_mapping.get(code)
        action = self._actions.get(name)
        if action is None:
            self._hub.logger.debug(L("{0}: {1}", name or code, data))
        else:
            action(data)

    def _on_event(self, data: Optional[str]) -> None:
        """Queue the event an event packet carries."""
        hub = self._hub
        try:
            payload = hub._decode(data)
        except (TypeError, ValueError) as error:
            hub.logger.debug(L("Ignoring undecodable event packet: {0}", error))
            return
        if not _is_mapping(payload):
            return
        args = payload.get("args", [])
        if isinstance(args, list) and len(args) == 1 and _is_mapping(args[0]):
            event = event_from_payload(args[0], hub.logger)
            if event is not None:
                hub._event_queue.put(event)

    def _on_acknowledge(self, data: Optional[str]) -> None:
        """Pass an acknowledgement to the callback waiting for it."""
        hub = self._hub
        parts = (data or "").split("+", 1)
        try:
            identifier = int(parts[0])
        except ValueError:
            hub.logger.debug(L("Ignoring acknowledgement {0!r}.", data))
            return
        args = []
        if len(parts) == 2:
            args = hub._decode(parts[1])
            if not isinstance(args, list):
                args = [args]
        try:
            callback = hub._pop_packet_callback(identifier)
        except KeyError:
            return
        callback(*args)

    def _on_heartbeat(self, data: Optional[str]) -> None:
        """Answer the server's heartbeat."""
        hub = self._hub
        try:
            hub._send_packet(hub._code_name_mapping["heartbeat"])
        except ftrack_api.exception.EventHubConnectionError as error:
            hub.logger.debug(L("Could not answer heartbeat: {0}", error))

    def _on_connect(self, data: Optional[str]) -> None:
        """Queue the local event telling that the server accepted the socket."""
        self._hub.logger.debug("Connected to event server.")
        self._hub._queue_meta_event(ftrack_api.event._topics.CONNECTED)

    def _on_disconnect(self, data: Optional[str]) -> None:
        """Treat the connection read by this thread (or the current one) as lost."""
        hub = self._hub
        hub.logger.debug("Disconnected from event server.")
        thread = threading.current_thread()
        reason = None
        if isinstance(thread, ftrack_api.event._reader.PacketReader):
            connection = thread.connection
            reason = thread.loss_reason
        else:
            connection = hub._connection
        hub._connections.connection_lost(
            connection, reason or "disconnected by the event server"
        )

    def _on_message(self, data: Optional[str]) -> None:
        """Log a plain message of the server."""
        self._hub.logger.debug(L("Message received: {0}", data))

    def _on_error(self, data: Optional[str]) -> None:
        """Log an error reported by the server."""
        self._hub.logger.error(L("Event server reported error: {0}.", data))
