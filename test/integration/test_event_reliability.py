"""Reliability of the event hub end to end: this project's ``ftrack_api``
sessions against local servers, under load, across server restarts, idle
periods, dropped connections and misbehaving clients."""

import contextlib
import threading
import time
import uuid

import pytest
import requests
import websocket

import ftrack_api
import ftrack_api.event.base
import ftrack_api.exception
from ftrack_local.server import LocalServer
from ftrack_local.testing import database_url, throwaway_database
from hub_client import TIMEOUT, HubClient, handshake, make_event, websocket_url

pytestmark = pytest.mark.timeout(240)


def unique_topic():
    return "test.reliability." + uuid.uuid4().hex[:10]


def wait_until(condition, timeout, what):
    """Poll *condition* until true; fail after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.02)


@pytest.fixture
def open_session(tmp_path):
    """Factory of connected ``ftrack_api`` sessions, closed after the test."""
    sessions = []

    def open_(server, connect=True):
        session = ftrack_api.Session(
            server_url=server.url, api_user=server.api_user, api_key=server.api_key,
            auto_connect_event_hub=False, schema_cache_path=str(tmp_path), plugin_paths=[])
        sessions.append(session)
        if connect:
            session.event_hub.connect()
        return session

    yield open_
    for session in sessions:
        with contextlib.suppress(Exception):
            session.close()


class Collector:
    """Records the events a subscriber callback gets (called from ``wait``)."""

    def __init__(self):
        self.events = []
        self.lock = threading.Lock()

    def __call__(self, event):
        with self.lock:
            self.events.append(event)

    @property
    def ids(self):
        with self.lock:
            return [event["id"] for event in self.events]

    def numbers(self):
        with self.lock:
            return [event["data"]["n"] for event in self.events]


def pump_until(session, condition, timeout, what):
    """Run ``session.event_hub.wait`` in short steps until *condition* holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        session.event_hub.wait(0.05)


def publish_numbers(session, topic, numbers):
    """Publish one event per number; return the event ids."""
    ids = []
    for number in numbers:
        event = ftrack_api.event.base.Event(topic=topic, data={"n": number})
        session.event_hub.publish(event)
        ids.append(event["id"])
    return ids


def server_subscriber_ids(server):
    return {subscriber.id for subscriber in server.event_hub.subscribers()}


# -- volume ------------------------------------------------------------------------------

EVENT_COUNT = 10000


@pytest.mark.slow
def test_every_subscriber_gets_every_event_once(ftrack_server, open_session):
    topic = unique_topic()
    publishers = [open_session(ftrack_server) for _ in range(2)]
    subscribers = [open_session(ftrack_server) for _ in range(3)]
    collectors = []
    for session in subscribers:
        collector = Collector()
        session.event_hub.subscribe("topic=" + topic, collector)
        collectors.append(collector)

    failures = []
    deadline = time.monotonic() + 150

    def consume(session, collector):
        try:
            while len(collector.events) < EVENT_COUNT and time.monotonic() < deadline:
                session.event_hub.wait(0.1)
            # Anything arriving late would be a duplicate.
            session.event_hub.wait(0.5)
        except Exception as error:  # noqa: BLE001 - reported by the test
            failures.append(error)

    consumers = [threading.Thread(target=consume, args=pair)
                 for pair in zip(subscribers, collectors)]
    for thread in consumers:
        thread.start()

    published = [[], []]

    def produce(index):
        half = EVENT_COUNT // 2
        numbers = range(index * half, (index + 1) * half)
        try:
            published[index] = publish_numbers(publishers[index], topic, numbers)
        except Exception as error:  # noqa: BLE001 - reported by the test
            failures.append(error)

    producers = [threading.Thread(target=produce, args=(index,)) for index in range(2)]
    for thread in producers:
        thread.start()
    for thread in producers + consumers:
        thread.join(max(1, deadline - time.monotonic() + 5))
        assert not thread.is_alive(), "a publisher or subscriber did not finish"
    assert failures == []

    expected = set(published[0]) | set(published[1])
    assert len(expected) == EVENT_COUNT
    for collector in collectors:
        ids = collector.ids
        assert len(ids) == EVENT_COUNT, (len(ids), len(set(ids)))
        assert len(set(ids)) == EVENT_COUNT, "duplicated events"
        assert set(ids) == expected
        numbers = collector.numbers()
        assert sorted(numbers) == list(range(EVENT_COUNT))
        # Each publisher's events arrive in the order it published them.
        half = EVENT_COUNT // 2
        assert [n for n in numbers if n < half] == list(range(half))
        assert [n for n in numbers if n >= half] == list(range(half, EVENT_COUNT))


