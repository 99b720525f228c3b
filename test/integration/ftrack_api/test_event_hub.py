"""The client's event hub connected to the local event server.

Sessions exchange events through the server over real WebSockets: routing
by subscription and target, replies, stopping, the documented examples of
"Handling events", server-side subscription bookkeeping and the session's
connection life cycle.
"""

import logging
import threading
import time

import pytest
import websocket

import ftrack_api
import ftrack_api.event.base
import ftrack_api.event.hub
import ftrack_api.exception

from client_helpers import unique_name

Event = ftrack_api.event.base.Event

pytestmark = pytest.mark.timeout(120)

TIMEOUT = 10


def wait_until(hubs, condition, what, timeout=TIMEOUT):
    """Run the *hubs*' wait loops until *condition()* holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        for hub in hubs:
            hub.wait(0.02)


def subscribed_pair(connected_session, ftrack_server, subscription, **options):
    """Return a publishing session, a subscribing session, the list of events
    received by its new subscriber to *subscription* and that subscriber's
    id, once the server knows the subscriber."""
    publisher = connected_session()
    subscriber = connected_session()
    received = []
    identifier = subscriber.event_hub.subscribe(subscription, received.append, **options)
    wait_for_server_subscriber(ftrack_server, identifier)
    return publisher, subscriber, received, identifier


def settle(hub, received, what):
    """Wait on *hub* until *received* has something, then a little longer so
    that anything delivered that should not have been shows too."""
    wait_until([hub], lambda: received, what)
    hub.wait(0.2)


def server_subscriptions(server, subscriber_id):
    """Subscription texts the server holds for *subscriber_id*."""
    return [
        subscriber.subscription.text
        for subscriber in server.event_hub.subscribers()
        if subscriber.id == subscriber_id
    ]


def wait_for_server_subscriber(server, subscriber_id, timeout=TIMEOUT):
    """Wait until the server registered *subscriber_id*."""
    deadline = time.monotonic() + timeout
    while not server_subscriptions(server, subscriber_id):
        assert time.monotonic() < deadline, "server never saw " + subscriber_id
        time.sleep(0.01)


@pytest.fixture
def connected_session(new_session):
    """Factory of sessions whose event hub is connected."""

    def factory(**kwargs):
        session = new_session(**kwargs)
        session.event_hub.connect()
        return session

    return factory


def test_connect_and_disconnect(new_session, ftrack_server):
    session = new_session()
    hub = session.event_hub
    assert hub.connected is False

    hub.connect()
    assert hub.connected is True
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.connect()
    assert "Already connected" in str(error.value)
    # The hub's own subscriber for replies is known to the server.
    assert server_subscriptions(ftrack_server, hub.id) == ["topic=ftrack.meta.reply"]

    hub.disconnect()
    assert hub.connected is False
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.disconnect()
    assert "Not currently connected" in str(error.value)

    hub.connect()
    assert hub.connected is True


def test_wrong_api_key_is_refused(ftrack_server):
    hub = ftrack_api.event.hub.EventHub(
        ftrack_server.url, ftrack_server.api_user, "not-the-key"
    )
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.connect()
    # Worded as by the official client.
    assert str(error.value) == (
        'Failed to connect to event server at {0} with error: '
        '"Received unexpected status code 401.".'.format(ftrack_server.url)
    )
    assert hub.connected is False


def test_path_of_server_url_is_ignored(new_session, ftrack_server):
    hub = ftrack_api.event.hub.EventHub(
        ftrack_server.url + "/some/prefix",
        ftrack_server.api_user,
        ftrack_server.api_key,
    )
    hub.connect()
    try:
        assert hub.connected
        assert hub.get_server_url() == ftrack_server.url
    finally:
        hub.disconnect()


def test_publish_without_connection_fails_clearly(new_session):
    hub = new_session().event_hub
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.publish(Event(topic="my-company.some-topic"))
    assert "not connected" in str(error.value)
    assert hub.publish(Event(topic="my-company.some-topic"), on_error="ignore") is None


def test_event_reaches_other_session_and_replies_come_back(connected_session, ftrack_server):
    topic = unique_name("test-reply")
    publisher = connected_session()
    subscriber = connected_session()
    received = []

    def on_event(event):
        received.append(event)
        return {"success": True, "message": "Cool!"}

    identifier = subscriber.event_hub.subscribe("topic=" + topic, on_event)
    wait_for_server_subscriber(ftrack_server, identifier)

    replies = []
    event = Event(topic=topic, data={"key": "value", "text": "héllo"})
    publisher.event_hub.publish(event, on_reply=replies.append)

    wait_until([subscriber.event_hub, publisher.event_hub], lambda: replies, "a reply")
    [delivered] = received
    assert delivered["id"] == event["id"]
    assert delivered["data"] == {"key": "value", "text": "héllo"}
    assert delivered["source"]["id"] == publisher.event_hub.id
    # The server stamps the user the publisher authenticated as.
    assert delivered["source"]["user"]["username"] == ftrack_server.api_user
    assert delivered["source"]["user"]["id"]
    assert delivered["source"]["host"]

    [reply] = replies
    assert reply["topic"] == "ftrack.meta.reply"
    assert reply["data"] == {"success": True, "message": "Cool!"}
    assert reply["in_reply_to_event"] == event["id"]
    assert reply["source"]["id"] == identifier


def test_every_reply_reaches_on_reply(connected_session, ftrack_server):
    topic = unique_name("many-replies")
    publisher = connected_session()
    subscribers = [connected_session() for _ in range(3)]
    for number, session in enumerate(subscribers):
        identifier = session.event_hub.subscribe(
            "topic=" + topic, lambda event, number=number: {"number": number}
        )
        wait_for_server_subscriber(ftrack_server, identifier)

    replies = []
    publisher.event_hub.publish(Event(topic=topic), on_reply=replies.append)
    hubs = [session.event_hub for session in subscribers + [publisher]]
    wait_until(hubs, lambda: len(replies) == 3, "three replies")
    assert sorted(reply["data"]["number"] for reply in replies) == [0, 1, 2]


def test_server_only_forwards_subscribed_events(connected_session, ftrack_server):
    wanted = unique_name("wanted")
    publisher, subscriber, received, identifier = subscribed_pair(
        connected_session, ftrack_server, "topic=" + wanted,
        subscriber={"id": unique_name("subscriber"), "applicationId": "maya"},
    )
    [server_side] = [
        item for item in ftrack_server.event_hub.subscribers() if item.id == identifier
    ]
    assert server_side.metadata == {"id": identifier, "applicationId": "maya"}
    assert server_side.subscription.text == "topic=" + wanted

    publisher.event_hub.publish(Event(topic=unique_name("unwanted")))
    publisher.event_hub.publish(Event(topic=wanted, data={"n": 1}))
    settle(subscriber.event_hub, received, "the wanted event")
    assert [event["topic"] for event in received] == [wanted]
    # Nothing else was delivered to the subscribing session.
    assert subscriber.event_hub._event_queue.qsize() == 0


def test_targeted_event_reaches_only_its_target(connected_session, ftrack_server):
    topic = unique_name("my-company.topic")
    publisher = connected_session()
    subscriber = connected_session()
    calls = []
    first = subscriber.event_hub.subscribe(
        "topic=" + topic, lambda event: calls.append("first"),
        subscriber={"id": unique_name("first")},
    )
    second = subscriber.event_hub.subscribe(
        "topic=" + topic, lambda event: calls.append("second"),
        subscriber={"id": unique_name("second")},
    )
    wait_for_server_subscriber(ftrack_server, first)
    wait_for_server_subscriber(ftrack_server, second)

    publisher.event_hub.publish(
        Event(topic=topic, data={"key": "value"}, target="id={0}".format(second))
    )
    settle(subscriber.event_hub, calls, "the targeted event")
    assert calls == ["second"]


def test_stopped_event_skips_lower_priority_handlers(connected_session, ftrack_server):
    topic = unique_name("test-stop-event")
    session = connected_session()
    calls = []

    def callback_a(event):
        calls.append("A")
        event.stop()

    session.event_hub.subscribe("topic=" + topic, callback_a, priority=10)
    last = session.event_hub.subscribe(
        "topic=" + topic, lambda event: calls.append("B"), priority=20
    )
    wait_for_server_subscriber(ftrack_server, last)

    # The session receives its own event back through the server.
    session.event_hub.publish(Event(topic=topic))
    settle(session.event_hub, calls, "callback A")
    assert calls == ["A"]


def test_unsubscribe_is_sent_to_server(connected_session, ftrack_server):
    topic = unique_name("unsubscribe")
    publisher, subscriber, received, identifier = subscribed_pair(
        connected_session, ftrack_server, "topic=" + topic
    )

    subscriber.event_hub.unsubscribe(identifier)
    deadline = time.monotonic() + TIMEOUT
    while server_subscriptions(ftrack_server, identifier):
        assert time.monotonic() < deadline
        time.sleep(0.01)

    publisher.event_hub.publish(Event(topic=topic))
    subscriber.event_hub.wait(0.3)
    assert received == []
    with pytest.raises(ftrack_api.exception.NotFoundError):
        subscriber.event_hub.unsubscribe(identifier)


def test_subscription_context_manager(connected_session, ftrack_server):
    topic = unique_name("context")
    session = connected_session()
    with session.event_hub.subscription("topic=" + topic, lambda event: None) as identifier:
        wait_for_server_subscriber(ftrack_server, identifier)
        assert session.event_hub.get_subscriber_by_identifier(identifier) is not None
    assert session.event_hub.get_subscriber_by_identifier(identifier) is None
    deadline = time.monotonic() + TIMEOUT
    while server_subscriptions(ftrack_server, identifier):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_subscribers_made_before_connecting_are_announced(new_session, ftrack_server):
    session = new_session()
    identifier = session.event_hub.subscribe("topic=before-connect", lambda event: None)
    assert server_subscriptions(ftrack_server, identifier) == []
    session.event_hub.connect()
    # connect() returns once the server confirmed the subscriptions.
    assert server_subscriptions(ftrack_server, identifier) == ["topic=before-connect"]


def test_auto_connect_sends_events_published_while_connecting(
    connected_session, new_session, ftrack_server
):
    topic = unique_name("early")
    listener = connected_session()
    received = []
    identifier = listener.event_hub.subscribe("topic=" + topic, received.append)
    wait_for_server_subscriber(ftrack_server, identifier)

    publisher = new_session(auto_connect_event_hub=True)
    # Published right away, most likely before the connection is up.
    publisher.event_hub.publish(Event(topic=topic, data={"early": True}))
    wait_until([listener.event_hub], lambda: received, "the early event")
    assert received[0]["data"] == {"early": True}
    assert publisher.event_hub.connected


def test_local_connected_event(new_session):
    session = new_session()
    seen = []
    session.event_hub.subscribe("topic=ftrack.meta.connected", seen.append)
    session.event_hub.connect()
    wait_until([session.event_hub], lambda: seen, "ftrack.meta.connected")
    assert seen[0]["source"]["id"] == session.event_hub.id


def test_disconnect_ends_wait_in_other_thread(connected_session):
    session = connected_session()
    finished = threading.Event()

    def waiting():
        session.event_hub.wait()
        finished.set()

    thread = threading.Thread(target=waiting)
    thread.daemon = True
    thread.start()
    session.event_hub.disconnect()
    assert finished.wait(TIMEOUT), "wait() did not end after disconnect"


def test_manual_reconnect_keeps_subscribers(connected_session, ftrack_server):
    topic = unique_name("reconnect")
    publisher, subscriber, received, identifier = subscribed_pair(
        connected_session, ftrack_server, "topic=" + topic
    )
    before = [
        item.connection for item in ftrack_server.event_hub.subscribers()
        if item.id == identifier
    ]

    subscriber.event_hub.reconnect(attempts=3, delay=0.1)
    assert subscriber.event_hub.connected
    after = [
        item.connection for item in ftrack_server.event_hub.subscribers()
        if item.id == identifier
    ]
    assert len(after) == 1 and after != before

    publisher.event_hub.publish(Event(topic=topic))
    wait_until([subscriber.event_hub], lambda: received, "an event after reconnecting")


def test_reconnect_fails_clearly_when_server_refuses(ftrack_server):
    hub = ftrack_api.event.hub.EventHub(
        ftrack_server.url, ftrack_server.api_user, "wrong"
    )
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.reconnect(attempts=2, delay=0)
    assert "Failed to reconnect" in str(error.value)


def test_update_event_for_commit_of_other_session(
    connected_session, ftrack_session, new_project, ftrack_server
):
    listener = connected_session()
    updates = []

    def my_callback(event):
        for entity in event["data"].get("entities", []):
            if entity.get("entityId") == new_project["id"]:
                updates.append(entity)

    identifier = listener.event_hub.subscribe("topic=ftrack.update", my_callback)
    wait_for_server_subscriber(ftrack_server, identifier)

    new_project["full_name"] = "Renamed"
    ftrack_session.commit()

    wait_until([listener.event_hub], lambda: updates, "the ftrack.update event")
    [entity] = updates
    assert entity["action"] == "update"
    assert entity["entityType"] == "show"
    assert entity["entity_type"] == "Project"
    assert "fullname" in entity["keys"] or "full_name" in entity["keys"]


def test_custom_source_is_kept(connected_session, ftrack_server):
    topic = unique_name("maya")
    publisher, subscriber, received, identifier = subscribed_pair(
        connected_session, ftrack_server, "topic={0} and source.applicationId=maya".format(topic)
    )

    publisher.event_hub.publish(
        Event(topic=topic, data={"key": "value"}, source={"applicationId": "maya"})
    )
    publisher.event_hub.publish(Event(topic=topic, data={"key": "other"}))
    settle(subscriber.event_hub, received, "the event from maya")
    [event] = received
    assert event["source"]["applicationId"] == "maya"
    assert event["source"]["id"] == publisher.event_hub.id
    assert event["data"] == {"key": "value"}


def test_session_close_disconnects_hub(new_session, ftrack_server):
    session = new_session(auto_connect_event_hub=True)
    deadline = time.monotonic() + TIMEOUT
    while not session.event_hub.connected:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    hub_id = session.event_hub.id
    session.close()
    assert session.event_hub.connected is False
    deadline = time.monotonic() + TIMEOUT
    while server_subscriptions(ftrack_server, hub_id):
        assert time.monotonic() < deadline, "server kept the closed session's subscriber"
        time.sleep(0.01)


def test_close_right_after_auto_connect_leaves_no_connection(new_session, ftrack_server):
    session = new_session(auto_connect_event_hub=True)
    hub = session.event_hub
    session.close()
    time.sleep(0.5)
    assert hub.connected is False
    assert server_subscriptions(ftrack_server, hub.id) == []


# -- the hub's private seams, against the real server ----------------------------


def test_connection_is_the_websocket_events_go_through(connected_session, ftrack_server):
    topic = unique_name("through-connection")
    publisher, listener, received, identifier = subscribed_pair(
        connected_session, ftrack_server, "topic=" + topic
    )

    hub = publisher.event_hub
    assert isinstance(hub._connection, websocket.WebSocket)
    assert hub._connection.connected

    class Recording(object):
        """Wraps the WebSocket, recording the frames sent through it."""

        def __init__(self, connection):
            self.wrapped = connection
            self.frames = []

        @property
        def connected(self):
            return self.wrapped.connected

        def send(self, frame):
            self.frames.append(frame)
            return self.wrapped.send(frame)

        def close(self, *args, **kwargs):
            return self.wrapped.close(*args, **kwargs)

    recording = Recording(hub._connection)
    hub._connection = recording
    event = Event(topic=topic, data={"via": "recording"})
    hub.publish(event)
    assert any(event["id"] in frame for frame in recording.frames)
    wait_until([listener.event_hub], lambda: received, "the recorded event")
    assert received[0]["data"] == {"via": "recording"}
    hub._connection = recording.wrapped


def test_connection_without_send_logs_the_failed_event(connected_session, caplog):
    hub = connected_session().event_hub
    real = hub._connection

    class Broken(object):
        connected = True

        def close(self):
            pass

    hub._connection = Broken()
    try:
        event = Event(topic="a-topic", data={"status": "fail"})
        hub.publish(event)
    finally:
        hub._connection = real
    messages = [record.getMessage() for record in caplog.records]
    assert "Error sending event {0}.".format(event) in messages
    # The real connection is still fine.
    assert hub.connected


def test_socket_io_session_of_the_server(new_session):
    hub = new_session().event_hub
    session = hub._get_socket_io_session()
    assert isinstance(session, ftrack_api.event.hub.SocketIoSession)
    assert session.id
    assert "websocket" in session.supportedTransports


def test_server_session_without_websocket_is_refused(new_session, caplog):
    hub = new_session().event_hub
    original = hub._get_socket_io_session

    def without_transports():
        session = original()
        return ftrack_api.event.hub.SocketIoSession(session.id, session.heartbeatTimeout, [])

    hub._get_socket_io_session = without_transports
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(ftrack_api.exception.EventHubConnectionError):
            hub.connect()
    assert "Server does not support websocket sessions." in caplog.text
    assert hub.connected is False


def test_disconnect_removes_every_subscriber_locally_and_on_server(
    connected_session, ftrack_server
):
    hub = connected_session().event_hub
    identifier = hub.subscribe("topic=" + unique_name("gone"), lambda event: None)
    wait_for_server_subscriber(ftrack_server, identifier)

    hub.disconnect()
    assert hub._subscribers == []
    assert hub._intentional_disconnect is True
    assert hub._connection_initialised is False
    deadline = time.monotonic() + TIMEOUT
    while server_subscriptions(ftrack_server, identifier) or server_subscriptions(
        ftrack_server, hub.id
    ):
        assert time.monotonic() < deadline, "the server kept the subscribers"
        time.sleep(0.01)


def test_disconnect_for_reconnect_queues_events_until_connected(
    connected_session, ftrack_server
):
    topic = unique_name("queued")
    listener = connected_session()
    received = []
    identifier = listener.event_hub.subscribe("topic=" + topic, received.append)
    wait_for_server_subscriber(ftrack_server, identifier)

    hub = connected_session().event_hub
    hub.disconnect(reconnect=True)
    assert hub.connected is False
    assert hub._connection_initialised is True
    assert hub.publish(Event(topic=topic, data={"n": 1})) is True
    assert hub._event_send_queue.qsize() == 1

    hub.connect()
    assert hub._event_send_queue.qsize() == 0
    wait_until([listener.event_hub], lambda: received, "the queued event")
    assert received[0]["data"] == {"n": 1}


def test_publish_after_init_connection_gets_its_reply(new_session, ftrack_server):
    topic = unique_name("early-question")
    hub = new_session().event_hub
    hub.subscribe("topic=" + topic, lambda event: "answered")
    replies = []

    hub.init_connection()
    hub.publish(Event(topic=topic), on_reply=replies.append)
    assert hub._event_send_queue.qsize() == 1

    hub.connect()
    wait_until([hub], lambda: replies, "the reply")
    assert replies[0]["data"] == "answered"
    assert hub._event_send_queue.qsize() == 0


def test_wait_ends_on_disconnected_event(connected_session):
    hub = connected_session().event_hub
    hub._event_queue.put(Event(topic="ftrack.meta.disconnected"))
    started = time.monotonic()
    hub.wait(5)
    assert time.monotonic() - started < 4


def test_wait_needs_a_connection(new_session):
    hub = new_session().event_hub
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.wait(0.1)
    assert "does not have a connection to the event server" in str(error.value)


def test_failed_reconnect_names_the_attempts(connected_session, monkeypatch):
    hub = connected_session().event_hub

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("refused for the test")

    monkeypatch.setattr(websocket, "create_connection", refuse)
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.reconnect(attempts=2, delay=0.1)
    assert str(error.value) == (
        "Failed to reconnect to event server at {0} after 2 attempts.".format(
            hub.get_server_url()
        )
    )
