"""The official ftrack client's event hub (``ftrack-python-api`` 3.1.0) against
the local event server: it receives ``ftrack.update`` events, and its events
and replies reach a raw WebSocket client."""

import concurrent.futures
import time
import uuid

import pytest

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
