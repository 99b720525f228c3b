"""Event hub: subscribe callbacks to events and publish events to them.

Every :class:`ftrack_api.session.Session` owns one :class:`EventHub`. The hub
keeps the subscribers registered in this process and calls them when an
event matches their subscription (and the event's target matches the
subscriber's information).

Synchronous publishing only involves these local subscribers and returns
their results. Asynchronous publishing goes through the ftrack event server,
which speaks the legacy Socket.IO 0.9 protocol: an HTTP handshake hands out
a session id, then one WebSocket carries text packets
``<code>:<packet id>:<path>:<data>``. Once :meth:`EventHub.connect` has been
called the hub holds that WebSocket in ``_connection``, tells the server
about every subscriber (so the server only forwards events someone here
wants), sends published events through it and queues the events it
receives; a background thread reads the socket. Queued events are handed to
the subscribers by :meth:`EventHub.wait`, in the thread calling it.

A connection lost without :meth:`EventHub.disconnect` is re-established in
the background with the same subscribers. While the hub is connecting (or
reconnecting) published events wait in ``_event_send_queue`` and are sent,
in order, once the connection is up.
"""

import collections
import collections.abc
import functools
import json
import logging
import operator
import platform
import queue
import socket
import threading
import time
import urllib.parse
import uuid

import requests
import requests.exceptions
import websocket

import ftrack_api.event.base
import ftrack_api.event.expression
import ftrack_api.event.subscriber
import ftrack_api.exception
from ftrack_api.logging import LazyLogMessage as L

#: Session details announced by the event server during the handshake.
SocketIoSession = collections.namedtuple(
    "SocketIoSession", ["id", "heartbeatTimeout", "supportedTransports"]
)

#: Parts of the server address: scheme, host name and port (None when the
#: address names no port).
ServerDetails = collections.namedtuple(
    "ServerDetails", ["scheme", "hostname", "port"]
)

#: Keyword arguments of :class:`~ftrack_api.event.base.Event` taken from an
#: event received from the server; other keys are ignored.
_EVENT_KEYS = (
    "id",
    "topic",
    "data",
    "sent",
    "source",
    "target",
    "in_reply_to_event",
)

#: Topics of the meta events exchanged with the server or queued locally.
_SUBSCRIBE_TOPIC = "ftrack.meta.subscribe"
_UNSUBSCRIBE_TOPIC = "ftrack.meta.unsubscribe"
_REPLY_TOPIC = "ftrack.meta.reply"
_CONNECTED_TOPIC = "ftrack.meta.connected"
_DISCONNECTED_TOPIC = "ftrack.meta.disconnected"

#: Seconds the handshake request and the WebSocket wait for the server.
#: The server sends heartbeats far more often, so a socket silent for this
#: long counts as lost.
_TIMEOUT = 60

#: Seconds :meth:`EventHub.connect` waits for the server to confirm the
#: subscriptions it was told about.
_CONFIRMATION_TIMEOUT = 5

#: Seconds :meth:`EventHub.wait` blocks at a time when it has no duration,
#: so that it stays responsive to interruption.
_WAIT_POLL = 0.5

#: Message of the error raised by :meth:`EventHub.wait` on a hub that is not
#: set up to receive events from the server.
_WAIT_WITHOUT_CONNECTION = (
    "Event hub does not have a connection to the event server and "
    "will therefore only be able to receive syncronous events."
    "Please see http://ftrack-python-api.rtd.ftrack.com/en/stable/"
    "release/migration.html#default-behavior-for-connecting-to-event-hub"
    " for further information."
)


_HOST_NAME = []


def _host_name():
    """Return the network name of this machine (looked up once)."""
    if not _HOST_NAME:
        _HOST_NAME.append(platform.node())
    return _HOST_NAME[0]


def _as_dict(mapping):
    """Return *mapping* as a plain dictionary.

    Raise :exc:`TypeError` when *mapping* is not a mapping.
    """
    if not isinstance(mapping, collections.abc.Mapping):
        raise TypeError("Expected mapping, got {0!r}.".format(mapping))
    return dict(mapping)


_PLAIN_DECODER = json.JSONDecoder()


def _json_value(decoder, string):
    """Return the value of the JSON text *string* read by *decoder*.

    Text that is exactly one JSON value (what the server sends) is read by
    the decoder's scanner directly; anything else goes through
    :meth:`json.JSONDecoder.decode`, which also reports the errors.
    """
    try:
        value, end = decoder.scan_once(string, 0)
    except StopIteration:
        end = -1
    if end == len(string):
        return value
    return decoder.decode(string)


def _response_mapping(response):
    """Return the server's acknowledgement *response* as a mapping."""
    if type(response) is dict or isinstance(response, collections.abc.Mapping):
        return response
    return {}


