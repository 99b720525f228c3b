"""Event hub: subscribe callbacks to events and publish events to them.

Every :class:`ftrack_api.session.Session` owns one :class:`EventHub`. The hub
keeps the subscribers registered in this process and calls them when an
event matches their subscription (and the event's target matches the
subscriber's information).

Synchronous publishing only involves these local subscribers and returns
their results. Asynchronous publishing goes through the ftrack event server,
which speaks the legacy Socket.IO 0.9 protocol (doc/protocol.rst, "The event
hub"). Once :meth:`EventHub.connect` has been called the hub holds the
WebSocket in ``_connection``, tells the server about every subscriber (so the
server only forwards events someone here wants), sends published events
through it and queues the events it receives; a background thread reads the
socket. Queued events are handed to the subscribers by :meth:`EventHub.wait`,
in the thread calling it.

A connection lost without :meth:`EventHub.disconnect` is re-established in
the background with the same subscribers. While the hub is connecting (or
reconnecting) published events wait in ``_event_send_queue`` and are sent,
in order, once the connection is up.

The hub is a front for small collaborators, each in its own module (see
:mod:`ftrack_api.event`). Its underscore attributes and methods stay
available for code written against the hub's internals.
"""

from __future__ import annotations

import collections.abc
import logging
import platform
import queue
import threading
import time
import urllib.parse
import uuid
from types import TracebackType
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Type

import ftrack_api.event._acknowledgements
import ftrack_api.event.base
import ftrack_api.event._connection
import ftrack_api.event._event_json
import ftrack_api.event._outbox
import ftrack_api.event._packet_handler
import ftrack_api.event._reader
import ftrack_api.event._replies
import ftrack_api.event._server_subscriptions
import ftrack_api.event._socketio
import ftrack_api.event.subscriber
import ftrack_api.event._subscriber_registry
import ftrack_api.event._topics
import ftrack_api.exception
from ftrack_api.event._socketio import ServerDetails, SocketIoSession
from ftrack_api.logging import LazyLogMessage as L  # noqa: F401 - kept importable from here

__all__ = ["EventHub", "ServerDetails", "SocketIoSession"]

_Event = ftrack_api.event.base.Event
_Subscriber = ftrack_api.event.subscriber.Subscriber
#: What subscribers and reply handlers are: called with one event.
_EventCallback = Callable[[_Event], Any]

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

#: The thread reading a connection (its former name here).
_ProcessorThread = ftrack_api.event._reader.PacketReader


_HOST_NAME: List[str] = []


def _host_name() -> str:
    """Return the network name of this machine (looked up once)."""
    if not _HOST_NAME:
        _HOST_NAME.append(platform.node())
    return _HOST_NAME[0]


def _as_dict(mapping: Any) -> Dict[str, Any]:
    """Return *mapping* as a plain dictionary.

    Raise :exc:`TypeError` when *mapping* is not a mapping.
    """
    if not isinstance(mapping, collections.abc.Mapping):
        raise TypeError("Expected mapping, got {0!r}.".format(mapping))
    return dict(mapping)


def _server_details(server_url: str) -> ServerDetails:
    """Return the scheme, host name and port of *server_url*.

    Raise :exc:`ValueError` when it has no scheme or no host name.
    """
    url_parts = urllib.parse.urlparse(server_url)
    if not url_parts.scheme:
        raise ValueError("Could not determine scheme from server url.")
    if not url_parts.hostname:
        raise ValueError("Could not determine hostname from server url.")
    return ServerDetails(url_parts.scheme, url_parts.hostname, url_parts.port)


def _kept_by(collaborator: str, name: str, doc: Optional[str] = None) -> property:
    """Return a property reading, writing and deleting *name* of the hub's *collaborator*.

    Deleting lets :func:`unittest.mock.patch.object` put back the value it
    replaced on a hub.
    """

    def get(hub: EventHub) -> Any:
        return getattr(getattr(hub, collaborator), name)

    def set_(hub: EventHub, value: Any) -> None:
        setattr(getattr(hub, collaborator), name, value)

    def delete(hub: EventHub) -> None:
        delattr(getattr(hub, collaborator), name)

    get.__doc__ = doc or "Return ``{0}`` of the hub's ``{1}``.".format(name, collaborator)
    return property(get, set_, delete)


def _all_kept_by(collaborator: str, *names: str) -> Tuple[property, ...]:
    """Return a :func:`_kept_by` property for each of *names* of *collaborator*."""
    return tuple(_kept_by(collaborator, name) for name in names)


