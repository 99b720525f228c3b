"""Event hub: local subscribers, synchronous publishing and targets."""

import pytest

import ftrack_api.event.base
import ftrack_api.event.hub
import ftrack_api.exception

Event = ftrack_api.event.base.Event


@pytest.fixture
def hub():
    return ftrack_api.event.hub.EventHub(
        "https://example.invalid:8443/prefix", "martin", "key"
    )


def test_server_details(hub):
    assert hub.server == ftrack_api.event.hub.ServerDetails(
        "https", "example.invalid", 8443
    )
    assert hub.get_server_url() == "https://example.invalid:8443"
    assert hub.get_network_location() == "example.invalid:8443"
    assert hub.secure is True
    assert hub.connected is False
    assert len(hub.id) == 32


def test_synchronous_publish_in_priority_order(hub):
    hub.subscribe("topic=test-synchronous", lambda event: "B", priority=20)
    hub.subscribe("topic=test-synchronous", lambda event: "A", priority=10)
    hub.subscribe("topic=other", lambda event: "C")
    results = hub.publish(Event(topic="test-synchronous"), synchronous=True)
    assert results == ["A", "B"]


def test_stop_event(hub):
    calls = []

    def callback_a(event):
        calls.append("A")
        event.stop()

    hub.subscribe("topic=test-stop-event", callback_a, priority=10)
    hub.subscribe("topic=test-stop-event", lambda event: calls.append("B"), priority=20)
    hub.publish(Event(topic="test-stop-event"), synchronous=True)
    assert calls == ["A"]


def test_targeting(hub):
    hub.subscribe("topic=my.topic", lambda event: "first", subscriber={"id": "first"})
    hub.subscribe(
        "topic=my.topic",
        lambda event: "second",
        subscriber={"id": "second", "applicationId": "maya"},
    )
    assert hub.publish(
        Event(topic="my.topic", target="id=second"), synchronous=True
    ) == ["second"]
    assert hub.publish(
        Event(topic="my.topic", target="applicationId=maya"), synchronous=True
    ) == ["second"]
    assert hub.publish(Event(topic="my.topic"), synchronous=True) == [
        "first",
        "second",
    ]


def test_wildcard_subscription(hub):
    hub.subscribe("topic=ftrack.*", lambda event: event["topic"])
    assert hub.publish(Event(topic="ftrack.update"), synchronous=True) == [
        "ftrack.update"
    ]


def test_subscriber_identifiers(hub):
    identifier = hub.subscribe("topic=a", lambda event: None)
    assert hub.get_subscriber_by_identifier(identifier).metadata["id"] == identifier
    assert hub.subscribe("topic=a", lambda event: None, subscriber={"id": "mine"}) == "mine"
    with pytest.raises(ftrack_api.exception.NotUniqueError):
        hub.subscribe("topic=a", lambda event: None, subscriber={"id": "mine"})
    hub.unsubscribe("mine")
    assert hub.get_subscriber_by_identifier("mine") is None
    with pytest.raises(ftrack_api.exception.NotFoundError):
        hub.unsubscribe("mine")


def test_subscription_context(hub):
    with hub.subscription("topic=a", lambda event: 1) as identifier:
        assert hub.publish(Event(topic="a"), synchronous=True) == [1]
    assert hub.get_subscriber_by_identifier(identifier) is None
    assert hub.publish(Event(topic="a"), synchronous=True) == []


def test_handler_errors_do_not_stop_publishing(hub):
    def broken(event):
        raise RuntimeError("broken")

    hub.subscribe("topic=a", broken, priority=1)
    hub.subscribe("topic=a", lambda event: "ok", priority=2)
    assert hub.publish(Event(topic="a"), synchronous=True) == [None, "ok"]


def test_unreachable_server():
    # Port 9 on loopback (discard) has no event server listening.
    hub = ftrack_api.event.hub.EventHub("http://127.0.0.1:9", "martin", "key")
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.connect()
    assert "127.0.0.1:9/socket.io/1/" in str(error.value)
    assert hub.connected is False
    with pytest.raises(ftrack_api.exception.EventHubConnectionError):
        hub.publish(Event(topic="a"))
    assert hub.publish(Event(topic="a"), on_error="ignore") is None
    with pytest.raises(ftrack_api.exception.EventHubConnectionError):
        hub.disconnect()


def test_wait_without_connection_returns_after_duration(hub):
    calls = []
    hub.subscribe("topic=*", calls.append)
    hub.wait(0.05)
    assert calls == []


def test_publish_fills_source(hub):
    event = Event(topic="a")
    hub.publish(event, on_error="ignore")
    assert event["source"]["id"] == hub.id
    assert event["source"]["user"] == {"username": "martin"}
