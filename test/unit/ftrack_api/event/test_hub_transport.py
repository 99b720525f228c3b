"""Socket.IO packets and the wire form of events, through the hub's own
methods (``_send_packet``, ``_receive_packet``, ``_handle_packet``,
``_encode``, ``_decode`` ...) on a stand-in for the WebSocket."""

import datetime
import json
import logging
import queue

import pytest
import websocket

import ftrack_api.event.base
import ftrack_api.event.hub
import ftrack_api.exception

Event = ftrack_api.event.base.Event


class Socket(object):
    """Stands in for ``websocket.WebSocket``: records what is sent, hands
    out what was fed."""

    def __init__(self):
        self.connected = True
        self.sent = []
        self.incoming = queue.Queue()

    def send(self, frame):
        if not self.connected:
            raise websocket.WebSocketConnectionClosedException("socket is already closed.")
        self.sent.append(frame)

    def recv(self):
        item = self.incoming.get(timeout=5)
        if isinstance(item, Exception):
            raise item
        return item

    def close(self, timeout=None):
        self.connected = False


@pytest.fixture
def hub():
    return ftrack_api.event.hub.EventHub("http://example.invalid:9000", "martin", "key")


@pytest.fixture
def socket_(hub):
    socket_ = Socket()
    hub._connection = socket_
    return socket_


# -- encoding ------------------------------------------------------------------


def test_encode_uses_server_key_names_and_keeps_text_readable(hub):
    event = Event(
        topic="my.topic",
        data={"when": datetime.datetime(2026, 1, 2, 3, 4, 5), "text": "héllo", "tags": {"a"}},
        in_reply_to_event="abc",
    )
    text = hub._encode(dict(name="ftrack.event", args=[event]))
    assert "héllo" in text  # Not escaped.
    payload = json.loads(text)
    [wire] = payload["args"]
    assert wire["inReplyToEvent"] == "abc"
    assert "in_reply_to_event" not in wire
    assert wire["data"] == {"when": "2026-01-02T03:04:05", "text": "héllo", "tags": ["a"]}
    assert set(wire) == {"id", "topic", "data", "sent", "source", "target", "inReplyToEvent"}


def test_encode_refuses_unknown_objects(hub):
    with pytest.raises(TypeError) as error:
        hub._encode({"value": object()})
    assert "is not JSON serializable" in str(error.value)


def test_decode_renames_reply_key_at_every_level(hub):
    decoded = hub._decode(json.dumps({"inReplyToEvent": "id", "args": [{"inReplyToEvent": "x"}]}))
    assert decoded == {"in_reply_to_event": "id", "args": [{"in_reply_to_event": "x"}]}


# -- sending -------------------------------------------------------------------


def test_packet_identifiers_count_up(hub):
    assert hub._add_packet_callback(len) == "1+"
    assert hub._add_packet_callback(str) == "2+"
    assert hub._unique_packet_id == 2
    assert hub._pop_packet_callback(2) is str
    with pytest.raises(KeyError):
        hub._pop_packet_callback(2)


def test_send_packet_goes_through_the_connection(hub, socket_):
    hub._send_packet("2")
    hub._send_packet(hub._code_name_mapping["message"], data="hello")
    assert socket_.sent == ["2:::", "3:::hello"]


def test_send_packet_with_callback_asks_for_acknowledgement(hub, socket_):
    calls = []
    hub._send_packet("5", data="{}", callback=calls.append)
    assert socket_.sent == ["5:1+::{}"]
    hub._handle_packet("6", "", "", '1+[{"success": true}]')
    assert calls == [{"success": True}]
    assert hub._packet_callbacks == {}


def test_emit_event_packet(hub, socket_):
    event = Event(topic="a", id="e1")
    hub._emit_event_packet("ftrack.event", event, callback=len)
    [frame] = socket_.sent
    assert frame.startswith("5:1+::")
    payload = json.loads(frame[len("5:1+::"):])
    assert payload["name"] == "ftrack.event"
    assert payload["args"][0]["id"] == "e1"


def test_acknowledge_packet(hub, socket_):
    hub._acknowledge_packet("3+")
    hub._acknowledge_packet("4+", {"success": True})
    assert socket_.sent == ["6:::3", '6:::4+[{"success": true}]']


def test_send_failure_is_a_connection_error(hub, socket_):
    socket_.connected = False
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub._send_packet("5", data="{}", callback=len)
    assert str(error.value).startswith("Failed to send packet: ")
    # The callback waiting for an acknowledgement is forgotten.
    assert hub._packet_callbacks == {}

    hub._connection = None
    with pytest.raises(ftrack_api.exception.EventHubConnectionError):
        hub._send_packet("2")


