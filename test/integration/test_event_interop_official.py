"""The official ftrack client's event hub (``ftrack-python-api`` 3.1.0) against
the local event server: it receives ``ftrack.update`` events, its events and
replies reach a raw WebSocket client, and it talks both ways with this
project's ``ftrack_api``."""

import concurrent.futures
import time
import uuid

import pytest

import ftrack_api
import ftrack_api.event.base
from ftrack_local import seed
from ftrack_local.client import ApiClient
from hub_client import HubClient, make_event

pytestmark = pytest.mark.timeout(240)

EVENT_KEYS = {"id", "topic", "data", "source", "target", "sent", "inReplyToEvent"}


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.05)


def in_background(function, *args, **kwargs):
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = executor.submit(function, *args, **kwargs)
    executor.shutdown(wait=False)
    return future


def test_official_client_receives_updates(reference_python, run_reference, ftrack_server):
    name = "interop_" + uuid.uuid4().hex[:8]
    hub = ftrack_server.event_hub
    known = {s.subscription.text: s for s in hub.subscribers()}

    listening = in_background(run_reference, reference_python, ftrack_server, "event_listen",
                              name=name, timeout=90)
    wait_for(lambda: listening.done() or any(
        s.subscription.text == "topic=ftrack.update" and s not in known.values()
        for s in hub.subscribers()), 90, "the official client to subscribe")

    api = ApiClient(ftrack_server.url, ftrack_server.api_user, ftrack_server.api_key)
    project = {"__entity_type__": "Project", "id": str(uuid.uuid4()), "name": name,
               "full_name": "Interop", "project_schema_id": seed.DEFAULT_PROJECT_SCHEMA_ID}
    try:
        api.call([{"action": "create", "entity_type": "Project", "entity_key": [project["id"]],
                   "entity_data": project}])
    finally:
        api.close()

    observed = listening.result(timeout=150)
    assert observed["connected"] is True
    assert observed["found"] is True, observed
    [event] = [e for e in observed["events"] if any(
        entity["entityId"] == project["id"] for entity in e["data"]["entities"])]
    assert event["topic"] == "ftrack.update"
    [entity] = event["data"]["entities"]
    assert entity["action"] == "add"
    assert entity["entityType"] == "show" and entity["entity_type"] == "Project"
    assert entity["changes"]["name"]["new"] == name
    assert event["source"]["user"]["username"] == ftrack_server.api_user


def test_official_client_publishes_and_gets_replies(reference_python, run_reference, ftrack_server):
    topic = "interop.test." + uuid.uuid4().hex[:8]
    with HubClient(ftrack_server) as client:
        client.subscribe("topic=" + topic)
        publishing = in_background(run_reference, reference_python, ftrack_server, "event_publish",
                                   topic=topic, data={"question": "answer?", "text": "héllo"},
                                   replies=1, timeout=60)
        received = client.next_event(timeout=90)
        assert received is not None, "no event from the official client"
        assert set(received) == EVENT_KEYS
        assert received["topic"] == topic
        assert received["data"] == {"question": "answer?", "text": "héllo"}
        assert received["source"]["user"]["username"] == ftrack_server.api_user
        assert received["source"]["id"]
        reply = make_event("ftrack.meta.reply", {"answer": 42},
                           target="id={0}".format(received["source"]["id"]),
                           in_reply_to=received["id"], source={"id": "raw-client"})
        assert client.publish(reply) == {"success": True}
        observed = publishing.result(timeout=150)
    assert observed["event_id"] == received["id"]
    assert observed["hub_id"] == received["source"]["id"]
    assert observed["replies"] == [{"data": {"answer": 42}, "in_reply_to_event": received["id"]}]


# -- with this project's client ------------------------------------------------------------

@pytest.fixture
def our_session(ftrack_server, tmp_path):
    """A session of this project's ``ftrack_api``, its event hub connected."""
    session = ftrack_api.Session(
        server_url=ftrack_server.url, api_user=ftrack_server.api_user,
        api_key=ftrack_server.api_key, auto_connect_event_hub=False,
        schema_cache_path=str(tmp_path), plugin_paths=[])
    session.event_hub.connect()
    yield session
    session.close()


