"""The hub's connection life cycle against a stand-in event server.

``websocket.create_connection`` and the handshake are replaced, so the hub
talks to :class:`ServerSocket`, which answers like the event server (every
event packet is acknowledged). What the hub keeps in ``_connection`` is that
socket: tests inspect it, replace it and cut it.
"""

import json
import logging
import queue
import threading
import time

import pytest
import websocket

import ftrack_api.event.base
import ftrack_api.event.hub
import ftrack_api.exception

Event = ftrack_api.event.base.Event

pytestmark = pytest.mark.timeout(60)


class ServerSocket(object):
    """Stands in for the WebSocket to an event server."""

    def __init__(self, url=None, **options):
        self.url = url
        self.options = options
        self.connected = True
        self.sent = []
        self.incoming = queue.Queue()
        self.lock = threading.Lock()

    # What the hub uses.
    def send(self, frame):
        if not self.connected:
            raise websocket.WebSocketConnectionClosedException("socket is already closed.")
        with self.lock:
            self.sent.append(frame)
        code, identifier = frame.split(":", 2)[:2]
        if code == "5" and identifier.endswith("+"):
            self.feed('6:::{0}+[{{"success": true}}]'.format(identifier[:-1]))

    def recv(self):
        item = self.incoming.get()
        if isinstance(item, Exception):
            raise item
        return item

    def close(self, timeout=None):
        self.connected = False
        self.incoming.put(websocket.WebSocketConnectionClosedException("closed"))

    def shutdown(self):
        self.close()

    # What the tests use.
    def feed(self, frame):
        self.incoming.put(frame)

    def cut(self):
        """End the connection as a network failure would."""
        self.connected = False
        self.incoming.put(ConnectionResetError("connection reset by peer"))

    def events(self):
        """Events sent, in order."""
        with self.lock:
            frames = list(self.sent)
        events = []
        for frame in frames:
            if frame.startswith("5:"):
                events.append(json.loads(frame.split(":", 3)[3])["args"][0])
        return events

    def topics(self):
        return [event["topic"] for event in self.events()]


class Server(object):
    """Hands out :class:`ServerSocket` connections; can refuse them."""

    def __init__(self):
        self.sockets = []
        self.refuse = False
        self.transports = ["websocket", "xhr-polling"]

    def create_connection(self, url, **options):
        if self.refuse:
            raise ConnectionRefusedError("connection refused")
        socket_ = ServerSocket(url, **options)
        self.sockets.append(socket_)
        return socket_

    @property
    def latest(self):
        return self.sockets[-1]


