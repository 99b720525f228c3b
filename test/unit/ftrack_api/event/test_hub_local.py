"""Event hub: local subscribers, synchronous publishing and targets."""

import platform
import time

import pytest
import requests

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
    # As in the official client, a failing callback gives no result.
    assert hub.publish(Event(topic="a"), synchronous=True) == ["ok"]


def test_unreachable_server():
    # Port 9 on loopback (discard) has no event server listening.
    hub = ftrack_api.event.hub.EventHub("http://127.0.0.1:9", "martin", "key")
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.connect()
    assert str(error.value).startswith(
        'Failed to connect to event server at http://127.0.0.1:9 with error: '
        '"Failed to connect to server: '
    )
    assert error.value.details["server_url"] == "http://127.0.0.1:9"
    assert hub.connected is False
    # A failed connect leaves the hub as it was: not meant to be connected,
    # so publishing fails rather than queueing.
    assert hub._connection_initialised is False
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.publish(Event(topic="a"))
    assert str(error.value) == (
        "Cannot publish event asynchronously as not connected to server."
    )
    assert hub.publish(Event(topic="a"), on_error="ignore") is None
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.disconnect()
    assert str(error.value) == "Not currently connected."


def test_reconnect_failure_names_server_and_attempts():
    hub = ftrack_api.event.hub.EventHub("http://127.0.0.1:9", "martin", "key")
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.reconnect(attempts=2, delay=0)
    assert str(error.value) == (
        "Failed to reconnect to event server at http://127.0.0.1:9 after 2 attempts."
    )


def test_wait_without_connection_raises(hub):
    calls = []
    hub.subscribe("topic=*", calls.append)
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub.wait(0.05)
    assert "does not have a connection to the event server" in str(error.value)
    assert calls == []


def test_wait_after_init_connection_returns_after_duration(hub):
    calls = []
    hub.subscribe("topic=*", calls.append)
    hub.init_connection()
    started = time.monotonic()
    hub.wait(0.05)
    assert time.monotonic() - started < 1
    assert calls == []


def test_wait_ends_on_disconnected_event_whatever_the_duration(hub):
    calls = []
    hub.subscribe("topic=ftrack.meta.disconnected", calls.append)
    hub.init_connection()
    hub._event_queue.put(Event(topic="ftrack.meta.disconnected"))
    hub._event_queue.put(Event(topic="after"))
    started = time.monotonic()
    hub.wait(5)
    assert time.monotonic() - started < 2
    assert [event["topic"] for event in calls] == ["ftrack.meta.disconnected"]
    # The event after it is still queued for the next wait().
    assert hub._event_queue.qsize() == 1


def test_wait_zero_handles_a_waiting_event(hub):
    calls = []
    hub.subscribe("topic=now", calls.append)
    hub.init_connection()
    hub._event_queue.put(Event(topic="now"))
    hub.wait(0)
    assert len(calls) == 1


def test_publish_fills_source(hub):
    event = Event(topic="a")
    hub.publish(event, on_error="ignore")
    assert event["source"]["id"] == hub.id
    assert event["source"]["user"] == {"username": "martin"}
    assert event["source"]["host"] == platform.node()


def test_synchronous_publish_fills_source_too(hub):
    seen = []
    hub.subscribe("topic=a", lambda event: seen.append(dict(event["source"])))
    hub.publish(Event(topic="a"), synchronous=True)
    assert seen == [{"id": hub.id, "user": {"username": "martin"}, "host": platform.node()}]


@pytest.mark.parametrize(
    "source",
    [
        {"id": "given", "user": {"username": "someone"}, "host": "elsewhere"},
        {"user": {"username": "someone"}, "host": "elsewhere"},
        {"id": "given", "host": "elsewhere"},
        {"id": "given", "user": {"username": "someone"}},
        {},
    ],
)
def test_prepare_event_only_fills_what_is_missing(hub, source):
    event = Event("test", source=dict(source))
    hub._prepare_event(event)
    expected = {"id": hub.id, "user": {"username": "martin"}, "host": platform.node()}
    expected.update(source)
    assert event["source"] == expected


