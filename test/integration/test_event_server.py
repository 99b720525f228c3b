"""The event hub on the wire: handshake, Socket.IO 0.9 packets, routing and
``ftrack.update`` events, seen through a raw WebSocket client."""

import json
import time
import uuid

import pytest
import requests
import websocket

from ftrack_local import seed
from ftrack_local.client import ApiClient, ApiClientError
from hub_client import TIMEOUT, HubClient, handshake, make_event, websocket_url

pytestmark = pytest.mark.timeout(60)

EVENT_KEYS = {"id", "topic", "data", "source", "target", "sent", "inReplyToEvent"}


def unique_topic():
    return "test.topic." + uuid.uuid4().hex[:10]


@pytest.fixture
def hub(ftrack_server):
    clients = []

    def connect(query=False):
        client = HubClient(ftrack_server, query=query)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


@pytest.fixture
def api(ftrack_server):
    client = ApiClient(ftrack_server.url, ftrack_server.api_user, ftrack_server.api_key)
    yield client
    client.close()


@pytest.fixture
def hub_user(api, ftrack_server):
    """The user the hub stamps on the events of the test clients."""
    [user] = api.query('select id, username from User where username is "{0}"'.format(
        ftrack_server.api_user))
    return {"id": user["id"], "username": user["username"]}


def stamped(event, user):
    """*event* as delivered: its ``source.user`` is its client's user."""
    return dict(event, source=dict(event["source"], user=user))


# -- handshake and connection ---------------------------------------------------------

@pytest.mark.parametrize("query", [False, True], ids=["headers", "query"])
def test_handshake(ftrack_server, query):
    answer = handshake(ftrack_server, query=query)
    assert answer.status_code == 200
    fields = answer.text.split(":")
    assert len(fields) == 4
    assert fields[0] and fields[0].isalnum()
    assert int(fields[1]) >= 15
    assert "websocket" in fields[3].split(",")


@pytest.mark.parametrize("query", [False, True], ids=["headers", "query"])
def test_handshake_bad_credentials(ftrack_server, query):
    assert handshake(ftrack_server, query=query, key="not-the-key").status_code == 401
    assert handshake(ftrack_server, query=query, user="nobody").status_code == 401
    assert requests.get(ftrack_server.url + "/socket.io/1/", timeout=TIMEOUT).status_code == 401


def test_unknown_session_id_is_rejected(ftrack_server):
    with pytest.raises(websocket.WebSocketBadStatusException) as raised:
        websocket.create_connection(websocket_url(ftrack_server, "0" * 32), timeout=TIMEOUT)
    assert 400 <= raised.value.status_code < 500


def test_session_id_is_used_once(ftrack_server):
    sid = handshake(ftrack_server).text.split(":")[0]
    first = websocket.create_connection(websocket_url(ftrack_server, sid), timeout=TIMEOUT)
    try:
        assert first.recv() == "1::"
        with pytest.raises(websocket.WebSocketBadStatusException):
            websocket.create_connection(websocket_url(ftrack_server, sid), timeout=TIMEOUT)
    finally:
        first.close()


def test_connect_packet_first(hub):
    client = hub()
    assert client.frames == ["1::"]
    client_by_query = hub(query=True)
    assert client_by_query.frames == ["1::"]


def test_heartbeats_and_expiry(ftrack_fresh_server):
    settings = ftrack_fresh_server.event_hub.settings
    settings.heartbeat_interval = 0.2
    settings.handshake_timeout = 0.3
    with HubClient(ftrack_fresh_server) as client:
        assert client.wait_frame(lambda f: f == "2::", timeout=3) == "2::"
        client.send_raw("2:::")  # the reference client's answer
        client.send_raw("2::")   # the JavaScript client's answer
        assert client.wait_frame(lambda f: f == "2::", timeout=3) == "2::"
        assert all(frame[0] in "01234567" for frame in client.frames)
    sid = handshake(ftrack_fresh_server).text.split(":")[0]
    time.sleep(0.6)
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(websocket_url(ftrack_fresh_server, sid), timeout=TIMEOUT)