class EventHub(object):
    """Route events between local subscribers and the ftrack event server."""

    def __init__(self, server_url, api_user, api_key, headers=None, cookies=None):
        """Initialise hub for the event server at *server_url*.

        *api_user* and *api_key* are the credentials used for the handshake
        with the event server. *headers* is an optional mapping of extra
        HTTP headers and *cookies* an optional mapping of cookies, both sent
        when connecting.

        Raise :exc:`ValueError` when *server_url* has no scheme or no host
        name, and :exc:`TypeError` when *headers* or *cookies* is not a
        mapping. Nothing is connected here; see :meth:`connect`.
        """
        super(EventHub, self).__init__()
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)
        self.id = uuid.uuid4().hex

        # The WebSocket to the event server (``websocket.WebSocket``), or None.
        self._connection = None

        # Packet identifiers asked from the server for acknowledgements, and
        # the callbacks waiting for them.
        self._unique_packet_id = 0
        self._packet_callbacks = {}
        self._lock = threading.RLock()

        # Seconds disconnect() waits for the reading thread to end.
        self._wait_timeout = 4

        self._subscribers = []
        self._reply_callbacks = {}
        self._intentional_disconnect = False

        # Events to hand to subscribers in wait(), and events published
        # while the connection is being made (each an ``(event, synchronous,
        # callback, on_reply)`` tuple) to send once connected.
        self._event_queue = queue.Queue()
        self._event_send_queue = queue.Queue()
        self._event_namespace = "ftrack.event"
        self._expression_parser = ftrack_api.event.expression.Parser()

        # True once the hub is meant to be connected (connect() or
        # init_connection() was called, and no disconnect() since): events
        # published without a live connection are then queued, not refused.
        self._connection_initialised = False

        # Automatic reconnection after an unexpected disconnection: number
        # of attempts, and the longest pause between two of them (the first
        # pauses are shorter: half a second, doubling up to this value).
        self._auto_reconnect_attempts = 30
        self._auto_reconnect_delay = 10

        # Socket.IO packet codes and their names, both ways.
        self._code_name_mapping = {
            "0": "disconnect",
            "1": "connect",
            "2": "heartbeat",
            "3": "message",
            "4": "json",
            "5": "event",
            "6": "acknowledge",
            "7": "error",
        }
        self._code_name_mapping.update(
            [(name, code) for code, name in list(self._code_name_mapping.items())]
        )

        self._server_url = server_url
        self._api_user = api_user
        self._api_key = api_key

        url_parts = urllib.parse.urlparse(server_url)
        if not url_parts.scheme:
            raise ValueError("Could not determine scheme from server url.")
        if not url_parts.hostname:
            raise ValueError("Could not determine hostname from server url.")
        self.server = ServerDetails(
            url_parts.scheme, url_parts.hostname, url_parts.port
        )

        self._cookies = _as_dict(cookies or {})
        self._headers = _as_dict(headers or {})

        # The thread reading the current connection.
        self._processor_thread = None

        # Held while the connection changes (connect, disconnect, loss).
        self._connection_lock = threading.RLock()
        # Serialises sending the queued events so that they keep their order.
        self._send_queue_lock = threading.Lock()
        # The thread running connect() between opening the socket and
        # sending the queued events; its own publishes (the subscriptions)
        # go out at once, those of other threads wait in the queue.
        self._connecting_thread = None
        # Whether the server of the current connection was told about the
        # subscribers (later subscribers are announced one by one).
        self._subscribers_announced = False
        # Subscriber id -> threading.Event set when the server confirmed it,
        # for the subscriptions sent by the connect() under way.
        self._pending_confirmations = {}
        # Set by disconnect(): ends automatic reconnection.
        self._stop_reconnecting = threading.Event()
        # True once automatic reconnection gave up: publishing then fails
        # instead of queueing events for a connection that will not come.
        self._reconnect_abandoned = False
        # Counts disconnect() calls; a background connect started before
        # one of them does not connect anymore.
        self._disconnections = 0
        # JSON encoder and decoder of _encode() and _decode(), made on
        # first use (again if the hooks are replaced).
        self._json_encoder = None
        self._json_decoder = None

    # ------------------------------------------------------------------
    # Server address and connection state.
    # ------------------------------------------------------------------
    def get_server_url(self):
        """Return URL of the server (scheme, host and port only)."""
        return "{0}://{1}".format(self.server.scheme, self.get_network_location())

    def get_network_location(self):
        """Return ``host`` or, when the server address has a port, ``host:port``."""
        if self.server.port:
            return "{0}:{1}".format(self.server.hostname, self.server.port)
        return self.server.hostname

    @property
    def secure(self):
        """Return whether the connection to the server is secure (https)."""
        return self.server.scheme == "https"

    @property
    def connected(self):
        """Return whether the hub has a live connection to the event server."""
        connection = self._connection
        return connection is not None and bool(connection.connected)

    @property
    def reconnect_attempts(self):
        """Number of automatic reconnection attempts after losing the connection."""
        return self._auto_reconnect_attempts

    @reconnect_attempts.setter
    def reconnect_attempts(self, value):
        self._auto_reconnect_attempts = value

    @property
    def reconnect_delay(self):
        """Longest pause in seconds between two automatic reconnection attempts."""
        return self._auto_reconnect_delay

    @reconnect_delay.setter
    def reconnect_delay(self, value):
        self._auto_reconnect_delay = value

    # ------------------------------------------------------------------
    # Connecting and disconnecting.
    # ------------------------------------------------------------------
    def init_connection(self):
        """Mark the hub as meant to be connected.

        From then on events published asynchronously before the connection
        is up are queued and sent once :meth:`connect` succeeds, and
        :meth:`wait` may be called. :meth:`connect` calls this itself; call
        it first when connecting from another thread.
        """
        self.logger.debug("Event hub connection initialised.")
        self._connection_initialised = True

    def connect(self):
        """Connect to the event server.

        Once connected, the server is told about every local subscriber and
        the events published while the connection was being made are sent.
        Return when the server has confirmed the subscriptions (or after a
        few seconds at most).

        Raise :exc:`ftrack_api.exception.EventHubConnectionError` if already
        connected or if the connection fails.
        """
        with self._connection_lock:
            initialised_here = not self._connection_initialised
            if initialised_here:
                self.init_connection()

            if self.connected:
                raise ftrack_api.exception.EventHubConnectionError(
                    "Already connected."
                )

            self._intentional_disconnect = False
            self._stop_reconnecting.clear()

            try:
                connection = self._open_connection()
            except Exception as error:
                if initialised_here:
                    # A failed first connect leaves the hub as it was.
                    self._connection_initialised = False
                message = (
                    "Failed to connect to event server at {server_url} with "
                    'error: "{error}".'
                )
                details = {"error": str(error), "server_url": self.get_server_url()}
                self.logger.debug(L(message, **details), exc_info=1)
                raise ftrack_api.exception.EventHubConnectionError(
                    message, details=details
                )

            self._start_connection(connection)

    def _open_connection(self):
        """Perform the Socket.IO handshake and return the open WebSocket."""
        session = self._get_socket_io_session()
        if "websocket" not in session.supportedTransports:
            raise ValueError("Server does not support websocket sessions.")

        scheme = "wss" if self.secure else "ws"
        url = "{0}://{1}/socket.io/1/websocket/{2}".format(
            scheme, self.get_network_location(), session.id
        )
        cookie = "; ".join(
            "{0}={1}".format(name, value) for name, value in self._cookies.items()
        )
        return websocket.create_connection(
            url,
            timeout=_TIMEOUT,
            enable_multithread=True,
            header=["{0}: {1}".format(*item) for item in self._headers.items()],
            cookie=cookie or None,
            # Text frames are decoded as UTF-8 when read, which refuses
            # invalid data already; the library's own byte by byte check
            # would only cost time on every frame.
            skip_utf8_validation=True,
        )

    def _start_connection(self, connection):
        """Use the freshly opened *connection* (connection lock held).

        Start reading it, announce the subscribers, send the queued events
        and wait a little for the server to confirm the subscriptions.
        """
        self._connecting_thread = threading.current_thread()
        try:
            self._connection = connection
            self._reconnect_abandoned = False
            self._processor_thread = _ProcessorThread(self, connection)
            self._processor_thread.start()

            # The hub's own subscriber receiving replies. It is only added
            # locally: the loop below tells the server about it.
            try:
                self._add_subscriber(
                    "topic={0}".format(_REPLY_TOPIC),
                    self._handle_reply,
                    subscriber=dict(id=self.id),
                )
            except ftrack_api.exception.NotUniqueError:
                pass

            with self._lock:
                subscribers = self._subscribers[:]
                self._subscribers_announced = True
                confirmations = [threading.Event() for _ in subscribers]
                self._pending_confirmations = dict(
                    (subscriber.metadata.get("id"), confirmation)
                    for subscriber, confirmation in zip(subscribers, confirmations)
                )

            for subscriber in subscribers:
                try:
                    self._notify_server_about_subscriber(subscriber)
                except ftrack_api.exception.EventHubConnectionError as error:
                    self.logger.debug(
                        L("Could not announce subscriber {0}: {1}", subscriber, error)
                    )

            self._send_queued_events()
        finally:
            self._connecting_thread = None
        # Events queued by other threads while the above ran.
        self._send_queued_events()

        deadline = time.monotonic() + _CONFIRMATION_TIMEOUT
        for confirmation in confirmations:
            if not confirmation.wait(max(0, deadline - time.monotonic())):
                self.logger.warning(
                    "The event server did not confirm all subscriptions in "
                    "time; some events may be missed until it does."
                )
                break
        self._pending_confirmations = {}

    def _connect_in_background(self):
        """Connect from a new thread and return that thread.

        The hub is marked as meant to be connected at once, so events
        published meanwhile are queued and :meth:`wait` may be called. A
        :meth:`disconnect` made before the connection is up cancels it.
        """
        self.init_connection()
        generation = self._disconnections

        def run():
            with self._connection_lock:
                if self._disconnections != generation or self.connected:
                    return
                try:
                    self.connect()
                except Exception as error:
                    self.logger.warning(
                        L("Could not connect event hub automatically: {0}", error)
                    )

        thread = threading.Thread(target=run, name="ftrack-event-hub-connect")
        thread.daemon = True
        thread.start()
        return thread

    def disconnect(self, unsubscribe=True, reconnect=False):
        """Disconnect from the event server.

        When *unsubscribe* is True every subscriber is unsubscribed first
        (see :meth:`unsubscribe`: removed locally, and the server told).
        *reconnect* is True when the disconnection is part of
        :meth:`reconnect`: the hub then stays marked as meant to be
        connected, so events published meanwhile are queued. Otherwise a
        local ``ftrack.meta.disconnected`` event is queued, which ends a
        running :meth:`wait`.

        Raise :exc:`ftrack_api.exception.EventHubConnectionError` if not
        currently connected (a connection still being made in the
        background, or an automatic reconnection, is cancelled first).
        """
        with self._connection_lock:
            if not self.connected:
                if not reconnect:
                    self._cancel_connecting()
                raise ftrack_api.exception.EventHubConnectionError(
                    "Not currently connected."
                )

            self._intentional_disconnect = True
            self._stop_reconnecting.set()
            if not reconnect:
                self._connection_initialised = False
                self._disconnections += 1

            if unsubscribe:
                for subscriber in self._subscribers[:]:
                    try:
                        self.unsubscribe(subscriber.metadata["id"])
                    except ftrack_api.exception.NotFoundError:
                        pass

            connection = self._connection
            self._connection = None
            self._subscribers_announced = False

            thread = self._processor_thread
            if thread is not None:
                thread.cancel()
            self._close_connection(connection)
            if thread is not None and thread is not threading.current_thread():
                thread.join(self._wait_timeout)

            if not reconnect:
                self._queue_meta_event(_DISCONNECTED_TOPIC)

    def _cancel_connecting(self):
        """Stop a pending background connection or automatic reconnection.

        Nothing changes for a hub that is not meant to be connected.
        """
        if not self._connection_initialised:
            return
        self._stop_reconnecting.set()
        self._disconnections += 1
        self._connection_initialised = False
        self._queue_meta_event(_DISCONNECTED_TOPIC)

    @staticmethod
    def _close_connection(connection):
        """Close *connection*, ignoring errors of an already broken socket."""
        try:
            try:
                connection.close(timeout=1)
            except TypeError:
                # A connection object whose close() takes no timeout.
                connection.close()
        except Exception:
            pass

    def reconnect(self, attempts=10, delay=5):
        """Reconnect to the event server.

        Make up to *attempts* attempts, *delay* seconds apart. Every
        subscriber is announced to the server again once connected, and
        events published meanwhile are sent.

        Raise :exc:`ftrack_api.exception.EventHubConnectionError` when every
        attempt failed.
        """
        try:
            self.disconnect(unsubscribe=False, reconnect=True)
        except ftrack_api.exception.EventHubConnectionError:
            pass

        for attempt in range(attempts):
            if self.connected:
                break
            self.logger.debug(L("Reconnect attempt {0} of {1}", attempt + 1, attempts))
            try:
                self.connect()
            except ftrack_api.exception.EventHubConnectionError as error:
                self.logger.debug(L("Reconnect attempt failed: {0}", error))
                if attempt + 1 < attempts:
                    time.sleep(delay)
            else:
                break

        if not self.connected:
            raise ftrack_api.exception.EventHubConnectionError(
                "Failed to reconnect to event server at {0} after {1} "
                "attempts.".format(self.get_server_url(), attempts)
            )

    def _connection_lost(self, connection, reason):
        """React to *connection* ending without :meth:`disconnect`.

        Unless the disconnection was intentional, reconnect in this thread
        (the reading thread of the lost connection): up to
        ``_auto_reconnect_attempts`` attempts, the pause between them
        doubling from half a second up to ``_auto_reconnect_delay``. Events
        published meanwhile are queued. When every attempt failed a local
        ``ftrack.meta.disconnected`` event is queued and later publishes
        fail.
        """
        with self._connection_lock:
            if connection is None or connection is not self._connection:
                return
            self._connection = None
            self._subscribers_announced = False
            thread = self._processor_thread
            if thread is not None and thread.connection is connection:
                thread.cancel()
            try:
                getattr(connection, "shutdown", connection.close)()
            except Exception:
                pass
            if self._intentional_disconnect:
                return

        self.logger.warning(
            L("Lost connection to the event server ({0}); reconnecting.", reason)
        )
        delay = min(0.5, self._auto_reconnect_delay)
        for attempt in range(max(1, self._auto_reconnect_attempts)):
            if self._stop_reconnecting.wait(delay):
                return
            with self._connection_lock:
                if self._stop_reconnecting.is_set() or self._intentional_disconnect:
                    return
                if self.connected:
                    return
                try:
                    self.connect()
                except ftrack_api.exception.EventHubConnectionError as error:
                    self.logger.debug(
                        L("Reconnection attempt {0} failed: {1}", attempt + 1, error)
                    )
                else:
                    self.logger.info("Reconnected to the event server.")
                    return
            delay = min(delay * 2, self._auto_reconnect_delay)

        with self._connection_lock:
            if (
                self.connected
                or self._intentional_disconnect
                or self._stop_reconnecting.is_set()
            ):
                return
            self._reconnect_abandoned = True
        self.logger.error("Could not reconnect to the event server; giving up.")
        self._queue_meta_event(_DISCONNECTED_TOPIC)

    # ------------------------------------------------------------------
    # Receiving events.
    # ------------------------------------------------------------------
    def wait(self, duration=None):
        """Wait for events and handle them as they arrive.

        Received events are handed to the subscribers in this thread. Wait
        *duration* seconds (a float is fine) or, without *duration*, until
        interrupted. An ``ftrack.meta.disconnected`` event (queued when the
        hub disconnects) ends the wait early.

        Raise :exc:`ftrack_api.exception.EventHubConnectionError` when the
        hub is not connected nor connecting.
        """
        if not self._connection_initialised:
            raise ftrack_api.exception.EventHubConnectionError(
                _WAIT_WITHOUT_CONNECTION
            )

        deadline = None if duration is None else time.monotonic() + duration
        get = self._event_queue.get
        while True:
            if deadline is None:
                timeout = _WAIT_POLL
            else:
                timeout = max(0, deadline - time.monotonic())
            try:
                event = get(timeout=timeout)
            except queue.Empty:
                pass
            else:
                self._handle(event)
                if event["topic"] == _DISCONNECTED_TOPIC:
                    break

            if deadline is not None and time.monotonic() >= deadline:
                break

    def _queue_meta_event(self, topic):
        """Queue a local event about the connection for :meth:`wait`."""
        event = ftrack_api.event.base.Event(topic)
        self._prepare_event(event)
        self._event_queue.put(event)

    # ------------------------------------------------------------------
    # Subscribers.
    # ------------------------------------------------------------------
    def get_subscriber_by_identifier(self, identifier):
        """Return subscriber with matching *identifier*, or None."""
        for subscriber in self._subscribers[:]:
            if subscriber.metadata.get("id") == identifier:
                return subscriber
        return None

    def subscribe(self, subscription, callback, subscriber=None, priority=100):
        """Register *callback* for events matching *subscription*.

        *subscription* is an expression (see
        :mod:`ftrack_api.event.expression`) tested against each event, for
        example ``'topic=foo and data.eventType=Shot'``. *callback* is
        called with the matching :class:`~ftrack_api.event.base.Event` as
        its sole argument; a callback may call ``event.stop()`` to keep the
        event from the callbacks after it.

        *subscriber* is an optional mapping of information about the
        subscriber, which event targets are matched against; an ``id`` is
        added to it when missing. *priority* orders the callbacks of this
        hub: lower numbers are called first (default 100).

        The server is told about the subscriber when connected (otherwise
        when the hub connects); until it has processed that, events may not
        reach the callback yet.

        Return the subscriber identifier. Raise
        :exc:`ftrack_api.exception.NotUniqueError` when a subscriber with the
        same identifier exists already.
        """
        with self._lock:
            subscriber = self._add_subscriber(
                subscription, callback, subscriber, priority
            )
            announce = self._subscribers_announced

        if announce:
            try:
                self._notify_server_about_subscriber(subscriber)
            except ftrack_api.exception.EventHubConnectionError:
                self.logger.debug(
                    L(
                        "Could not tell the server about new subscriber {0}: "
                        "not connected.",
                        subscriber.metadata["id"],
                    )
                )

        return subscriber.metadata["id"]

    def _add_subscriber(self, subscription, callback, subscriber=None, priority=100):
        """Create, store and return a subscriber, locally only.

        Arguments are as for :meth:`subscribe`. Return the
        :class:`ftrack_api.event.subscriber.Subscriber`. Raise
        :exc:`ftrack_api.exception.NotUniqueError` when a subscriber with
        the same identifier exists already.
        """
        if subscriber is None:
            subscriber = {}
        if subscriber.get("id") is None:
            subscriber["id"] = uuid.uuid4().hex

        with self._lock:
            if self.get_subscriber_by_identifier(subscriber["id"]) is not None:
                raise ftrack_api.exception.NotUniqueError(
                    "Subscriber with identifier {0} already exists.".format(
                        subscriber["id"]
                    )
                )

            instance = ftrack_api.event.subscriber.Subscriber(
                subscription=subscription,
                callback=callback,
                metadata=subscriber,
                priority=priority,
            )
            self._subscribers.append(instance)

        return instance

    def _notify_server_about_subscriber(self, subscriber):
        """Publish the ``ftrack.meta.subscribe`` event for *subscriber*."""
        subscribe_event = ftrack_api.event.base.Event(
            topic=_SUBSCRIBE_TOPIC,
            data=dict(
                subscriber=subscriber.metadata,
                subscription=str(subscriber.subscription),
            ),
        )
        self._publish(
            subscribe_event,
            callback=functools.partial(self._on_subscribed, subscriber),
        )

    def _on_subscribed(self, subscriber, response):
        """Handle the server's answer to subscribing *subscriber*."""
        response = _response_mapping(response)
        if response.get("success") is False:
            self.logger.warning(
                L(
                    "Server failed to subscribe subscriber {0}: {1}",
                    subscriber.metadata["id"],
                    response.get("message"),
                )
            )
        confirmation = self._pending_confirmations.pop(
            subscriber.metadata.get("id"), None
        )
        if confirmation is not None:
            confirmation.set()

    def unsubscribe(self, subscriber_identifier):
        """Remove subscriber with *subscriber_identifier*.

        The subscriber is removed locally at once; the server is told when
        connected.

        Raise :exc:`ftrack_api.exception.NotFoundError` when no such
        subscriber exists.
        """
        with self._lock:
            subscriber = self.get_subscriber_by_identifier(subscriber_identifier)
            if subscriber is None:
                raise ftrack_api.exception.NotFoundError(
                    "Cannot unsubscribe missing subscriber with identifier "
                    "{0}".format(subscriber_identifier)
                )
            self._subscribers.remove(subscriber)
            announced = self._subscribers_announced

        if not announced:
            return

        unsubscribe_event = ftrack_api.event.base.Event(
            topic=_UNSUBSCRIBE_TOPIC, data=dict(subscriber=subscriber.metadata)
        )
        try:
            self._publish(
                unsubscribe_event,
                callback=functools.partial(self._on_unsubscribed, subscriber),
            )
        except ftrack_api.exception.EventHubConnectionError:
            self.logger.debug(
                L(
                    "Could not tell the server to unsubscribe subscriber {0}: "
                    "not connected.",
                    subscriber.metadata["id"],
                )
            )

    def _on_unsubscribed(self, subscriber, response):
        """Handle the server's answer to unsubscribing *subscriber*."""
        response = _response_mapping(response)
        if response.get("success") is not True:
            self.logger.warning(
                L(
                    "Server failed to unsubscribe subscriber {0}: {1}",
                    subscriber.metadata["id"],
                    response.get("message"),
                )
            )

    def subscription(self, subscription, callback, subscriber=None, priority=100):
        """Return a context manager subscribing *callback* for its duration.

        Arguments are as for :meth:`subscribe`. Entering the context
        subscribes (and gives the subscriber identifier), leaving it
        unsubscribes.
        """
        return _SubscriptionContext(
            self, subscription, callback, subscriber=subscriber, priority=priority
        )

    # ------------------------------------------------------------------
    # Publishing.
    # ------------------------------------------------------------------
    def _prepare_event(self, event):
        """Fill in the source of *event* (hub id, user and host) where missing."""
        source = event.get("source")
        if source is None:
            source = {}
            event["source"] = source
        if "id" not in source:
            source["id"] = self.id
        if "user" not in source:
            source["user"] = {"username": self._api_user}
        if "host" not in source:
            source["host"] = _host_name()

    def _prepare_reply_event(self, event, source_event, source=None):
        """Make *event* a reply to *source_event*.

        Target it to the sender of *source_event*, refer to that event and,
        when *source* is given, use it as the source of *event*.
        """
        event["target"] = "id={0}".format(source_event["source"]["id"])
        event["in_reply_to_event"] = source_event["id"]
        if source is not None:
            event["source"] = source

    def publish(self, event, synchronous=False, on_reply=None, on_error="raise"):
        """Publish *event*.

        When *synchronous* is True only the local subscribers are called, in
        priority order, and the list of their results is returned; nothing
        is sent to the server.

        Otherwise the event is sent to the event server, which forwards it
        to every interested subscriber, in this process or another. While a
        connection is being made (see :meth:`init_connection`) the event is
        queued and sent once connected, and True is returned. *on_reply* is
        called with each reply event received for the event (from
        :meth:`wait`).

        Raise :exc:`ftrack_api.exception.EventHubConnectionError` when the
        hub is not connected nor connecting, unless *on_error* is
        ``'ignore'``, which ignores any error. Failures to send the event
        once connected are logged, not raised.
        """
        try:
            return self._publish(event, synchronous=synchronous, on_reply=on_reply)
        except Exception:
            if on_error == "ignore":
                return None
            raise

    def publish_reply(self, source_event, data, source=None):
        """Publish a reply to *source_event* carrying *data*.

        *source* is optional information about the replying subscriber,
        used as the source of the reply.
        """
        reply_event = ftrack_api.event.base.Event(_REPLY_TOPIC, data=data)
        self._prepare_reply_event(reply_event, source_event, source=source)
        return self.publish(reply_event)

    def _publish(self, event, synchronous=False, callback=None, on_reply=None):
        """Publish *event* (see :meth:`publish`).

        *callback* is called with the server's answer to the event; by
        default a refusal is logged. *on_reply* is registered for replies
        to the event. Events keep their order: while earlier ones wait in
        the queue, later ones wait behind them.

        Return the results of the local subscribers when *synchronous*, and
        True when the event was queued. Raise
        :exc:`ftrack_api.exception.EventHubConnectionError` when the hub is
        not connected nor connecting.
        """
        self._prepare_event(event)

        if synchronous:
            return self._handle(event, synchronous=True)

        if self.connected:
            connecting = self._connecting_thread
            if connecting is None:
                if not self._event_send_queue.queue:
                    return self._emit_now(event, callback, on_reply)
            elif connecting is threading.current_thread():
                return self._emit_now(event, callback, on_reply)
        elif not self._connection_initialised or self._reconnect_abandoned:
            raise ftrack_api.exception.EventHubConnectionError(
                "Cannot publish event asynchronously as not connected to server."
            )

        self._event_send_queue.put((event, synchronous, callback, on_reply))
        self.logger.debug(
            L("Queued event {0} until the connection is ready.", event["id"])
        )
        if self._connecting_thread is None and self.connected:
            self._send_queued_events()
        return True

    def _emit_now(self, event, callback, on_reply):
        """Send *event* on the current connection, logging failures.

        When the connection is dropping (and the hub will reconnect) the
        event is queued instead, and True returned.
        """
        try:
            self._send_event(event, callback, on_reply)
        except ftrack_api.exception.EventHubConnectionError:
            if self._connection_initialised and not self._intentional_disconnect:
                self._event_send_queue.put((event, False, callback, on_reply))
                return True
            self.logger.exception(L("Error sending event {0}.", event))
        except Exception:
            self.logger.exception(L("Error sending event {0}.", event))
        return None

    def _send_event(self, event, callback, on_reply):
        """Send *event* to the server, expecting an acknowledgement.

        Raise :exc:`ftrack_api.exception.EventHubConnectionError` when the
        connection cannot take it.
        """
        if callback is None:
            callback = functools.partial(self._on_published, event)
        if on_reply is not None:
            self._reply_callbacks[event["id"]] = on_reply
        self._emit_event_packet(self._event_namespace, event, callback=callback)

    def _send_queued_events(self):
        """Send the events of ``_event_send_queue``, oldest first.

        Stop, keeping the rest, when the connection cannot take them.
        """
        pending = self._event_send_queue
        with self._send_queue_lock:
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
                    self.logger.exception(L("Error sending event {0}.", event))
                pending.get_nowait()

    def _on_published(self, event, response):
        """Log a refusal of the server to take the published *event*."""
        response = _response_mapping(response)
        if response.get("success", False) is False:
            self.logger.error(
                L(
                    "Server responded with error while publishing event {0}. "
                    "Error was: {1}",
                    event,
                    response.get("message"),
                )
            )

    # ------------------------------------------------------------------
    # Calling subscribers.
    # ------------------------------------------------------------------
    def _handle(self, event, synchronous=False):
        """Call the local subscribers interested in *event*.

        Subscribers are called in priority order, lower first; a stopped
        event reaches no further subscriber. When the event has a target,
        only subscribers whose information matches it are called.

        Return the list of results of the callbacks that did not fail.
        Unless *synchronous*, a result other than None is published as a
        reply to the event.
        """
        subscribers = sorted(self._subscribers, key=operator.attrgetter("priority"))
        results = []

        target = event.get("target", None)
        target_expression = None
        if target:
            try:
                target_expression = self._expression_parser.parse(target)
            except Exception:
                self.logger.exception(
                    L(
                        "Cannot handle event as failed to parse event target "
                        "information: {0}",
                        event,
                    )
                )
                return results

        for subscriber in subscribers:
            if target_expression is not None and not target_expression.match(
                subscriber.metadata
            ):
                continue

            if not subscriber.interested_in(event):
                continue

            response = None
            try:
                response = subscriber.callback(event)
                results.append(response)
            except Exception:
                self.logger.exception(
                    L("Error calling subscriber {0} for event {1}.", subscriber, event)
                )

            if not synchronous and response is not None:
                try:
                    self.publish_reply(
                        event, data=response, source=dict(subscriber.metadata)
                    )
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

    def _handle_reply(self, event):
        """Call the reply callback registered for the event *event* answers."""
        callback = self._reply_callbacks.get(event["in_reply_to_event"], None)
        if callback is not None:
            callback(event)

    # ------------------------------------------------------------------
    # Socket.IO protocol.
    # ------------------------------------------------------------------
    def _get_socket_io_session(self):
        """Perform the Socket.IO handshake and return a :data:`SocketIoSession`.

        Raise :exc:`ftrack_api.exception.EventHubConnectionError` when the
        server cannot be reached or does not answer with status 200.
        """
        socket_io_url = "{0}://{1}/socket.io/1/".format(
            self.server.scheme, self.get_network_location()
        )
        request_headers = {
            "ftrack-user": self._api_user,
            "ftrack-api-key": self._api_key,
        }
        request_headers.update(self._headers)
        try:
            response = requests.get(
                socket_io_url,
                headers=request_headers,
                cookies=self._cookies,
                timeout=_TIMEOUT,
            )
        except requests.exceptions.Timeout as error:
            raise ftrack_api.exception.EventHubConnectionError(
                "Timed out connecting to server: {0}.".format(error)
            )
        except requests.exceptions.SSLError as error:
            raise ftrack_api.exception.EventHubConnectionError(
                "Failed to negotiate SSL with server: {0}.".format(error)
            )
        except requests.exceptions.ConnectionError as error:
            raise ftrack_api.exception.EventHubConnectionError(
                "Failed to connect to server: {0}.".format(error)
            )

        if response.status_code != 200:
            raise ftrack_api.exception.EventHubConnectionError(
                "Received unexpected status code {0}.".format(response.status_code)
            )

        # "<session id>:<heartbeat timeout>:<close timeout>:<transports>"
        fields = response.text.strip().split(":")
        return SocketIoSession(fields[0], fields[1], fields[3].split(","))

    def _add_packet_callback(self, callback):
        """Register *callback* under a new packet identifier.

        Return the identifier as written in the packet (``"<number>+"``,
        asking the server for an acknowledgement).
        """
        with self._lock:
            self._unique_packet_id += 1
            identifier = self._unique_packet_id
        self._packet_callbacks[identifier] = callback
        return str(identifier) + "+"

    def _pop_packet_callback(self, packet_identifier):
        """Remove and return the callback of *packet_identifier* (a number).

        Raise :exc:`KeyError` when none is registered.
        """
        return self._packet_callbacks.pop(packet_identifier)

    def _emit_event_packet(self, namespace, event, callback):
        """Send *event* in an event packet of *namespace*.

        *callback* is called with the server's acknowledgement.
        """
        # The event is given in its wire form already (what the encoder
        # would ask _encode_object_hook for anyway), which is quicker.
        data = self._encode(
            dict(name=namespace, args=[self._encode_object_hook(event)])
        )
        self._send_packet(
            self._code_name_mapping["event"], data=data, callback=callback
        )

    def _acknowledge_packet(self, packet_identifier, *args):
        """Acknowledge the server's packet *packet_identifier*, with *args*."""
        data = str(packet_identifier).rstrip("+")
        if args:
            data += "+" + self._encode(args)
        self._send_packet(self._code_name_mapping["acknowledge"], data=data)

    def _send_packet(self, code, data="", callback=None):
        """Send a packet of *code* with *data* through ``_connection``.

        With a *callback*, the packet asks for an acknowledgement, which is
        passed to it. Raise
        :exc:`ftrack_api.exception.EventHubConnectionError` when there is no
        connection or the socket fails.
        """
        packet_identifier = self._add_packet_callback(callback) if callback else ""
        packet = ":".join((str(code), packet_identifier, "", data))

        connection = self._connection
        try:
            if connection is None:
                raise ftrack_api.exception.EventHubConnectionError(
                    "Failed to send packet: not connected to the event server."
                )
            try:
                connection.send(packet)
            except (socket.error, websocket.WebSocketException) as error:
                raise ftrack_api.exception.EventHubConnectionError(
                    "Failed to send packet: {0}".format(error)
                )
        except Exception:
            if packet_identifier:
                self._packet_callbacks.pop(int(packet_identifier[:-1]), None)
            raise
        self.logger.debug("Sent packet: %s", packet)

    def _receive_packet(self):
        """Receive a packet from ``_connection``.

        Return ``(code, packet identifier, path, data)``; the parts the
        packet lacks are None. Raise
        :exc:`ftrack_api.exception.EventHubConnectionError` when the socket
        fails and :exc:`ftrack_api.exception.EventHubPacketError` when what
        arrived is not a packet.
        """
        return self._read_packet(self._connection)

    def _read_packet(self, connection):
        """Receive a packet from *connection* (see :meth:`_receive_packet`)."""
        try:
            packet = connection.recv()
        except UnicodeDecodeError as error:
            raise ftrack_api.exception.EventHubPacketError(
                "Received invalid packet: {0}".format(error)
            )
        except Exception as error:
            raise ftrack_api.exception.EventHubConnectionError(
                "Error receiving packet: {0}".format(error)
            )

        if isinstance(packet, bytes):
            packet = packet.decode("utf-8", "replace")
        if not packet:
            if not getattr(connection, "connected", False):
                raise ftrack_api.exception.EventHubConnectionError(
                    "Error receiving packet: the connection is closed."
                )
            raise ftrack_api.exception.EventHubPacketError(
                "Received invalid packet {0!r}".format(packet)
            )

        try:
            parts = packet.split(":", 3)
        except AttributeError:
            raise ftrack_api.exception.EventHubPacketError(
                "Received invalid packet {0}".format(packet)
            )

        count = len(parts)
        if count == 4:
            code, packet_identifier, path, data = parts
        elif count == 3:
            code, packet_identifier, path = parts
            data = None
        elif count == 1:
            code = parts[0]
            packet_identifier = path = data = None
        else:
            raise ftrack_api.exception.EventHubPacketError(
                "Received invalid packet {0}".format(packet)
            )

        self.logger.debug("Received packet: %s", packet)
        return code, packet_identifier, path, data

    def _handle_packet(self, code, packet_identifier, path, data):
        """Act on a packet received from the server.

        Received events are queued for :meth:`wait`, acknowledgements passed
        to the callbacks waiting for them, heartbeats answered. A
        disconnection packet counts as losing the connection, which is
        re-established unless the hub disconnected on purpose.
        """
        code_name = self._code_name_mapping.get(code)

        if code_name == "event":
            try:
                payload = self._decode(data)
            except (TypeError, ValueError) as error:
                self.logger.debug(L("Ignoring undecodable event packet: {0}", error))
                return
            if type(payload) is not dict and not isinstance(
                payload, collections.abc.Mapping
            ):
                return
            args = payload.get("args", [])
            if isinstance(args, list) and len(args) == 1:
                event_payload = args[0]
                if type(event_payload) is dict or isinstance(
                    event_payload, collections.abc.Mapping
                ):
                    event = self._event_from_payload(event_payload)
                    if event is not None:
                        self._event_queue.put(event)

        elif code_name == "acknowledge":
            parts = (data or "").split("+", 1)
            try:
                acknowledged_packet_identifier = int(parts[0])
            except ValueError:
                self.logger.debug(L("Ignoring acknowledgement {0!r}.", data))
                return
            args = []
            if len(parts) == 2:
                args = self._decode(parts[1])
                if not isinstance(args, list):
                    args = [args]
            try:
                callback = self._pop_packet_callback(acknowledged_packet_identifier)
            except KeyError:
                pass
            else:
                callback(*args)

        elif code_name == "heartbeat":
            try:
                self._send_packet(self._code_name_mapping["heartbeat"])
            except ftrack_api.exception.EventHubConnectionError as error:
                self.logger.debug(L("Could not answer heartbeat: {0}", error))

        elif code_name == "connect":
            self.logger.debug("Connected to event server.")
            self._queue_meta_event(_CONNECTED_TOPIC)

        elif code_name == "disconnect":
            self.logger.debug("Disconnected from event server.")
            thread = threading.current_thread()
            reason = None
            if isinstance(thread, _ProcessorThread):
                connection = thread.connection
                reason = thread.loss_reason
            else:
                connection = self._connection
            self._connection_lost(
                connection, reason or "disconnected by the event server"
            )

        elif code_name == "message":
            self.logger.debug(L("Message received: {0}", data))

        elif code_name == "error":
            self.logger.error(L("Event server reported error: {0}.", data))

        else:
            self.logger.debug(L("{0}: {1}", code_name or code, data))

    def _event_from_payload(self, payload):
        """Return the event described by the decoded *payload*, or None.

        Keys other than those of an event are ignored; a missing or null
        target means no target.
        """
        arguments = {}
        for key in _EVENT_KEYS:
            if key in payload:
                arguments[key] = payload[key]
        if arguments.get("target") is None:
            arguments["target"] = ""
        try:
            return ftrack_api.event.base.Event(**arguments)
        except Exception:
            self.logger.exception(
                L("Failed to convert payload into event: {0}", payload)
            )
            return None

    def _encode(self, data):
        """Return *data* as JSON text, events in their wire form."""
        hook = self._encode_object_hook
        encoder = self._json_encoder
        if encoder is None or encoder.default != hook:
            # Circular data fails with RecursionError rather than being
            # looked for on every event.
            encoder = json.JSONEncoder(
                default=hook, ensure_ascii=False, check_circular=False
            )
            self._json_encoder = encoder
        return encoder.encode(data)

    def _encode_object_hook(self, item):
        """Return a JSON friendly form of *item* for :meth:`_encode`.

        An event becomes a dictionary with ``in_reply_to_event`` named
        ``inReplyToEvent`` as the server expects; dates and times become ISO
        text, sets lists and other mappings dictionaries. Raise
        :exc:`TypeError` for anything else.
        """
        if isinstance(item, ftrack_api.event.base.Event):
            storage = getattr(item, "_data", None)
            item = dict(storage) if type(storage) is dict else dict(item)
            if "in_reply_to_event" in item:
                item["inReplyToEvent"] = item.pop("in_reply_to_event")
            return item

        isoformat = getattr(item, "isoformat", None)
        if callable(isoformat):
            return isoformat()
        if isinstance(item, (set, frozenset)):
            return list(item)
        if isinstance(item, collections.abc.Mapping):
            return dict(item)

        raise TypeError("{0!r} is not JSON serializable".format(item))

    def _decode(self, string):
        """Return the value of the JSON text *string*.

        ``inReplyToEvent`` keys of the server become ``in_reply_to_event``.
        """
        if isinstance(string, (bytes, bytearray)):
            string = string.decode("utf-8")
        hook = self._decode_object_hook
        if (
            getattr(hook, "__func__", None) is _DEFAULT_DECODE_OBJECT_HOOK
            and "inReplyToEvent" not in string
        ):
            # Nothing for the hook to rename (acknowledgements, mostly).
            return _json_value(_PLAIN_DECODER, string)
        decoder = self._json_decoder
        if decoder is None or decoder.object_hook != hook:
            decoder = json.JSONDecoder(object_hook=hook)
            self._json_decoder = decoder
        return _json_value(decoder, string)

    def _decode_object_hook(self, item):
        """Return the decoded JSON object *item* with local key names."""
        if "inReplyToEvent" in item:
            item["in_reply_to_event"] = item.pop("inReplyToEvent")
        return item


