"""Events shared by the server processes of one PostgreSQL database.

Several ``ftrack-local serve`` processes may share one database behind a
load balancer (see ``doc/local_server_processes.rst``). Each process's hub
routes what its own clients publish; :class:`EventBus` carries every event
published in one process to the hubs of the others, through PostgreSQL's
``LISTEN``/``NOTIFY``:

* :meth:`EventBus.relay` (the hub's relay hook, on the event loop) only puts
  the event's packet on a bounded queue; when the queue is full the event is
  dropped for the other processes and the drops are logged;
* a sender thread with its own connection sends what is queued in batches:
  one ``NOTIFY`` per event on :data:`CHANNEL`, carrying the packet when it
  fits PostgreSQL's payload limit, else the id of a row of :data:`TABLE`
  holding it (rows are deleted after :data:`KEEP_SECONDS`);
* a listener thread with its own connection ``LISTEN``\\ s, skips what its own
  process sent, decodes the others' packets (only when some local subscriber
  could want the topic) and hands them to :meth:`EventHub.deliver_relayed`
  on the event loop.

Plain threads with blocking connections keep the database round trips and
the JSON decoding off the event loop and work whatever loop runs the
server. Both threads reconnect after losing the database (saying so once);
events sent while a listener is disconnected are not seen by its process.

A notification's payload is ``<origin>:<sequence>:<kind>:<topic length>:
<topic><body>``: *origin* is the sending process's bus id (32 hex digits),
*sequence* keeps equal events of one batch distinct (PostgreSQL folds
identical notifications of one transaction), *kind* is ``f`` (the body is
the packet), ``r`` (the body is a row id of :data:`TABLE`) or ``w`` (no
event: wakes the own listener when stopping). The topic lets a listener
skip events no local subscriber can want without decoding them.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import queue
import threading
import time
import uuid
from typing import Any, Deque, Dict, List, Optional, Tuple

from .hub import EventHub

log = logging.getLogger(__name__)

#: The notification channel every process listens on.
CHANNEL = "ftrack_local_events"
#: The table holding packets too large for a notification.
TABLE = "ftrack_local_event_frames"
#: Largest payload sent in a notification, in bytes (PostgreSQL refuses 8000).
PAYLOAD_LIMIT = 7900
#: Longest topic written in the payload header (longer ones are left out).
TOPIC_LIMIT = 256
#: Events waiting to be sent before new ones are dropped.
QUEUE_LIMIT = 20000
#: Most events sent in one database round trip.
BATCH_LIMIT = 500
#: Most received events handed to the hub in one turn of the event loop.
DELIVERY_LIMIT = 500
#: Seconds a stored packet is kept for listeners to read.
KEEP_SECONDS = 120.0
#: Seconds between deletions of stored packets older than :data:`KEEP_SECONDS`.
PRUNE_INTERVAL = 30.0
#: Seconds between reconnection attempts (doubling up to the last value).
RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)
#: Seconds a listener waits for notifications before checking whether to stop.
POLL_SECONDS = 1.0
#: Seconds between two log lines about dropped events.
DROP_LOG_INTERVAL = 10.0
#: Advisory lock taken while creating :data:`TABLE` (processes start together).
_CREATE_LOCK = 0x66746C6576656E74

_STOP = object()


def conninfo_of(url: Any) -> str:
    """A libpq connection string for the SQLAlchemy URL *url* (password kept)."""
    from psycopg.conninfo import make_conninfo

    params: Dict[str, Any] = {
        "host": url.host, "port": url.port, "user": url.username,
        "password": url.password, "dbname": url.database,
    }
    for name, value in url.query.items():
        params[name] = value[-1] if isinstance(value, tuple) else value
    params.setdefault("application_name", "ftrack-local events")
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


def encode_payload(origin: str, sequence: int, kind: str, topic: str, body: str) -> str:
    """A notification payload (see the module documentation)."""
    if len(topic) > TOPIC_LIMIT:
        topic = ""
    return "{0}:{1:x}:{2}:{3:d}:{4}{5}".format(origin, sequence, kind, len(topic), topic, body)


def decode_payload(payload: str) -> Tuple[str, str, str, str]:
    """``(origin, kind, topic, body)`` of a payload; ValueError when malformed."""
    origin, _sequence, kind, rest = payload.split(":", 3)
    length, _, rest = rest.partition(":")
    size = int(length)
    return origin, kind, rest[:size], rest[size:]


def event_of(frame: str) -> Dict[str, Any]:
    """The event an event packet (``5:::{"name": …, "args": [event]}``) delivers."""
    if not frame.startswith("5:::"):
        raise ValueError("not an event packet")
    event = json.loads(frame[4:])["args"][0]
    if not isinstance(event, dict):
        raise ValueError("the packet holds no event")
    return event


def _fits(payload: str) -> bool:
    """Whether *payload* is short enough for a notification (UnicodeEncodeError
    when it is no valid text)."""
    if len(payload) * 4 < PAYLOAD_LIMIT:
        return True
    return len(payload.encode("utf-8")) < PAYLOAD_LIMIT


class EventBus:
    """Relays the events of *hub* to the other processes on *conninfo*'s database."""

    def __init__(self, hub: EventHub, conninfo: str, queue_limit: int = QUEUE_LIMIT) -> None:
        self.hub = hub
        self.conninfo = conninfo
        #: This process's id in the payloads it sends.
        self.origin = uuid.uuid4().hex
        self._outgoing: "queue.Queue[Any]" = queue.Queue(queue_limit)
        self._incoming: Deque[Tuple[Dict[str, Any], str]] = collections.deque()
        self._delivery_scheduled = False
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._stopping = threading.Event()
        self._listening = threading.Event()
        self._threads: List[threading.Thread] = []
        self._sequence = 0
        self._dropped = 0
        self._last_drop_log = 0.0
        #: The sender thread's database connection and whether it was lost.
        self._sender: Any = None
        self._sender_lost = False
        #: Counters for tests and diagnostics.
        self.stats = {"sent": 0, "stored": 0, "received": 0, "skipped": 0, "dropped": 0}

    # -- life cycle -------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop, timeout: float = 10.0) -> None:
        """Create the table, start both threads and become the hub's relay.

        Blocks (call it off the event loop) until the listener listens, so an
        event another process sends after this returns is received.
        """
        self._loop = loop
        self._create_table()
        self._threads = [
            threading.Thread(target=self._listen, name="ftrack-local-event-listener", daemon=True),
            threading.Thread(target=self._send, name="ftrack-local-event-sender", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        if not self._listening.wait(timeout):
            log.warning("The event listener is not connected yet; events of the other "
                        "server processes arrive once it is")
        self.hub.relay = self.relay

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued, stop both threads and stop relaying (blocks)."""
        if self.hub.relay == self.relay:
            self.hub.relay = None
        self._stopping.set()
        try:
            self._outgoing.put(_STOP, timeout=timeout)
        except queue.Full:
            pass
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = []

    def _create_table(self) -> None:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATE_LOCK,))
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS {0} (id bigserial PRIMARY KEY, "
                    "stored timestamptz NOT NULL DEFAULT now(), frame text NOT NULL)".format(TABLE))

    # -- sending ----------------------------------------------------------------------

    def relay(self, event: Dict[str, Any], frame: str) -> None:
        """Queue *event* (with its packet *frame*) for the other processes; never blocks."""
        topic = event.get("topic")
        try:
            self._outgoing.put_nowait((topic if isinstance(topic, str) else "", frame))
        except queue.Full:
            self._count_drop(1, "too many events are waiting to be sent")

    def _count_drop(self, count: int, reason: str) -> None:
        self._dropped += count
        self.stats["dropped"] += count
        now = time.monotonic()
        if now - self._last_drop_log >= DROP_LOG_INTERVAL:
            log.warning("%d event(s) not relayed to the other server processes: %s",
                        self._dropped, reason)
            self._dropped = 0
            self._last_drop_log = now

    def _send(self) -> None:
        """The sender thread: batches of queued events, sent as notifications."""
        next_prune = time.monotonic()
        stopping = False
        while not stopping:
            batch, stopping = self._next_batch()
            prune = time.monotonic() >= next_prune
            if prune:
                next_prune = time.monotonic() + PRUNE_INTERVAL
            self._send_batch(batch, prune, stopping)
        self._sender = self._discard(self._sender)

    def _next_batch(self) -> Tuple[List[Tuple[str, str]], bool]:
        """Queued events (waiting up to :data:`PRUNE_INTERVAL`) and whether to stop after them."""
        try:
            item = self._outgoing.get(timeout=PRUNE_INTERVAL)
        except queue.Empty:
            return [], False
        batch: List[Tuple[str, str]] = []
        while item is not _STOP:
            batch.append(item)
            if len(batch) >= BATCH_LIMIT:
                return batch, False
            try:
                item = self._outgoing.get_nowait()
            except queue.Empty:
                return batch, False
        return batch, True

    def _send_batch(self, batch: List[Tuple[str, str]], prune: bool, stopping: bool) -> None:
        """Send *batch*, delete old stored events (*prune*), wake the listener when *stopping*.

        While the database is away this retries (or, when *stopping*, drops
        the batch); when the database refuses the batch, its events are sent
        one by one so that only the faulty ones are lost.
        """
        attempt = 0
        one_by_one = False
        while batch or prune or stopping:
            try:
                connection = self._sender_connection()
                if batch:
                    (self._notify_each if one_by_one else self._notify)(connection, batch)
                    batch = []
                if prune:
                    connection.execute(
                        "DELETE FROM {0} WHERE stored < now() - make_interval(secs => %s)"
                        .format(TABLE), (KEEP_SECONDS,))
                    prune = False
                if stopping:
                    # Wake this process's listener so it sees it is stopping.
                    connection.execute("SELECT pg_notify(%s, %s)", (
                        CHANNEL, encode_payload(self.origin, 0, "w", "", "")))
                return
            except Exception as error:  # noqa: BLE001 - the thread must go on
                connection = self._sender
                if not (connection is None or connection.closed or connection.broken):
                    if batch and not one_by_one:
                        one_by_one = True
                    else:
                        log.exception("Could not tidy the stored events")
                        batch, prune = [], False
                        if stopping:
                            return
                    continue
                self._lose_sender(error)
                if stopping:
                    self.stats["dropped"] += len(batch)
                    return
                self._stopping.wait(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)])
                attempt += 1

    def _sender_connection(self) -> Any:
        """The sender thread's database connection, opened again when it was lost."""
        if self._sender is None or self._sender.closed:
            self._sender = self._connect()
            if self._sender_lost:
                log.warning("The event sender is connected to the database again")
                self._sender_lost = False
        return self._sender

    def _lose_sender(self, error: Exception) -> None:
        """Close the sender's broken connection, logging the loss once."""
        if not self._sender_lost:
            log.warning("The event sender lost the database (%s); reconnecting",
                        str(error).strip().splitlines()[0] if str(error) else error)
            self._sender_lost = True
        self._sender = self._discard(self._sender)

    def _notify(self, connection: Any, batch: List[Tuple[str, str]]) -> None:
        """Send *batch* in one transaction: notifications in order, large packets stored."""
        payloads = []
        stored = []
        for topic, frame in batch:
            self._sequence += 1
            payload = encode_payload(self.origin, self._sequence, "f", topic, frame)
            if _fits(payload):
                payloads.append(payload)
            else:
                payloads.append(None)
                stored.append((len(payloads) - 1, self._sequence, topic, frame))
        with connection.transaction():
            for index, sequence, topic, frame in stored:
                row_id = connection.execute(
                    "INSERT INTO {0} (frame) VALUES (%s) RETURNING id".format(TABLE),
                    (frame,)).fetchone()[0]
                payloads[index] = encode_payload(self.origin, sequence, "r", topic, str(row_id))
            connection.execute("SELECT pg_notify(%s, payload) FROM unnest(%s::text[]) AS payload",
                               (CHANNEL, payloads))
        self.stats["sent"] += len(batch)
        self.stats["stored"] += len(stored)

    def _notify_each(self, connection: Any, batch: List[Tuple[str, str]]) -> None:
        """Send *batch* one event per transaction, logging and dropping refused ones."""
        for item in batch:
            try:
                self._notify(connection, [item])
            except Exception as error:  # noqa: BLE001 - one bad event must not stop the others
                if connection.closed or connection.broken:
                    raise
                log.warning("Could not relay an event of topic %r to the other server "
                            "processes: %s", item[0], error)
                self.stats["dropped"] += 1

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.conninfo, autocommit=True)

    @staticmethod
    def _discard(connection: Any) -> None:
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - it is gone either way
                pass
        return None

    # -- receiving -------------------------------------------------------------------

    def _listen(self) -> None:
        """The listener thread: notifications of the other processes to the hub."""
        lost = False
        attempt = 0
        while not self._stopping.is_set():
            connection = fetcher = None
            try:
                connection = self._connect()
                connection.execute("LISTEN {0}".format(CHANNEL))
                if lost:
                    log.warning("The event listener is connected to the database again")
                    lost = False
                attempt = 0
                self._listening.set()
                while not self._stopping.is_set():
                    for notify in connection.notifies(timeout=POLL_SECONDS):
                        fetcher = self._receive(notify.payload, fetcher)
                        if self._stopping.is_set():
                            break
            except Exception as error:  # noqa: BLE001 - the thread must go on
                if self._stopping.is_set():
                    break
                if not lost:
                    log.warning("The event listener lost the database (%s); reconnecting; "
                                "events of the other server processes are missed meanwhile",
                                str(error).strip().splitlines()[0] if str(error) else error)
                    lost = True
                self._stopping.wait(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)])
                attempt += 1
            finally:
                self._discard(fetcher)
                self._discard(connection)

    def _receive(self, payload: str, fetcher: Any) -> Any:
        """Handle one notification; return the connection reading stored packets."""
        if payload.startswith(self.origin):
            return fetcher
        try:
            _origin, kind, topic, body = decode_payload(payload)
        except ValueError:
            log.warning("Ignoring a malformed event notification")
            return fetcher
        if kind == "w":
            return fetcher
        if topic and not self.hub.may_deliver(topic):
            self.stats["skipped"] += 1
            return fetcher
        if kind == "r":
            if fetcher is None or fetcher.closed:
                fetcher = self._connect()
            row = fetcher.execute("SELECT frame FROM {0} WHERE id = %s".format(TABLE),
                                  (int(body),)).fetchone()
            if row is None:
                log.warning("A large event of another server process was deleted before "
                            "it could be read (it is older than %s s)", KEEP_SECONDS)
                return fetcher
            frame = row[0]
        else:
            frame = body
        try:
            event = event_of(frame)
        except (ValueError, KeyError, IndexError, TypeError):
            log.warning("Ignoring an event notification without a valid event")
            return fetcher
        self.stats["received"] += 1
        self._incoming.append((event, frame))
        if not self._delivery_scheduled:
            self._delivery_scheduled = True
            try:
                assert self._loop is not None
                self._loop.call_soon_threadsafe(self._deliver)
            except RuntimeError:  # the loop has closed: the server is stopping
                self._incoming.clear()
        return fetcher

    def _deliver(self) -> None:
        """On the event loop: route received events locally (a bounded number per turn)."""
        incoming = self._incoming
        for _ in range(DELIVERY_LIMIT):
            if not incoming:
                break
            event, frame = incoming.popleft()
            try:
                self.hub.deliver_relayed(event, frame)
            except Exception:  # noqa: BLE001 - one bad event must not stop the others
                log.exception("Could not deliver an event of another server process")
        if not incoming:
            self._delivery_scheduled = False
            if not incoming:
                return
            self._delivery_scheduled = True
        assert self._loop is not None
        self._loop.call_soon(self._deliver)