def test_silent_client_is_dropped(ftrack_fresh_server):
    settings = ftrack_fresh_server.event_hub.settings
    settings.heartbeat_interval = 0.1
    settings.heartbeat_timeout = 0.5
    with HubClient(ftrack_fresh_server) as client:
        client.ws.settimeout(5)
        frames = []
        try:
            while True:
                frame = client.ws.recv()
                if not frame:
                    break
                frames.append(frame)
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            pass
        assert frames and frames[-1] == "0::"
    deadline = time.monotonic() + 5
    while ftrack_fresh_server.event_hub.connections and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not ftrack_fresh_server.event_hub.connections


def test_stop_closes_sockets(ftrack_fresh_server):
    client = HubClient(ftrack_fresh_server)
    client.subscribe("topic=x")
    started = time.monotonic()
    ftrack_fresh_server.stop()
    assert time.monotonic() - started < 10
    client.ws.settimeout(5)
    frames = []
    try:
        while True:
            frame = client.ws.recv()
            if not frame:
                break
            frames.append(frame)
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        pass
    assert "0::" in frames
    client.close()


# -- publishing and routing ----------------------------------------------------------------

def test_own_event_received_once(hub, hub_user):
    client = hub()
    topic = unique_topic()
    client.subscribe("topic=" + topic)
    client.subscribe("topic=" + topic)  # a second local subscriber: still one delivery
    event = make_event(topic, {"value": 1, "text": "héllo"})
    assert client.publish(event) == {"success": True}
    received = client.next_event()
    assert received == stamped(event, hub_user)
    assert set(received) == EVENT_KEYS
    assert client.drain() == []


def test_event_delivered_unchanged_and_normalised(hub, hub_user):
    client = hub()
    topic = unique_topic()
    client.subscribe("topic=" + topic)
    # A JavaScript-style event: no "sent"; and one with an extra key and the
    # Python attribute name for the reply id.
    javascript = {"id": str(uuid.uuid4()), "topic": topic, "data": {"a": 1}, "target": "",
                  "source": {"id": "js", "applicationId": "ftrack.api.javascript"}}
    client.send_raw("5:::" + json.dumps({"name": "ftrack.event", "args": [javascript]}))
    assert client.next_event() == stamped(javascript, hub_user)
    odd = dict(make_event(topic), extra="dropped")
    odd["in_reply_to_event"] = odd.pop("inReplyToEvent") or "abc"
    client.publish(odd)
    received = client.next_event()
    assert set(received) == EVENT_KEYS
    assert received["inReplyToEvent"] == "abc"
    assert received["id"] == odd["id"]


def test_two_connections(hub, hub_user):
    first, second, third = hub(), hub(), hub()
    topic = unique_topic()
    first.subscribe("topic=" + topic)
    second.subscribe("topic=" + topic)
    third.subscribe("topic=" + topic + ".other")
    event = make_event(topic, {"n": 1})
    first.publish(event)
    assert first.next_event() == stamped(event, hub_user)
    assert second.next_event() == stamped(event, hub_user)
    assert third.drain() == []
    second.publish(make_event(topic + ".other"))
    assert third.next_event()["topic"] == topic + ".other"
    assert first.drain() == [] and second.drain() == []


def test_target_filtering(hub):
    sender, maya, nuke = hub(), hub(), hub()
    topic = unique_topic()
    maya.subscribe("topic=" + topic, {"applicationId": "maya", "host": "ws1"})
    nuke.subscribe("topic=" + topic, {"applicationId": "nuke", "host": "ws1"})
    sender.publish(make_event(topic, target="applicationId=maya"))
    assert maya.next_event()["target"] == "applicationId=maya"
    assert nuke.drain() == []
    sender.publish(make_event(topic, target="host=ws1 and not applicationId=maya"))
    assert nuke.next_event() is not None
    assert maya.drain() == []
    sender.publish(make_event(topic, target="applicationId=houdini"))
    assert maya.drain() == [] and nuke.drain() == []


