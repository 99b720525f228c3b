"""Event hub: subscribe callbacks to events and publish events to them.

Every :class:`ftrack_api.session.Session` owns one :class:`EventHub`. The hub
keeps the subscribers registered in this process and calls them when an
event matches their subscription (and the event's target matches the
subscriber's information). Synchronous publishing only involves these local
subscribers and returns their results.

Exchanging events with the ftrack event server is done by a transport plugged
into the hub. The network transport is not part of this module yet:
:meth:`EventHub.connect` and the methods that need a connection raise
:class:`~ftrack_api.exception.EventHubConnectionError` for now, while local
publishing and subscribing work fully.
"""

import collections
import contextlib
import logging
import socket
import threading
import time
import urllib.parse
import uuid

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

_NOT_AVAILABLE = (
    "Connecting to the event server is not available yet in this client; "
    "only local (synchronous) publishing and subscribing can be used."
)


class EventHub(object):
    """Manage routing of events between local subscribers and the server."""

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

        # Transport for the event server, plugged in on connect.
        self._connection = None
        self._connection_initialised = False

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
        return self._connection is not None and self._connection_initialised

    def get_server_url(self):
        """Return URL of the event server (scheme, host and port only)."""
        return "{0}://{1}".format(self.server.scheme, self.get_network_location())

    def get_network_location(self):
        """Return network location (``host`` or ``host:port``) of the server."""
        default_port = 443 if self.server.scheme == "https" else 80
        if self.server.port == default_port:
            return self.server.hostname
        return "{0}:{1}".format(self.server.hostname, self.server.port)

    def init_connection(self):
        """Perform the handshake with the event server."""
        raise ftrack_api.exception.EventHubConnectionError(_NOT_AVAILABLE)

    def connect(self):
        """Connect to the event server.

        Raise :class:`ftrack_api.exception.EventHubConnectionError` if the
        hub is already connected or the connection fails.
        """
        if self.connected:
            raise ftrack_api.exception.EventHubConnectionError(
                "Already connected."
            )
        raise ftrack_api.exception.EventHubConnectionError(_NOT_AVAILABLE)

    def disconnect(self, unsubscribe=True, reconnect=False):
        """Disconnect from the event server.

        When *unsubscribe* is True the server is told first that the local
        subscribers go away. Raise
        :class:`ftrack_api.exception.EventHubConnectionError` if not
        connected.
        """
        if not self.connected:
            raise ftrack_api.exception.EventHubConnectionError(
                "Not currently connected."
            )
        self._connection = None
        self._connection_initialised = False

    def reconnect(self, attempts=10, delay=5):
        """Reconnect to the event server, trying *attempts* times.

        Wait *delay* seconds between attempts. Raise
        :class:`ftrack_api.exception.EventHubConnectionError` when every
        attempt failed.
        """
        if self.connected:
            try:
                self.disconnect(unsubscribe=False, reconnect=True)
            except ftrack_api.exception.EventHubConnectionError:
                pass

        error = None
        for attempt in range(max(1, attempts)):
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

    def wait(self, duration=None):
        """Wait for and handle events from the server.

        *duration* is the number of seconds to wait (float), forever when
        None. Requires a connection to the event server.
        """
        if not self.connected:
            raise ftrack_api.exception.EventHubConnectionError(
                "Event hub is not connected. " + _NOT_AVAILABLE
            )

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

    def _notify_server_of_subscriber(self, subscriber):
        """Tell the event server about *subscriber* when connected."""
        if not self.connected:
            return
        # Sent by the network transport once available.

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
            try:
                source["host"] = socket.gethostname()
            except Exception:  # pragma: no cover - depends on system.
                pass

    def publish(self, event, synchronous=False, on_reply=None, on_error="raise"):
        """Publish *event*.

        When *synchronous* is True only the local subscribers are called, in
        priority order, and the list of their results is returned. Nothing
        is sent to the server.

        Otherwise the event is sent to the event server, which requires a
        connection. *on_reply* is called with each reply event received for
        the published event. *on_error* decides what happens when the event
        cannot be published: ``'raise'`` (default) raises the error,
        ``'ignore'`` logs and ignores it.
        """
        if synchronous:
            return self._handle(event, synchronous=True)

        try:
            self._prepare_event(event)
            if not self.connected:
                raise ftrack_api.exception.EventHubConnectionError(
                    "Cannot publish event asynchronously as the event hub is "
                    "not connected to the event server."
                )
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

    def _publish(self, event):
        """Send *event* to the event server through the transport."""
        raise ftrack_api.exception.EventHubConnectionError(_NOT_AVAILABLE)

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
