"""Several clients at once over real HTTP: reads never wait for a writer,
concurrent writers lose nothing and never half-apply a batch, unique values
stay unique, and ``ftrack.update`` events describe the request that made
them. Runs on SQLite and, with ``FTRACK_LOCAL_DATABASE_URL``, PostgreSQL."""

import sqlite3
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

import pytest

from ftrack_local import seed
from ftrack_local.client import ApiClient, ApiClientError
from hub_client import HubClient

pytestmark = pytest.mark.timeout(120)

#: Seconds a step may take before the test counts it as hanging.
HANG_TIMEOUT = 30.0


def create(type_name: str, **data: Any) -> Dict[str, Any]:
    data.setdefault("id", str(uuid.uuid4()))
    data["__entity_type__"] = type_name
    return {"action": "create", "entity_type": type_name, "entity_key": [data["id"]],
            "entity_data": data}


def update(type_name: str, entity_id: str, **data: Any) -> Dict[str, Any]:
    return {"action": "update", "entity_type": type_name, "entity_key": [entity_id],
            "entity_data": dict(data, __entity_type__=type_name)}


def query(expression: str) -> Dict[str, str]:
    return {"action": "query", "expression": expression}


def new_project(name_prefix: str) -> Dict[str, Any]:
    name = "{0}_{1}".format(name_prefix, uuid.uuid4().hex[:8])
    return create("Project", name=name, full_name=name,
                  project_schema_id=seed.DEFAULT_PROJECT_SCHEMA_ID)


@pytest.fixture
def clients(ftrack_server):
    """A factory of API clients (each its own HTTP connection), closed afterwards."""
    made: List[ApiClient] = []

    def make(strict: bool = False) -> ApiClient:
        client = ApiClient(ftrack_server.url, ftrack_server.api_user, ftrack_server.api_key,
                           strict=strict, timeout=HANG_TIMEOUT * 2)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


class HoldOpen:
    """A commit listener keeping the transaction of the request that creates
    *entity_id* open (before its commit) until :meth:`release`."""

    def __init__(self, entity_id: str):
        self.entity_id = entity_id
        self.inside = threading.Event()
        self.released = threading.Event()

    def prepare(self, changes, connection, username, user_id):
        if any(key.get("id") == self.entity_id for _, _, key, _ in changes):
            self.inside.set()
            self.released.wait(HANG_TIMEOUT)
        return None

    def __call__(self, changes, connection, username, user_id):  # pragma: no cover - unused
        pass

    def release(self) -> None:
        self.released.set()


def test_reads_proceed_while_a_write_is_in_progress(ftrack_server, clients):
    project = new_project("held")
    project_id = project["entity_key"][0]
    writer, reader = clients(), clients()
    writer.call([project])
    marker = create("Sequence", name="held_sequence", parent_id=project_id)
    batch = [marker] + [create("Shot", name="sh{0:03d}".format(i), parent_id=marker["entity_key"][0])
                        for i in range(20)]
    hold = HoldOpen(marker["entity_key"][0])
    ftrack_server.backend.commit_listeners.append(hold)
    try:
        with ThreadPoolExecutor(1) as pool:
            outstanding = pool.submit(writer.call, batch)
            assert hold.inside.wait(HANG_TIMEOUT), "the batch never reached its commit"
            # The batch's transaction is open and holds the write lock: reads
            # answer anyway, from the last committed state.
            found = reader.call([query('select name from Project where id is "{0}"'.format(project_id)),
                                 query('select id from Sequence where parent_id is "{0}"'.format(project_id)),
                                 {"action": "query_server_information"}])
            assert not outstanding.done()
            if ftrack_server.backend.storage.engine.dialect.name == "postgresql":
                # PostgreSQL runs writers in parallel too.
                parallel = clients().call([new_project("parallel")])
                assert parallel[0]["action"] == "create"
                assert not outstanding.done()
            hold.release()
            results = outstanding.result(HANG_TIMEOUT)
    finally:
        hold.release()
        ftrack_server.backend.commit_listeners.remove(hold)
    assert [row["name"] for row in found[0]["data"]] == [project["entity_data"]["name"]]
    assert found[1]["data"] == []
    assert len(results) == len(batch)
    after = reader.call([query('select id from Shot where parent_id is "{0}"'.format(
        marker["entity_key"][0]))])
    assert len(after[0]["data"]) == 20