def test_publishes_while_connecting_in_background_are_delivered(ftrack_server, open_session,
                                                                tmp_path):
    topic = unique_topic()
    listener = open_session(ftrack_server)
    received = Collector()
    listener.event_hub.subscribe("topic=" + topic, received)
    session = ftrack_api.Session(
        server_url=ftrack_server.url, api_user=ftrack_server.api_user,
        api_key=ftrack_server.api_key, auto_connect_event_hub=True,
        schema_cache_path=str(tmp_path), plugin_paths=[])
    try:
        echoed = Collector()
        session.event_hub.subscribe("topic=" + topic, echoed)
        sent = publish_numbers(session, topic, range(100))
        pump_until(listener, lambda: len(received.ids) >= 100, 30, "the early events")
        pump_until(session, lambda: len(echoed.ids) >= 100, 30, "the early events, echoed")
        assert received.ids == sent
        assert sorted(echoed.ids) == sorted(sent)
    finally:
        session.close()


# -- server restart ----------------------------------------------------------------------

@contextlib.contextmanager
def restartable_server(data_dir):
    """A server and a function restarting it on the same port, data and key."""
    with throwaway_database(database_url()) as database:
        servers = [LocalServer(data_dir=data_dir, port=0, database_url=database).start()]

        def restart(between=None):
            old = servers[-1]
            old.stop()
            if between is not None:
                between()
            servers.append(LocalServer(data_dir=data_dir, port=old.port, database_url=database,
                                       api_user=old.api_user, api_key=old.api_key).start())
            return servers[-1]

        try:
            yield servers[0], restart
        finally:
            for server in servers:
                server.stop()


def test_subscriber_survives_server_restart(tmp_path, open_session):
    topic = unique_topic()
    with restartable_server(str(tmp_path / "data")) as (server, restart):
        subscriber = open_session(server)
        publisher = open_session(server)
        for session in (subscriber, publisher):
            session.event_hub.reconnect_delay = 0.2
        received = Collector()
        subscriber.event_hub.subscribe("topic=" + topic, received)
        # The publisher hears its own topic too: its subscription is sent
        # again before its queued events on reconnection.
        echoed = Collector()
        publisher.event_hub.subscribe("topic=" + topic, echoed)

        [before] = publish_numbers(publisher, topic, [1])
        pump_until(subscriber, lambda: received.ids == [before], 20, "the first event")
        old_subscriber_ids = server_subscriber_ids(server)

        queued = []

        def publish_while_down():
            wait_until(lambda: not subscriber.event_hub.connected
                       and not publisher.event_hub.connected, 20,
                       "the hubs to notice the server is gone")
            # Publishing while the hub reconnects queues the event.
            queued.extend(publish_numbers(publisher, topic, [2]))

        new_server = restart(between=publish_while_down)
        assert new_server.url == server.url
        wait_until(lambda: subscriber.event_hub.connected and publisher.event_hub.connected,
                   30, "both hubs to reconnect")
        # Subscriptions are back on the new server, with the same ids.
        wait_until(lambda: old_subscriber_ids <= server_subscriber_ids(new_server), 10,
                   "the subscriptions to be sent again")

        pump_until(publisher, lambda: queued[0] in echoed.ids, 20,
                   "the event queued while the server was down")
        [after] = publish_numbers(publisher, topic, [3])
        pump_until(subscriber, lambda: after in received.ids, 20,
                   "an event published after the restart")
        pump_until(publisher, lambda: after in echoed.ids, 20, "the echo after the restart")
        subscriber.event_hub.wait(0.3)
        assert echoed.numbers() == [1, 2, 3]
        # The other subscriber gets the queued event only if it was back
        # before the publisher flushed it (the server keeps no backlog).
        assert received.numbers() in ([1, 3], [1, 2, 3])
        assert len(received.ids) == len(set(received.ids))


def test_hub_gives_up_when_the_server_stays_away(tmp_path, open_session):
    topic = unique_topic()
    with restartable_server(str(tmp_path / "data")) as (server, restart):
        session = open_session(server)
        session.event_hub.reconnect_attempts = 2
        session.event_hub.reconnect_delay = 0.1
        gone = Collector()
        session.event_hub.subscribe("topic=ftrack.meta.disconnected", gone)
        session.event_hub.subscribe("topic=" + topic, Collector())
        server.stop()
        pump_until(session, lambda: gone.events, 30, "ftrack.meta.disconnected")
        assert not session.event_hub.connected
        with pytest.raises(ftrack_api.exception.EventHubConnectionError):
            publish_numbers(session, topic, [1])