def test_prepare_reply_event(hub):
    source_event = Event("question", source={"id": "asker"})
    reply = Event("ftrack.meta.reply")
    hub._prepare_reply_event(reply, source_event)
    assert reply["target"] == "id=asker"
    assert reply["in_reply_to_event"] == source_event["id"]
    assert reply["source"] == {}
    hub._prepare_reply_event(reply, source_event, {"id": "replier"})
    assert reply["source"] == {"id": "replier"}


@pytest.mark.parametrize(
    "server_url, expected, port",
    [
        ("https://test.example.com", "https://test.example.com", None),
        ("https://test.example.com:9000", "https://test.example.com:9000", 9000),
        ("http://test.example.com:80/some/path", "http://test.example.com:80", 80),
    ],
)
def test_server_url_keeps_the_given_port(server_url, expected, port):
    hub = ftrack_api.event.hub.EventHub(server_url, "user", "key")
    assert hub.get_server_url() == expected
    assert hub.server.port == port


@pytest.mark.parametrize(
    "server_url, message",
    [
        ("test.example.com", "Could not determine scheme from server url."),
        ("https://:9000", "Could not determine hostname from server url."),
    ],
)
def test_server_url_without_scheme_or_host_is_refused(server_url, message):
    with pytest.raises(ValueError) as error:
        ftrack_api.event.hub.EventHub(server_url, "user", "key")
    assert str(error.value) == message


def test_headers_and_cookies_must_be_mappings():
    with pytest.raises(TypeError):
        ftrack_api.event.hub.EventHub("https://a.example", "u", "k", headers=[("a", "b")])
    with pytest.raises(TypeError):
        ftrack_api.event.hub.EventHub("https://a.example", "u", "k", cookies="a=b")
    hub = ftrack_api.event.hub.EventHub(
        "https://a.example", "u", "k",
        headers=requests.structures.CaseInsensitiveDict({"ftrack-strict-api": "true"}),
    )
    assert type(hub._headers) is dict
    assert hub._headers == {"ftrack-strict-api": "true"}


def test_subscriber_messages_match_the_official_client(hub):
    hub.subscribe("topic=a", None, subscriber={"id": "mine"})
    with pytest.raises(ftrack_api.exception.NotUniqueError) as error:
        hub.subscribe("topic=a", None, subscriber={"id": "mine"})
    assert str(error.value) == "Subscriber with identifier mine already exists."
    with pytest.raises(ftrack_api.exception.NotFoundError) as error:
        hub.unsubscribe("nobody")
    assert str(error.value) == "Cannot unsubscribe missing subscriber with identifier nobody"


def test_subscriber_information_receives_the_generated_id(hub):
    information = {"applicationId": "maya"}
    identifier = hub.subscribe("topic=a", None, subscriber=information)
    assert information == {"applicationId": "maya", "id": identifier}
    assert hub.get_subscriber_by_identifier(identifier).metadata is information


def test_subscribers_are_kept_in_subscription_order(hub):
    late = hub.subscribe("topic=a", lambda event: "late", priority=50)
    early = hub.subscribe("topic=a", lambda event: "early", priority=10)
    assert [item.metadata["id"] for item in hub._subscribers] == [late, early]
    # Priority decides the calling order.
    assert hub.publish(Event(topic="a"), synchronous=True) == ["early", "late"]


def test_subscription_context_object(hub):
    context = hub.subscription("topic=a", lambda event: 1, subscriber={"id": "ctx"})
    assert isinstance(context, ftrack_api.event.hub._SubscriptionContext)
    with context as identifier:
        assert identifier == "ctx"
        assert context._subscriberIdentifier == "ctx"
    assert hub.get_subscriber_by_identifier("ctx") is None


def test_invalid_target_reaches_nobody(hub, caplog):
    calls = []
    hub.subscribe("topic=a", calls.append)
    assert hub.publish(Event(topic="a", target="(("), synchronous=True) == []
    assert calls == []
    assert "failed to parse event target information" in caplog.text


def test_reconnection_settings_have_official_names(hub):
    assert (hub._auto_reconnect_attempts, hub._auto_reconnect_delay) == (30, 10)
    hub.reconnect_attempts = 2
    hub.reconnect_delay = 0.1
    assert (hub._auto_reconnect_attempts, hub._auto_reconnect_delay) == (2, 0.1)
