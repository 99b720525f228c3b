"""The pieces of the event bus that need no database: payloads, the send queue's
drop policy, skipping and delivering received notifications, connection strings.

The bus against a real PostgreSQL server is tested in
``test/integration/test_multi_process.py``.
"""

import asyncio
import logging

import pytest
import sqlalchemy as sa

from ftrack_local.events import bus as bus_module
from ftrack_local.events import packets
from ftrack_local.events.bus import (EventBus, conninfo_of, decode_payload, encode_payload,
                                     event_of)
from ftrack_local.events.hub import Connection, EventHub

OTHER = "b" * 32


class FakeConnection(Connection):
    def __init__(self, session_id):
        super().__init__(session_id, {"id": "u1", "username": "jane"})
        self.sent = []

    def send(self, frame):
        self.sent.append(frame)


def make_event(topic, number=0):
    return {"id": "e{0}".format(number), "topic": topic, "data": {"n": number},
            "source": {"id": "s"}, "target": "", "sent": None, "inReplyToEvent": None}


@pytest.mark.parametrize("topic", ["plain", "with:colons:in:it", "", "é ünïcode"])
def test_payload_round_trip(topic):
    frame = packets.event_frame(make_event(topic or "x"))
    payload = encode_payload("a" * 32, 255, "f", topic, frame)
    assert decode_payload(payload) == ("a" * 32, "f", topic, frame)


def test_long_topics_are_left_out_of_the_header():
    topic = "t" * (bus_module.TOPIC_LIMIT + 1)
    payload = encode_payload("a" * 32, 1, "r", topic, "42")
    assert decode_payload(payload) == ("a" * 32, "r", "", "42")


def test_equal_events_of_one_batch_get_distinct_payloads():
    frame = packets.event_frame(make_event("same"))
    assert encode_payload("a" * 32, 1, "f", "same", frame) != \
        encode_payload("a" * 32, 2, "f", "same", frame)


def test_event_of_reads_the_event_packet():
    event = make_event("topic.x", 3)
    assert event_of(packets.event_frame(event)) == event
    with pytest.raises(ValueError):
        event_of("6:::1+[]")


def test_relay_never_blocks_and_logs_drops(caplog):
    bus = EventBus(EventHub(), "", queue_limit=2)
    with caplog.at_level(logging.WARNING, logger=bus_module.__name__):
        for number in range(5):
            bus.relay(make_event("t", number), packets.event_frame(make_event("t", number)))
    assert bus.stats["dropped"] == 3
    assert bus._outgoing.qsize() == 2
    drops = [r for r in caplog.records if "not relayed" in r.getMessage()]
    assert len(drops) == 1 and drops[0].getMessage().startswith("1 event(s)")


def test_received_events_are_delivered_on_the_loop_once():
    hub = EventHub()
    connection = FakeConnection("c1")
    hub.add_connection(connection)
    assert hub.subscribe(connection, {"id": "sub"}, "topic=wanted") == {"success": True}
    bus = EventBus(hub, "")
    loop = asyncio.new_event_loop()
    try:
        bus._loop = loop
        wanted = [packets.event_frame(make_event("wanted", n)) for n in range(3)]
        unwanted = packets.event_frame(make_event("unwanted"))
        for number, frame in enumerate(wanted):
            bus._receive(encode_payload(OTHER, number, "f", "wanted", frame), None)
        bus._receive(encode_payload(OTHER, 9, "f", "unwanted", unwanted), None)
        # What this process sent itself comes back and is ignored.
        bus._receive(encode_payload(bus.origin, 1, "f", "wanted", wanted[0]), None)
        bus._receive(encode_payload(OTHER, 10, "w", "", ""), None)
        assert connection.sent == []
        loop.run_until_complete(asyncio.sleep(0))
        assert connection.sent == wanted
        assert bus.stats == dict(bus.stats, received=3, skipped=1)
        loop.run_until_complete(asyncio.sleep(0))
        assert connection.sent == wanted
    finally:
        loop.close()


def test_relayed_events_are_not_relayed_again():
    hub = EventHub()
    relayed = []
    hub.relay = lambda event, frame: relayed.append(event["id"])
    hub.publish(make_event("t", 1))
    hub.deliver_relayed(make_event("t", 2), packets.event_frame(make_event("t", 2)))
    assert relayed == ["e1"]


def test_conninfo_keeps_the_password_and_options():
    url = sa.engine.make_url(
        "postgresql+psycopg://jane:p%40ss%20word@db.example.com:6543/ftrack?sslmode=require")
    conninfo = pytest.importorskip("psycopg.conninfo", reason="needs the postgres extra")
    params = conninfo.conninfo_to_dict(conninfo_of(url))
    assert params == {"host": "db.example.com", "port": "6543", "user": "jane",
                      "password": "p@ss word", "dbname": "ftrack", "sslmode": "require",
                      "application_name": "ftrack-local events"}