# -- heartbeats --------------------------------------------------------------------------

@pytest.mark.slow
def test_idle_connection_stays_up(ftrack_fresh_server, open_session):
    settings = ftrack_fresh_server.event_hub.settings
    settings.heartbeat_interval = 0.2
    settings.heartbeat_timeout = 1.5
    topic = unique_topic()
    session = open_session(ftrack_fresh_server)
    received = Collector()
    session.event_hub.subscribe("topic=" + topic, received)
    connections = set(ftrack_fresh_server.event_hub.connections)
    assert len(connections) == 1

    # Idle for several heartbeat timeouts, without calling wait().
    time.sleep(4 * settings.heartbeat_timeout)

    assert session.event_hub.connected
    assert set(ftrack_fresh_server.event_hub.connections) == connections
    [sent] = publish_numbers(session, topic, [1])
    pump_until(session, lambda: received.ids == [sent], 10, "the event after idling")


# -- misbehaving clients -----------------------------------------------------------------

BAD_FRAMES = [
    "garbage",
    "",
    ":::",
    "5",
    "9:::whatever",
    "3:::a message",
    "4:::{\"json\": true}",
    "5:::not json",
    "5:1+::not json either",
    "5:2+::[1, 2, 3]",
    "5:3+::{\"name\": \"something.else\", \"args\": [{}]}",
    "5:4+::{\"name\": \"ftrack.event\", \"args\": []}",
    "5:5+::{\"name\": \"ftrack.event\", \"args\": [1]}",
    "5:6+::{\"name\": \"ftrack.event\", \"args\": [{\"data\": {}}]}",
    "5:7+::{\"name\": \"ftrack.event\", \"args\": [{\"topic\": \"x\", \"target\": \"((\"}]}",
    "5:8+::{\"name\": \"ftrack.event\", \"args\": [{\"topic\": \"ftrack.meta.subscribe\", "
    "\"data\": {\"subscriber\": {\"id\": \"s\"}, \"subscription\": \"topic=(\"}}]}",
    "5:9+::{\"name\": \"ftrack.event\", \"args\": [{\"topic\": \"ftrack.meta.unsubscribe\", "
    "\"data\": {\"subscriber\": \"nobody\"}}]}",
    "6:::7+[{\"success\": true}]",
    "7:::an error from the client",
    "\u00e9\u00e9\u00e9:::\u2603",
    "5:::" + "{" * 10000,
]


@pytest.mark.slow
def test_bad_clients_do_not_disturb_others(ftrack_server, open_session):
    topic = unique_topic()
    listener = open_session(ftrack_server)
    received = Collector()
    listener.event_hub.subscribe("topic=" + topic, received)
    publisher = open_session(ftrack_server)
    sent = []

    def publish_one():
        sent.extend(publish_numbers(publisher, topic, [len(sent)]))

    publish_one()

    # Bad handshakes.
    assert handshake(ftrack_server, key="wrong-key").status_code == 401
    assert handshake(ftrack_server, user="nobody-here").status_code == 401
    assert requests.get(ftrack_server.url + "/socket.io/1/", timeout=TIMEOUT).status_code == 401
    publish_one()
    for sid in ("0" * 32, "not-a-session", uuid.uuid4().hex):
        with pytest.raises(websocket.WebSocketBadStatusException) as raised:
            websocket.create_connection(websocket_url(ftrack_server, sid), timeout=TIMEOUT)
        assert 400 <= raised.value.status_code < 500
    publish_one()
    # A WebSocket upgrade with a session id that was never handed out, on a
    # path that looks right but carries credentials only in the query.
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(
            websocket_url(ftrack_server, "abc") + "?api_user=admin&api_key=wrong",
            timeout=TIMEOUT)
    publish_one()

    # Bad frames on an authenticated connection: each is refused, the
    # connection and everyone else carry on.
    with HubClient(ftrack_server) as bad:
        for frame in BAD_FRAMES:
            bad.send_raw(frame)
            publish_one()
        bad.ws.send_binary(b"\x00\x01binary")
        publish_one()
        acks = {}
        wait_until_acks = time.monotonic() + TIMEOUT
        while len(acks) < 9 and time.monotonic() < wait_until_acks:
            bad._read(0.2)
            acks.update(bad.acks)
        for message_id in [str(number) for number in range(1, 10)]:
            assert acks[message_id][0]["success"] is False, (message_id, acks)
        assert any(frame.startswith("7:::") for frame in bad.frames)
        # The bad connection itself still works.
        bad.acks.clear()
        bad.next_id = 100
        assert bad.publish(make_event(topic, {"n": "raw"})) == {"success": True}

    # A client that asks to disconnect is let go; nobody else is.
    with HubClient(ftrack_server) as leaving:
        leaving.send_raw("0::")
        leaving.ws.settimeout(TIMEOUT)
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            while leaving.ws.recv():
                pass
            raise ConnectionError("closed")
    publish_one()

    # A client that vanishes in the middle of a frame.
    with HubClient(ftrack_server) as vanishing:
        vanishing.ws.sock.sendall(b"\x81\x7e\x10\x00partial")
    publish_one()

    pump_until(listener, lambda: set(sent) <= set(received.ids), 30,
               "every event published between the bad packets")
    listener.event_hub.wait(0.3)
    numbers = [n for n in received.numbers() if n != "raw"]
    assert sorted(numbers) == list(range(len(sent)))
    assert received.numbers().count("raw") == 1
    assert listener.event_hub.connected and publisher.event_hub.connected