# -- receiving -----------------------------------------------------------------


@pytest.mark.parametrize(
    "frame, expected",
    [
        ("2::", ("2", "", "", None)),
        ("1::", ("1", "", "", None)),
        ("0", ("0", None, None, None)),
        ("5:::{}", ("5", "", "", "{}")),
        ("6:::4+[{}]", ("6", "", "", "4+[{}]")),
        ('5:7+::{"a": "b:c"}', ("5", "7+", "", '{"a": "b:c"}')),
        ("7:::bad thing", ("7", "", "", "bad thing")),
        (b"2::", ("2", "", "", None)),
    ],
)
def test_receive_packet(hub, socket_, frame, expected):
    socket_.incoming.put(frame)
    assert hub._receive_packet() == expected


@pytest.mark.parametrize("frame", ["2:", "a:b"])
def test_receive_invalid_packet(hub, socket_, frame):
    socket_.incoming.put(frame)
    with pytest.raises(ftrack_api.exception.EventHubPacketError) as error:
        hub._receive_packet()
    assert "Received invalid packet" in str(error.value)


def test_receive_failure_is_a_connection_error(hub, socket_):
    socket_.incoming.put(websocket.WebSocketConnectionClosedException("gone"))
    with pytest.raises(ftrack_api.exception.EventHubConnectionError) as error:
        hub._receive_packet()
    assert str(error.value) == "Error receiving packet: gone"


def test_empty_frame_of_closed_socket_is_a_connection_error(hub, socket_):
    socket_.connected = False
    socket_.incoming.put("")
    with pytest.raises(ftrack_api.exception.EventHubConnectionError):
        hub._receive_packet()


# -- handling ------------------------------------------------------------------


def test_event_packet_queues_event(hub):
    payload = {
        "name": "ftrack.event",
        "args": [{
            "id": "e1", "topic": "a", "data": {"x": 1}, "source": {"id": "s"},
            "target": None, "inReplyToEvent": "q1", "unknown": "ignored",
        }],
    }
    hub._handle_packet("5", "", "", json.dumps(payload))
    event = hub._event_queue.get_nowait()
    assert isinstance(event, Event)
    assert event["id"] == "e1"
    assert event["in_reply_to_event"] == "q1"
    assert event["target"] == ""
    assert "unknown" not in event


@pytest.mark.parametrize(
    "data",
    [
        "not json",
        json.dumps(["ftrack.event"]),
        json.dumps({"name": "ftrack.event", "args": []}),
        json.dumps({"name": "ftrack.event", "args": [{"topic": "a"}, {"topic": "b"}]}),
        json.dumps({"name": "ftrack.event", "args": ["text"]}),
    ],
)
def test_event_packet_without_one_event_is_ignored(hub, data):
    hub._handle_packet("5", "", "", data)
    assert hub._event_queue.qsize() == 0


def test_event_without_topic_is_logged_and_dropped(hub, caplog):
    hub._handle_packet("5", "", "", json.dumps({"args": [{"data": {}}]}))
    assert hub._event_queue.qsize() == 0
    assert "Failed to convert payload into event" in caplog.text


def test_heartbeat_is_answered(hub, socket_):
    hub._handle_packet("2", "", "", None)
    assert socket_.sent == ["2:::"]


def test_connect_packet_queues_connected_event(hub):
    hub._handle_packet("1", "", "", None)
    event = hub._event_queue.get_nowait()
    assert event["topic"] == "ftrack.meta.connected"
    assert event["source"]["id"] == hub.id


def test_error_packet_is_logged_as_error(hub, caplog):
    with caplog.at_level(logging.DEBUG):
        hub._handle_packet("7", "", "", "something broke")
    [record] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert record.getMessage() == "Event server reported error: something broke."


def test_acknowledgement_of_unknown_packet_is_ignored(hub):
    hub._handle_packet("6", "", "", '99+[{"success": true}]')
    hub._handle_packet("6", "", "", "not-a-number")


def test_refused_publish_is_logged(hub, caplog):
    event = Event(topic="a")
    hub._on_published(event, {"success": False, "message": "nope"})
    assert (
        "Server responded with error while publishing event {0}. Error was: nope".format(event)
        in caplog.text
    )


def test_code_name_mapping_goes_both_ways(hub):
    mapping = hub._code_name_mapping
    for code, name in [("0", "disconnect"), ("1", "connect"), ("2", "heartbeat"),
                       ("3", "message"), ("4", "json"), ("5", "event"),
                       ("6", "acknowledge"), ("7", "error")]:
        assert mapping[code] == name
        assert mapping[name] == code
    assert hub._event_namespace == "ftrack.event"
