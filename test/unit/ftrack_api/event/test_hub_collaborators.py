"""The pieces the event hub is made of, on their own, and the hub's
underscore names that reach into them."""

import logging
import threading
import unittest.mock

import pytest

import ftrack_api._dict_backed
import ftrack_api.event._acknowledgements
import ftrack_api.event.base
import ftrack_api.event.hub
import ftrack_api.event._socketio
import ftrack_api.event._subscriber_registry
import ftrack_api.exception

Event = ftrack_api.event.base.Event


@pytest.fixture
def hub():
    return ftrack_api.event.hub.EventHub("http://example.invalid:9000", "martin", "key")


# -- the hub's names for its collaborators' state -------------------------------


def test_hub_names_read_and_write_the_collaborators_state(hub):
    hub._auto_reconnect_attempts = 3
    hub.reconnect_delay = 0.25
    hub._wait_timeout = 1

    assert hub.reconnect_attempts == 3
    assert hub._auto_reconnect_delay == 0.25
    assert (hub._connections.attempts, hub._connections.delay) == (3, 0.25)
    assert hub._connections.wait_timeout == 1
    assert hub._subscribers is hub._registry.subscribers
    assert hub._event_send_queue is hub._outbox.queue
    assert hub._reply_callbacks is hub._replies.callbacks
    assert hub._packet_callbacks is hub._acknowledgements.callbacks
    assert isinstance(hub._connection_lock, type(threading.RLock()))


def test_mock_patch_object_on_the_hub_names_puts_the_value_back(hub):
    original = hub._event_send_queue
    with unittest.mock.patch.object(hub, "_auto_reconnect_delay", 0.01):
        with unittest.mock.patch.object(hub, "_event_send_queue", "patched"):
            assert hub._connections.delay == 0.01
            assert hub._outbox.queue == "patched"
    assert hub.reconnect_delay == 10
    assert hub._event_send_queue is original


def test_replacing_the_subscriber_list_through_the_hub_is_seen_by_dispatch(hub):
    calls = []
    hub.subscribe("topic=kept", calls.append)
    kept = hub._subscribers[:]
    hub._subscribers = []
    hub.publish(Event("kept"), synchronous=True)
    assert calls == []

    hub._subscribers = kept
    hub.publish(Event("kept"), synchronous=True)
    assert [event["topic"] for event in calls] == ["kept"]


# -- packets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, parts",
    [
        ("2::", ("2", "", "", None)),
        ("1", ("1", None, None, None)),
        ("5:3+::{}", ("5", "3+", "", "{}")),
        ('6:::1+[{"a": "b:c"}]', ("6", "", "", '1+[{"a": "b:c"}]')),
    ],
)
def test_split_packet(text, parts):
    assert ftrack_api.event._socketio.split_packet(text) == parts


@pytest.mark.parametrize("text", ["5:1", None])
def test_split_packet_refuses_what_is_no_packet(text):
    with pytest.raises(ftrack_api.exception.EventHubPacketError):
        ftrack_api.event._socketio.split_packet(text)


def test_format_packet_round_trips_through_split_packet():
    text = ftrack_api.event._socketio.format_packet("5", "7+", '{"name": "x"}')
    assert text == '5:7+::{"name": "x"}'
    assert ftrack_api.event._socketio.split_packet(text) == ("5", "7+", "", '{"name": "x"}')


def test_code_name_mapping_goes_both_ways_and_is_a_new_dictionary():
    mapping = ftrack_api.event._socketio.code_name_mapping()
    assert mapping["5"] == "event" and mapping["event"] == "5"
    mapping["5"] = "changed"
    assert ftrack_api.event._socketio.code_name_mapping()["5"] == "event"


def test_packet_callbacks_number_and_forget():
    callbacks = ftrack_api.event._acknowledgements.PacketCallbacks()
    assert callbacks.register(len) == "1+"
    assert callbacks.register(str) == "2+"
    callbacks.discard("1+")
    callbacks.discard("9+")
    assert callbacks.callbacks == {2: str}
    assert callbacks.pop(2) is str
    with pytest.raises(KeyError):
        callbacks.pop(2)


# -- subscribers -----------------------------------------------------------------


def test_registry_dispatch_orders_filters_and_replies(caplog):
    registry = ftrack_api.event._subscriber_registry.SubscriberRegistry(
        threading.RLock(), logging.getLogger("test.registry")
    )
    registry.add("topic=a", lambda event: "late", {"id": "late", "role": "x"}, priority=20)
    registry.add("topic=a", lambda event: "early", {"id": "early", "role": "x"}, priority=10)
    registry.add("topic=a", lambda event: "other", {"id": "other", "role": "y"}, priority=0)
    replies = []

    def reply(event, data, source):
        replies.append((data, source["id"]))
        if data == "early":
            raise RuntimeError("cannot reply")

    with caplog.at_level(logging.ERROR, logger="test.registry"):
        results = registry.dispatch(Event("a", target="role=x"), reply=reply)

    assert results == ["early", "late"]
    assert replies == [("early", "early"), ("late", "late")]
    assert "Error publishing response early" in caplog.text
    with pytest.raises(ftrack_api.exception.NotUniqueError):
        registry.add("topic=b", len, {"id": "late"})
    assert registry.remove("late").metadata["id"] == "late"
    with pytest.raises(ftrack_api.exception.NotFoundError):
        registry.remove("late")


def test_registry_skips_every_subscriber_for_an_unreadable_target(caplog):
    registry = ftrack_api.event._subscriber_registry.SubscriberRegistry(
        threading.RLock(), logging.getLogger("test.registry")
    )
    calls = []
    registry.add("topic=a", calls.append)
    assert registry.dispatch(Event("a", target="(unclosed")) == []
    assert calls == []
    assert "failed to parse event target information" in caplog.text


# -- mappings backed by a dictionary ---------------------------------------------


class Payload(ftrack_api._dict_backed.DictBackedMapping):
    def __init__(self, **items):
        self._data = dict(items)


def test_dict_backed_mapping_behaves_like_its_dictionary():
    payload = Payload(a=1)
    payload["b"] = 2
    del payload["a"]
    assert dict(payload) == {"b": 2}
    assert len(payload) == 1 and "b" in payload and "a" not in payload
    assert payload._data == {"b": 2}
    payload.update(c=3)
    assert sorted(payload) == ["b", "c"]