def test_sqlite_writer_waits_for_another_process(ftrack_server, clients):
    url = ftrack_server.backend.storage.url
    if not url.startswith("sqlite:///"):
        pytest.skip("the write lock of a database file is SQLite's")
    project = new_project("waiting")
    project_id = project["entity_key"][0]
    writer, reader = clients(), clients()
    # Another process holding the file's write lock, as a script would.
    other = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None, timeout=HANG_TIMEOUT)
    try:
        other.execute("BEGIN IMMEDIATE")
        with ThreadPoolExecutor(1) as pool:
            outstanding = pool.submit(writer.call, [project])
            answer = reader.call([query('select id from Project where id is "{0}"'.format(project_id))])
            assert answer[0]["data"] == []
            assert not outstanding.done()  # still waiting for the lock, not failed
            other.execute("COMMIT")
            created = outstanding.result(HANG_TIMEOUT)
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    assert created[0]["data"]["id"] == project_id
    answer = reader.call([query('select id from Project where id is "{0}"'.format(project_id))])
    assert [row["id"] for row in answer[0]["data"]] == [project_id]


def test_reads_answer_while_many_writers_wait(ftrack_server, clients):
    """More waiting writers than the server has threads must not hold up a read."""
    url = ftrack_server.backend.storage.url
    if not url.startswith("sqlite:///"):
        pytest.skip("writers wait for one another on SQLite only")
    writers = 24  # more than the server's 16 request threads
    projects = [new_project("queued") for _ in range(writers)]
    reader = clients()
    other = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None, timeout=HANG_TIMEOUT)
    try:
        other.execute("BEGIN IMMEDIATE")  # every server writer now waits
        with ThreadPoolExecutor(writers) as pool:
            outstanding = [pool.submit(clients().call, [project]) for project in projects]
            answer = reader.call([query("select id from Project where name is \"none\""),
                                  {"action": "query_server_information"}])
            assert answer[0]["data"] == []
            assert not any(future.done() for future in outstanding)
            other.execute("COMMIT")
            created = [future.result(HANG_TIMEOUT * 2) for future in outstanding]
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    assert sorted(result[0]["data"]["id"] for result in created) == sorted(
        project["entity_key"][0] for project in projects)


def test_concurrent_writers_keep_every_committed_batch_whole(clients):
    project = new_project("writers")
    project_id = project["entity_key"][0]
    clients().call([project])
    writers, batches_each = 6, 4

    def write(writer_index: int) -> List[Dict[str, Any]]:
        client = clients()
        outcomes = []
        for batch_index in range(batches_each):
            label = "w{0}b{1}".format(writer_index, batch_index)
            sequence = create("Sequence", name=label, parent_id=project_id)
            shots = [create("Shot", name="{0}_sh{1}".format(label, i),
                            parent_id=sequence["entity_key"][0]) for i in range(4)]
            operations = [sequence] + shots + [
                # Every batch also changes one shared row: concurrent writers conflict.
                update("Project", project_id, full_name=label)]
            failing = batch_index == 2
            if failing:
                operations.append(update("Shot", str(uuid.uuid4()), name="missing"))
            try:
                client.call(operations)
                outcomes.append({"label": label, "committed": True})
            except ApiClientError as error:
                assert failing, error
                assert error.exception == "NotFoundError" or error.status == 404, error
                outcomes.append({"label": label, "committed": False})
        return outcomes

    with ThreadPoolExecutor(writers) as pool:
        outcomes = [o for future in [pool.submit(write, i) for i in range(writers)]
                    for o in future.result(HANG_TIMEOUT * 4)]

    reader = clients()
    sequences = reader.call([query('select name from Sequence where parent_id is "{0}"'.format(
        project_id))])[0]["data"]
    shots = reader.call([query('select name, parent.name from Shot where project_id is "{0}"'.format(
        project_id))])[0]["data"]
    described = reader.call([query('select full_name from Project where id is "{0}"'.format(
        project_id))])[0]["data"][0]["full_name"]
    committed = sorted(o["label"] for o in outcomes if o["committed"])
    assert len(committed) == writers * (batches_each - 1)
    assert sorted(row["name"] for row in sequences) == committed
    by_sequence: Dict[str, int] = {}
    for row in shots:
        by_sequence[row["parent"]["name"]] = by_sequence.get(row["parent"]["name"], 0) + 1
    assert by_sequence == {label: 4 for label in committed}
    assert described in committed


