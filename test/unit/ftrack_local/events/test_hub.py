"""The event server's hub (routing without a network), packets and update merging."""

import json

import pytest

from ftrack_local import schema as schema_module
from ftrack_local.events import packets
from ftrack_local.events.hub import Connection, EventHub, normalise
from ftrack_local.events.updates import _merge, json_value, legacy_name


class FakeConnection(Connection):
    def __init__(self, session_id):
        super().__init__(session_id, {"id": "u1", "username": "jane"})
        self.sent = []

    def send(self, frame):
        self.sent.append(frame)

    def events(self):
        return [json.loads(f[4:])["args"][0] for f in self.sent if f.startswith("5:::")]


def event(topic, target="", data=None, **extra):
    return dict({"id": "e-" + topic, "topic": topic, "data": data or {}, "source": {"id": "s"},
                 "target": target, "sent": None, "inReplyToEvent": None}, **extra)


@pytest.fixture
def hub():
    return EventHub()


def connect(hub, name, *subscriptions):
    connection = FakeConnection(name)
    hub.add_connection(connection)
    for index, subscription in enumerate(subscriptions):
        metadata = subscription[1] if isinstance(subscription, tuple) else {}
        text = subscription[0] if isinstance(subscription, tuple) else subscription
        metadata = dict(metadata, id=metadata.get("id", "{0}-{1}".format(name, index)))
        assert hub.subscribe(connection, metadata, text) == {"success": True}
    return connection


def test_each_connection_once_sender_included(hub):
    a = connect(hub, "a", "topic=t", "topic=t*", "data.x=1")
    b = connect(hub, "b", "topic=t")
    c = connect(hub, "c", "topic=other")
    assert hub.publish(event("t", data={"x": 1}), sender=a) == {"success": True}
    assert [e["topic"] for e in a.events()] == ["t"]
    assert [e["topic"] for e in b.events()] == ["t"]
    assert c.events() == []


def test_target_matches_subscriber_metadata(hub):
    a = connect(hub, "a", ("topic=t", {"applicationId": "maya"}), ("topic=t", {"applicationId": "nuke"}))
    b = connect(hub, "b", ("topic=t", {"applicationId": "nuke"}))
    hub.publish(event("t", target="applicationId=maya"))
    assert len(a.events()) == 1 and b.events() == []
    result = hub.publish(event("t", target="applicationId=(bad"))
    assert result["success"] is False


def test_meta_events(hub):
    a = connect(hub, "a", "topic=ftrack.meta.*")
    subscribe = event("ftrack.meta.subscribe", data={"subscriber": {"id": "x"}, "subscription": "topic=y"})
    assert hub.publish(subscribe, sender=a) == {"success": True}
    assert a.events() == []
    assert hub.publish(subscribe, sender=a)["success"] is False  # duplicate id
    assert hub.publish(subscribe)["success"] is False  # no connection
    unsubscribe = event("ftrack.meta.unsubscribe", data={"subscriber": {"id": "x"}})
    assert hub.publish(unsubscribe, sender=a) == {"success": True}
    assert hub.publish(unsubscribe, sender=a)["success"] is False
    assert set(a.subscribers) == {"a-0"}


def test_invalid_events(hub):
    a = connect(hub, "a", "topic=t")
    assert hub.publish({"data": {}}, sender=a)["success"] is False
    bad = event("ftrack.meta.subscribe", data={"subscriber": {"id": "z"}, "subscription": "topic="})
    assert "Invalid subscription" in hub.publish(bad, sender=a)["message"]
    assert hub.publish(event("ftrack.meta.subscribe", data=None), sender=a)["success"] is False


def test_remove_connection_drops_subscribers(hub):
    a = connect(hub, "a", "topic=t", "data.x=1")
    assert hub.may_deliver("t") and hub.may_deliver("anything")
    hub.remove_connection(a)
    assert not hub.may_deliver("t") and not hub.may_deliver("anything")
    assert hub.connections == {} and hub.subscribers() == []
    hub.publish(event("t", data={"x": 1}))
    assert a.events() == []


def test_may_deliver_uses_topics(hub):
    connect(hub, "a", "topic=ftrack.meta.reply", "topic=a and data.x=1")
    assert not hub.may_deliver("ftrack.update")
    assert hub.may_deliver("a")
    connect(hub, "b", "topic=ftrack.*")
    assert hub.may_deliver("ftrack.update")


def test_one_failing_connection_does_not_stop_routing(hub):
    class Broken(FakeConnection):
        def send(self, frame):
            raise RuntimeError("gone")

    broken = Broken("broken")
    hub.add_connection(broken)
    hub.subscribe(broken, {"id": "b"}, "topic=t")
    good = connect(hub, "good", "topic=t")
    assert hub.publish(event("t")) == {"success": True}
    assert len(good.events()) == 1