def test_reply_routing(hub):
    asker, other, handler = hub(), hub(), hub()
    asker_id, other_id = uuid.uuid4().hex, uuid.uuid4().hex
    asker.subscribe("topic=ftrack.meta.reply", {"id": asker_id})
    other.subscribe("topic=ftrack.meta.reply", {"id": other_id})
    topic = unique_topic()
    handler.subscribe("topic=" + topic)
    question = make_event(topic, {"q": 1}, source={"id": asker_id})
    asker.publish(question)
    received = handler.next_event()
    reply = make_event("ftrack.meta.reply", {"answer": 42}, target="id=" + received["source"]["id"],
                       in_reply_to=received["id"], source={"id": "handler"})
    handler.publish(reply)
    answer = asker.next_event()
    assert answer["inReplyToEvent"] == question["id"]
    assert answer["data"] == {"answer": 42}
    assert other.drain() == []


def test_unsubscribe(hub):
    client = hub()
    topic = unique_topic()
    subscriber = client.subscribe("topic=" + topic)
    client.publish(make_event(topic))
    assert client.next_event() is not None
    assert client.unsubscribe(subscriber["id"]) == {"success": True}
    client.publish(make_event(topic))
    assert client.drain() == []
    result = client.unsubscribe(subscriber["id"])
    assert result["success"] is False and result["message"]


def test_duplicate_subscriber_refused(hub):
    client = hub()
    client.subscribe("topic=a", {"id": "same"})
    result = client.publish(make_event("ftrack.meta.subscribe", {
        "subscriber": {"id": "same"}, "subscription": "topic=b"}))
    assert result["success"] is False
    # Another connection may use the same id (clients re-send them on reconnect).
    hub().subscribe("topic=a", {"id": "same"})


def test_meta_events_not_forwarded(hub):
    watcher, client = hub(), hub()
    watcher.subscribe("topic=ftrack.meta.*")
    client.subscribe("topic=" + unique_topic())
    assert [e for e in watcher.drain() if e["topic"] != "ftrack.meta.reply"] == []


@pytest.mark.parametrize("subscription, matching, other", [
    ("topic={base}.*", "{base}.one", "other.{base}"),
    ("topic=* and source.id={suffix}", ("{base}", {}, {"id": "{suffix}"}), "{base}"),
    ("topic={base}.* and not topic=secret*", "{base}.x.open", "{base}.x.secret"),
    ("topic={base}.a or topic={base}.b", "{base}.b", "{base}.c"),
    ("topic={base}.a and data.kind=good", ("{base}.a", {"kind": "good"}), ("{base}.a", {"kind": "bad"})),
    ("topic={base}.a and not data.kind=bad", ("{base}.a", {"kind": "good"}), ("{base}.a", {"kind": "bad"})),
    ("(topic={base}.a OR topic={base}.b) AND data.n>=10", ("{base}.b", {"n": 12}), ("{base}.b", {"n": 9})),
    ("topic={base}.a and source.user.username={user} and data.who=\"jane doe\"",
     ("{base}.a", {"who": "jane doe"}), ("{base}.a", {"who": "jane"})),
])
def test_subscription_expressions(hub, ftrack_server, subscription, matching, other):
    base = unique_topic()
    suffix = uuid.uuid4().hex[:8]

    def event(spec):
        if isinstance(spec, str):
            spec = (spec,)
        topic = spec[0].format(base=base, suffix=suffix)
        data = spec[1] if len(spec) > 1 else {}
        source = spec[2] if len(spec) > 2 else {"id": "x"}
        source = {k: v.format(suffix=suffix) if isinstance(v, str) else v for k, v in source.items()}
        return make_event(topic, data, source=source)

    client = hub()
    client.subscribe(subscription.format(base=base, suffix=suffix, user=ftrack_server.api_user))
    wanted = event(matching)
    client.publish(event(other))
    client.publish(wanted)
    received = client.drain(0.5)
    assert [e["id"] for e in received] == [wanted["id"]]


def test_bad_subscription_refused(hub):
    client = hub()
    result = client.publish(make_event("ftrack.meta.subscribe", {
        "subscriber": {"id": "x"}, "subscription": "topic=(broken"}))
    assert result["success"] is False and "subscription" in result["message"].lower()
    result = client.publish(make_event("ftrack.meta.subscribe", {"subscription": "topic=a"}))
    assert result["success"] is False


