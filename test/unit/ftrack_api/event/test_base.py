"""Tests for :class:`ftrack_api.event.base.Event`."""

import collections.abc
import copy
import pickle
import uuid

import pytest

from ftrack_api.event.base import Event


def test_defaults():
    event = Event(topic="ftrack.update")
    assert event["topic"] == "ftrack.update"
    assert event["data"] == {}
    assert event["source"] == {}
    assert event["sent"] is None
    assert event["target"] == ""
    assert event["in_reply_to_event"] is None
    assert set(event) == {
        "id",
        "topic",
        "data",
        "sent",
        "source",
        "target",
        "in_reply_to_event",
    }
    assert len(event) == 7


def test_generated_identifier_is_uuid4_hex():
    identifier = Event(topic="a")["id"]
    assert len(identifier) == 32
    assert "-" not in identifier
    parsed = uuid.UUID(identifier)
    assert parsed.hex == identifier
    assert parsed.version == 4
    assert parsed.variant == uuid.RFC_4122


def test_generated_identifiers_are_unique():
    assert len({Event(topic="a")["id"] for _ in range(1000)}) == 1000


def test_explicit_values():
    data = {"key": "value"}
    source = {"id": "source-id", "applicationId": "maya"}
    event = Event(
        topic="my-company.some-topic",
        id="event-id",
        data=data,
        sent=123,
        source=source,
        target="id=my-custom-subscriber-id",
        in_reply_to_event="other-id",
    )
    assert event["id"] == "event-id"
    assert event["data"] is data
    assert event["sent"] == 123
    assert event["source"] is source
    assert event["target"] == "id=my-custom-subscriber-id"
    assert event["in_reply_to_event"] == "other-id"


def test_positional_arguments_follow_documented_order():
    event = Event("t", "i", {"d": 1}, "s", {"id": "x"}, "id=y", "r")
    assert dict(event) == {
        "topic": "t",
        "id": "i",
        "data": {"d": 1},
        "sent": "s",
        "source": {"id": "x"},
        "target": "id=y",
        "in_reply_to_event": "r",
    }


def test_built_from_received_keys():
    received = {
        "topic": "ftrack.update",
        "id": "abc",
        "data": {},
        "source": {"id": "s"},
        "target": "",
        "sent": None,
        "in_reply_to_event": None,
    }
    assert dict(Event(**received)) == received


def test_unknown_keyword_is_rejected():
    with pytest.raises(TypeError):
        Event(topic="a", unexpected=True)


def test_topic_is_required():
    with pytest.raises(TypeError):
        Event()


def test_default_containers_are_not_shared():
    first = Event(topic="a")
    second = Event(topic="a")
    first["data"]["x"] = 1
    first["source"]["id"] = "y"
    assert second["data"] == {}
    assert second["source"] == {}


def test_mapping_interface():
    event = Event(topic="a")
    assert isinstance(event, collections.abc.MutableMapping)
    assert "topic" in event
    assert "missing" not in event
    assert event.get("missing", "default") == "default"

    event["extra"] = 1
    assert event["extra"] == 1
    del event["extra"]
    assert "extra" not in event
    with pytest.raises(KeyError):
        event["extra"]

    event.update({"topic": "b", "data": {"x": 1}})
    assert event["topic"] == "b"
    assert event["data"]["x"] == 1
    assert dict(event.items())["topic"] == "b"
    assert "b" in list(event.values())
    assert event.setdefault("target", "other") == ""
    assert event.pop("sent") is None
    assert "sent" not in event


def test_equality_with_mappings():
    event = Event(topic="a", id="1")
    same = Event(topic="a", id="1")
    assert event == same
    assert event == dict(event)
    assert event != Event(topic="b", id="1")


def test_stop():
    event = Event(topic="a")
    assert event.is_stopped() is False
    event.stop()
    assert event.is_stopped() is True
    event.stop()
    assert event.is_stopped() is True


def test_stop_is_not_a_key():
    event = Event(topic="a")
    event.stop()
    assert "stopped" not in event
    assert len(event) == 7


def test_str_and_repr():
    event = Event(topic="foo", id="1", data={"eventType": "Shot"})
    text = str(event)
    assert text.startswith("<Event {")
    assert text.endswith("}>")
    assert "'topic': 'foo'" in text
    assert "'eventType': 'Shot'" in text
    assert repr(event) == text


def test_str_lists_keys_in_the_official_order():
    event = Event(topic="foo", id="1")
    assert str(event) == (
        "<Event {'id': '1', 'data': {}, 'topic': 'foo', 'sent': None, "
        "'source': {}, 'target': '', 'in_reply_to_event': None}>"
    )
    assert list(event) == [
        "id", "data", "topic", "sent", "source", "target", "in_reply_to_event"
    ]


def test_copy_does_not_share_keys():
    event = Event(topic="a")
    duplicate = copy.copy(event)
    duplicate["topic"] = "b"
    assert event["topic"] == "a"
    assert duplicate["data"] is event["data"]


def test_deepcopy_and_pickle():
    event = Event(topic="a", data={"nested": {"x": [1, 2]}})
    event.stop()
    for duplicate in (copy.deepcopy(event), pickle.loads(pickle.dumps(event))):
        assert duplicate == event
        assert duplicate["data"] is not event["data"]
        assert duplicate.is_stopped()
