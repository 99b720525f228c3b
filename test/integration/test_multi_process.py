"""Three ``ftrack-local serve`` processes on one PostgreSQL database and one
data directory (see ``doc/local_server_processes.rst``): started together on
an empty database, they share events (each exactly once, whichever process
it was published on), ``ftrack.update`` of every commit, data and component
files.

Runs when ``FTRACK_LOCAL_DATABASE_URL`` names a PostgreSQL server::

    .ci/with-postgres python -m pytest test/integration/test_multi_process.py
"""

import collections
import concurrent.futures
import os
import time
import uuid

import pytest
import websocket

import ftrack_api
import ftrack_api.symbol
from ftrack_local import seed
from ftrack_local.api.backend import new_api_key
from ftrack_local.client import ApiClient
from ftrack_local.testing import database_url, throwaway_database
from component_client import download
from hub_client import HubClient, handshake, make_event, websocket_url
from server_process import ServerProcess

pytestmark = pytest.mark.timeout(180)

PROCESSES = 3
#: Events each process's client publishes in the fan-out test.
EVENTS_PER_PROCESS = 40
#: Seconds to wait for relayed events before counting them (a hang guard).
WAIT = 30.0


def _postgresql_url():
    url = database_url()
    if not url or not url.startswith("postgresql"):
        pytest.skip("several server processes share a PostgreSQL database: set "
                    "FTRACK_LOCAL_DATABASE_URL to a PostgreSQL server")
    return url


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Three server processes started at the same moment on an empty database."""
    url = _postgresql_url()
    root = tmp_path_factory.mktemp("processes")
    api_key = new_api_key()
    with throwaway_database(url) as database:
        processes = [ServerProcess(root / "data", database=database, name="server{0}".format(i),
                                   arguments=["--api-key", api_key])
                     for i in range(PROCESSES)]
        try:
            with concurrent.futures.ThreadPoolExecutor(PROCESSES) as pool:
                for future in [pool.submit(process.start) for process in processes]:
                    future.result()
            yield processes
        finally:
            for process in processes:
                process.stop()


def collect(client, count, accept):
    """Events *accept* takes among what *client* receives: wait for *count*, then a
    little longer (late duplicates would show)."""
    events = []
    deadline = time.monotonic() + WAIT
    while len(events) < count and time.monotonic() < deadline:
        event = client.next_event(timeout=max(0.0, deadline - time.monotonic()))
        if event is not None and accept(event):
            events.append(event)
    events.extend(event for event in client.drain(0.5) if accept(event))
    return events


def test_started_together_on_an_empty_database(servers):
    assert len({server.url for server in servers}) == PROCESSES
    assert len({server.api_key for server in servers}) == 1
    with open(os.path.join(servers[0].data_dir, "api_key"), encoding="utf-8") as handle:
        assert handle.read().strip() == servers[0].api_key
    for server in servers:
        client = ApiClient(server.url, server.api_user, server.api_key)
        users = client.query('select id from User where username is "{0}"'.format(server.api_user))
        assert len(users) == 1
        # Seeded once: one row per seeded status name.
        statuses = client.query("select name from Status")
        names = [status["name"] for status in statuses]
        assert len(names) == len(set(names)) > 0


def test_every_event_reaches_every_process_once(servers):
    topic = "test.processes." + uuid.uuid4().hex[:8]
    clients = [HubClient(server) for server in servers]
    try:
        for client in clients:
            client.subscribe("topic=" + topic)
        expected = []
        for index, client in enumerate(clients):
            for number in range(EVENTS_PER_PROCESS):
                data = {"process": index, "number": number}
                if number == 0:
                    # Too large for a notification: goes through the table.
                    data["padding"] = "x" * 20000
                assert client.publish(make_event(topic, data)) == {"success": True}
                expected.append((index, number))
        for receiver, client in enumerate(clients):
            events = collect(client, len(expected), lambda event: event["topic"] == topic)
            received = [(e["data"]["process"], e["data"]["number"]) for e in events]
            duplicates = [k for k, n in collections.Counter(received).items() if n > 1]
            assert not duplicates, "process {0} received twice: {1}".format(receiver, duplicates)
            assert sorted(received) == sorted(expected), "process {0} missed {1}".format(
                receiver, sorted(set(expected) - set(received)))
            # Events from one process arrive in the order they were published.
            for sender in range(PROCESSES):
                numbers = [number for process, number in received if process == sender]
                assert numbers == sorted(numbers)
            big = [e for e in events if e["data"]["number"] == 0]
            assert all(len(e["data"]["padding"]) == 20000 for e in big)
    finally:
        for client in clients:
            client.close()


def test_targeted_reply_crosses_processes(servers):
    topic = "test.processes.reply." + uuid.uuid4().hex[:8]
    with HubClient(servers[0]) as asker, HubClient(servers[2]) as answerer:
        subscriber = asker.subscribe("topic=" + topic + ".reply",
                                     {"id": uuid.uuid4().hex, "applicationId": "asker"})
        answerer.subscribe("topic=" + topic)
        question = make_event(topic, {"question": 1})
        assert asker.publish(question) == {"success": True}
        asked = answerer.next_event(timeout=WAIT, predicate=lambda e: e["id"] == question["id"])
        assert asked is not None
        reply = make_event(topic + ".reply", {"answer": 42},
                           target='id="{0}"'.format(subscriber["id"]),
                           in_reply_to=question["id"])
        assert answerer.publish(reply) == {"success": True}
        received = collect(asker, 1, lambda e: e["topic"] == topic + ".reply")
        assert [(e["inReplyToEvent"], e["data"]) for e in received] == [
            (question["id"], {"answer": 42})]


def test_commit_update_reaches_each_process_once_and_data_is_shared(servers):
    clients = [HubClient(server) for server in servers]
    try:
        for client in clients:
            client.subscribe("topic=ftrack.update")
        writer = ApiClient(servers[0].url, servers[0].api_user, servers[0].api_key)
        name = "processes_" + uuid.uuid4().hex[:8]
        project = writer.create("Project", {
            "name": name, "full_name": "Processes",
            "project_schema_id": seed.DEFAULT_PROJECT_SCHEMA_ID, "status": "active"})

        def about_project(event):
            return event["topic"] == "ftrack.update" and any(
                entity.get("entityId") == project["id"] for entity in event["data"]["entities"])

        for index, client in enumerate(clients):
            updates = collect(client, 1, about_project)
            assert len(updates) == 1, "process {0} got {1} updates".format(index, len(updates))
            [entity] = [e for e in updates[0]["data"]["entities"] if e["entityId"] == project["id"]]
            assert entity["action"] == "add"
            assert updates[0]["source"]["user"]["username"] == servers[0].api_user

        for server in servers[1:]:
            reader = ApiClient(server.url, server.api_user, server.api_key)
            found = reader.query('select name, full_name from Project where id is "{0}"'.format(
                project["id"]))
            assert [(p["name"], p["full_name"]) for p in found] == [(name, "Processes")]
    finally:
        for client in clients:
            client.close()


def test_component_uploaded_through_one_process_downloads_through_another(servers, tmp_path):
    data = os.urandom(300000)
    path = tmp_path / "plate.bin"
    path.write_bytes(data)
    first, last = servers[0], servers[-1]
    session = ftrack_api.Session(server_url=first.url, api_user=first.api_user,
                                 api_key=first.api_key, auto_connect_event_hub=False)
    try:
        location = session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
        component = session.create_component(str(path), location=location)
        session.commit()
        component_id = component["id"]
    finally:
        session.close()
    answer = download(last, component_id)
    assert answer.status_code == 200, answer.text
    assert answer.content == data


def test_handshake_on_one_process_opens_the_websocket_on_another(servers):
    answer = handshake(servers[0])
    assert answer.status_code == 200, answer.text
    sid = answer.text.split(":")[0]
    connection = websocket.create_connection(websocket_url(servers[1], sid), timeout=10)
    try:
        assert connection.recv() == "1::"
    finally:
        connection.close()


def test_events_flow_again_after_the_database_drops_the_bus_connections(servers):
    import sqlalchemy as sa

    topic = "test.processes.reconnect." + uuid.uuid4().hex[:8]
    first, second = servers[0], servers[1]
    with HubClient(first) as publisher, HubClient(second) as subscriber:
        subscriber.subscribe("topic=" + topic)
        engine = sa.create_engine(first.database, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                dropped = connection.execute(sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = :name"),
                    {"name": "ftrack-local events"}).scalar()
        finally:
            engine.dispose()
        assert dropped >= 2 * PROCESSES
        # Probe until the listener of the second process is back.
        deadline = time.monotonic() + WAIT
        while True:
            assert time.monotonic() < deadline, "events did not flow again"
            publisher.publish(make_event(topic, {"probe": True}))
            if subscriber.next_event(timeout=0.5) is not None:
                break
        subscriber.drain(0.5)
        for number in range(10):
            publisher.publish(make_event(topic, {"number": number}))
        events = collect(subscriber, 10, lambda e: "number" in e["data"])
        assert [e["data"]["number"] for e in events] == list(range(10))
    for server in (first, second):
        log = server.log_text()
        assert log.count("event listener lost the database") == 1, log
        assert log.count("event listener is connected to the database again") == 1, log


def test_an_event_that_cannot_be_relayed_does_not_hold_up_the_others(servers):
    topic = "test.processes.bad." + uuid.uuid4().hex[:8]
    with HubClient(servers[0]) as publisher, HubClient(servers[1]) as subscriber:
        subscriber.subscribe("topic=" + topic)
        # A lone surrogate is valid JSON but no text PostgreSQL can store.
        publisher.send_raw('5:1+::{"name":"ftrack.event","args":[{"id":"bad","topic":"'
                           + topic + '","data":{"text":"\\udc80"}}]}')
        good = [make_event(topic, {"number": number}) for number in range(3)]
        for event in good:
            publisher.publish(event, wait_ack=False)
        received = collect(subscriber, 3, lambda e: e["topic"] == topic)
        assert [e["id"] for e in received] == [e["id"] for e in good]
