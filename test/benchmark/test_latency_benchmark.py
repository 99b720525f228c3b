"""Latency of small queries while another client writes a large batch.

Client A sends one request of about 30,000 ``create`` operations (sequences,
their shots and the shots' tasks under one project: a realistic import).
Meanwhile client B sends small queries in a loop -- a project's name by id,
a few tasks by id -- each one request over real HTTP, and its latencies are
recorded from the moment A's request is sent until A's answer arrives.

The server runs as a child process (``python -m ftrack_local serve``) so the
benchmark's own threads do not share the server's interpreter lock. It runs
on SQLite, and on PostgreSQL as well when ``FTRACK_LOCAL_DATABASE_URL`` is
set (a throwaway database on that server).

Figures: B's latency p50 / p99 / max and request count while A runs, B's
latency with the server idle, and A's duration. They are printed (run with
``-s``) and written to ``test/benchmark/results/latency-<database>.json``.
Nothing here fails because of timing; the results themselves are checked.

The server measured is whichever ``ftrack_local`` Python imports, so another
version is measured by pointing ``PYTHONPATH`` at its sources.
"""

import json
import math
import os
import sys
import threading
import time
import uuid
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from ftrack_local import seed
from ftrack_local.testing import ApiClient, database_url, throwaway_database

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
from server_process import ServerProcess  # noqa: E402

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(3600)]

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")

#: Operations in client A's batch (rounded to whole sequences).
BATCH_OPERATIONS = 30000
SHOTS_PER_SEQUENCE = 10
TASKS_PER_SHOT = 8
#: Small queries client B times on the idle server first.
IDLE_QUERIES = 200
#: Tasks client B reads by id.
QUERIED_TASKS = 5
TASK_TYPES = seed.TASK_TYPE_SCHEMAS["VFX task types"]
TASK_STATUSES = seed.WORKFLOWS["VFX task workflow"]