def test_malformed_packets(hub):
    victim, bystander = hub(), hub()
    topic = unique_topic()
    bystander.subscribe("topic=" + topic)
    victim.subscribe("topic=" + topic)
    for frame in ("garbage", "9::", "5:x+::{}", "3:::hello", "5:::not json",
                  '5:::{"name": "other", "args": [{}]}', '5:::{"name": "ftrack.event", "args": []}',
                  '5:::{"name": "ftrack.event", "args": [{"topic": 5}]}'):
        victim.send_raw(frame)
        error = victim.wait_frame(lambda f: f.startswith("7:::"), timeout=TIMEOUT)
        assert error is not None, frame
    victim.ws.send_binary(b"\x00\x01")
    assert victim.wait_frame(lambda f: f.startswith("7:::")) is not None
    victim.send_raw("5:7+::{broken")
    result = victim.wait_ack("7")
    assert result["success"] is False and result["message"]
    event = make_event(topic)
    victim.publish(event)
    assert victim.next_event()["id"] == event["id"]
    assert bystander.next_event()["id"] == event["id"]
    assert all(frame[0] in "01234567" for frame in victim.frames + bystander.frames)


def test_ack_has_one_object(hub):
    client = hub()
    message_id = client.publish(make_event(unique_topic()), wait_ack=False)
    frame = client.wait_frame(lambda f: f.startswith("6:::"))
    assert frame.startswith("6:::{0}+[".format(message_id))
    results = json.loads(frame.split("+", 1)[1])
    assert results == [{"success": True}]


# -- ftrack.update ---------------------------------------------------------------------------

def create(type_name, **data):
    data.setdefault("id", str(uuid.uuid4()))
    data["__entity_type__"] = type_name
    return {"action": "create", "entity_type": type_name, "entity_key": [data["id"]],
            "entity_data": data}


def update_events(client, entity_id, timeout=TIMEOUT):
    """The next ftrack.update event concerning *entity_id*."""
    return client.next_event(timeout, lambda e: e["topic"] == "ftrack.update" and any(
        entity["entityId"] == entity_id for entity in e["data"]["entities"]))


def entity_of(event, entity_id):
    return next(e for e in event["data"]["entities"] if e["entityId"] == entity_id)


def test_update_events_for_create_update_delete(hub, api, ftrack_server):
    client = hub()
    client.subscribe("topic=ftrack.update")
    project = create("Project", name="events_" + uuid.uuid4().hex[:8], full_name="Events",
                     project_schema_id=seed.DEFAULT_PROJECT_SCHEMA_ID)
    project_id = project["entity_key"][0]
    sequence = create("Sequence", name="sq010", parent_id=project_id)
    shot = create("Shot", name="sh010", parent_id=sequence["entity_key"][0])
    shot_id = shot["entity_key"][0]
    api.call([project, sequence, shot])

    event = update_events(client, shot_id)
    assert set(event) == EVENT_KEYS
    assert event["source"]["user"]["username"] == ftrack_server.api_user
    assert event["source"]["id"]
    assert event["data"]["user"]["userid"] == event["source"]["user"]["id"]
    assert event["data"]["user"]["name"]
    entities = {e["entityId"]: e for e in event["data"]["entities"]}
    assert entities[project_id]["entityType"] == "show"
    assert entities[project_id]["entity_type"] == "Project"
    added = entities[shot_id]
    assert added["action"] == "add"
    assert added["entityType"] == "task" and added["entity_type"] == "Shot"
    assert added["changes"]["name"] == {"old": None, "new": "sh010"}
    assert "name" in added["keys"] and "parent_id" in added["keys"]
    assert added["parentId"] == sequence["entity_key"][0]
    assert added["objectTypeId"] == seed.OBJECT_TYPE_IDS["Shot"]
    assert [p["entityId"] for p in added["parents"]] == [shot_id, sequence["entity_key"][0], project_id]
    assert added["parents"][-1] == {"entityId": project_id, "entityType": "show",
                                    "entity_type": "Project", "parentId": None}
    assert set(event["data"]["parents"]) == {project_id, sequence["entity_key"][0], shot_id}
    json.dumps(event)  # date-times and the rest are plain JSON

    api.call([{"action": "update", "entity_type": "Shot", "entity_key": [shot_id],
               "entity_data": {"__entity_type__": "Shot", "name": "sh020", "description": "new"}}])
    event = update_events(client, shot_id)
    updated = entity_of(event, shot_id)
    assert updated["action"] == "update"
    assert updated["keys"] == ["description", "name"]
    assert updated["changes"] == {"name": {"old": "sh010", "new": "sh020"},
                                  "description": {"old": None, "new": "new"}}
    assert updated["parentId"] == sequence["entity_key"][0]
    assert [p["entityId"] for p in updated["parents"]][-1] == project_id
    assert len(event["data"]["entities"]) == 1

    api.call([{"action": "delete", "entity_type": "Project", "entity_key": [project_id]}])
    event = update_events(client, project_id)
    removed = {e["entityId"]: e for e in event["data"]["entities"]}
    assert {removed[i]["action"] for i in (project_id, sequence["entity_key"][0], shot_id)} == {"remove"}
    assert removed[shot_id]["changes"]["name"] == {"old": "sh020", "new": None}
    assert [p["entityId"] for p in removed[shot_id]["parents"]] == [
        shot_id, sequence["entity_key"][0], project_id]