class EventHub(object):
    """Route events between local subscribers and the ftrack event server."""

    def __init__(
        self,
        server_url: str,
        api_user: str,
        api_key: str,
        headers: Optional[Mapping[str, Any]] = None,
        cookies: Optional[Mapping[str, Any]] = None,
    ) -> None:
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
        self._server_url = server_url
        self._api_user = api_user
        self._api_key = api_key
        self.server = _server_details(server_url)
        self._cookies = _as_dict(cookies or {})
        self._headers = _as_dict(headers or {})

        # The WebSocket to the event server (``websocket.WebSocket``), or None.
        self._connection = None
        # True once the hub is meant to be connected (connect() or
        # init_connection() was called, and no disconnect() since): events
        # published without a live connection are then queued, not refused.
        self._connection_initialised = False
        # True from disconnect() until the next connect().
        self._intentional_disconnect = False
        # Events to hand to subscribers in wait().
        self._event_queue = queue.Queue()
        self._event_namespace = "ftrack.event"
        self._code_name_mapping = ftrack_api.event._socketio.code_name_mapping()
        # Guards the subscribers.
        self._lock = threading.RLock()

        self._acknowledgements = ftrack_api.event._acknowledgements.PacketCallbacks()
        self._json = ftrack_api.event._event_json.EventJsonCodec()
        self._packets = ftrack_api.event._packet_handler.PacketHandler(self)
        self._connections = ftrack_api.event._connection.ConnectionManager(self)
        self._registry = ftrack_api.event._subscriber_registry.SubscriberRegistry(
            self._lock, self.logger
        )
        self._announcer = ftrack_api.event._server_subscriptions.SubscriptionAnnouncer(self)
        self._outbox = ftrack_api.event._outbox.EventOutbox(self)
        self._replies = ftrack_api.event._replies.ReplyTracker(self)

    # State kept by the collaborators, under the names it has always had.
    _subscribers, _expression_parser = _all_kept_by("_registry", "subscribers", "parser")
    _reply_callbacks = _kept_by("_replies", "callbacks")
    _event_send_queue = _kept_by("_outbox", "queue")
    _unique_packet_id, _packet_callbacks = _all_kept_by("_acknowledgements", "last_identifier", "callbacks")
    (
        _connection_lock, _processor_thread, _stop_reconnecting, _wait_timeout, _auto_reconnect_attempts,
        _auto_reconnect_delay,
    ) = _all_kept_by(
        "_connections", "lock", "processor_thread", "stop_reconnecting", "wait_timeout", "attempts", "delay"
    )

    # ------------------------------------------------------------------
    # Server address and connection state.
    # ------------------------------------------------------------------
    def get_server_url(self) -> str:
        """Return URL of the server (scheme, host and port only)."""
        return "{0}://{1}".format(self.server.scheme, self.get_network_location())

    def get_network_location(self) -> str:
        """Return ``host`` or, when the server address has a port, ``host:port``."""
        if self.server.port:
            return "{0}:{1}".format(self.server.hostname, self.server.port)
        return self.server.hostname

    @property
    def secure(self) -> bool:
        """Return whether the connection to the server is secure (https)."""
        return self.server.scheme == "https"

    @property
    def connected(self) -> bool:
        """Return whether the hub has a live connection to the event server."""
        connection = self._connection
        return connection is not None and bool(connection.connected)

    reconnect_attempts = _kept_by(
        "_connections",
        "attempts",
        "Number of automatic reconnection attempts after losing the connection.",
    )
    reconnect_delay = _kept_by(
        "_connections",
        "delay",
        "Longest pause in seconds between two automatic reconnection attempts.",
    )

    # ------------------------------------------------------------------
    # Connecting and disconnecting.
    # ------------------------------------------------------------------
    def init_connection(self) -> None:
        """Mark the hub as meant to be connected.

        From then on events published asynchronously before the connection
        is up are queued and sent once :meth:`connect` succeeds, and
        :meth:`wait` may be called. :meth:`connect` calls this itself; call
        it first when connecting from another thread.
        """
        self.logger.debug("Event hub connection initialised.")
        self._connection_initialised = True

    def connect(self) -> None:
        """Connect to the event server.

        Once connected, the server is told about every local subscriber and
        the events published while the connection was being made are sent.
        Return when the server has confirmed the subscriptions (or after a
        few seconds at most).

        Raise :exc:`ftrack_api.exception.EventHubConnectionError` if already
        connected or if the connection fails.
        """
        self._connections.connect()

    def _connect_in_background(self) -> threading.Thread:
        """Connect from a new thread and return that thread.

        The hub is marked as meant to be connected at once, so events
        published meanwhile are queued and :meth:`wait` may be called. A
        :meth:`disconnect` made before the connection is up cancels it.
        """
        return self._connections.connect_in_background()

    def disconnect(self, unsubscribe: bool = True, reconnect: bool = False) -> None:
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
        self._connections.disconnect(unsubscribe=unsubscribe, reconnect=reconnect)

    def reconnect(self, attempts: int = 10, delay: float = 5) -> None:
        """Reconnect to the event server.

        Make up to *attempts* attempts, *delay* seconds apart. Every
        subscriber is announced to the server again once connected, and
        events published meanwhile are sent.

        Raise :exc:`ftrack_api.exception.EventHubConnectionError` when every
        attempt failed.
        """
        self._connections.reconnect(attempts=attempts, delay=delay)

    # ------------------------------------------------------------------
    # Receiving events.
    # ------------------------------------------------------------------
    def wait(self, duration: Optional[float] = None) -> None:
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
                if event["topic"] == ftrack_api.event._topics.DISCONNECTED:
                    break

            if deadline is not None and time.monotonic() >= deadline:
                break

    def _queue_meta_event(self, topic: str) -> None:
        """Queue a local event about the connection for :meth:`wait`."""
        event = ftrack_api.event.base.Event(topic)
        self._prepare_event(event)
        self._event_queue.put(event)

    # ------------------------------------------------------------------
    # Subscribers.
    # ------------------------------------------------------------------
    def get_subscriber_by_identifier(self, identifier: Any) -> Optional[_Subscriber]:
        """Return subscriber with matching *identifier*, or None."""
        return self._registry.get(identifier)

    def subscribe(
        self, subscription: str, callback: _EventCallback, subscriber: Optional[Dict[str, Any]] = None,
        priority: int = 100
    ) -> Any:
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
            announce = self._announcer.announced
        if announce:
            self._announcer.announce_new(subscriber)
        return subscriber.metadata["id"]

    def _add_subscriber(self, subscription, callback, subscriber=None, priority=100):
        """Create, store and return a subscriber, locally only.

        Arguments are as for :meth:`subscribe`. Return the
        :class:`ftrack_api.event.subscriber.Subscriber`. Raise
        :exc:`ftrack_api.exception.NotUniqueError` when a subscriber with
        the same identifier exists already.
        """
        return self._registry.add(subscription, callback, subscriber, priority)

    def _notify_server_about_subscriber(self, subscriber):
        """Publish the ``ftrack.meta.subscribe`` event for *subscriber*."""
        self._announcer.announce(subscriber)

    def _on_subscribed(self, subscriber, response):
        """Handle the server's answer to subscribing *subscriber*."""
        self._announcer.subscribed(subscriber, response)

    def unsubscribe(self, subscriber_identifier: Any) -> None:
        """Remove subscriber with *subscriber_identifier*.

        The subscriber is removed locally at once; the server is told when
        connected.

        Raise :exc:`ftrack_api.exception.NotFoundError` when no such
        subscriber exists.
        """
        with self._lock:
            subscriber = self._registry.remove(subscriber_identifier)
            announced = self._announcer.announced
        if announced:
            self._announcer.withdraw(subscriber)

    def _on_unsubscribed(self, subscriber, response):
        """Handle the server's answer to unsubscribing *subscriber*."""
        self._announcer.unsubscribed(subscriber, response)

    def subscription(
        self, subscription: str, callback: _EventCallback, subscriber: Optional[Dict[str, Any]] = None,
        priority: int = 100
    ) -> _SubscriptionContext:
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
        ftrack_api.event._replies.make_reply_event(event, source_event, source=source)

    def publish(
        self, event: _Event, synchronous: bool = False, on_reply: Optional[_EventCallback] = None,
        on_error: str = "raise"
    ) -> Any:
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

    def publish_reply(self, source_event: _Event, data: Any, source: Optional[Mapping[str, Any]] = None) -> Any:
        """Publish a reply to *source_event* carrying *data*.

        *source* is optional information about the replying subscriber,
        used as the source of the reply.
        """
        reply_event = ftrack_api.event.base.Event(ftrack_api.event._topics.REPLY, data=data)
        self._prepare_reply_event(reply_event, source_event, source=source)
        return self.publish(reply_event)

    def _publish(self, event, synchronous=False, callback=None, on_reply=None):
        """Publish *event* (see :meth:`publish`).

        *callback* is called with the server's answer to the event; by
        default a refusal is logged. *on_reply* is registered for replies
        to the event. Return the results of the local subscribers when
        *synchronous*, and True when the event was queued. Raise
        :exc:`ftrack_api.exception.EventHubConnectionError` when the hub is
        not connected nor connecting.
        """
        self._prepare_event(event)
        if synchronous:
            return self._handle(event, synchronous=True)
        return self._outbox.send(event, callback, on_reply)

    def _send_queued_events(self):
        """Send the events of ``_event_send_queue``, oldest first."""
        self._outbox.send_queued()

    def _on_published(self, event, response):
        """Log a refusal of the server to take the published *event*."""
        self._outbox.log_refusal(event, response)

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
        return self._registry.dispatch(
            event, reply=None if synchronous else self._reply_from_subscriber
        )

    def _reply_from_subscriber(self, event, data, source):
        """Publish *data*, returned by the subscriber *source*, as a reply."""
        self.publish_reply(event, data=data, source=source)

    def _handle_reply(self, event):
        """Call the reply callback registered for the event *event* answers."""
        self._replies.handle(event)

    # ------------------------------------------------------------------
    # Socket.IO protocol.
    # ------------------------------------------------------------------
    def _get_socket_io_session(self):
        """Perform the Socket.IO handshake and return a :data:`SocketIoSession`.

        Raise :exc:`ftrack_api.exception.EventHubConnectionError` when the
        server cannot be reached or does not answer with status 200.
        """
        request_headers = {
            "ftrack-user": self._api_user,
            "ftrack-api-key": self._api_key,
        }
        request_headers.update(self._headers)
        return ftrack_api.event._socketio.request_session(
            self.get_server_url(), request_headers, self._cookies
        )

    def _add_packet_callback(self, callback):
        """Register *callback* under a new packet identifier.

        Return the identifier as written in the packet (``"<number>+"``,
        asking the server for an acknowledgement).
        """
        return self._acknowledgements.register(callback)

    def _pop_packet_callback(self, packet_identifier):
        """Remove and return the callback of *packet_identifier* (a number).

        Raise :exc:`KeyError` when none is registered.
        """
        return self._acknowledgements.pop(packet_identifier)

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
        packet = ftrack_api.event._socketio.format_packet(code, packet_identifier, data)
        try:
            ftrack_api.event._socketio.send_packet(self._connection, packet)
        except Exception:
            if packet_identifier:
                self._acknowledgements.discard(packet_identifier)
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
        return ftrack_api.event._socketio.read_packet(connection, self.logger)

    def _handle_packet(self, code, packet_identifier, path, data):
        """Act on a packet received from the server.

        Received events are queued for :meth:`wait`, acknowledgements passed
        to the callbacks waiting for them, heartbeats answered. A
        disconnection packet counts as losing the connection, which is
        re-established unless the hub disconnected on purpose.
        """
        self._packets.handle(code, data)

    def _encode(self, data):
        """Return *data* as JSON text, events in their wire form."""
        return self._json.encode(data, self._encode_object_hook)

    def _encode_object_hook(self, item):
        """Return a JSON friendly form of *item* for :meth:`_encode`.

        See :func:`ftrack_api.event._event_json.wire_form`.
        """
        return ftrack_api.event._event_json.wire_form(item)

    def _decode(self, string):
        """Return the value of the JSON text *string*.

        ``inReplyToEvent`` keys of the server become ``in_reply_to_event``.
        """
        hook = self._decode_object_hook
        renames_only = getattr(hook, "__func__", None) is _DEFAULT_DECODE_OBJECT_HOOK
        return self._json.decode(string, hook, renames_only)

    def _decode_object_hook(self, item):
        """Return the decoded JSON object *item* with local key names."""
        return ftrack_api.event._event_json.local_keys(item)


_DEFAULT_DECODE_OBJECT_HOOK = EventHub._decode_object_hook


class _SubscriptionContext(object):
    """Context manager subscribing a callback while it is entered."""

    def __init__(self, hub, subscription, callback, subscriber, priority):
        """Prepare to subscribe *callback* to *subscription* on *hub*."""
        self._hub = hub
        self._arguments = (subscription, callback)
        self._options = dict(subscriber=subscriber, priority=priority)
        self._subscriberIdentifier = None

    def __enter__(self) -> Any:
        """Subscribe and return the subscriber identifier."""
        self._subscriberIdentifier = self._hub.subscribe(*self._arguments, **self._options)
        return self._subscriberIdentifier

    def __exit__(
        self,
        exception_type: Optional[Type[BaseException]],
        exception_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        """Unsubscribe."""
        self._hub.unsubscribe(self._subscriberIdentifier)
