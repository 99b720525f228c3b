"""Event hub: subscribe callbacks to events and publish events to them.

Every :class:`ftrack_api.session.Session` owns one :class:`EventHub`. The hub
keeps the subscribers registered in this process and calls them when an
event matches their subscription (and the event's target matches the
subscriber's information).

Synchronous publishing only involves these local subscribers and returns
their results. Asynchronous publishing goes through the ftrack event server:
once :meth:`EventHub.connect` has been called the hub holds a WebSocket to
the server, tells it about every subscriber (so the server only forwards
events someone here wants), sends published events to it and queues the
events it receives. Queued events are handed to the subscribers by
:meth:`EventHub.wait`, in the thread calling it. A lost connection is
re-established in the background, with the same subscribers.
"""

import collections
import contextlib
import itertools
import json
import logging
import queue
import socket
import threading
import time
import urllib.parse
import uuid

import ftrack_api.event._transport as transport
import ftrack_api.event.base
import ftrack_api.event.expression
import ftrack_api.event.subscriber
import ftrack_api.exception
from ftrack_api.logging import LazyLogMessage as L

#: Host part of the event server address.
ServerDetails = collections.namedtuple(
    "ServerDetails", ["scheme", "hostname", "port"]
)

#: Session details announced by the event server during the handshake.
SocketIoSession = collections.namedtuple(
    "SocketIoSession", ["id", "heartbeatTimeout", "supportedTransports"]
)

#: Keys an event has on the wire, by the name the hub uses for them.
_WIRE_KEYS = {
    "id": "id",
    "topic": "topic",
    "data": "data",
    "source": "source",
    "target": "target",
    "sent": "sent",
    "in_reply_to_event": "inReplyToEvent",
}
_LOCAL_KEYS = {wire: local for local, wire in _WIRE_KEYS.items()}

#: Topics of the meta events exchanged with the server.
_SUBSCRIBE_TOPIC = "ftrack.meta.subscribe"
_UNSUBSCRIBE_TOPIC = "ftrack.meta.unsubscribe"
_REPLY_TOPIC = "ftrack.meta.reply"
_CONNECTED_TOPIC = "ftrack.meta.connected"
_DISCONNECTED_TOPIC = "ftrack.meta.disconnected"


def _json_default(value):
    """Return a JSON friendly form of *value* (dates as ISO text)."""
    isoformat = getattr(value, "isoformat", None)
    if isoformat is not None:
        return isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, collections.abc.Mapping):
        return dict(value)
    return str(value)


def _accepted(result):
    """Return whether the server's answer *result* to an event says success."""
    return isinstance(result, dict) and bool(result.get("success"))


def encode_event(event):
    """Return the JSON text of *event* as sent to the event server."""
    payload = {}
    for key, value in event.items():
        payload[_WIRE_KEYS.get(key, key)] = value
    return json.dumps(payload, ensure_ascii=False, default=_json_default)


def decode_event(payload):
    """Return an :class:`~ftrack_api.event.base.Event` from a wire mapping.

    Keys other than the known event keys are ignored.
    """
    arguments = {}
    for key, value in payload.items():
        local = _LOCAL_KEYS.get(key)
        if local is not None:
            arguments[local] = value
    if "topic" not in arguments:
        raise ftrack_api.exception.EventHubPacketError(
            "Event received from the event server has no topic: "
            "{0!r}".format(payload)
        )
    if arguments.get("target") is None:
        arguments["target"] = ""
    return ftrack_api.event.base.Event(**arguments)


_HOST_NAME = []


def _host_name():
    """Return the name of this machine (looked up once), or None."""
    if not _HOST_NAME:
        try:
            _HOST_NAME.append(socket.gethostname())
        except Exception:  # pragma: no cover - depends on system.
            _HOST_NAME.append(None)
    return _HOST_NAME[0]


