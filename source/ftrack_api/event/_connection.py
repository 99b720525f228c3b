"""Connecting a hub to the event server, and keeping it connected.

:class:`ConnectionManager` opens the WebSocket after the handshake
(doc/protocol.rst, "Handshake"), starts the thread reading it, closes it on
:meth:`~ftrack_api.event.hub.EventHub.disconnect` and re-establishes a
connection lost by itself, in the background, with the same subscribers.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Optional

import ftrack_api.event._reader
import ftrack_api.event._socketio
import ftrack_api.event._topics
import ftrack_api.exception
from ftrack_api.logging import LazyLogMessage as L


class ConnectionManager(object):
    """Open, close and re-open the connection of one hub."""

    def __init__(self, hub: Any) -> None:
        """Manage the connection of *hub* (its ``_connection``)."""
        self._hub = hub
        #: Held while the connection changes (connect, disconnect, loss).
        self.lock = threading.RLock()
        #: The thread reading the current connection.
        self.processor_thread: Optional[ftrack_api.event._reader.PacketReader] = None
        #: The thread running connect() between opening the socket and
        #: sending the queued events; its own publishes (the subscriptions)
        #: go out at once, those of other threads wait in the queue.
        self.connecting_thread: Optional[threading.Thread] = None
        #: Set by disconnect(): ends automatic reconnection.
        self.stop_reconnecting = threading.Event()
        #: True once automatic reconnection gave up: publishing then fails
        #: instead of queueing events for a connection that will not come.
        self.reconnect_abandoned = False
        #: Counts disconnect() calls; a background connect started before
        #: one of them does not connect anymore.
        self.disconnections = 0
        #: Automatic reconnection after an unexpected disconnection: number
        #: of attempts, and the longest pause between two of them (the first
        #: pauses are shorter: half a second, doubling up to this value).
        self.attempts = 30
        self.delay = 10
        #: Seconds disconnect() waits for the reading thread to end.
        self.wait_timeout = 4

    # ------------------------------------------------------------------
    # Connecting.
    # ------------------------------------------------------------------
    def connect(self) -> None:
        """Connect the hub (see :meth:`~ftrack_api.event.hub.EventHub.connect`)."""
        hub = self._hub
        with self.lock:
            initialised_here = not hub._connection_initialised
            if initialised_here:
                hub.init_connection()

            if hub.connected:
                raise ftrack_api.exception.EventHubConnectionError("Already connected.")

            hub._intentional_disconnect = False
            self.stop_reconnecting.clear()

            try:
                connection = self.open_connection()
            except Exception as error:
                if initialised_here:
                    # A failed first connect leaves the hub as it was.
                    hub._connection_initialised = False
                message = (
                    "Failed to connect to event server at {server_url} with "
                    'error: "{error}".'
                )
                details = {"error": str(error), "server_url": hub.get_server_url()}
                hub.logger.debug(L(message, **details), exc_info=1)
                raise ftrack_api.exception.EventHubConnectionError(
                    message, details=details
                )

            self._start(connection)

    def open_connection(self) -> Any:
        """Perform the handshake and return the open WebSocket."""
        hub = self._hub
        return ftrack_api.event._socketio.open_websocket(
            hub.get_network_location(),
            hub.secure,
            hub._get_socket_io_session(),
            hub._headers,
            hub._cookies,
        )

    def _start(self, connection: Any) -> None:
        """Use the freshly opened *connection* (lock held).

        Start reading it, announce the subscribers, send the queued events
        and wait a little for the server to confirm the subscriptions.
        """
        hub = self._hub
        self.connecting_thread = threading.current_thread()
        try:
            hub._connection = connection
            self.reconnect_abandoned = False
            self.processor_thread = ftrack_api.event._reader.PacketReader(hub, connection)
            self.processor_thread.start()
            hub._replies.listen()
            confirmations = hub._announcer.announce_all()
            hub._send_queued_events()
        finally:
            self.connecting_thread = None
        # Events queued by other threads while the above ran.
        hub._send_queued_events()
        hub._announcer.await_confirmations(confirmations)

    def connect_in_background(self) -> threading.Thread:
        """Connect from a new thread and return that thread.

        The hub is marked as meant to be connected at once, so events
        published meanwhile are queued and ``wait()`` may be called. A
        disconnect made before the connection is up cancels it.
        """
        hub = self._hub
        hub.init_connection()
        generation = self.disconnections

        def run() -> None:
            with self.lock:
                if self.disconnections != generation or hub.connected:
                    return
                try:
                    hub.connect()
                except Exception as error:
                    hub.logger.warning(
                        L("Could not connect event hub automatically: {0}", error)
                    )

        thread = threading.Thread(target=run, name="ftrack-event-hub-connect")
        thread.daemon = True
        thread.start()
        return thread

    # ------------------------------------------------------------------
    # Disconnecting.
    # ------------------------------------------------------------------
    def disconnect(self, unsubscribe: bool = True, reconnect: bool = False) -> None:
        """Disconnect the hub (see :meth:`~ftrack_api.event.hub.EventHub.disconnect`)."""
        hub = self._hub
        with self.lock:
            if not hub.connected:
                if not reconnect:
                    self.cancel_connecting()
                raise ftrack_api.exception.EventHubConnectionError(
                    "Not currently connected."
                )

            hub._intentional_disconnect = True
            self.stop_reconnecting.set()
            if not reconnect:
                hub._connection_initialised = False
                self.disconnections += 1

            if unsubscribe:
                for subscriber in hub._subscribers[:]:
                    try:
                        hub.unsubscribe(subscriber.metadata["id"])
                    except ftrack_api.exception.NotFoundError:
                        pass

            connection = hub._connection
            hub._connection = None
            hub._announcer.announced = False

            thread = self.processor_thread
            if thread is not None:
                thread.cancel()
            self.close(connection)
            if thread is not None and thread is not threading.current_thread():
                thread.join(self.wait_timeout)

            if not reconnect:
                hub._queue_meta_event(ftrack_api.event._topics.DISCONNECTED)

    def cancel_connecting(self) -> None:
        """Stop a pending background connection or automatic reconnection.

        Nothing changes for a hub that is not meant to be connected.
        """
        hub = self._hub
        if not hub._connection_initialised:
            return
        self.stop_reconnecting.set()
        self.disconnections += 1
        hub._connection_initialised = False
        hub._queue_meta_event(ftrack_api.event._topics.DISCONNECTED)

    @staticmethod
    def close(connection: Any) -> None:
        """Close *connection*, ignoring errors of an already broken socket."""
        try:
            try:
                connection.close(timeout=1)
            except TypeError:
                # A connection object whose close() takes no timeout.
                connection.close()
        except Exception:
            pass

    # ------------------------------------------------------------------
    # Reconnecting.
    # ------------------------------------------------------------------
    def reconnect(self, attempts: int = 10, delay: float = 5) -> None:
        """Reconnect the hub (see :meth:`~ftrack_api.event.hub.EventHub.reconnect`)."""
        hub = self._hub
        try:
            hub.disconnect(unsubscribe=False, reconnect=True)
        except ftrack_api.exception.EventHubConnectionError:
            pass

        for attempt in range(attempts):
            if hub.connected:
                break
            hub.logger.debug(L("Reconnect attempt {0} of {1}", attempt + 1, attempts))
            try:
                hub.connect()
            except ftrack_api.exception.EventHubConnectionError as error:
                hub.logger.debug(L("Reconnect attempt failed: {0}", error))
                if attempt + 1 < attempts:
                    time.sleep(delay)
            else:
                break

        if not hub.connected:
            raise ftrack_api.exception.EventHubConnectionError(
                "Failed to reconnect to event server at {0} after {1} "
                "attempts.".format(hub.get_server_url(), attempts)
            )

    def connection_lost(self, connection: Any, reason: str) -> None:
        """React to *connection* ending without a disconnect.

        Unless the disconnection was intentional, reconnect in this thread
        (the reading thread of the lost connection): up to :attr:`attempts`
        attempts, the pause between them doubling from half a second up to
        :attr:`delay`. Events published meanwhile are queued. When every
        attempt failed a local ``ftrack.meta.disconnected`` event is queued
        and later publishes fail.
        """
        if not self._forget(connection):
            return
        self._hub.logger.warning(
            L("Lost connection to the event server ({0}); reconnecting.", reason)
        )
        if not self._reconnect_after_loss():
            self._give_up()

    def _forget(self, connection: Any) -> bool:
        """Drop the lost *connection*; return whether to reconnect."""
        hub = self._hub
        with self.lock:
            if connection is None or connection is not hub._connection:
                return False
            hub._connection = None
            hub._announcer.announced = False
            thread = self.processor_thread
            if thread is not None and thread.connection is connection:
                thread.cancel()
            try:
                getattr(connection, "shutdown", connection.close)()
            except Exception:
                pass
            return not hub._intentional_disconnect

    def _stopped(self) -> bool:
        """Return whether reconnecting is over: connected, or told to stop."""
        hub = self._hub
        return (
            hub.connected
            or hub._intentional_disconnect
            or self.stop_reconnecting.is_set()
        )

    def _reconnect_after_loss(self) -> bool:
        """Try to reconnect; return False when every attempt failed."""
        hub = self._hub
        delay = min(0.5, self.delay)
        for attempt in range(max(1, self.attempts)):
            if self.stop_reconnecting.wait(delay):
                return True
            with self.lock:
                if self._stopped():
                    return True
                try:
                    hub.connect()
                except ftrack_api.exception.EventHubConnectionError as error:
                    hub.logger.debug(
                        L("Reconnection attempt {0} failed: {1}", attempt + 1, error)
                    )
                else:
                    hub.logger.info("Reconnected to the event server.")
                    return True
            delay = min(delay * 2, self.delay)
        return False

    def _give_up(self) -> None:
        """Stop reconnecting for good, unless the hub got connected meanwhile."""
        hub = self._hub
        with self.lock:
            if self._stopped():
                return
            self.reconnect_abandoned = True
        hub.logger.error("Could not reconnect to the event server; giving up.")
        hub._queue_meta_event(ftrack_api.event._topics.DISCONNECTED)
