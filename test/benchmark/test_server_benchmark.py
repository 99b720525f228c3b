"""Benchmarks of the local server's own time.

Two workloads, each measured end to end over HTTP (``POST /api`` through the
raw JSON client, with the client's JSON encoding and decoding timed apart so
it can be subtracted) and on the backend alone (``backend.call`` in process:
no HTTP, no JSON):

* **create batch** -- one request with 1,000 Task ``create`` operations
  under a project created by a request of its own;
* **projected query** -- 5,000 tasks of one project read with six dotted
  projections, once as a single ``limit 5000`` request and once with the
  reference client's pager (pages of 500 until ``metadata.next.offset`` is
  null).

The server runs in this process, so ``time.process_time()`` covers both the
client and the server threads; the "minus client JSON" figures remove the
client's share measured around ``json.dumps``/``json.loads``.

Figures are printed (run with ``-s``) and written to
``test/benchmark/results/server.json``. Nothing here fails because of timing;
the results themselves are checked.

Set ``FTRACK_BENCHMARK_PROFILE=1`` to run each workload's backend call once
more under :mod:`cProfile` and print its top entries by cumulative time.
"""

import cProfile
import io
import json
import os
import pstats
import time
import uuid
from typing import Any, Callable, Dict, List, Tuple

import pytest

from ftrack_local import seed
from ftrack_local.testing import ApiClientError

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(3600)]

REPEATS = 3
CREATE_BATCH_SIZE = 1000
QUERY_TASK_COUNT = 5000
PAGE_SIZE = 500
PROFILE_VARIABLE = "FTRACK_BENCHMARK_PROFILE"
PROFILE_TOP = 15

PROJECTIONS = ["name", "status.name", "status.state.short", "type.name",
               "parent.name", "priority.name"]
QUERY = ('select {0} from Task where project_id is "{{project_id}}"'
         .format(", ".join(PROJECTIONS)))

# Values spread over the tasks: statuses of the task workflow and task types
# of the default project schema, every priority.
STATUS_NAMES = seed.WORKFLOWS["VFX task workflow"]
STATE_OF_STATUS = {name: short for name, short, _ in seed.STATUSES}
TYPE_NAMES = seed.TASK_TYPE_SCHEMAS["VFX task types"]
PRIORITY_NAMES = [name for name, _, _ in seed.PRIORITIES]


# -- measuring ------------------------------------------------------------------

class Sample:
    """Wall and CPU seconds of one block; CPU is the whole process's."""

    wall = 0.0
    cpu = 0.0

    def __enter__(self) -> "Sample":
        self._wall0 = time.perf_counter()
        self._cpu0 = time.process_time()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.wall = time.perf_counter() - self._wall0
        self.cpu = time.process_time() - self._cpu0