class EventHub(object):
    """Manage routing of events between local subscribers and the server."""

    #: How often, and how many seconds apart at most, the hub tries to
    #: connect again after losing the connection unexpectedly. The first
    #: attempts come quicker: the delay starts at half a second and doubles
    #: up to this value.
    reconnect_attempts = 30
    reconnect_delay = 10

    def __init__(self, server_url, api_user, api_key, headers=None, cookies=None):
        """Initialise hub for the server at *server_url*.

        *api_user* and *api_key* are the credentials used towards the event
        server. *headers* is an optional mapping of extra HTTP headers and
        *cookies* an optional mapping of cookies, both sent when connecting.
        """
        super(EventHub, self).__init__()
        self.logger = logging.getLogger(
            __name__ + "." + self.__class__.__name__
        )
        self.id = uuid.uuid4().hex

        self._api_user = api_user
        self._api_key = api_key
        self._headers = dict(headers or {})
        self._cookies = dict(cookies or {})

        url_parts = urllib.parse.urlparse(server_url)
        scheme = url_parts.scheme or "https"
        port = url_parts.port
        if port is None:
            port = 443 if scheme == "https" else 80
        self.server = ServerDetails(scheme, url_parts.hostname, port)

        self._lock = threading.RLock()
        self._subscribers = []
        self._reply_callbacks = {}
        self._target_expressions = {}
        self._expression_parser = ftrack_api.event.expression.Parser()

        # Connection state. ``_connecting`` is True while a connection is
        # being (re-)established: asynchronous publishes are then kept in
        # ``_waiting_events`` and sent once connected.
        self._connection_lock = threading.RLock()
        self._connection = None
        self._connection_initialised = False
        self._connecting = False
        self._socket_io_session = None
        self._waiting_events = collections.deque()
        self._message_ids = itertools.count(1)
        self._ack_callbacks = {}
        self._stop_reconnecting = threading.Event()
        self._disconnections = 0

        # Events received from the server (and local meta events), handed
        # to subscribers by wait().
        self._event_queue = queue.Queue()

    # ------------------------------------------------------------------
    # Connection.
    # ------------------------------------------------------------------
    @property
    def secure(self):
        """Return whether the connection to the server is secure (https)."""
        return self.server.scheme == "https"

    @property
    def connected(self):
        """Return whether the hub is connected to the event server."""
        connection = self._connection
        return (
            connection is not None
            and self._connection_initialised
            and connection.open
        )

    def get_server_url(self):
        """Return URL of the event server (scheme, host and port only)."""
        return "{0}://{1}".format(self.server.scheme, self.get_network_location())

    def get_network_location(self):
        """Return network location (``host`` or ``host:port``) of the server."""
        default_port = 443 if self.server.scheme == "https" else 80
        if self.server.port == default_port:
            return self.server.hostname
        return "{0}:{1}".format(self.server.hostname, self.server.port)

    def _handshake_headers(self):
        """Return the headers sent with the handshake request."""
        headers = dict(self._headers)
        headers["ftrack-user"] = self._api_user
        headers["ftrack-api-key"] = self._api_key
        return headers

    def connect(self):
        """Connect to the event server.

        Once connected, every local subscriber is announced to the server
        and the events published while the connection was being made are
        sent. Return when the server has confirmed the subscriptions (or
        after a few seconds at most).

        Raise :class:`ftrack_api.exception.EventHubConnectionError` if the
        hub is already connected or the connection fails.
        """
        with self._connection_lock:
            if self.connected:
                raise ftrack_api.exception.EventHubConnectionError(
                    "Already connected."
                )
            self._stop_reconnecting.clear()
            self._connecting = True
            try:
                self._open_connection()
            except BaseException:
                self._connecting = False
                raise
            self.init_connection()

    def _connect_in_background(self):
        """Connect from a new thread; publishes meanwhile are queued.

        Return the thread. A :meth:`disconnect` made before the connection
        is up cancels it.
        """
        self._connecting = True
        generation = self._disconnections

        def run():
            try:
                self.connect()
            except Exception as error:
                self._connecting = False
                self.logger.warning(
                    L("Could not connect event hub automatically: {0}", error)
                )
                return
            if self._disconnections != generation:
                try:
                    self.disconnect()
                except ftrack_api.exception.EventHubConnectionError:
                    pass

        thread = threading.Thread(target=run, name="ftrack-event-hub-connect")
        thread.daemon = True
        thread.start()
        return thread

    def _open_connection(self):
        """Perform the handshake and open the WebSocket."""
        server_url = self.get_server_url()
        session_id, heartbeat_timeout, transports = transport.handshake(
            server_url, self._handshake_headers(), self._cookies
        )
        self._socket_io_session = SocketIoSession(
            session_id, heartbeat_timeout, transports
        )
        scheme = "wss" if self.secure else "ws"
        url = "{0}://{1}/socket.io/1/websocket/{2}".format(
            scheme, self.get_network_location(), session_id
        )
        self._connection = transport.Connection(
            url,
            self._headers,
            self._cookies,
            on_frame=self._on_frame,
            on_lost=self._on_connection_lost,
        )

    def init_connection(self):
        """Prepare a freshly opened connection for use.

        Register the hub's own subscriber for replies, announce every local
        subscriber to the server, then send the events waiting for the
        connection.
        """
        if self.get_subscriber_by_identifier(self.id) is None:
            self._add_subscriber(
                "topic={0}".format(_REPLY_TOPIC),
                self._handle_reply,
                subscriber=dict(id=self.id),
            )

        self._connection_initialised = True
        confirmations = []
        for subscriber in list(self._subscribers):
            confirmation = threading.Event()
            confirmations.append(confirmation)
            self._notify_server_of_subscriber(subscriber, confirmation)

        self._connecting = False
        self._flush_waiting_events()

        deadline = time.monotonic() + 5
        for confirmation in confirmations:
            if not confirmation.wait(max(0, deadline - time.monotonic())):
                self.logger.warning(
                    "The event server did not confirm all subscriptions in "
                    "time; some events may be missed until it does."
                )
                break

    def disconnect(self, unsubscribe=True, reconnect=False):
        """Disconnect from the event server.

        When *unsubscribe* is True the server is told first that the local
        subscribers go away. *reconnect* is True when the disconnection is
        part of :meth:`reconnect`; otherwise a local
        ``ftrack.meta.disconnected`` event is queued, which ends a running
        :meth:`wait`. Raise
        :class:`ftrack_api.exception.EventHubConnectionError` if not
        connected.
        """
        with self._connection_lock:
            if not reconnect:
                self._stop_reconnecting.set()
                self._disconnections += 1
            connection = self._connection
            if connection is None or not self._connection_initialised:
                if self._connecting and not reconnect:
                    self._connecting = False
                    return
                raise ftrack_api.exception.EventHubConnectionError(
                    "Not currently connected."
                )

            if unsubscribe and connection.open:
                for subscriber in list(self._subscribers):
                    self._send_meta_event(
                        _UNSUBSCRIBE_TOPIC,
                        dict(subscriber=dict(id=subscriber.metadata["id"])),
                    )

            self._connection_initialised = False
            self._connection = None
            connection.close()
            connection.join(2)
            if not reconnect:
                self._connecting = False
                self._queue_local_event(_DISCONNECTED_TOPIC)

    def reconnect(self, attempts=10, delay=5):
        """Reconnect to the event server, trying *attempts* times.

        Wait *delay* seconds between attempts. Every subscriber is announced
        to the server again once connected. Raise
        :class:`ftrack_api.exception.EventHubConnectionError` when every
        attempt failed.
        """
        with self._connection_lock:
            if self.connected:
                try:
                    self.disconnect(unsubscribe=False, reconnect=True)
                except ftrack_api.exception.EventHubConnectionError:
                    pass

        error = None
        attempts = max(1, attempts)
        for attempt in range(attempts):
            try:
                self.connect()
            except ftrack_api.exception.EventHubConnectionError as exc:
                error = exc
                if attempt + 1 < attempts and delay:
                    time.sleep(delay)
            else:
                return

        raise ftrack_api.exception.EventHubConnectionError(
            "Failed to reconnect to event server: {0}".format(error)
        )

    def _on_connection_lost(self, connection, reason):
        """Reconnect after *connection* ended unexpectedly (reader thread)."""
        with self._connection_lock:
            if connection is not self._connection:
                return
            if not self._stop_reconnecting.is_set():
                self._connecting = True
            self._connection_initialised = False
            self._connection = None
            connection.close()
            if self._stop_reconnecting.is_set():
                return

        self.logger.warning(
            L("Lost connection to the event server ({0}); reconnecting.", reason)
        )
        delay = 0.5
        for attempt in range(max(1, self.reconnect_attempts)):
            if self._stop_reconnecting.wait(delay):
                return
            try:
                with self._connection_lock:
                    if self._stop_reconnecting.is_set():
                        return
                    if self.connected:
                        return
                    self.connect()
            except ftrack_api.exception.EventHubConnectionError as error:
                self.logger.debug(
                    L("Reconnection attempt {0} failed: {1}", attempt + 1, error)
                )
                delay = min(delay * 2, self.reconnect_delay)
            else:
                self.logger.info("Reconnected to the event server.")
                return

        self._connecting = False
        self.logger.error(
            "Could not reconnect to the event server; giving up."
        )
        self._queue_local_event(_DISCONNECTED_TOPIC)

    def _on_frame(self, connection, frame):
        """Act on one *frame* received on *connection* (reader thread)."""
        try:
            packet_type, message_id, data = transport.parse_packet(frame)
        except ftrack_api.exception.EventHubPacketError as error:
            self.logger.debug(L("{0}", error))
            return

        if packet_type == transport.EVENT:
            payload = transport.decode_event_packet(data)
            if payload is None:
                self.logger.debug(L("Ignoring event packet {0!r}.", frame[:200]))
                return
            try:
                event = decode_event(payload)
            except ftrack_api.exception.EventHubPacketError as error:
                self.logger.debug(L("{0}", error))
                return
            self._event_queue.put(event)

        elif packet_type == transport.HEARTBEAT:
            try:
                connection.send(transport.HEARTBEAT_ANSWER)
            except ftrack_api.exception.EventHubConnectionError:
                pass

        elif packet_type == transport.ACK:
            ack_id, result = transport.decode_ack(data)
            callback = self._ack_callbacks.pop(ack_id, None)
            if callback is not None:
                callback(result)

        elif packet_type == transport.CONNECT:
            self._queue_local_event(_CONNECTED_TOPIC)

        elif packet_type == transport.DISCONNECT:
            self._on_connection_lost(connection, "disconnected by the server")

        elif packet_type == transport.ERROR:
            self.logger.warning(L("Event server reported an error: {0}", data))

        else:
            self.logger.debug(L("Ignoring packet {0!r}.", frame[:200]))

    def _queue_local_event(self, topic):
        """Queue an event about the connection for local subscribers."""
        self._event_queue.put(
            ftrack_api.event.base.Event(topic=topic, source=dict(id=self.id))
        )

    def wait(self, duration=None):
        """Wait for and handle events from the server.

        Received events are handed to the subscribers in this thread, as
        they arrive. *duration* is the number of seconds to wait (float);
        without it, wait until interrupted (Ctrl-C) or until the connection
        is given up (``ftrack.meta.disconnected``).
        """
        deadline = None if duration is None else time.monotonic() + duration
        get = self._event_queue.get
        while True:
            if deadline is None:
                timeout = 1.0
            else:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    break
            try:
                event = get(timeout=timeout)
            except queue.Empty:
                continue
            self._handle(event)
            if event["topic"] == _DISCONNECTED_TOPIC and duration is None:
                break

    # ------------------------------------------------------------------
    # Subscribers.
    # ------------------------------------------------------------------
    def subscribe(self, subscription, callback, subscriber=None, priority=100):
        """Register *callback* for events matching *subscription*.

        *subscription* is an expression (see
        :mod:`ftrack_api.event.expression`) tested against each event.
        *callback* is called with the matching
        :class:`~ftrack_api.event.base.Event` as its sole argument.

        *subscriber* is an optional mapping of information about the
        subscriber, used by events targeting subscribers. An ``id`` is
        generated when missing. *priority* orders the callbacks of this hub:
        lower numbers are called first.

        Return the subscriber identifier. Raise
        :class:`ftrack_api.exception.NotUniqueError` when a subscriber with
        the same identifier exists already.
        """
        subscriber = self._add_subscriber(
            subscription, callback, subscriber, priority
        )
        self._notify_server_of_subscriber(subscriber)
        return subscriber.metadata["id"]

    @contextlib.contextmanager
    def subscription(self, subscription, callback, subscriber=None, priority=100):
        """Context manager subscribing *callback* for the duration of a block.

        Arguments are as for :meth:`subscribe`. The subscriber identifier is
        yielded and the subscriber removed when the block ends.
        """
        identifier = self.subscribe(
            subscription, callback, subscriber=subscriber, priority=priority
        )
        try:
            yield identifier
        finally:
            self.unsubscribe(identifier)

    def _add_subscriber(self, subscription, callback, subscriber=None, priority=100):
        """Create, store and return subscriber for *callback*."""
        if subscriber is None:
            subscriber = {}
        else:
            subscriber = dict(subscriber)

        if subscriber.get("id") is None:
            subscriber["id"] = uuid.uuid4().hex

        instance = ftrack_api.event.subscriber.Subscriber(
            subscription, callback, subscriber, priority
        )

        with self._lock:
            identifier = subscriber["id"]
            if self.get_subscriber_by_identifier(identifier) is not None:
                raise ftrack_api.exception.NotUniqueError(
                    "Subscriber with identifier {0!r} already exists.".format(
                        identifier
                    )
                )

            # Keep subscribers ordered by priority; equal priorities keep
            # their subscription order.
            index = len(self._subscribers)
            for position, existing in enumerate(self._subscribers):
                if existing.priority > priority:
                    index = position
                    break
            subscribers = list(self._subscribers)
            subscribers.insert(index, instance)
            self._subscribers = subscribers

        return instance

    def _notify_server_of_subscriber(self, subscriber, confirmation=None):
        """Tell the event server about *subscriber* when connected.

        *confirmation* is an optional :class:`threading.Event` set once the
        server answered; it is given while the connection is set up, and the
        subscription is then sent ahead of waiting events.
        """
        if not self.connected:
            if confirmation is not None:
                confirmation.set()
            return

        def on_ack(result):
            if not _accepted(result):
                self.logger.warning(
                    L(
                        "The event server refused subscriber {0}: {1}",
                        subscriber,
                        result,
                    )
                )
            if confirmation is not None:
                confirmation.set()

        self._send_meta_event(
            _SUBSCRIBE_TOPIC,
            dict(
                subscriber=subscriber.metadata,
                subscription=str(subscriber.subscription),
            ),
            on_ack=on_ack,
            immediately=confirmation is not None,
        )

    def unsubscribe(self, subscriber_identifier):
        """Remove subscriber with *subscriber_identifier*.

        Raise :class:`ftrack_api.exception.NotFoundError` when no such
        subscriber exists.
        """
        with self._lock:
            subscriber = self.get_subscriber_by_identifier(subscriber_identifier)
            if subscriber is None:
                raise ftrack_api.exception.NotFoundError(
                    "Cannot unsubscribe missing subscriber with identifier "
                    "{0!r}.".format(subscriber_identifier)
                )
            self._subscribers = [
                candidate
                for candidate in self._subscribers
                if candidate is not subscriber
            ]

        if self.connected:
            self._send_meta_event(
                _UNSUBSCRIBE_TOPIC,
                dict(subscriber=dict(id=subscriber.metadata["id"])),
            )

    def get_subscriber_by_identifier(self, identifier):
        """Return subscriber with matching *identifier*, or None."""
        for subscriber in self._subscribers:
            if subscriber.metadata.get("id") == identifier:
                return subscriber
        return None

    # ------------------------------------------------------------------
    # Publishing.
    # ------------------------------------------------------------------
    def _prepare_event(self, event):
        """Complete the source information of *event* before publishing."""
        source = event.get("source")
        if source is None:
            source = {}
            event["source"] = source
        source.setdefault("id", self.id)
        user = source.get("user")
        if not isinstance(user, dict):
            user = {}
            source["user"] = user
        user.setdefault("username", self._api_user)
        if "host" not in source:
            host = _host_name()
            if host is not None:
                source["host"] = host

    def publish(self, event, synchronous=False, on_reply=None, on_error="raise"):
        """Publish *event*.

        When *synchronous* is True only the local subscribers are called, in
        priority order, and the list of their results is returned. Nothing
        is sent to the server.

        Otherwise the event is sent to the event server, which forwards it
        to every subscriber interested, in this process or another. While a
        connection is being made the event waits and is sent once
        connected; with no connection at all the publish fails. *on_reply*
        is called with each reply event received for the published event
        (from :meth:`wait`). *on_error* decides what happens when the event
        cannot be published: ``'raise'`` (default) raises
        :class:`ftrack_api.exception.EventHubConnectionError`, ``'ignore'``
        logs and ignores it.
        """
        if synchronous:
            return self._handle(event, synchronous=True)

        try:
            self._prepare_event(event)
            if on_reply is not None:
                with self._lock:
                    self._reply_callbacks[event["id"]] = on_reply
            self._publish(event)
        except ftrack_api.exception.EventHubError as error:
            if on_error == "ignore":
                self.logger.debug(
                    L("Ignoring failure to publish {0}: {1}", event, error)
                )
                return None
            raise

    def _publish(self, event, on_ack=None):
        """Send *event* to the event server, or keep it until connected.

        *on_ack* is called with the server's answer to the event. Events
        keep their order: while earlier ones wait for the connection, later
        ones wait behind them.
        """
        frame_payload = encode_event(event)
        if on_ack is None:
            on_ack = self._check_publish_ack
        connection = self._connection
        if connection is not None and self._connection_initialised:
            if not self._waiting_events:
                try:
                    self._send_event(connection, frame_payload, on_ack)
                    return
                except ftrack_api.exception.EventHubConnectionError:
                    if self._stop_reconnecting.is_set():
                        raise
                    # The connection is dropping: the event waits for the
                    # reconnection instead.
        elif not self._connecting:
            raise ftrack_api.exception.EventHubConnectionError(
                "Cannot publish event asynchronously as the event hub is "
                "not connected to the event server."
            )
        self._waiting_events.append((frame_payload, on_ack))
        if self.connected and not self._connecting:
            self._flush_waiting_events()

    def _send_event(self, connection, frame_payload, on_ack):
        """Send the encoded event on *connection*, expecting an answer."""
        message_id = str(next(self._message_ids))
        self._ack_callbacks[message_id] = on_ack
        try:
            connection.send(transport.event_packet(message_id, frame_payload))
        except ftrack_api.exception.EventHubConnectionError:
            self._ack_callbacks.pop(message_id, None)
            raise

    def _flush_waiting_events(self):
        """Send the events published while the hub was connecting."""
        with self._connection_lock:
            connection = self._connection
            while self._waiting_events:
                if connection is None or not connection.open:
                    return
                frame_payload, on_ack = self._waiting_events[0]
                try:
                    self._send_event(connection, frame_payload, on_ack)
                except ftrack_api.exception.EventHubConnectionError:
                    return
                self._waiting_events.popleft()

    def _send_meta_event(self, topic, data, on_ack=None, immediately=False):
        """Send a meta event (subscribe, unsubscribe) to the server.

        With *immediately* the event goes out at once, ahead of the events
        waiting for the connection (used while the connection is set up).
        """
        event = ftrack_api.event.base.Event(topic=topic, data=data)
        self._prepare_event(event)
        on_ack = on_ack or self._check_meta_ack
        try:
            if immediately:
                self._send_event(self._connection, encode_event(event), on_ack)
            else:
                self._publish(event, on_ack=on_ack)
        except ftrack_api.exception.EventHubConnectionError as error:
            self.logger.debug(L("Could not send {0}: {1}", topic, error))

    def _check_publish_ack(self, result):
        """Log a publish the server did not accept."""
        if not _accepted(result):
            self.logger.error(
                L("The event server did not accept an event: {0}", result)
            )

    def _check_meta_ack(self, result):
        """Log a subscription change the server did not accept."""
        if not _accepted(result):
            self.logger.warning(
                L("The event server refused a subscription change: {0}", result)
            )

    def publish_reply(self, source_event, data, source=None):
        """Publish a reply to *source_event* carrying *data*.

        *source* is optional information about the replying subscriber.
        """
        reply = ftrack_api.event.base.Event(
            topic="ftrack.meta.reply",
            data=data,
            source=dict(source) if source is not None else {},
            target="id={0}".format(source_event["source"]["id"]),
            in_reply_to_event=source_event["id"],
        )
        return self.publish(reply)

    def _target_matches(self, target, subscriber):
        """Return whether *target* expression matches *subscriber*."""
        expression = self._target_expressions.get(target)
        if expression is None:
            expression = self._expression_parser.parse(target)
            self._target_expressions[target] = expression
        return expression.match(subscriber.metadata)

    def _handle(self, event, synchronous=False):
        """Call the local subscribers interested in *event*.

        Return list of results in call order when *synchronous*. Otherwise
        non-None results are published as replies to the event.
        """
        target = event.get("target") or ""
        results = []

        for subscriber in self._subscribers:
            if not subscriber.interested_in(event):
                continue

            if target:
                try:
                    if not self._target_matches(target, subscriber):
                        continue
                except ftrack_api.exception.ParseError:
                    self.logger.warning(
                        L("Invalid target {0!r} on event {1}.", target, event)
                    )
                    continue

            try:
                response = subscriber.callback(event)
            except Exception:
                self.logger.exception(
                    L(
                        "Error calling subscriber {0} for event {1}.",
                        subscriber,
                        event,
                    )
                )
                response = None

            results.append(response)

            if not synchronous and response is not None:
                try:
                    self.publish_reply(event, response, subscriber.metadata)
                except Exception:
                    self.logger.exception(
                        L("Error replying to event {0}.", event)
                    )

            if event.is_stopped():
                break

        return results

    def _handle_reply(self, event):
        """Call the reply callback registered for the event *event* answers."""
        callback = self._reply_callbacks.get(event.get("in_reply_to_event"))
        if callback is not None:
            callback(event)