# -- connections dropped by the server ---------------------------------------------------

def test_client_dropped_by_server_reconnects(ftrack_fresh_server, open_session):
    """The server says goodbye (``0::``) to a client it finds silent."""
    server = ftrack_fresh_server
    settings = server.event_hub.settings
    topic = unique_topic()
    # Heartbeats further apart than the timeout: the client looks silent at
    # the first check and is dropped with ``0::``. (A connection reads the
    # interval when it starts sleeping, so this is set before connecting.)
    settings.heartbeat_timeout = 0.2
    settings.heartbeat_interval = 0.5
    session = open_session(server, connect=False)
    session.event_hub.reconnect_delay = 0.2
    received = Collector()
    subscriber_id = session.event_hub.subscribe("topic=" + topic, received)
    session.event_hub.connect()
    [first_connection] = list(server.event_hub.connections)
    wait_until(lambda: first_connection not in server.event_hub.connections, 10,
               "the server to drop the client")
    settings.heartbeat_timeout = 60.0
    settings.heartbeat_interval = 10.0

    wait_until(lambda: session.event_hub.connected and server.event_hub.connections
               and first_connection not in server.event_hub.connections, 20,
               "the client to reconnect")
    wait_until(lambda: subscriber_id in server_subscriber_ids(server), 10,
               "the subscription to come back")
    [sent] = publish_numbers(session, topic, [1])
    pump_until(session, lambda: received.ids == [sent], 10, "an event after reconnecting")


def test_client_whose_socket_is_cut_reconnects(ftrack_fresh_server, open_session):
    """The TCP connection ends without any goodbye packet."""
    server = ftrack_fresh_server
    topic = unique_topic()
    session = open_session(server)
    session.event_hub.reconnect_delay = 0.2
    received = Collector()
    subscriber_id = session.event_hub.subscribe("topic=" + topic, received)
    [first_connection] = list(server.event_hub.connections)
    connection = server.event_hub.connections[first_connection]
    # Abort the TCP connection from the server's event loop, as a crashed
    # proxy or network would: no close frame, no ``0::``.
    server.event_hub._loop.call_soon_threadsafe(connection.transport.abort)

    wait_until(lambda: session.event_hub.connected and server.event_hub.connections
               and first_connection not in server.event_hub.connections, 20,
               "the client to reconnect")
    wait_until(lambda: subscriber_id in server_subscriber_ids(server), 10,
               "the subscription to come back")
    [sent] = publish_numbers(session, topic, [1])
    pump_until(session, lambda: received.ids == [sent], 10, "an event after reconnecting")



RESTARTS = 3


def test_publishing_through_restarts_never_raises(tmp_path, open_session):
    """A hub that lost its connection queues what is published meanwhile."""
    topic = unique_topic()
    with restartable_server(str(tmp_path / "data")) as (server, restart):
        publisher = open_session(server)
        publisher.event_hub.reconnect_delay = 0.2
        errors = []
        published = []
        stop = threading.Event()

        def keep_publishing():
            number = 0
            while not stop.is_set() and number < 100000:
                try:
                    published.extend(publish_numbers(publisher, topic, [number]))
                except Exception as error:  # noqa: BLE001 - the observation
                    errors.append(repr(error))
                number += 1
                time.sleep(0.0005)

        thread = threading.Thread(target=keep_publishing)
        thread.start()
        try:
            for _ in range(RESTARTS):
                time.sleep(0.1)
                restart()
                wait_until(lambda: publisher.event_hub.connected, 30, "the hub to reconnect")
        finally:
            stop.set()
            thread.join(30)
        assert published
        assert sorted(set(errors)) == [], len(errors)
