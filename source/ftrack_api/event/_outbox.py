"""Sending published events to the event server, in order.

Each event goes out in a numbered event packet that the server acknowledges
(doc/protocol.rst, "Publishing"). While the hub is connecting, or
reconnecting, events wait in a queue and are sent, oldest first, once the
connection is up.
"""

from __future__ import annotations

import functools
import queue
import threading
from typing import Any, Callable, Optional

import ftrack_api.event._server_subscriptions
import ftrack_api.exception
from ftrack_api.logging import LazyLogMessage as L


class EventOutbox(object):
    """Send the events one hub publishes asynchronously."""

    def __init__(self, hub: Any) -> None:
        """Send the events of *hub*."""
        self._hub = hub
        #: Events published while the connection is being made, each an
        #: ``(event, synchronous, callback, on_reply)`` tuple.
        self.queue: queue.Queue = queue.Queue()
        # Serialises sending the queued events so that they keep their order.
        self._lock = threading.Lock()

    def send(
        self, event: Any, callback: Optional[Callable] = None, on_reply: Optional[Callable] = None
    ) -> Any:
        """Send *event* now, or queue it while the connection is being made.

        Events keep their order: while earlier ones wait in the queue, later
        ones wait behind them. Return True when the event was queued. Raise
        :exc:`ftrack_api.exception.EventHubConnectionError` when the hub is
        not connected nor connecting.
        """
        hub = self._hub
        connections = hub._connections
        if hub.connected:
            connecting = connections.connecting_thread
            if connecting is None:
                if not self.queue.queue:
                    return self._emit_now(event, callback, on_reply)
            elif connecting is threading.current_thread():
                return self._emit_now(event, callback, on_reply)
        elif not hub._connection_initialised or connections.reconnect_abandoned:
            raise ftrack_api.exception.EventHubConnectionError(
                "Cannot publish event asynchronously as not connected to server."
            )

        self.queue.put((event, False, callback, on_reply))
        hub.logger.debug(L("Queued event {0} until the connection is ready.", event["id"]))
        if connections.connecting_thread is None and hub.connected:
            self.send_queued()
        return True

    def _emit_now(self, event: Any, callback: Optional[Callable], on_reply: Optional[Callable]) -> Any:
        """Send *event* on the current connection, logging failures.

        When the connection is dropping (and the hub will reconnect) the
        event is queued instead, and True returned.
        """
        hub = self._hub
        try:
            self._send_event(event, callback, on_reply)
        except ftrack_api.exception.EventHubConnectionError:
            if hub._connection_initialised and not hub._intentional_disconnect:
                self.queue.put((event, False, callback, on_reply))
                return True
            hub.logger.exception(L("Error sending event {0}.", event))
        except Exception:
            hub.logger.exception(L("Error sending event {0}.", event))
        return None

    def _send_event(self, event: Any, callback: Optional[Callable], on_reply: Optional[Callable]) -> None:
        """Send *event* to the server, expecting an acknowledgement.

        Raise :exc:`ftrack_api.exception.EventHubConnectionError` when the
        connection cannot take it.
        """
        hub = self._hub
        if callback is None:
            callback = functools.partial(hub._on_published, event)
        if on_reply is not None:
            hub._replies.expect(event["id"], on_reply)
        hub._emit_event_packet(hub._event_namespace, event, callback=callback)

    def send_queued(self) -> None:
        """Send the queued events, oldest first.

        Stop, keeping the rest, when the connection cannot take them.
        """
        pending = self.queue
        with self._lock:
            while True:
                with pending.mutex:
                    if not pending.queue:
                        return
                    event, _, callback, on_reply = pending.queue[0]
                try:
                    self._send_event(event, callback, on_reply)
                except ftrack_api.exception.EventHubConnectionError:
                    return
                except Exception:
                    self._hub.logger.exception(L("Error sending event {0}.", event))
                pending.get_nowait()

    def log_refusal(self, event: Any, response: Any) -> None:
        """Log a refusal of the server to take the published *event*."""
        response = ftrack_api.event._server_subscriptions.response_mapping(response)
        if response.get("success", False) is False:
            self._hub.logger.error(
                L(
                    "Server responded with error while publishing event {0}. "
                    "Error was: {1}",
                    event,
                    response.get("message"),
                )
            )