def test_update_event_dates_and_custom_attributes(ftrack_fresh_server):
    server = ftrack_fresh_server
    api = ApiClient(server.url, server.api_user, server.api_key)
    with HubClient(server) as client:
        client.subscribe("topic=ftrack.update")
        project = create("Project", name="dates", full_name="Dates",
                         project_schema_id=seed.DEFAULT_PROJECT_SCHEMA_ID)
        project_id = project["entity_key"][0]
        [number_type] = api.query('select id from CustomAttributeType where name is "number"')
        configuration = create("CustomAttributeConfiguration", key="fstart", label="Frame start",
                               entity_type="show", type_id=number_type["id"],
                               config='{"isdecimal": false}', default=1001, core=False)
        api.call([project, configuration])
        assert update_events(client, project_id) is not None
        value_key = [configuration["entity_key"][0], project_id]
        api.call([
            {"action": "update", "entity_type": "Project", "entity_key": [project_id],
             "entity_data": {"__entity_type__": "Project",
                             "end_date": {"__type__": "datetime", "value": "2030-01-02T03:04:05"}}},
            {"action": "update", "entity_type": "ContextCustomAttributeValue", "entity_key": value_key,
             "entity_data": {"__entity_type__": "ContextCustomAttributeValue", "value": 1010}}])
        event = update_events(client, project_id)
        updated = entity_of(event, project_id)
        assert updated["action"] == "update"
        assert updated["changes"]["end_date"] == {"old": None, "new": "2030-01-02T03:04:05"}
        assert updated["changes"]["fstart"]["new"] == 1010
        assert updated["keys"] == ["end_date", "fstart"]
        assert len(event["data"]["entities"]) == 1
        api.call([{"action": "update", "entity_type": "ContextCustomAttributeValue", "entity_key": value_key,
                   "entity_data": {"__entity_type__": "ContextCustomAttributeValue", "value": 1020}}])
        event = update_events(client, project_id)
        assert entity_of(event, project_id)["changes"] == {"fstart": {"old": 1010, "new": 1020}}
    api.close()


def test_no_update_event_for_failed_request(hub, api):
    client = hub()
    client.subscribe("topic=ftrack.update")
    good = create("AssetType", name="events_" + uuid.uuid4().hex[:8], short=uuid.uuid4().hex[:8])
    bad = create("AssetType", name="x", short="y", no_such_attribute=1)
    with pytest.raises(ApiClientError):
        api.call([good, bad])
    later = create("AssetType", name="events_" + uuid.uuid4().hex[:8], short=uuid.uuid4().hex[:8])
    api.call([later])
    event = client.next_event(predicate=lambda e: e["topic"] == "ftrack.update")
    assert [e["entityId"] for e in event["data"]["entities"]] == [later["entity_key"][0]]
    assert entity_of(event, later["entity_key"][0])["entityType"] == "assettype"


def test_no_update_event_for_reads(hub, api):
    client = hub()
    client.subscribe("topic=ftrack.update")
    api.call([{"action": "query", "expression": "select id from Project"},
              {"action": "query_server_information"}])
    assert [e for e in client.drain(0.4) if e["topic"] == "ftrack.update"] == []