def test_publish_from_server(hub):
    a = connect(hub, "a", "topic=ftrack.update")
    sent = hub.publish_from_server("ftrack.update", {"entities": []},
                                   source={"user": {"id": "u", "username": "jane"}})
    [received] = a.events()
    assert received == sent
    assert set(received) == set(packets.EVENT_KEYS)
    assert received["source"] == {"id": hub.id, "user": {"id": "u", "username": "jane"}}
    assert received["target"] == "" and received["inReplyToEvent"] is None
    assert received["sent"] and received["id"]


def test_normalise():
    normalised = normalise({"topic": "t", "in_reply_to_event": "r", "extra": 1})
    assert set(normalised) == set(packets.EVENT_KEYS)
    assert normalised["inReplyToEvent"] == "r" and normalised["data"] == {}
    with pytest.raises(ValueError):
        normalise([])


# -- packets ------------------------------------------------------------------------------

@pytest.mark.parametrize("frame, expected", [
    ("2::", ("2", "", False, "", "")),
    ("2:::", ("2", "", False, "", "")),
    ("2", ("2", "", False, "", "")),
    ("5:12+::{\"a\": \"b:c\"}", ("5", "12", True, "", "{\"a\": \"b:c\"}")),
    ("5:3::{}", ("5", "3", False, "", "{}")),
    ("5:::{}", ("5", "", False, "", "{}")),
])
def test_packet_parse(frame, expected):
    assert tuple(packets.parse(frame)) == expected


@pytest.mark.parametrize("frame", ["", "x::", "9::", "5:", "5:a+::{}", "5:+::{}", "12::"])
def test_packet_parse_invalid(frame):
    with pytest.raises(packets.PacketError):
        packets.parse(frame)


def test_packet_frames():
    assert packets.ack_frame("4", {"success": True}) == '6:::4+[{"success":true}]'
    assert json.loads(packets.ack_frame("4", {"success": False, "message": "m"}).split("+", 1)[1]) == [
        {"success": False, "message": "m"}]
    frame = packets.event_frame({"topic": "é"})
    assert frame.startswith("5:::")
    assert json.loads(frame[4:]) == {"name": "ftrack.event", "args": [{"topic": "é"}]}
    assert packets.error_frame("bad\nthing") == "7:::bad thing"


# -- ftrack.update merging -------------------------------------------------------------------

@pytest.fixture(scope="module")
def schema():
    return schema_module.load()


def test_legacy_names():
    assert legacy_name("Task") == "task"
    assert legacy_name("Shot") == "task"
    assert legacy_name("Project") == "show"
    assert legacy_name("AssetVersion") == "assetversion"
    assert legacy_name("FileComponent") == "component"
    assert legacy_name("TypedContextList") == "list"
    assert legacy_name("AssetType") == "assettype"


def test_merge(schema):
    entries = _merge(schema, [
        ("add", "Task", {"id": "1"}, {"name": (None, "a"), "status_id": (None, "s1")}),
        ("update", "Task", {"id": "1"}, {"status_id": ("s1", "s2")}),
        ("update", "Shot", {"id": "2"}, {"name": ("x", "y")}),
        ("update", "Shot", {"id": "2"}, {"name": ("y", "z")}),
        ("update", "Shot", {"id": "3"}, {"name": ("x", "y")}),
        ("update", "Shot", {"id": "3"}, {"name": ("y", "x")}),
        ("add", "Note", {"id": "4"}, {"content": (None, "c")}),
        ("remove", "Note", {"id": "4"}, {"content": ("c", None)}),
        ("update", "Asset", {"id": "5"}, {"name": ("a", "b")}),
        ("remove", "Asset", {"id": "5"}, {"name": ("b", None), "context_id": ("c", None)}),
    ])
    summary = [(e.action, e.type_name, e.entity_id, e.changes) for e in entries]
    assert summary == [
        ("add", "Task", "1", {"name": (None, "a"), "status_id": (None, "s2")}),
        ("update", "Shot", "2", {"name": ("x", "z")}),
        ("remove", "Asset", "5", {"name": ("a", None), "context_id": ("c", None)}),
    ]


def test_json_value():
    import datetime

    assert json_value(datetime.datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05"
    assert json_value({"__type__": "datetime", "value": "2024-01-02T03:04:05"}) == "2024-01-02T03:04:05"
    assert json_value(float("nan")) == "nan"
    assert json_value({"a": [1, datetime.date(2024, 1, 2)]}) == {"a": [1, "2024-01-02"]}
