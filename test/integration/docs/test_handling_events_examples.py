"""The "Handling events" examples, run against the local event server.

The examples use one session; here every session comes from the test's
server with its event hub connected, and a second session plays the other
side (the one publishing, or the one answering) where an example needs it.
"""

import time
import uuid

import pytest

import ftrack_api
import ftrack_api.event.base

pytestmark = pytest.mark.timeout(120)


def wait_until(condition, *hubs, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        for hub in hubs:
            hub.wait(duration=0.02)


def confirm_subscribed(server, subscriber_id, timeout=10):
    """Wait until the event server knows *subscriber_id*."""
    deadline = time.monotonic() + timeout
    while not any(item.id == subscriber_id for item in server.event_hub.subscribers()):
        assert time.monotonic() < deadline, "subscription never reached the server"
        time.sleep(0.01)


@pytest.fixture
def open_session(ftrack_server, ftrack_schema_cache_path):
    """Factory of sessions connected to the event server."""
    sessions = []

    def factory():
        session = ftrack_api.Session(
            server_url=ftrack_server.url,
            api_user=ftrack_server.api_user,
            api_key=ftrack_server.api_key,
            schema_cache_path=ftrack_schema_cache_path,
            auto_connect_event_hub=True,
        )
        sessions.append(session)
        deadline = time.monotonic() + 10
        while not session.event_hub.connected:
            assert time.monotonic() < deadline, "event hub did not connect"
            time.sleep(0.01)
        return session

    yield factory
    for session in sessions:
        session.close()


def test_subscribing_to_updates(open_session, ftrack_server, capsys):
    printed = []

    def my_callback(event):
        """Event callback printing all new or updated entities."""
        for entity in event["data"].get("entities", []):
            # Print data for the entity.
            print(entity)
            printed.append(entity)

    # Subscribe to events with the update topic.
    session = open_session()
    identifier = session.event_hub.subscribe("topic=ftrack.update", my_callback)
    confirm_subscribed(ftrack_server, identifier)

    other = open_session()
    name = "events_" + uuid.uuid4().hex[:8]
    project = other.create("Project", {
        "name": name, "full_name": name,
        "project_schema": other.query("ProjectSchema").first()})
    other.commit()

    # Only wait and process events for a short while.
    session.event_hub.wait(duration=0.5)
    wait_until(lambda: any(e.get("entityId") == project["id"] for e in printed),
               session.event_hub)
    assert project["id"] in capsys.readouterr().out


def test_subscriber_information(open_session, ftrack_server):
    session = open_session()
    session.event_hub.subscribe(
        "topic=ftrack.update",
        lambda event: None,
        subscriber={
            "id": "my-unique-subscriber-id",
            "applicationId": "maya",
        },
    )
    confirm_subscribed(ftrack_server, "my-unique-subscriber-id")
    [registered] = [item for item in ftrack_server.event_hub.subscribers()
                    if item.id == "my-unique-subscriber-id"]
    assert registered.metadata["applicationId"] == "maya"


def test_sending_replies(open_session, ftrack_server):
    session = open_session()

    def on_event(event):
        # Send following data in automatic reply.
        return {"success": True, "message": "Cool!"}

    identifier = session.event_hub.subscribe("topic=test-reply", on_event)
    confirm_subscribed(ftrack_server, identifier)

    asking = open_session()
    replies = []

    def handle_reply(event):
        print("Got reply", event)
        replies.append(event)

    asking.event_hub.publish(
        ftrack_api.event.base.Event(topic="test-reply"),
        on_reply=handle_reply,
    )
    wait_until(lambda: replies, session.event_hub, asking.event_hub)
    assert replies[0]["data"] == {"success": True, "message": "Cool!"}


def test_stopping_events(open_session, ftrack_server, capsys):
    def callback_a(event):
        """Stop the event!"""
        print("Callback A")
        event.stop()

    def callback_b(event):
        """Never run."""
        print("Callback B")

    session = open_session()
    session.event_hub.subscribe("topic=test-stop-event", callback_a, priority=10)
    last = session.event_hub.subscribe("topic=test-stop-event", callback_b, priority=20)
    confirm_subscribed(ftrack_server, last)
    session.event_hub.publish(ftrack_api.event.base.Event(topic="test-stop-event"))
    session.event_hub.wait(duration=1)
    assert capsys.readouterr().out == "Callback A\n"


def test_publishing_events(open_session, ftrack_server):
    listener = open_session()
    received = []
    identifier = listener.event_hub.subscribe("topic=my-company.some-topic", received.append)
    confirm_subscribed(ftrack_server, identifier)

    session = open_session()
    event = ftrack_api.event.base.Event(
        topic="my-company.some-topic",
        data={"key": "value"},
    )
    session.event_hub.publish(event)

    session.event_hub.publish(ftrack_api.event.base.Event(
        topic="my-company.some-topic",
        data={"key": "value"},
        source={
            "applicationId": "maya",
        },
    ))
    wait_until(lambda: len(received) == 2, listener.event_hub)
    assert received[0]["source"]["id"] == session.event_hub.id
    assert received[0]["source"]["user"]["username"] == ftrack_server.api_user
    assert received[1]["source"]["applicationId"] == "maya"


def test_publish_synchronously(open_session):
    def callback_a(event):
        return "A"

    def callback_b(event):
        return "B"

    session = open_session()
    session.event_hub.subscribe("topic=test-synchronous", callback_a, priority=10)
    session.event_hub.subscribe("topic=test-synchronous", callback_b, priority=20)
    results = session.event_hub.publish(
        ftrack_api.event.base.Event(topic="test-synchronous"),
        synchronous=True,
    )
    print(results)
    assert results == ["A", "B"]


def test_targeting_events(open_session, ftrack_server):
    listener = open_session()
    calls = []
    listener.event_hub.subscribe(
        "topic=my-company.topic", lambda event: calls.append("custom"),
        subscriber={"id": "my-custom-subscriber-id"})
    other = listener.event_hub.subscribe(
        "topic=my-company.topic", lambda event: calls.append("other"))
    confirm_subscribed(ftrack_server, "my-custom-subscriber-id")
    confirm_subscribed(ftrack_server, other)

    session = open_session()
    session.event_hub.publish(
        ftrack_api.event.base.Event(
            topic="my-company.topic",
            data={"key": "value"},
            target="id=my-custom-subscriber-id",
        )
    )
    wait_until(lambda: calls, listener.event_hub)
    listener.event_hub.wait(duration=0.3)
    assert calls == ["custom"]


def test_expressions(open_session, ftrack_server):
    listener = open_session()
    added, london, ftrack_topics = [], [], []
    listener.event_hub.subscribe("topic=ftrack.location.component-added", added.append)
    listener.event_hub.subscribe(
        "topic=ftrack.location.component-added and data.locationId=london", london.append)
    last = listener.event_hub.subscribe("topic=ftrack.*", ftrack_topics.append)
    confirm_subscribed(ftrack_server, last)

    session = open_session()
    for location in ("london", "paris"):
        session.event_hub.publish(ftrack_api.event.base.Event(
            topic="ftrack.location.component-added", data={"locationId": location}))
    session.event_hub.publish(ftrack_api.event.base.Event(topic="other.topic"))
    wait_until(lambda: len(added) == 2, listener.event_hub)
    listener.event_hub.wait(duration=0.3)
    assert [event["data"]["locationId"] for event in london] == ["london"]
    # The hub's own ftrack.meta.connected event matches ftrack.* as well.
    assert {event["topic"] for event in ftrack_topics} == {
        "ftrack.location.component-added", "ftrack.meta.connected"}
