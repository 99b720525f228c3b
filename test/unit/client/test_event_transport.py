"""Socket.IO packets and the wire form of events."""

import datetime
import json

import pytest

import ftrack_api.event._transport as transport
import ftrack_api.event.base
import ftrack_api.event.hub
import ftrack_api.exception


@pytest.mark.parametrize(
    "frame, expected",
    [
        ("2::", ("2", "", "")),
        ("1::", ("1", "", "")),
        ("0", ("0", "", "")),
        ("5:::{}", ("5", "", "{}")),
        ("6:::4+[{}]", ("6", "", "4+[{}]")),
        ("5:7+::{\"a\": \"b:c\"}", ("5", "7+", "{\"a\": \"b:c\"}")),
        ("7:::bad thing", ("7", "", "bad thing")),
    ],
)
def test_parse_packet(frame, expected):
    assert transport.parse_packet(frame) == expected


@pytest.mark.parametrize("frame", ["", "hello", "2:", "x::"])
def test_parse_invalid_packet(frame):
    with pytest.raises(ftrack_api.exception.EventHubPacketError) as error:
        transport.parse_packet(frame)
    assert "Invalid packet" in str(error.value)


def test_event_packet_round_trip():
    frame = transport.event_packet("12", json.dumps({"topic": "a"}))
    packet_type, message_id, data = transport.parse_packet(frame)
    assert (packet_type, message_id) == ("5", "12+")
    assert transport.decode_event_packet(data) == {"topic": "a"}


@pytest.mark.parametrize(
    "data",
    [
        "not json",
        json.dumps({"name": "other", "args": [{}]}),
        json.dumps({"name": "ftrack.event", "args": []}),
        json.dumps({"name": "ftrack.event", "args": [{}, {}]}),
        json.dumps({"name": "ftrack.event", "args": ["text"]}),
        json.dumps(["ftrack.event"]),
    ],
)
def test_decode_event_packet_refuses_other_content(data):
    assert transport.decode_event_packet(data) is None


def test_decode_ack():
    assert transport.decode_ack('3+[{"success": true}]') == ("3", {"success": True})
    assert transport.decode_ack("3") == ("3", None)
    assert transport.decode_ack("3+[1, 2]") == ("3", [1, 2])


def test_event_wire_names():
    event = ftrack_api.event.base.Event(
        topic="my.topic",
        data={"when": datetime.datetime(2026, 1, 2, 3, 4, 5), "text": "héllo"},
        in_reply_to_event="abc",
    )
    text = ftrack_api.event.hub.encode_event(event)
    assert "héllo" in text  # Sent unescaped.
    payload = json.loads(text)
    assert payload["inReplyToEvent"] == "abc"
    assert "in_reply_to_event" not in payload
    assert payload["data"]["when"] == "2026-01-02T03:04:05"

    decoded = ftrack_api.event.hub.decode_event(dict(payload, unknown="x"))
    assert decoded["in_reply_to_event"] == "abc"
    assert decoded["id"] == event["id"]
    assert "unknown" not in decoded
    assert set(decoded) == set(event)


def test_decode_event_fills_missing_target_and_requires_topic():
    decoded = ftrack_api.event.hub.decode_event({"topic": "a", "target": None})
    assert decoded["target"] == ""
    with pytest.raises(ftrack_api.exception.EventHubPacketError):
        ftrack_api.event.hub.decode_event({"data": {}})