def percentile(values: List[float], fraction: float) -> float:
    """The nearest-rank percentile of *values*."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def reference(entity_type: str, entity_id: str) -> Dict[str, str]:
    return {"__entity_type__": entity_type, "id": entity_id}


def create(entity_type: str, **data: Any) -> Dict[str, Any]:
    entity_id = str(uuid.uuid4())
    return {"action": "create", "entity_type": entity_type, "entity_key": [entity_id],
            "entity_data": dict(data, __entity_type__=entity_type, id=entity_id)}


def project_create(name: str) -> Dict[str, Any]:
    return create("Project", name=name, full_name=name, status="active",
                  project_schema_id=seed.DEFAULT_PROJECT_SCHEMA_ID,
                  is_private=False, is_global=False)


def task_create(parent: Dict[str, str], index: int) -> Dict[str, Any]:
    return create("Task", name="task_{0:02d}".format(index), parent=parent,
                  object_type_id=seed.OBJECT_TYPE_IDS["Task"],
                  type_id=seed.TYPE_IDS[TASK_TYPES[index % len(TASK_TYPES)]],
                  status_id=seed.STATUS_IDS[TASK_STATUSES[index % len(TASK_STATUSES)]])


def import_batch(project_id: str) -> List[Dict[str, Any]]:
    """Sequences, their shots and the shots' tasks: about BATCH_OPERATIONS creates."""
    per_sequence = 1 + SHOTS_PER_SEQUENCE * (1 + TASKS_PER_SHOT)
    operations = []
    for sequence_index in range(max(1, BATCH_OPERATIONS // per_sequence)):
        sequence = create("Sequence", name="sq{0:04d}".format(sequence_index),
                          parent=reference("Project", project_id),
                          object_type_id=seed.OBJECT_TYPE_IDS["Sequence"])
        operations.append(sequence)
        for shot_index in range(SHOTS_PER_SEQUENCE):
            shot = create("Shot", name="sh{0:03d}0".format(shot_index),
                          parent=reference("Sequence", sequence["entity_data"]["id"]),
                          object_type_id=seed.OBJECT_TYPE_IDS["Shot"])
            operations.append(shot)
            shot_reference = reference("Shot", shot["entity_data"]["id"])
            operations.extend(task_create(shot_reference, index) for index in range(TASKS_PER_SHOT))
    return operations


class SmallQueries:
    """Client B: alternates a project by id and a few tasks by id."""

    def __init__(self, client: ApiClient, project_id: str, project_name: str,
                 task_ids: List[str]):
        self.client = client
        self.project_id = project_id
        self.project_name = project_name
        self.task_ids = task_ids
        self.count = 0

    def once(self) -> float:
        """Send one small query, check its answer; return its latency in seconds."""
        if self.count % 2 == 0:
            operation = {"action": "query", "expression":
                         'select name from Project where id is "{0}"'.format(self.project_id)}
        else:
            operation = {"action": "query", "expression":
                         'select name, status.name from Task where id in ({0})'.format(
                             ", ".join('"{0}"'.format(i) for i in self.task_ids))}
        started = time.perf_counter()
        result = self.client.call([operation])
        elapsed = time.perf_counter() - started
        data = result[0]["data"]
        if self.count % 2 == 0:
            assert [row["name"] for row in data] == [self.project_name]
        else:
            assert sorted(row["id"] for row in data) == sorted(self.task_ids)
        self.count += 1
        return elapsed


def measure(server: ServerProcess) -> Dict[str, Any]:
    """Run the workload on *server*; return its figures."""
    setup = ApiClient(server.url, server.api_user, server.api_key, timeout=600)
    name = "latency_{0}".format(uuid.uuid4().hex[:8])
    project = project_create(name)
    project_id = project["entity_data"]["id"]
    tasks = [task_create(reference("Project", project_id), index) for index in range(QUERIED_TASKS)]
    setup.call([project] + tasks)
    setup.close()

    reader = ApiClient(server.url, server.api_user, server.api_key, timeout=600)
    queries = SmallQueries(reader, project_id, name, [t["entity_data"]["id"] for t in tasks])
    idle = [queries.once() for _ in range(IDLE_QUERIES)]

    writer = ApiClient(server.url, server.api_user, server.api_key, timeout=3600)
    batch = import_batch(project_id)
    body = json.dumps(batch)
    outcome: Dict[str, Any] = {}

    def send_batch() -> None:
        started = time.perf_counter()
        try:
            response = writer.post(body)
            outcome["status"] = response.status_code
            outcome["results"] = len(response.json())
        finally:
            outcome["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=send_batch, name="client-a")
    thread.start()
    busy = []
    while thread.is_alive():
        busy.append(queries.once())
    thread.join()
    reader.close()
    writer.close()
    assert outcome.get("status") == 200, outcome
    assert outcome["results"] == len(batch)
    return {
        "batch_operations": len(batch),
        "batch_seconds": outcome["seconds"],
        "idle": idle,
        "busy": busy,
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def latency_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[Tuple[str, ServerProcess]]:
    """A ``serve`` child process on SQLite, or on PostgreSQL when configured."""
    url = database_url()
    if request.param == "postgresql" and not (url and url.startswith("postgresql")):
        pytest.skip("set FTRACK_LOCAL_DATABASE_URL to a PostgreSQL server to measure it")
    data_dir = tmp_path_factory.mktemp("latency-" + request.param) / "data"
    environment = dict(os.environ)
    environment.pop("FTRACK_LOCAL_DATABASE_URL", None)
    with throwaway_database(url if request.param == "postgresql" else None) as database:
        server = ServerProcess(data_dir, database=database, environment=environment)
        with server:
            yield request.param, server


def summary(values: List[float]) -> Dict[str, Any]:
    """Count, p50, p99 and max of latencies in seconds."""
    return {"count": len(values), "p50": round(percentile(values, 0.5), 6),
            "p99": round(percentile(values, 0.99), 6), "max": round(max(values), 6)}


def test_small_queries_during_large_batch(latency_server: Tuple[str, ServerProcess]) -> None:
    """B's query latency while A's 30,000-operation batch runs."""
    database, server = latency_server
    figures = measure(server)
    document = {
        "environment": {"python": sys.version.split()[0], "cpu_count": os.cpu_count(),
                        "database": database, "server_python_path": os.environ.get("PYTHONPATH", ""),
                        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
        "batch_operations": figures["batch_operations"],
        "batch_seconds": round(figures["batch_seconds"], 3),
        "small_query_idle": summary(figures["idle"]),
        "small_query_during_batch": summary(figures["busy"]),
    }
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(os.path.join(RESULTS_DIR, "latency-{0}.json".format(database)), "w",
              encoding="utf-8") as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
        handle.write("\n")
    lines = ["", "== small queries during a {0:,}-operation batch ({1}) ==".format(
        figures["batch_operations"], database)]
    for label, key in (("idle", "small_query_idle"), ("during batch", "small_query_during_batch")):
        entry = document[key]
        lines.append("B {0:<13} n={1:<6} p50={2:7.1f} ms  p99={3:7.1f} ms  max={4:7.1f} ms".format(
            label, entry["count"], entry["p50"] * 1000, entry["p99"] * 1000, entry["max"] * 1000))
    lines.append("A batch        {0:.1f} s".format(figures["batch_seconds"]))
    print("\n".join(lines))
    assert figures["busy"], "client B sent no query while the batch ran"