_DEFAULT_DECODE_OBJECT_HOOK = EventHub._decode_object_hook


class _SubscriptionContext(object):
    """Context manager subscribing a callback while it is entered."""

    def __init__(self, hub, subscription, callback, subscriber, priority):
        """Prepare to subscribe *callback* to *subscription* on *hub*."""
        self._hub = hub
        self._subscription = subscription
        self._callback = callback
        self._subscriber = subscriber
        self._priority = priority
        self._subscriberIdentifier = None

    def __enter__(self):
        """Subscribe and return the subscriber identifier."""
        self._subscriberIdentifier = self._hub.subscribe(
            self._subscription,
            self._callback,
            subscriber=self._subscriber,
            priority=self._priority,
        )
        return self._subscriberIdentifier

    def __exit__(self, exception_type, exception_value, traceback):
        """Unsubscribe."""
        self._hub.unsubscribe(self._subscriberIdentifier)


class _ProcessorThread(threading.Thread):
    """Read packets from one connection of a hub and act on them."""

    daemon = True

    def __init__(self, client, connection=None):
        """Read *connection* (by default the current one) of hub *client*."""
        super(_ProcessorThread, self).__init__(name="ftrack-event-hub-reader")
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)
        self.client = client
        self.connection = client._connection if connection is None else connection
        self.done = threading.Event()
        # Why the connection ended, when it ended by itself.
        self.loss_reason = None

    def run(self):
        """Handle packets until cancelled or the connection ends.

        Packets are read with the hub's ``_receive_packet`` while this
        thread's connection is the hub's ``_connection``, and straight from
        the connection otherwise, so that replacing ``_connection`` never
        stops the reading. The end of the connection is handed to the hub
        as a disconnection packet.
        """
        client = self.client
        connection = self.connection
        while not self.done.is_set():
            try:
                if client._connection is connection:
                    packet = client._receive_packet()
                else:
                    packet = client._read_packet(connection)
            except ftrack_api.exception.EventHubPacketError as error:
                self.logger.debug(L("Ignoring invalid packet: {0}", error))
                continue
            except Exception as error:
                if self.done.is_set():
                    break
                self.cancel()
                self.loss_reason = str(error)
                try:
                    client._handle_packet(
                        client._code_name_mapping["disconnect"], "", "", ""
                    )
                except Exception:
                    self.logger.exception("Failed to handle the lost connection.")
                break

            if self.done.is_set():
                break
            try:
                client._handle_packet(*packet)
            except Exception:
                self.logger.exception(
                    L("Failed to handle packet from the event server: {0}", packet)
                )

    def cancel(self):
        """Stop reading as soon as possible."""
        self.done.set()
