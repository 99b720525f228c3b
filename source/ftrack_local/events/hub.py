"""The event hub: connections, their subscribers, and routing.
(doc/protocol.rst, "Subscriptions", "Event routing")

:class:`EventHub` is transport neutral. A transport (the Socket.IO endpoint)
adds a :class:`Connection` per client, hands every received event to
:meth:`EventHub.publish` and sends what the hub gives to
:meth:`Connection.send`. All hub methods run on the event loop's thread,
except :meth:`EventHub.publish_from_server`, which may be called from any
thread.

Routing: an event reaches every connection (its sender included) at most
once, when one of the connection's subscribers has a subscription matching
the event and the event's target is empty or matches that subscriber's
metadata. ``ftrack.meta.subscribe`` and ``ftrack.meta.unsubscribe`` change
the sender's subscribers and are not forwarded; every other topic, replies
included, is routed like any event.

Identity: before routing an event a client published, the hub sets its
``source.user`` to the user the client authenticated as
(:attr:`Connection.user`), whatever the client claimed; the rest of
``source`` is kept. Events of other server processes
(:meth:`EventHub.deliver_relayed`) were stamped where they were published.

Visibility: ``ftrack.update`` events describe entities of many projects.
A connection whose user may not read every project
(:attr:`Connection.readable_projects`) receives each such event with only
the entities of projects it may read, and site-wide ones; when nothing is
left it receives nothing (see ``doc/local_server_users.rst``).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple

from . import packets
from .packets import same_json_object
from .expression import Expression, parse

log = logging.getLogger(__name__)

SUBSCRIBE = "ftrack.meta.subscribe"
UNSUBSCRIBE = "ftrack.meta.unsubscribe"
#: The topic whose entities are narrowed to what each receiver may read.
UPDATE = "ftrack.update"
SUCCESS: Dict[str, Any] = {"success": True}


def failure(message: str) -> Dict[str, Any]:
    """A reply payload telling the client that something failed, with *message*."""
    return {"success": False, "message": message}


@dataclass
class HubSettings:
    """Connection policy, read each time it applies (tests may change it live)."""

    #: Seconds between server heartbeats (clients give up after 60 s, JS after 15 s).
    heartbeat_interval: float = 10.0
    #: Seconds without any packet from a client before its connection is dropped.
    heartbeat_timeout: float = 60.0
    #: Seconds a handshake session id stays valid for the WebSocket upgrade.
    handshake_timeout: float = 30.0
    #: Frames queued for one client before it counts as stuck and is dropped.
    max_queue: int = 200000
    #: Bytes waiting for one client (queued frames plus the socket's write
    #: buffer) before it counts as stuck and is dropped. An event larger than
    #: this on its own still goes to a client with nothing else waiting.
    max_queue_bytes: int = 16 * 1024 * 1024
    #: Browser origins (``scheme://host[:port]``, compared exactly) allowed
    #: credentialed cross-origin requests to the handshake; none by default.
    allowed_origins: Tuple[str, ...] = ()


class Subscriber:
    """One subscriber of a connection: its metadata and parsed subscription."""

    __slots__ = ("id", "metadata", "subscription", "connection")

    def __init__(self, metadata: Dict[str, Any], subscription: Expression, connection: "Connection") -> None:
        self.id = str(metadata["id"])
        self.metadata = metadata
        self.subscription = subscription
        self.connection = connection

    def __repr__(self) -> str:
        return "<Subscriber {0} {1!r}>".format(self.id, self.subscription.text)


class Connection:
    """A client connection as the hub sees it; transports implement :meth:`send`."""

    def __init__(self, session_id: str, user: Optional[Dict[str, Any]] = None) -> None:
        self.session_id = session_id
        #: ``{"id", "username"}`` of the authenticated user.
        self.user = dict(user or {})
        #: subscriber id -> :class:`Subscriber`
        self.subscribers: Dict[str, Subscriber] = {}
        #: Ids of the projects whose updates the user may see; None for all.
        self.readable_projects: Optional[FrozenSet[str]] = None

    def send(self, frame: str) -> None:
        """Queue one packet (text) for the client; must not block."""
        raise NotImplementedError

    @property
    def label(self) -> str:
        """Who this is, for log lines: session id and user name."""
        return "{0} (user {1})".format(self.session_id, self.user.get("username"))

    def __repr__(self) -> str:
        return "<{0} {1} {2}>".format(type(self).__name__, self.session_id,
                                      self.user.get("username"))


class EventHub:
    """Routes events between connections; see the module documentation."""

    def __init__(self, settings: Optional[HubSettings] = None,
                 encode: Callable[[Dict[str, Any]], str] = packets.event_frame) -> None:
        self.settings = settings or HubSettings()
        #: The hub's own id (``source.id`` of server events).
        self.id = uuid.uuid4().hex
        self.connections: Dict[str, Connection] = {}
        self._encode = encode
        #: topic -> subscribers limited to it; the others are general.
        self._by_topic: Dict[str, Dict[Subscriber, None]] = {}
        self._general: Dict[Subscriber, None] = {}
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._loop_thread: Optional[int] = None
        #: Called as ``relay(event, frame)`` on the loop's thread for every event
        #: published here (by a client or the server) other than the meta
        #: topics, after local routing; other server processes deliver it with
        #: :meth:`deliver_relayed`. None when this process serves alone.
        self.relay: Optional[Callable[[Dict[str, Any], str], None]] = None

    # -- life cycle -------------------------------------------------------------

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run on *loop* (events published from other threads are passed to it)."""
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def detach(self) -> None:
        """Forget every connection and the loop (the transport closed them)."""
        for connection in list(self.connections.values()):
            self.remove_connection(connection)
        self._loop = None
        self._loop_thread = None

    # -- connections ------------------------------------------------------------------

    def add_connection(self, connection: Connection) -> None:
        """Start delivering events to *connection*."""
        self.connections[connection.session_id] = connection

    def remove_connection(self, connection: Connection) -> None:
        """Drop *connection* and all its subscribers."""
        if self.connections.get(connection.session_id) is connection:
            del self.connections[connection.session_id]
        for subscriber in list(connection.subscribers.values()):
            self._unindex(subscriber)
        connection.subscribers.clear()

    def subscribers(self) -> List[Subscriber]:
        """Every subscriber of every connection."""
        return [s for c in list(self.connections.values()) for s in c.subscribers.values()]

    def may_deliver(self, topic: str) -> bool:
        """Whether some subscriber could receive an event of *topic* (cheap, any thread)."""
        return bool(self._general) or bool(self._by_topic.get(topic))

    # -- subscriptions ----------------------------------------------------------------

    def subscribe(self, connection: Connection, metadata: Any, subscription: Any) -> Dict[str, Any]:
        """Add a subscriber to *connection*; return the acknowledgement."""
        if not isinstance(metadata, dict) or metadata.get("id") in (None, ""):
            return failure("The subscriber must be an object with an id.")
        subscriber_id = str(metadata["id"])
        if subscriber_id in connection.subscribers:
            return failure('A subscriber with id "{0}" already exists.'.format(subscriber_id))
        try:
            expression = parse(subscription)
        except ValueError as error:
            return failure("Invalid subscription: {0}".format(error))
        subscriber = Subscriber(metadata, expression, connection)
        connection.subscribers[subscriber_id] = subscriber
        if expression.topics is None:
            self._general[subscriber] = None
        else:
            for topic in expression.topics:
                self._by_topic.setdefault(topic, {})[subscriber] = None
        return SUCCESS

    def unsubscribe(self, connection: Connection, metadata: Any) -> Dict[str, Any]:
        """Remove the subscriber *metadata* names from *connection*."""
        subscriber_id = metadata.get("id") if isinstance(metadata, dict) else None
        subscriber = connection.subscribers.pop(str(subscriber_id), None) \
            if subscriber_id is not None else None
        if subscriber is None:
            return failure('No subscriber with id "{0}" on this connection.'.format(subscriber_id))
        self._unindex(subscriber)
        return SUCCESS

    def _unindex(self, subscriber: Subscriber) -> None:
        topics = subscriber.subscription.topics
        if topics is None:
            self._general.pop(subscriber, None)
            return
        for topic in topics:
            group = self._by_topic.get(topic)
            if group is not None:
                group.pop(subscriber, None)
                if not group:
                    del self._by_topic[topic]

    # -- publishing ----------------------------------------------------------------------

    def publish(self, event: Dict[str, Any], sender: Optional[Connection] = None,
                frame: Optional[str] = None, relay: bool = True) -> Dict[str, Any]:
        """Route *event* (a dict with the wire keys); return the acknowledgement.

        An event from a *sender* gets the sender's user as ``source.user``
        (see the module documentation). *frame* is the event's delivery
        packet when the caller already has it; it is ignored when stamping
        changed the event. With *relay* (the default) the event is also
        handed to :attr:`relay`.
        """
        topic = event.get("topic")
        if not isinstance(topic, str) or not topic:
            return failure("The event has no topic.")
        if topic == SUBSCRIBE or topic == UNSUBSCRIBE:
            return self._change_subscription(topic, event.get("data"), sender)

        if sender is not None and stamp_user(event, sender.user):
            frame = None
        target = event.get("target")
        target_expression = None
        if target:
            try:
                target_expression = parse(target)
            except ValueError as error:
                return failure("Invalid target: {0}".format(error))

        frame = self._deliver(event, topic, target_expression, frame)
        if relay and self.relay is not None:
            try:
                self.relay(event, frame if frame is not None else self._encode(event))
            except Exception:  # noqa: BLE001 - local delivery has happened regardless
                log.exception("Could not relay event %s to the other server processes",
                              event.get("id"))
        return SUCCESS

    def _change_subscription(self, topic: str, data: Any, sender: Optional[Connection]) -> Dict[str, Any]:
        """Handle an ``ftrack.meta.subscribe`` or ``ftrack.meta.unsubscribe`` event."""
        if sender is None:
            return failure("Subscriptions need a connection.")
        if not isinstance(data, dict):
            return failure("The event data must be an object.")
        if topic == SUBSCRIBE:
            return self.subscribe(sender, data.get("subscriber"), data.get("subscription"))
        return self.unsubscribe(sender, data.get("subscriber"))

    def _deliver(self, event: Dict[str, Any], topic: str, target: Optional[Expression],
                 frame: Optional[str]) -> Optional[str]:
        """Send *event* once to every connection with a matching subscriber.

        Returns *frame*, or the frame encoded on the way (None when no
        receiver needed the whole event).
        """
        delivered = set()
        #: readable project ids -> the frame narrowed to them ("" for none)
        narrowed: Dict[FrozenSet[str], str] = {}
        by_topic = self._by_topic.get(topic)
        for group in ((by_topic, self._general) if by_topic else (self._general,)):
            for subscriber in group:
                connection = subscriber.connection
                if connection in delivered or not subscriber.subscription.match(event):
                    continue
                if target is not None and not target.match(subscriber.metadata):
                    continue
                delivered.add(connection)
                readable = connection.readable_projects
                if readable is not None and topic == UPDATE:
                    packet = narrowed.get(readable)
                    if packet is None:
                        visible = visible_update(event, readable)
                        packet = narrowed[readable] = "" if visible is None else self._encode(visible)
                    if not packet:
                        continue
                else:
                    if frame is None:
                        frame = self._encode(event)
                    packet = frame
                try:
                    connection.send(packet)
                except Exception as error:  # noqa: BLE001 - keep routing to the others
                    log.warning("Could not queue event %s for event hub client %s: %s: %s",
                                event.get("id"), connection.label, type(error).__name__, error)
        return frame

    def deliver_relayed(self, event: Dict[str, Any], frame: Optional[str] = None) -> None:
        """Route an event another server process published (never relayed again)."""
        self.publish(event, None, frame, relay=False)

    def publish_from_server(self, topic: str, data: Optional[Dict[str, Any]] = None,
                            source: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Publish an event the server originates; callable from any thread.

        *source* may carry ``user: {"id", "username"}``; its ``id`` defaults
        to the hub id. Returns the event.
        """
        source = dict(source or {})
        source.setdefault("id", self.id)
        event = {
            "id": uuid.uuid4().hex,
            "topic": topic,
            "data": data if data is not None else {},
            "source": source,
            "target": "",
            "sent": datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat(),
            "inReplyToEvent": None,
        }
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread:
            self.publish(event)
        else:
            # Encode here, off the loop: update events can be large.
            frame = self._encode(event)
            try:
                loop.call_soon_threadsafe(self.publish, event, None, frame)
            except RuntimeError:  # the loop has closed: the server is stopping
                pass
        return event


def visible_update(event: Dict[str, Any], readable: FrozenSet[str]) -> Optional[Dict[str, Any]]:
    """*event* (``ftrack.update``) with only the entities of *readable* projects.

    An entity belongs to the project at the root of its ``parents``; one
    without a project there is site-wide and stays. Returns *event* itself
    when nothing is left out and None when nothing is left.
    """
    data = event.get("data")
    entities = data.get("entities") if isinstance(data, dict) else None
    if not isinstance(entities, list):
        return event
    kept = [entity for entity in entities if _is_readable(entity, readable)]
    if len(kept) == len(entities):
        return event
    if not kept:
        return None
    parents: Dict[Any, None] = {}
    for entity in kept:
        for parent in entity.get("parents") or ():
            entity_id = parent.get("entityId") if isinstance(parent, dict) else None
            if entity_id is not None and not isinstance(entity_id, list):
                parents[entity_id] = None
    narrowed = dict(data, entities=kept, parents=list(parents))
    return dict(event, data=narrowed)


def _is_readable(entity: Any, readable: FrozenSet[str]) -> bool:
    project = _project_of(entity)
    return project is None or project in readable


def _project_of(entity: Any) -> Optional[str]:
    """The id of the project an ``ftrack.update`` entity belongs to, if any."""
    if not isinstance(entity, dict):
        return None
    for parent in reversed(entity.get("parents") or ()):
        if isinstance(parent, dict) and parent.get("entity_type") == "Project":
            entity_id = parent.get("entityId")
            return entity_id if isinstance(entity_id, str) else None
    return None


def stamp_user(event: Dict[str, Any], user: Dict[str, Any]) -> bool:
    """Make *user* the ``source.user`` of *event*; return whether that changed it.

    A ``source`` that is not an object is replaced by one holding only the
    user. A claimed user counts as unchanged only when it has exactly the
    keys and values (of the same JSON types) of *user*.
    """
    source = event.get("source")
    if not isinstance(source, dict):
        event["source"] = {"user": dict(user)}
        return True
    if same_json_object(source.get("user"), user):
        return False
    source["user"] = dict(user)
    return True


def normalise(event: Any) -> Dict[str, Any]:
    """*event* as a dict with exactly the wire keys (doc/protocol.rst, "Event keys").

    Accepts ``in_reply_to_event`` for ``inReplyToEvent``; fills ``id``,
    ``data``, ``source`` and ``target`` when missing; drops unknown keys.
    """
    if not isinstance(event, dict):
        raise ValueError("An event must be a JSON object.")
    reply_to = event.get("inReplyToEvent", event.get("in_reply_to_event"))
    data = event.get("data")
    source = event.get("source")
    return {
        "id": event.get("id") or uuid.uuid4().hex,
        "topic": event.get("topic"),
        "data": data if data is not None else {},
        "source": source if source is not None else {},
        "target": event.get("target") or "",
        "sent": event.get("sent"),
        "inReplyToEvent": reply_to,
    }