def pump(session, condition, timeout, what):
    """Hand received events to *session*'s callbacks until *condition* holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        session.event_hub.wait(0.1)


def wait_for_new_subscription(hub, subscription, listening, known):
    wait_for(lambda: listening.done() or any(
        s.subscription.text == subscription and s not in known for s in hub.subscribers()),
        90, "the official client to subscribe to " + subscription)
    if listening.done():
        listening.result()  # raises the script's failure


def test_official_publishes_ours_replies(reference_python, run_reference, ftrack_server,
                                         our_session):
    topic = "interop.ours-replies." + uuid.uuid4().hex[:8]
    received = []

    def answer(event):
        received.append(event)
        return {"answer": 42, "echo": event["data"]["question"]}

    our_session.event_hub.subscribe("topic=" + topic, answer)
    publishing = in_background(run_reference, reference_python, ftrack_server, "event_publish",
                               topic=topic, data={"question": "héllo?"}, replies=1, timeout=60)
    pump(our_session, publishing.done, 150, "the official client to get its reply")
    observed = publishing.result()

    [event] = received
    assert event["topic"] == topic
    assert event["data"] == {"question": "héllo?"}
    assert event["source"]["id"] == observed["hub_id"]
    assert event["id"] == observed["event_id"]
    assert observed["replies"] == [{"data": {"answer": 42, "echo": "héllo?"},
                                    "in_reply_to_event": observed["event_id"]}]


def test_ours_publishes_official_replies(reference_python, run_reference, ftrack_server,
                                         our_session):
    topic = "interop.official-replies." + uuid.uuid4().hex[:8]
    hub = ftrack_server.event_hub
    known = set(hub.subscribers())
    replying = in_background(run_reference, reference_python, ftrack_server, "event_reply",
                             topic=topic, reply={"from": "official", "ok": True}, count=1,
                             timeout=90)
    wait_for_new_subscription(hub, "topic=" + topic, replying, known)

    replies = []
    event = ftrack_api.event.base.Event(topic=topic, data={"question": "ünïcode", "n": 1})
    our_session.event_hub.publish(event, on_reply=replies.append)
    pump(our_session, lambda: replies, 60, "the official client's reply")
    observed = replying.result(timeout=150)

    [reply] = replies
    assert reply["topic"] == "ftrack.meta.reply"
    assert reply["data"] == {"from": "official", "ok": True}
    assert reply["in_reply_to_event"] == event["id"]
    assert reply["source"]["id"] != our_session.event_hub.id
    [seen] = observed["events"]
    assert seen["id"] == event["id"]
    assert seen["data"] == {"question": "ünïcode", "n": 1}
    assert seen["source"]["id"] == our_session.event_hub.id
    assert seen["source"]["user"]["username"] == ftrack_server.api_user


def test_official_sees_update_for_our_commit(reference_python, run_reference, ftrack_server,
                                             our_session):
    name = "interop_ours_" + uuid.uuid4().hex[:8]
    hub = ftrack_server.event_hub
    known = set(hub.subscribers())
    listening = in_background(run_reference, reference_python, ftrack_server, "event_listen",
                              name=name, timeout=90)
    wait_for_new_subscription(hub, "topic=ftrack.update", listening, known)

    project = our_session.create("Project", {
        "name": name, "full_name": "Committed by ftrack_api",
        "project_schema": our_session.query("ProjectSchema").first()})
    our_session.commit()

    observed = listening.result(timeout=150)
    assert observed["found"] is True, observed
    [event] = [e for e in observed["events"] if any(
        entity["entityId"] == project["id"] for entity in e["data"]["entities"])]
    [entity] = event["data"]["entities"]
    assert entity["action"] == "add"
    assert entity["entity_type"] == "Project"
    assert entity["changes"]["name"]["new"] == name


def test_ours_sees_update_for_official_commit(reference_python, run_reference, ftrack_server,
                                              our_session):
    name = "interop_official_" + uuid.uuid4().hex[:8]
    updates = []
    our_session.event_hub.subscribe("topic=ftrack.update", updates.append)
    observed = run_reference(reference_python, ftrack_server, "event_commit", name=name)
    project_id = observed["project_id"]

    def mentions_project():
        return [entity for event in updates for entity in event["data"].get("entities", [])
                if entity.get("entityId") == project_id]

    pump(our_session, mentions_project, 30, "the ftrack.update for the official commit")
    [entity] = mentions_project()
    assert entity["action"] == "add"
    assert entity["entity_type"] == "Project"
    assert entity["changes"]["name"]["new"] == name
    [event] = [e for e in updates if entity in e["data"]["entities"]]
    assert event["topic"] == "ftrack.update"
    assert event["source"]["user"]["username"] == ftrack_server.api_user