@pytest.mark.parametrize("kind", ["username", "key"])
def test_concurrent_creates_of_one_unique_value(clients, kind):
    contenders = 6
    username = "racer_" + uuid.uuid4().hex[:8]
    shared_id = str(uuid.uuid4())
    barrier = threading.Barrier(contenders)

    def attempt(index: int) -> Any:
        client = clients(strict=True)
        if kind == "username":
            operation = create("User", username=username, first_name="Racer", last_name=str(index),
                               is_active=True, resource_type="user",
                               user_type_id=seed.DEFAULT_USER_TYPE_ID)
        else:
            operation = create("Project", id=shared_id, name="racer_{0}_{1}".format(index, shared_id[:8]),
                               full_name="Racer", project_schema_id=seed.DEFAULT_PROJECT_SCHEMA_ID)
        barrier.wait(HANG_TIMEOUT)
        try:
            return client.call([operation])[0]["data"]["id"]
        except ApiClientError as error:
            return error

    with ThreadPoolExecutor(contenders) as pool:
        outcomes = list(pool.map(attempt, range(contenders), timeout=HANG_TIMEOUT * 2))
    created = [o for o in outcomes if not isinstance(o, ApiClientError)]
    refused = [o for o in outcomes if isinstance(o, ApiClientError)]
    assert len(created) == 1, outcomes
    for error in refused:
        assert error.status == 409, error
        assert error.exception == "DuplicateEntryError", error
    if kind == "username":
        found = clients().call([query('select id from User where username is "{0}"'.format(username))])
        assert [row["id"] for row in found[0]["data"]] == created
    else:
        found = clients().call([query('select name from Project where id is "{0}"'.format(shared_id))])
        assert len(found[0]["data"]) == 1


def test_update_events_describe_their_own_request(ftrack_server, clients):
    project = new_project("moving")
    project_id = project["entity_key"][0]
    sequence = create("Sequence", name="sq", parent_id=project_id)
    sequence_id = sequence["entity_key"][0]
    first = create("Shot", name="first", parent_id=sequence_id)
    second = create("Shot", name="second", parent_id=sequence_id)
    first_id, second_id = first["entity_key"][0], second["entity_key"][0]
    clients().call([project, sequence, first, second])
    task_ids = [str(uuid.uuid4()) for _ in range(12)]

    hub = HubClient(ftrack_server)
    try:
        hub.subscribe("topic=ftrack.update")

        def create_tasks() -> None:
            client = clients()
            for index, task_id in enumerate(task_ids):
                client.call([create("Task", id=task_id, name="task{0}".format(index),
                                    parent_id=first_id)])

        def move_tasks() -> None:
            # Each task moves to the second shot as soon as it exists: the move
            # commits while the create's event may still be on its way.
            client = clients()
            for task_id in task_ids:
                for _ in range(2000):
                    try:
                        client.call([update("Task", task_id, parent_id=second_id)])
                        break
                    except ApiClientError as error:
                        assert error.status == 404 or error.exception == "NotFoundError", error
                else:
                    raise AssertionError("task {0} never appeared".format(task_id))

        with ThreadPoolExecutor(2) as pool:
            for future in [pool.submit(create_tasks), pool.submit(move_tasks)]:
                future.result(HANG_TIMEOUT * 2)

        seen: Dict[str, List[Dict[str, Any]]] = {task_id: [] for task_id in task_ids}
        while any(len(entries) < 2 for entries in seen.values()):
            event = hub.next_event(HANG_TIMEOUT, lambda e: e["topic"] == "ftrack.update")
            assert event is not None, {k: len(v) for k, v in seen.items()}
            for entity in event["data"]["entities"]:
                if entity["entityId"] in seen:
                    seen[entity["entityId"]].append(entity)
    finally:
        hub.close()

    for task_id, (added, moved) in seen.items():
        # Delivered in commit order, each describing its own request.
        assert added["action"] == "add" and moved["action"] == "update"
        assert added["changes"]["parent_id"] == {"old": None, "new": first_id}
        assert added["parentId"] == first_id
        assert [p["entityId"] for p in added["parents"]] == [task_id, first_id, sequence_id, project_id]
        assert moved["changes"] == {"parent_id": {"old": first_id, "new": second_id}}
        assert moved["parentId"] == second_id
        assert [p["entityId"] for p in moved["parents"]] == [task_id, second_id, sequence_id, project_id]
