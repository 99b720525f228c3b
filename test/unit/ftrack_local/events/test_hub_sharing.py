"""The event hub's identity stamping and per-client queue limits, without a network."""

import asyncio
import json
import logging

import pytest

from ftrack_local.events import packets
from ftrack_local.events.hub import Connection, EventHub, HubSettings, stamp_user
from ftrack_local.events.socketio import SocketConnection

USER = {"id": "u-1", "username": "jane"}


class RecordingConnection(Connection):
    def __init__(self, session_id, user=USER):
        super().__init__(session_id, user)
        self.sent = []

    def send(self, frame):
        self.sent.append(frame)


def test_stamp_user_replaces_claims_and_keeps_the_rest():
    event = {"source": {"id": "hub", "applicationId": "maya",
                        "user": {"id": "x", "username": "mallory"}}}
    assert stamp_user(event, USER) is True
    assert event["source"] == {"id": "hub", "applicationId": "maya", "user": USER}
    assert stamp_user(event, USER) is False
    for source in (None, "jane", ["jane"]):
        event = {"source": source}
        assert stamp_user(event, USER) is True and event["source"] == {"user": USER}


def test_same_json_object_tells_json_types_apart():
    assert packets.same_json_object({"id": 1}, {"id": 1})
    assert not packets.same_json_object({"id": True}, {"id": 1})
    assert not packets.same_json_object({"id": 1.0}, {"id": 1})
    assert not packets.same_json_object({"id": 1, "x": 2}, {"id": 1})
    assert not packets.same_json_object(None, {"id": 1})


def test_publish_from_a_client_stamps_and_drops_a_stale_frame():
    hub = EventHub()
    sender = RecordingConnection("a", USER)
    hub.add_connection(sender)
    hub.subscribe(sender, {"id": "s"}, "topic=t and source.user.id=u-1")
    relayed = []
    hub.relay = lambda event, frame: relayed.append(frame)
    event = {"id": "e", "topic": "t", "data": {}, "source": {"id": "c", "user": {"username": "x"}},
             "target": "", "sent": None, "inReplyToEvent": None}
    assert hub.publish(event, sender, frame="5:::stale") == {"success": True}
    [frame] = sender.sent
    delivered = json.loads(frame[4:])["args"][0]
    assert delivered["source"] == {"id": "c", "user": USER}
    assert relayed == [frame]
    # Events of other processes are delivered as they come.
    other = dict(event, id="e2", source={"user": USER})
    hub.deliver_relayed(other, "5:::as-relayed")
    assert sender.sent[-1] == "5:::as-relayed"


def wire(source_text):
    return ('{"name": "ftrack.event", "args": [{"id": "1", "topic": "t", "data": {}, '
            '"source": ' + source_text + ', "target": ""}]}')


@pytest.mark.parametrize("source_text, claimed, expected", [
    ('{"id": "c", "user": {"username": "jane"}}', {"username": "jane"},
     '{"id": "c", "user": {"id": "u-1", "username": "jane"}}'),
    ('{"id":"c","user":{"username":"jane"}}', {"username": "jane"},
     '{"id":"c","user":{"id":"u-1","username":"jane"}}'),
    ('{"user": {"id": "u-1", "username": "jane"}}', dict(USER),
     '{"user": {"id": "u-1", "username": "jane"}}'),
])
def test_restamp_rewrites_plain_spellings(source_text, claimed, expected):
    text = packets.restamp(wire(source_text), packets.user_spellings(USER), claimed)
    assert text == wire(expected)
    assert json.loads(text)["args"][0]["source"]["user"] == USER


@pytest.mark.parametrize("source_text, claimed", [
    ('{"user": {"username": "bob"}}', {"username": "bob"}),
    ('{"user": {"username": "jane", "id": "u-1"}}', dict(USER)),  # another key order
    ('{"user": {"username": "bob"}, "user": {"username": "jane"}}', {"username": "jane"}),
    ('{"\\u0075ser": {"username": "bob"}, "user": {"username": "jane"}}', {"username": "jane"}),
    ('{"user": {"username": "jane"}}, "source": {"user": {"username": "jane"}}',
     {"username": "jane"}),
])
def test_restamp_refuses_what_it_cannot_be_sure_of(source_text, claimed):
    assert packets.restamp(wire(source_text), packets.user_spellings(USER), claimed) is None


class BufferingTransport(asyncio.WriteTransport):
    """A transport whose peer never reads: everything written stays buffered."""

    def __init__(self):
        super().__init__()
        self.buffered = 0
        self.aborted = False

    def write(self, data):
        self.buffered += len(data)

    def get_write_buffer_size(self):
        return self.buffered

    def is_closing(self):
        return self.aborted

    def abort(self):
        self.aborted = True
        self.buffered = 0


def test_connection_dropped_past_the_byte_limit(caplog):
    caplog.set_level(logging.WARNING)
    settings = HubSettings(max_queue_bytes=10000)
    released = []

    async def scenario():
        transport = BufferingTransport()
        connection = SocketConnection("sid-1", USER, None, transport, settings, released.append)
        # A single frame larger than the limit still goes to an idle client.
        connection.send("x" * 20000)
        assert not connection.closing and connection.queued_bytes == 20000
        await asyncio.sleep(0)  # (no writer task: the frames stay queued)
        for _ in range(3):
            connection.send("é" * 100)
        assert connection.closing
        assert transport.aborted and connection.outbox == [] and connection.queued_bytes == 0
        connection.send("more")
        assert connection.outbox == []

    asyncio.run(scenario())
    assert released == [20200]
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "sid-1 (user jane)" in record.getMessage()
    assert "20200 bytes queued, limit 10000" in record.getMessage()


def test_connection_dropped_past_the_frame_limit(caplog):
    caplog.set_level(logging.WARNING)

    async def scenario():
        transport = BufferingTransport()
        connection = SocketConnection("sid-2", USER, None, transport, HubSettings(max_queue=5))
        for _ in range(6):
            connection.send("2::")
        assert connection.closing and transport.aborted

    asyncio.run(scenario())
    [record] = caplog.records
    assert "6 frames queued, limit 5" in record.getMessage()