def wait_for(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.fixture
def server(monkeypatch):
    server = Server()
    monkeypatch.setattr(websocket, "create_connection", server.create_connection)
    return server


@pytest.fixture
def hub(server, monkeypatch):
    hub = ftrack_api.event.hub.EventHub(
        "http://events.invalid:8080", "martin", "key",
        headers={"custom": "value"}, cookies={"a": "1", "b": "2"},
    )

    def session():
        if server.refuse:
            raise ftrack_api.exception.EventHubConnectionError("Failed to connect to server: refused.")
        return ftrack_api.event.hub.SocketIoSession("sid", "60", list(server.transports))

    monkeypatch.setattr(hub, "_get_socket_io_session", session)
    hub._auto_reconnect_delay = 0.05
    yield hub
    hub._stop_reconnecting.set()
    if hub.connected:
        hub.disconnect()


def test_connect_keeps_the_websocket_in_connection(hub, server):
    hub.connect()
    socket_ = server.latest
    assert hub._connection is socket_
    assert hub.connected is True
    assert hub._connection_initialised is True
    assert socket_.url == "ws://events.invalid:8080/socket.io/1/websocket/sid"
    assert socket_.options["header"] == ["custom: value"]
    assert socket_.options["cookie"] == "a=1; b=2"
    assert isinstance(hub._processor_thread, ftrack_api.event.hub._ProcessorThread)
    assert hub._processor_thread.is_alive()
    # The hub's own subscriber for replies is announced.
    [subscribe] = socket_.events()
    assert subscribe["topic"] == "ftrack.meta.subscribe"
    assert subscribe["data"] == {
        "subscriber": {"id": hub.id}, "subscription": "topic=ftrack.meta.reply"
    }

    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.connect()
    assert str(error.value) == "Already connected."


def test_connected_follows_the_connection_object(hub, server):
    hub.connect()
    server.latest.connected = False
    assert hub.connected is False
    server.latest.connected = True
    assert hub.connected is True


def test_server_without_websocket_transport(hub, server, caplog):
    server.transports = ["xhr-polling"]
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
            hub.connect()
    assert "Server does not support websocket sessions." in str(error.value)
    assert "Server does not support websocket sessions." in caplog.text
    assert server.sockets == []
    assert hub.connected is False


def test_failed_websocket_is_a_connection_error(hub, server):
    server.refuse = True
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.connect()
    assert str(error.value) == (
        'Failed to connect to event server at http://events.invalid:8080 with error: '
        '"Failed to connect to server: refused.".'
    )
    assert error.value.details == {
        "error": "Failed to connect to server: refused.",
        "server_url": "http://events.invalid:8080",
    }


def test_publish_while_initialised_is_queued_and_sent_on_connect(hub, server):
    hub.subscribe("topic=test", lambda event: None, subscriber={"id": "early"})
    hub.init_connection()
    event = Event(topic="test")
    assert hub.publish(event) is True
    assert hub._event_send_queue.qsize() == 1
    assert hub._event_send_queue.queue[0][0] is event

    hub.connect()
    assert hub._event_send_queue.qsize() == 0
    topics = server.latest.topics()
    # Subscriptions go first, then the queued event.
    assert topics == ["ftrack.meta.subscribe", "ftrack.meta.subscribe", "test"]
    assert server.latest.events()[2]["id"] == event["id"]


def test_publish_before_init_connection_fails(hub):
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.publish(Event(topic="test"))
    assert str(error.value) == "Cannot publish event asynchronously as not connected to server."
    assert hub._event_send_queue.qsize() == 0


def test_on_reply_of_queued_event_is_registered_when_sent(hub, server):
    hub.init_connection()
    replies = []
    event = Event(topic="question")
    hub.publish(event, on_reply=replies.append)
    hub.connect()
    assert hub._reply_callbacks[event["id"]] == replies.append
    reply = {"topic": "ftrack.meta.reply", "data": {"answer": 42}, "inReplyToEvent": event["id"],
             "target": "id={0}".format(hub.id), "source": {"id": "other"}, "id": "r1"}
    server.latest.feed("5:::" + json.dumps({"name": "ftrack.event", "args": [reply]}))
    wait_for(lambda: hub._event_queue.qsize() >= 1)
    hub.wait(0.2)
    assert [item["data"] for item in replies] == [{"answer": 42}]


def test_events_go_through_whatever_connection_is_set(hub, server, caplog):
    hub.connect()
    replacement = ServerSocket()
    original = hub._connection
    hub._connection = replacement
    hub.publish(Event(topic="through-replacement"))
    assert replacement.topics() == ["through-replacement"]
    assert "through-replacement" not in original.topics()

    class NoSend(object):
        connected = True

        def close(self):
            pass

    hub._connection = NoSend()
    event = Event(topic="a-topic", data=dict(status="fail"))
    assert hub.publish(event) is None
    messages = [record.getMessage() for record in caplog.records]
    assert "Error sending event {0}.".format(event) in messages
    hub._connection = original


def test_reader_keeps_reading_its_own_connection(hub, server):
    hub.connect()
    original = hub._connection
    hub._connection = ServerSocket()
    original.feed("5:::" + json.dumps({"args": [{"topic": "still-read", "id": "x"}]}))
    wait_for(lambda: hub._event_queue.qsize() >= 1)
    assert hub._event_queue.get_nowait()["topic"] == "still-read"
    hub._connection = original


def test_heartbeat_is_answered_on_the_connection(hub, server):
    hub.connect()
    server.latest.feed("2::")
    wait_for(lambda: "2:::" in server.latest.sent)


def test_disconnect_unsubscribes_everyone(hub, server):
    hub.subscribe("topic=a", lambda event: None, subscriber={"id": "one", "app": "maya"})
    hub.connect()
    socket_ = server.latest
    reader = hub._processor_thread
    hub.disconnect()

    assert hub._subscribers == []
    assert hub._intentional_disconnect is True
    assert hub._connection_initialised is False
    assert hub.connected is False
    assert hub._connection is None
    assert socket_.connected is False
    assert not reader.is_alive()
    unsubscribed = [event["data"]["subscriber"] for event in socket_.events()
                    if event["topic"] == "ftrack.meta.unsubscribe"]
    assert unsubscribed == [{"id": "one", "app": "maya"}, {"id": hub.id}]
    # A wait() running elsewhere ends.
    assert hub._event_queue.get_nowait()["topic"] == "ftrack.meta.disconnected"

    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.disconnect()
    assert str(error.value) == "Not currently connected."

    # Connecting again brings back the hub's reply subscriber only.
    hub.connect()
    assert [item.metadata["id"] for item in hub._subscribers] == [hub.id]


def test_disconnect_without_unsubscribing(hub, server):
    identifier = hub.subscribe("topic=a", lambda event: None)
    hub.connect()
    hub.disconnect(unsubscribe=False)
    assert hub.get_subscriber_by_identifier(identifier) is not None
    assert "ftrack.meta.unsubscribe" not in server.latest.topics()
    assert hub._connection_initialised is False


def test_disconnect_for_reconnecting_keeps_queueing(hub, server):
    hub.connect()
    hub.disconnect(reconnect=True)
    assert hub.connected is False
    assert hub._connection_initialised is True
    assert hub.publish(Event(topic="meanwhile")) is True
    hub.connect()
    assert "meanwhile" in server.latest.topics()
    assert len(server.sockets) == 2


def test_unsubscribe_while_disconnected_tells_nobody(hub, server):
    identifier = hub.subscribe("topic=a", lambda event: None)
    hub.connect()
    hub.disconnect(unsubscribe=False)
    sent = list(server.latest.sent)
    hub.unsubscribe(identifier)
    assert server.latest.sent == sent
    assert [item.metadata["id"] for item in hub._subscribers] == [hub.id]


def test_subscribe_while_connected_is_announced(hub, server):
    hub.connect()
    hub.subscribe("topic=late", lambda event: None, subscriber={"id": "late"})
    wait_for(lambda: len(server.latest.events()) == 2)
    assert server.latest.events()[1]["data"] == {
        "subscriber": {"id": "late"}, "subscription": "topic=late"
    }
    hub.unsubscribe("late")
    assert server.latest.events()[2]["topic"] == "ftrack.meta.unsubscribe"


def test_refused_subscription_is_logged(hub, server, caplog):
    hub.connect()
    subscriber = hub.get_subscriber_by_identifier(hub.id)
    hub._on_subscribed(subscriber, {"success": False, "message": "exists"})
    hub._on_unsubscribed(subscriber, {"success": False, "message": "unknown"})
    assert "Server failed to subscribe subscriber {0}: exists".format(hub.id) in caplog.text
    assert "Server failed to unsubscribe subscriber {0}: unknown".format(hub.id) in caplog.text


def test_reconnect_opens_a_new_connection_with_the_same_subscribers(hub, server):
    hub.subscribe("topic=a", lambda event: None, subscriber={"id": "kept"})
    hub.connect()
    hub.reconnect(attempts=2, delay=0)
    assert len(server.sockets) == 2
    assert server.sockets[0].connected is False
    assert hub._connection is server.sockets[1]
    announced = [event["data"]["subscriber"]["id"] for event in server.sockets[1].events()
                 if event["topic"] == "ftrack.meta.subscribe"]
    assert sorted(announced) == sorted(["kept", hub.id])


def test_reconnect_failure_message(hub, server):
    hub.connect()
    server.refuse = True
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.reconnect(attempts=2, delay=0.01)
    assert str(error.value) == (
        "Failed to reconnect to event server at http://events.invalid:8080 after 2 attempts."
    )


def test_lost_connection_is_reestablished(hub, server):
    hub.subscribe("topic=a", lambda event: None, subscriber={"id": "kept"})
    hub.connect()
    first = server.latest
    server.refuse = True
    first.cut()
    wait_for(lambda: not hub.connected)
    # Published while reconnecting: queued, not refused.
    assert hub.publish(Event(topic="during-outage")) is True
    server.refuse = False
    wait_for(lambda: hub.connected and len(server.sockets) == 2)
    wait_for(lambda: "during-outage" in server.latest.topics())
    topics = server.latest.topics()
    assert topics.index("during-outage") > max(
        index for index, topic in enumerate(topics) if topic == "ftrack.meta.subscribe"
    )


def test_server_disconnect_packet_reconnects(hub, server):
    hub.connect()
    server.latest.feed("0::")
    wait_for(lambda: len(server.sockets) == 2 and hub.connected)
    assert server.sockets[0].connected is False


def test_hub_gives_up_after_its_attempts(hub, server):
    hub._auto_reconnect_attempts = 2
    hub.connect()
    server.refuse = True
    server.latest.cut()
    deadline = time.monotonic() + 10
    seen = []
    hub.subscribe("topic=ftrack.meta.disconnected", seen.append)
    while not seen:
        assert time.monotonic() < deadline
        hub.wait(0.05)
    assert hub.connected is False
    with pytest.raises(ftrack_api.exception.EventHubConnectionError):
        hub.publish(Event(topic="too-late"))


def test_intentional_disconnect_does_not_reconnect(hub, server):
    hub.connect()
    hub.disconnect()
    time.sleep(0.3)
    assert len(server.sockets) == 1
    assert hub.connected is False


def test_disconnect_ends_wait_in_another_thread(hub, server):
    hub.connect()
    finished = threading.Event()

    def waiting():
        hub.wait()
        finished.set()

    thread = threading.Thread(target=waiting, daemon=True)
    thread.start()
    time.sleep(0.1)
    hub.disconnect()
    assert finished.wait(5)


def test_background_connect_queues_then_sends(hub, server):
    thread = hub._connect_in_background()
    assert hub._connection_initialised is True
    hub.publish(Event(topic="early"))
    thread.join(5)
    assert hub.connected
    wait_for(lambda: "early" in server.latest.topics())


def test_disconnect_cancels_pending_background_connect(hub, server):
    with hub._connection_lock:
        thread = hub._connect_in_background()
        with pytest.raises(ftrack_api.exception.EventHubConnectionError):
            hub.disconnect()
    thread.join(5)
    assert server.sockets == []
    assert hub.connected is False
    assert hub._connection_initialised is False


def test_events_received_reach_subscribers_in_wait(hub, server):
    received = []
    hub.subscribe("topic=news", received.append)
    hub.connect()
    payload = {"topic": "news", "id": "n1", "data": {"a": 1}, "source": {"id": "x"}}
    server.latest.feed("5:::" + json.dumps({"name": "ftrack.event", "args": [payload]}))
    deadline = time.monotonic() + 5
    while not received:
        assert time.monotonic() < deadline
        hub.wait(0.05)
    assert received[0]["data"] == {"a": 1}


def test_replies_are_published_with_subscriber_as_source(hub, server):
    hub.subscribe("topic=question", lambda event: {"answer": 1},
                  subscriber={"id": "replier", "app": "nuke"})
    hub.connect()
    payload = {"topic": "question", "id": "q1", "source": {"id": "asker"}}
    server.latest.feed("5:::" + json.dumps({"name": "ftrack.event", "args": [payload]}))
    wait_for(lambda: hub._event_queue.qsize())
    hub.wait(0.1)
    [reply] = [event for event in server.latest.events() if event["topic"] == "ftrack.meta.reply"]
    assert reply["target"] == "id=asker"
    assert reply["inReplyToEvent"] == "q1"
    assert reply["data"] == {"answer": 1}
    assert reply["source"]["id"] == "replier"
    assert reply["source"]["app"] == "nuke"


def test_reader_uses_receive_packet_of_the_hub(hub, server, monkeypatch):
    hub.connect()
    original = hub._receive_packet
    seen = []

    def receive():
        packet = original()
        seen.append(packet)
        return packet

    monkeypatch.setattr(hub, "_receive_packet", receive)
    # The reader is blocked in a read already: the next packet is read
    # through the replacement.
    server.latest.feed("3:::first")
    server.latest.feed("3:::second")
    wait_for(lambda: ("3", "", "", "second") in seen)


def test_lost_connection_reaches_handle_packet_as_disconnection(server, monkeypatch):
    packets = []

    class Hub(ftrack_api.event.hub.EventHub):
        def _handle_packet(self, code, packet_identifier, path, data):
            packets.append(code)
            return super(Hub, self)._handle_packet(code, packet_identifier, path, data)

    hub = Hub("http://events.invalid:8080", "martin", "key")
    monkeypatch.setattr(
        hub, "_get_socket_io_session",
        lambda: ftrack_api.event.hub.SocketIoSession("sid", "60", ["websocket"]),
    )
    hub._auto_reconnect_delay = 0.05
    try:
        hub.connect()
        server.latest.cut()
        wait_for(lambda: "0" in packets)
        wait_for(lambda: hub.connected and len(server.sockets) == 2)
        assert hub._processor_thread.connection is server.sockets[1]
    finally:
        hub._stop_reconnecting.set()
        if hub.connected:
            hub.disconnect()