class Totals:
    """Sums of the samples of one measured run (one or more requests)."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.json_wall = self.json_cpu = 0.0
        self.requests = 0
        self.request_bytes = self.response_bytes = 0

    def add_http(self, encode: Sample, exchange: Sample, decode: Sample,
                 request_bytes: int, response_bytes: int) -> None:
        self.wall += encode.wall + exchange.wall + decode.wall
        self.cpu += encode.cpu + exchange.cpu + decode.cpu
        self.json_wall += encode.wall + decode.wall
        self.json_cpu += encode.cpu + decode.cpu
        self.requests += 1
        self.request_bytes += request_bytes
        self.response_bytes += response_bytes

    def add_backend(self, sample: Sample) -> None:
        self.wall += sample.wall
        self.cpu += sample.cpu
        self.requests += 1


def http_call(client: Any, operations: List[Dict[str, Any]], totals: Totals) -> List[Any]:
    """POST *operations* as the reference client does (sorted keys) and add
    the timing split to *totals*."""
    with Sample() as encode:
        body = json.dumps(operations, sort_keys=True)
    with Sample() as exchange:
        response = client.post(body)
        content = response.content
    with Sample() as decode:
        data = json.loads(content)
    if isinstance(data, dict) and "exception" in data:
        raise ApiClientError(data["exception"], data.get("content", ""),
                             response.status_code, data.get("error_code"))
    assert response.status_code == 200, response.status_code
    totals.add_http(encode, exchange, decode, len(body), len(content))
    return data


def backend_call(server: Any, operations: List[Dict[str, Any]], totals: Totals) -> List[Any]:
    """Run *operations* on the backend directly and add the time to *totals*."""
    with Sample() as sample:
        results = server.backend.call(operations, server.api_user)
    totals.add_backend(sample)
    return results


def profiling() -> bool:
    return os.environ.get(PROFILE_VARIABLE, "") not in ("", "0", "false", "no")


def profile(title: str, action: Callable[[], Any]) -> Any:
    """Run *action* under cProfile; print the top entries by cumulative time."""
    profiler = cProfile.Profile()
    result = profiler.runcall(action)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(PROFILE_TOP)
    print("\n--- profile: {0} (top {1} by cumulative time) ---\n{2}".format(
        title, PROFILE_TOP, out.getvalue()))
    return result


def record_http(report: Any, workload: str, label: str, runs: List[Totals]) -> None:
    report.add(workload, label + " wall", [run.wall for run in runs])
    report.add(workload, label + " cpu", [run.cpu for run in runs])
    report.add(workload, label + " client JSON wall", [run.json_wall for run in runs])
    report.add(workload, label + " wall minus client JSON",
               [run.wall - run.json_wall for run in runs])
    report.add(workload, label + " cpu minus client JSON",
               [run.cpu - run.json_cpu for run in runs])
    report.add(workload, label + " requests", [run.requests for run in runs], unit="req")
    report.add(workload, label + " request bytes", [run.request_bytes for run in runs], unit="B")
    report.add(workload, label + " response bytes", [run.response_bytes for run in runs], unit="B")


def record_backend(report: Any, workload: str, label: str, runs: List[Totals]) -> None:
    report.add(workload, label + " wall", [run.wall for run in runs])
    report.add(workload, label + " cpu", [run.cpu for run in runs])


# -- data -----------------------------------------------------------------------

def reference(entity_type: str, entity_id: str) -> Dict[str, str]:
    return {"__entity_type__": entity_type, "id": entity_id}


def project_create(name: str) -> Tuple[str, Dict[str, Any]]:
    """A Project ``create`` as the reference client sends it."""
    project_id = str(uuid.uuid4())
    return project_id, {
        "action": "create", "entity_type": "Project", "entity_key": [project_id],
        "entity_data": {
            "__entity_type__": "Project", "id": project_id, "name": name,
            "full_name": name.replace("_", " ").title(), "status": "active",
            "project_schema_id": seed.DEFAULT_PROJECT_SCHEMA_ID,
            "is_private": False, "is_global": False,
        },
    }


def task_expectation(index: int) -> Dict[str, str]:
    status = STATUS_NAMES[index % len(STATUS_NAMES)]
    return {
        "name": "task_{0:05d}".format(index),
        "status.name": status,
        "status.state.short": STATE_OF_STATUS[status],
        "type.name": TYPE_NAMES[index % len(TYPE_NAMES)],
        "priority.name": PRIORITY_NAMES[index % len(PRIORITY_NAMES)],
    }


def task_creates(project_id: str, start: int, count: int
                 ) -> Tuple[List[Dict[str, Any]], Dict[str, Dict[str, str]]]:
    """*count* Task ``create`` operations under *project_id* (with the
    schema defaults the reference client adds) and what each should read
    back, by id."""
    operations = []
    expected = {}
    for index in range(start, start + count):
        task_id = str(uuid.uuid4())
        values = task_expectation(index)
        operations.append({
            "action": "create", "entity_type": "Task", "entity_key": [task_id],
            "entity_data": {
                "__entity_type__": "Task", "id": task_id, "name": values["name"],
                "parent": reference("Project", project_id),
                "object_type_id": seed.OBJECT_TYPE_IDS["Task"],
                "type_id": seed.TYPE_IDS[values["type.name"]],
                "status_id": seed.STATUS_IDS[values["status.name"]],
                "priority_id": seed.PRIORITY_IDS[values["priority.name"]],
            },
        })
        expected[task_id] = values
    return operations, expected


def check_creates(results: List[Any], operations: List[Dict[str, Any]]) -> None:
    assert len(results) == len(operations)
    for result, operation in zip(results, operations):
        assert result["action"] == "create"
        data = result["data"]
        assert data["__entity_type__"] == "Task"
        assert data["id"] == operation["entity_data"]["id"]
        assert data["name"] == operation["entity_data"]["name"]


class Identities:
    """Entity objects of answers merged by identity, as the client's cache
    does (a repeated entity may come back as a bare reference)."""

    def __init__(self) -> None:
        self.entities: Dict[Tuple[str, str], Dict[str, Any]] = {}

    def merge(self, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                self.merge(item)
        elif isinstance(value, dict):
            for item in value.values():
                self.merge(item)
            entity_type = value.get("__entity_type__")
            if entity_type and "id" in value:
                self.entities.setdefault((entity_type, value["id"]), {}).update(value)

    def resolve(self, entity: Dict[str, Any], path: str) -> Any:
        value: Any = entity
        for name in path.split("."):
            if not isinstance(value, dict):
                return None
            value = self.entities.get((value["__entity_type__"], value["id"]), value)
            value = value.get(name)
        return value


def check_query_rows(rows: List[Dict[str, Any]], identities: Identities,
                     expected: Dict[str, Dict[str, str]], project_name: str) -> None:
    """Every task comes back once with all projections filled correctly."""
    assert len(rows) == len(expected), (len(rows), len(expected))
    seen = set()
    for row in rows:
        assert row["__entity_type__"] == "Task"
        values = expected[row["id"]]
        seen.add(row["id"])
        for path in PROJECTIONS:
            got = identities.resolve(row, path)
            want = project_name if path == "parent.name" else values[path]
            assert got == want, (row["id"], path, got, want)
    assert len(seen) == len(expected)


def identities_of(rows: List[Dict[str, Any]]) -> Identities:
    identities = Identities()
    identities.merge(rows)
    return identities


def run_single_query(call: Callable[[List[Dict[str, Any]], Totals], List[Any]],
                     project_id: str, count: int, totals: Totals) -> List[Dict[str, Any]]:
    expression = QUERY.format(project_id=project_id) + " offset 0 limit {0}".format(count)
    result = call([{"action": "query", "expression": expression}], totals)[0]
    assert result["action"] == "query"
    assert result["metadata"]["next"]["offset"] is None
    return result["data"]


def run_paged_query(call: Callable[[List[Dict[str, Any]], Totals], List[Any]],
                    project_id: str, totals: Totals) -> List[Dict[str, Any]]:
    """The reference client's pager: ``offset N limit 500`` until
    ``metadata.next.offset`` is null."""
    rows: List[Dict[str, Any]] = []
    offset = 0
    while offset is not None:
        expression = QUERY.format(project_id=project_id) + " offset {0} limit {1}".format(
            offset, PAGE_SIZE)
        result = call([{"action": "query", "expression": expression}], totals)[0]
        rows.extend(result["data"])
        offset = result["metadata"]["next"]["offset"]
        if offset is not None:
            assert offset == len(rows)
    return rows


# -- workloads --------------------------------------------------------------------

def test_create_batch(bench_server, bench_client, benchmark_report):
    """One request of 1,000 Task creates under a project of its own."""
    workload = "create batch ({0} Task creates, one request)".format(CREATE_BATCH_SIZE)
    http_runs, backend_runs = [], []

    def http(operations, totals):
        return http_call(bench_client, operations, totals)

    def backend(operations, totals):
        return backend_call(bench_server, operations, totals)

    for label, call, runs in (("http", http, http_runs), ("backend", backend, backend_runs)):
        for run in range(REPEATS):
            project_id, create = project_create("create_{0}_{1}".format(label, run))
            call([create], Totals())
            operations, _ = task_creates(project_id, 0, CREATE_BATCH_SIZE)
            totals = Totals()
            results = call(operations, totals)
            check_creates(results, operations)
            runs.append(totals)

    record_http(benchmark_report, workload, "http", http_runs)
    record_backend(benchmark_report, workload, "backend", backend_runs)
    benchmark_report.describe(workload, operations=CREATE_BATCH_SIZE)
    print(benchmark_report.table(workload))

    if profiling():
        project_id, create = project_create("create_profiled")
        backend([create], Totals())
        operations, _ = task_creates(project_id, 0, CREATE_BATCH_SIZE)
        profile("backend.call, {0} Task creates".format(CREATE_BATCH_SIZE),
                lambda: backend(operations, Totals()))


def test_projected_query(bench_server, bench_client, benchmark_report):
    """5,000 tasks with six dotted projections: one request, then paged."""
    workload = "projected query ({0} Tasks, {1})".format(QUERY_TASK_COUNT, ", ".join(PROJECTIONS))

    def http(operations, totals):
        return http_call(bench_client, operations, totals)

    def backend(operations, totals):
        return backend_call(bench_server, operations, totals)

    project_name = "query_project"
    project_id, create = project_create(project_name)
    http([create], Totals())
    # Another project's tasks in the same table, so the filter has work to do.
    other_id, other_create = project_create("other_project")
    http([other_create], Totals())
    http(task_creates(other_id, 0, CREATE_BATCH_SIZE)[0], Totals())

    expected: Dict[str, Dict[str, str]] = {}
    populate = Totals()
    for start in range(0, QUERY_TASK_COUNT, CREATE_BATCH_SIZE):
        operations, batch_expected = task_creates(project_id, start, CREATE_BATCH_SIZE)
        check_creates(http(operations, populate), operations)
        expected.update(batch_expected)
    benchmark_report.describe(
        workload, tasks=QUERY_TASK_COUNT, page_size=PAGE_SIZE,
        populate_wall=round(populate.wall, 6), populate_requests=populate.requests)

    single = {"http": [], "backend": []}
    paged = {"http": [], "backend": []}
    for run in range(REPEATS):
        for label, call in (("http", http), ("backend", backend)):
            totals = Totals()
            rows = run_single_query(call, project_id, QUERY_TASK_COUNT, totals)
            check_query_rows(rows, identities_of(rows), expected, project_name)
            single[label].append(totals)

            totals = Totals()
            rows = run_paged_query(call, project_id, totals)
            check_query_rows(rows, identities_of(rows), expected, project_name)
            assert totals.requests == -(-QUERY_TASK_COUNT // PAGE_SIZE)
            paged[label].append(totals)

    record_http(benchmark_report, workload, "single http", single["http"])
    record_backend(benchmark_report, workload, "single backend", single["backend"])
    record_http(benchmark_report, workload, "paged http", paged["http"])
    record_backend(benchmark_report, workload, "paged backend", paged["backend"])
    print(benchmark_report.table(workload))
    print("(populating: {0} requests of {1} creates took {2:.1f} ms)".format(
        populate.requests, CREATE_BATCH_SIZE, populate.wall * 1000))

    if profiling():
        profile("backend.call, one {0}-row projected query".format(QUERY_TASK_COUNT),
                lambda: run_single_query(backend, project_id, QUERY_TASK_COUNT, Totals()))
        profile("backend.call, paged projected query (pages of {0})".format(PAGE_SIZE),
                lambda: run_paged_query(backend, project_id, Totals()))


def test_identities_resolve_bare_references():
    """The result check follows repeated entities sent as bare references."""
    identities = Identities()
    status = {"__entity_type__": "Status", "id": "s", "name": "Ready",
              "state": {"__entity_type__": "State", "id": "x", "short": "NOT_STARTED"}}
    rows = [{"__entity_type__": "Task", "id": "a", "status": status},
            {"__entity_type__": "Task", "id": "b",
             "status": {"__entity_type__": "Status", "id": "s"}}]
    identities.merge(rows)
    assert identities.resolve(rows[1], "status.name") == "Ready"
    assert identities.resolve(rows[1], "status.state.short") == "NOT_STARTED"
