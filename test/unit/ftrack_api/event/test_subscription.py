"""Tests for subscriptions and subscribers."""

import pytest

import ftrack_api.exception
from ftrack_api.event.base import Event
from ftrack_api.event.expression import Parser
from ftrack_api.event.subscriber import Subscriber
from ftrack_api.event.subscription import Subscription


def callback(event):
    """Handler used by the tests."""
    return event["topic"]


# -- Subscription ----------------------------------------------------------


def test_subscription_includes_matching_event():
    subscription = Subscription("topic=ftrack.update")
    assert subscription.includes(Event(topic="ftrack.update"))
    assert not subscription.includes(Event(topic="ftrack.action.launch"))


def test_subscription_with_nested_data():
    subscription = Subscription("topic=foo and data.eventType=Shot")
    assert subscription.includes(Event(topic="foo", data={"eventType": "Shot"}))
    assert not subscription.includes(Event(topic="foo", data={"eventType": "Seq"}))
    assert not subscription.includes(Event(topic="foo"))


def test_subscription_with_wildcard():
    subscription = Subscription("topic=ftrack.*")
    assert subscription.includes(Event(topic="ftrack.update"))
    assert subscription.includes(Event(topic="ftrack.location.component-added"))
    assert not subscription.includes(Event(topic="my-company.some-topic"))


def test_subscription_on_source():
    subscription = Subscription(
        'topic=ftrack.action.discover and source.user.username="martin"'
    )
    event = Event(
        topic="ftrack.action.discover", source={"user": {"username": "martin"}}
    )
    assert subscription.includes(event)
    event["source"]["user"]["username"] = "jane"
    assert not subscription.includes(event)


def test_subscription_str_is_expression_text():
    text = "topic=ftrack.update and data.x=1"
    subscription = Subscription(text)
    assert str(subscription) == text
    assert " object at 0x" in repr(subscription)


def test_subscription_parser_is_shared():
    assert isinstance(Subscription.parser, Parser)
    assert Subscription("topic=a").parser is Subscription("topic=b").parser


def test_invalid_subscription_raises_parse_error():
    with pytest.raises(ftrack_api.exception.ParseError):
        Subscription("topic=")
    with pytest.raises(ftrack_api.exception.ParseError):
        Subscription("topic=a and")


def test_subscription_on_plain_mapping():
    assert Subscription("topic=a").includes({"topic": "a"})


# -- Subscriber ------------------------------------------------------------


def test_subscriber_attributes():
    metadata = {"id": "my-unique-subscriber-id", "applicationId": "maya"}
    subscriber = Subscriber("topic=ftrack.update", callback, metadata, 10)
    assert isinstance(subscriber.subscription, Subscription)
    assert str(subscriber.subscription) == "topic=ftrack.update"
    assert subscriber.callback is callback
    assert subscriber.metadata is metadata
    assert subscriber.priority == 10


def test_subscriber_interested_in():
    subscriber = Subscriber(
        "topic=ftrack.action.launch and data.actionIdentifier=my.action",
        callback,
        {"id": "s1"},
        100,
    )
    assert subscriber.interested_in(
        Event(topic="ftrack.action.launch", data={"actionIdentifier": "my.action"})
    )
    assert not subscriber.interested_in(
        Event(topic="ftrack.action.launch", data={"actionIdentifier": "other"})
    )
    assert not subscriber.interested_in(Event(topic="ftrack.update"))


def test_subscriber_interest_ignores_target():
    # Targets are matched against metadata separately, by the hub.
    subscriber = Subscriber("topic=a", callback, {"id": "s1"}, 100)
    assert subscriber.interested_in(Event(topic="a", target="id=someone-else"))


def test_target_matched_against_subscriber_metadata():
    parser = Parser()
    first = Subscriber("topic=my-company.topic", callback, {"id": "first"}, 100)
    second = Subscriber(
        "topic=my-company.topic",
        callback,
        {"id": "my-custom-subscriber-id", "applicationId": "maya"},
        100,
    )
    event = Event(
        topic="my-company.topic",
        data={"key": "value"},
        target="id=my-custom-subscriber-id",
    )
    target = parser.parse(event["target"])
    receivers = [
        subscriber
        for subscriber in (first, second)
        if subscriber.interested_in(event) and target.match(subscriber.metadata)
    ]
    assert receivers == [second]

    by_application = parser.parse("applicationId=maya")
    assert not by_application.match(first.metadata)
    assert by_application.match(second.metadata)


def test_reply_target_reaches_hub_subscriber():
    hub_id = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"
    reply_subscriber = Subscriber(
        "topic=ftrack.meta.reply", callback, {"id": hub_id}, 100
    )
    reply = Event(
        topic="ftrack.meta.reply",
        data={"success": True},
        target="id={0}".format(hub_id),
        in_reply_to_event="original",
    )
    assert reply_subscriber.interested_in(reply)
    assert Parser().parse(reply["target"]).match(reply_subscriber.metadata)


def test_subscriber_str():
    subscriber = Subscriber("topic=a", callback, {"id": "s1"}, 100)
    assert str(subscriber) == (
        "<Subscriber metadata={'id': 's1'} subscription=\"topic=a\">"
    )
    assert " object at 0x" in repr(subscriber)


def test_subscriber_without_metadata():
    subscriber = Subscriber("topic=a", callback, None, 100)
    assert subscriber.metadata == {}


def test_invalid_subscriber_subscription_raises_parse_error():
    with pytest.raises(ftrack_api.exception.ParseError):
        Subscriber("topic", callback, {"id": "s1"}, 100)


def test_priority_ordering():
    subscribers = [
        Subscriber("topic=test-stop-event", callback, {"id": "b"}, 20),
        Subscriber("topic=test-stop-event", callback, {"id": "a"}, 10),
        Subscriber("topic=test-stop-event", callback, {"id": "c"}, 100),
    ]
    ordered = sorted(subscribers, key=lambda subscriber: subscriber.priority)
    assert [subscriber.metadata["id"] for subscriber in ordered] == ["a", "b", "c"]


def test_stopping_skips_lower_priority_subscribers():
    calls = []

    def callback_a(event):
        calls.append("A")
        event.stop()

    def callback_b(event):
        calls.append("B")

    subscribers = sorted(
        [
            Subscriber("topic=test-stop-event", callback_b, {"id": "b"}, 20),
            Subscriber("topic=test-stop-event", callback_a, {"id": "a"}, 10),
        ],
        key=lambda subscriber: subscriber.priority,
    )
    event = Event(topic="test-stop-event")
    for subscriber in subscribers:
        if event.is_stopped():
            break
        if subscriber.interested_in(event):
            subscriber.callback(event)
    assert calls == ["A"]
