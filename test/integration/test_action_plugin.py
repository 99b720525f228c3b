"""The example action plugin (``resource/plugin/example_action.py``) end to
end: a separate process loads it through ``FTRACK_EVENT_PLUGIN_PATH`` and
serves it over the event hub; this process (and the official client) discover
and launch the action and see the note it writes on the server."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import ftrack_api
import ftrack_api.event.base
from ftrack_local.testing import running_server

pytestmark = pytest.mark.timeout(240)

PLUGIN_DIR = Path(__file__).resolve().parents[2] / "resource" / "plugin"
ACTION_IDENTIFIER = "ftrack-local.example.add-note"
#: Seconds the plugin process serves at most.
SERVE_FOR = 180

SERVE_SCRIPT = """
import ftrack_api

session = ftrack_api.Session(auto_connect_event_hub=True)
session.event_hub.wait({0})
""".format(SERVE_FOR)


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.05)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: no other process answers actions on it."""
    with running_server(str(tmp_path_factory.mktemp("action-server"))) as server:
        yield server


@pytest.fixture(scope="module")
def plugin_process(server, tmp_path_factory):
    """A process of this project's client serving the example plugin."""
    env = dict(os.environ)
    env.update({
        "FTRACK_SERVER": server.url,
        "FTRACK_API_USER": server.api_user,
        "FTRACK_API_KEY": server.api_key,
        "FTRACK_EVENT_PLUGIN_PATH": str(PLUGIN_DIR),
        "FTRACK_API_SCHEMA_CACHE_PATH": str(tmp_path_factory.mktemp("plugin-schema-cache")),
    })
    log_path = tmp_path_factory.mktemp("plugin-process") / "output.log"
    log = open(log_path, "w", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-c", SERVE_SCRIPT], env=env,
                               stdout=log, stderr=subprocess.STDOUT, text=True)

    def subscribed():
        assert process.poll() is None, "the plugin process ended:\n" + log_path.read_text()
        return any(subscriber.subscription.text.startswith("topic=ftrack.action.launch")
                   for subscriber in server.event_hub.subscribers())

    try:
        wait_for(subscribed, 60, "the plugin process to subscribe its action")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


@pytest.fixture
def session(server, tmp_path):
    session = ftrack_api.Session(
        server_url=server.url, api_user=server.api_user, api_key=server.api_key,
        auto_connect_event_hub=False, schema_cache_path=str(tmp_path), plugin_paths=[])
    session.event_hub.connect()
    yield session
    session.close()


@pytest.fixture
def shot(session):
    project = session.create("Project", {
        "name": "actions_" + uuid.uuid4().hex[:8], "full_name": "Actions",
        "project_schema": session.query("ProjectSchema").first()})
    sequence = session.create("Sequence", {"name": "sq010", "parent": project})
    shot = session.create("Shot", {"name": "sh010", "parent": sequence})
    session.commit()
    return shot


def publish_and_collect(session, topic, data, replies_expected=1, linger=0.5):
    """Publish an event; return the replies received (waiting a little for extra ones)."""
    replies = []
    session.event_hub.publish(ftrack_api.event.base.Event(topic=topic, data=data),
                              on_reply=replies.append)
    deadline = time.monotonic() + 30
    while len(replies) < replies_expected and time.monotonic() < deadline:
        session.event_hub.wait(0.1)
    session.event_hub.wait(linger)
    return replies


def notes_on(session, entity_id):
    return session.query(
        'select content, author.username from Note where parent_id is "{0}"'.format(entity_id)
    ).all()


def test_discover_and_launch(plugin_process, session, shot):
    selection = [{"entityId": shot["id"], "entityType": "task"}]

    [discovered] = publish_and_collect(session, "ftrack.action.discover",
                                       {"selection": selection})
    assert discovered["data"] == {"items": [
        {"label": "Add note", "actionIdentifier": ACTION_IDENTIFIER}]}
    assert notes_on(session, shot["id"]) == []

    [launched] = publish_and_collect(session, "ftrack.action.launch", {
        "actionIdentifier": ACTION_IDENTIFIER, "selection": selection,
        "content": "Approved by the example action."})
    assert launched["data"] == {"success": True, "message": "Added a note to 1 entity."}

    [note] = notes_on(session, shot["id"])
    assert note["content"] == "Approved by the example action."
    assert note["author"]["username"] == session.api_user


@pytest.mark.slow
def test_action_ignores_what_is_not_for_it(plugin_process, session, shot):
    # Nothing selected: nothing offered.
    assert publish_and_collect(session, "ftrack.action.discover", {"selection": []},
                               replies_expected=0, linger=1.0) == []
    # Another action's launch: no answer, nothing written.
    assert publish_and_collect(session, "ftrack.action.launch", {
        "actionIdentifier": "someone.else", "selection": [
            {"entityId": shot["id"], "entityType": "task"}]},
        replies_expected=0, linger=1.0) == []
    # A selection it cannot handle: a clear failure.
    [refused] = publish_and_collect(session, "ftrack.action.launch", {
        "actionIdentifier": ACTION_IDENTIFIER,
        "selection": [{"entityId": str(uuid.uuid4()), "entityType": "task"}]})
    assert refused["data"]["success"] is False
    assert refused["data"]["message"]
    assert notes_on(session, shot["id"]) == []


def test_official_client_discovers_and_launches(plugin_process, reference_python,
                                                run_reference, server, session, shot):
    selection = [{"entityId": shot["id"], "entityType": "task"}]
    discovered = run_reference(reference_python, server, "event_publish",
                               topic="ftrack.action.discover", data={"selection": selection},
                               replies=1, timeout=60)
    assert [reply["data"] for reply in discovered["replies"]] == [{"items": [
        {"label": "Add note", "actionIdentifier": ACTION_IDENTIFIER}]}]

    launched = run_reference(reference_python, server, "event_publish",
                             topic="ftrack.action.launch",
                             data={"actionIdentifier": ACTION_IDENTIFIER,
                                   "selection": selection, "content": "From the official client."},
                             replies=1, timeout=60)
    assert [reply["data"] for reply in launched["replies"]] == [
        {"success": True, "message": "Added a note to 1 entity."}]
    [note] = notes_on(session, shot["id"])
    assert note["content"] == "From the official client."
