"""How the server's own time grows with the size of its database.

A database is grown to each size of ``FTRACK_LOCAL_SCALE_SIZES`` (entities,
comma separated; default ``10000,100000``; add ``1000000`` explicitly, it
takes minutes to grow) with :mod:`scale_data` (projects → sequences →
shots → tasks, assets and versions, custom attribute values and metadata;
the first shot through the API, the others as copies of its rows). At each
size these workloads run on the backend in process (``backend.call``: no
HTTP, no JSON), each several times; the median is reported:

* **filtered 100** -- the 100 tasks of one sequence (by the sequence's name
  and the project's name) in two of four statuses, with ``name,
  status.name, type.name, parent.name, parent.parent.name``;
* **projected 5000** -- 5,000 versions of one project with ``version,
  asset.name, task.name, status.name, asset.parent.name``;
* **ancestors any** -- ``Task where ancestors any (name is "sq003" and
  project_id is …)`` (200 tasks);
* **descendants any** -- ``Sequence where descendants any (id is <task>)``;
* **select descendants** -- ``select descendants from Sequence where name
  is "sq003" and project_id is …`` (40 shots and 200 tasks);
* **create 1000** -- one request of 1,000 Task creates (one commit), with
  no ``ftrack.update`` subscriber;
* **update fan-out** -- the same request with a subscriber of
  ``ftrack.update`` attached to the event hub in process: the time from
  the commit (a commit listener placed before the publisher stamps it) to
  the event's packet being handed to the subscriber's connection (built,
  encoded and routed on the hub's event loop); the socket write itself is
  not included;
* **update build** -- building the ``data`` of that 1,000-entity event
  alone (``events.updates.build``).

The queries are on the *last* project, so a plan that scans a table in
insertion order until it has found enough rows shows as growth.

The backend is SQLite unless ``FTRACK_LOCAL_DATABASE_URL`` names a
PostgreSQL server (each size then gets a throwaway database on it;
``ANALYZE`` runs after growing it, as autovacuum would)::

    python -m pytest test/benchmark -s -k scale
    .ci/with-postgres python -m pytest test/benchmark/test_scale_benchmark.py -s
    FTRACK_LOCAL_SCALE_SIZES=10000,100000,1000000 python -m pytest ... -s -k scale

For each workload and size, the SQL statements of one extra run are
recorded and the slowest two shapes are printed with their plan (SQLite
``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN``). At the end a table
workload × size is printed with the growth from the smallest to the
largest size, and written to ``results/scale-<backend>.json``; the table of
every backend found there is printed too. Figures are noisy (shared
machine): medians, never asserted. The results are checked.
"""

import glob
import json
import os
import statistics
import threading
import time
import uuid
from typing import Any, Callable, Dict, List, Tuple

import pytest
import sqlalchemy as sa

from ftrack_local import seed
from ftrack_local.events import updates
from ftrack_local.events.hub import Connection
from ftrack_local.testing import database_url, start_server, throwaway_database

import scale_data

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(4 * 3600)]

SIZES_VARIABLE = "FTRACK_LOCAL_SCALE_SIZES"
DEFAULT_SIZES = "10000,100000"
REPEATS = 5
CREATE_COUNT = 1000
PLANS_PER_WORKLOAD = 2
STATEMENT_WIDTH = 700
PLAN_WIDTH = 240
RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")

FILTER_STATUSES = ("Not started", "Pending Review")
FILTER_PROJECTIONS = ["name", "status.name", "type.name", "parent.name", "parent.parent.name"]
VERSION_PROJECTIONS = ["version", "asset.name", "task.name", "status.name", "asset.parent.name"]
SEQUENCE = scale_data.sequence_name(3)
CREATE_SEQUENCE = scale_data.sequence_name(4)


def sizes() -> List[int]:
    text = os.environ.get(SIZES_VARIABLE) or DEFAULT_SIZES
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def backend_name() -> str:
    url = database_url() or "sqlite"
    return url.split(":", 1)[0].split("+", 1)[0]


# -- recording ----------------------------------------------------------------------

class ScaleReport:
    """Median seconds per (workload, size), plus what was grown."""

    def __init__(self, backend: str):
        self.backend = backend
        self.figures: Dict[str, Dict[int, Dict[str, Any]]] = {}
        self.databases: Dict[int, Dict[str, Any]] = {}

    def add(self, workload: str, size: int, values: List[float]) -> None:
        self.figures.setdefault(workload, {})[size] = {
            "median": round(statistics.median(values), 6), "min": round(min(values), 6),
            "runs": [round(value, 6) for value in values]}

    def write(self) -> str:
        os.makedirs(RESULTS_DIR, exist_ok=True)
        ignore = os.path.join(RESULTS_DIR, ".gitignore")
        if not os.path.exists(ignore):
            with open(ignore, "w", encoding="utf-8") as handle:
                handle.write("*.json\n")
        path = os.path.join(RESULTS_DIR, "scale-{0}.json".format(self.backend))
        document = {"backend": self.backend, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "cpu_count": os.cpu_count(), "databases": self.databases,
                    "figures": {workload: {str(size): entry for size, entry in by_size.items()}
                                for workload, by_size in self.figures.items()}}
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, sort_keys=True)
            handle.write("\n")
        return path


def format_table(documents: List[Dict[str, Any]]) -> str:
    """workload × size × backend: median ms, and growth smallest → largest size."""
    lines = []
    for document in documents:
        figures = document["figures"]
        all_sizes = sorted({int(size) for by_size in figures.values() for size in by_size})
        header = "{0:<20} {1:<10}".format("workload", "backend") + "".join(
            "{0:>14}".format("{0:,}".format(size)) for size in all_sizes) + "{0:>10}".format("growth")
        lines += ["", header, "-" * len(header)]
        for workload, by_size in figures.items():
            cells = []
            for size in all_sizes:
                entry = by_size.get(str(size))
                cells.append("{0:>14}".format(
                    "-" if entry is None else "{0:.1f} ms".format(entry["median"] * 1000)))
            present = [by_size[str(size)]["median"] for size in all_sizes if str(size) in by_size]
            growth = "{0:.2f}x".format(present[-1] / present[0]) if len(present) > 1 and present[0] else "-"
            lines.append("{0:<20} {1:<10}".format(workload, document["backend"]) + "".join(cells)
                         + "{0:>10}".format(growth))
    return "\n".join(lines)


class SqlRecorder:
    """The statements an engine runs while active (not the bulk inserts)."""

    def __init__(self, engine: sa.engine.Engine):
        self.engine = engine
        self.statements: Dict[str, Dict[str, Any]] = {}
        self._started: Dict[int, float] = {}

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())
        if executemany or not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            return
        entry = self.statements.setdefault(statement, {"seconds": 0.0, "count": 0,
                                                       "parameters": parameters})
        entry["seconds"] += took
        entry["count"] += 1

    def __enter__(self) -> "SqlRecorder":
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)

    def slowest(self, count: int) -> List[Tuple[str, Dict[str, Any]]]:
        return sorted(self.statements.items(), key=lambda item: -item[1]["seconds"])[:count]


def explain(engine: sa.engine.Engine, statement: str, parameters: Any) -> str:
    """The plan of *statement* as the database reports it."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            parents: Dict[int, int] = {}
            lines = []
            for node, parent, _, detail in rows:
                depth = parents.get(parent, -1) + 1
                parents[node] = depth
                lines.append(_clip("  " * depth + detail))
            return "\n".join(lines)
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return "\n".join(_clip(row[0]) for row in rows)


def _clip(line: str) -> str:
    """A plan line without the whole literal list of a long ``IN``."""
    return line if len(line) <= PLAN_WIDTH else line[:PLAN_WIDTH] + " …"


def print_plans(engine: sa.engine.Engine, workload: str, size: int, recorder: SqlRecorder) -> None:
    total = sum(entry["seconds"] for entry in recorder.statements.values())
    print("\n--- {0} at {1:,}: {2} statement shapes, {3:.1f} ms of SQL; slowest:".format(
        workload, size, len(recorder.statements), total * 1000))
    for statement, entry in recorder.slowest(PLANS_PER_WORKLOAD):
        text = " ".join(statement.split())
        if len(text) > STATEMENT_WIDTH:
            text = text[:STATEMENT_WIDTH] + " …"
        print("[{0:.1f} ms in {1} run(s)] {2}".format(entry["seconds"] * 1000, entry["count"], text))
        try:
            print(explain(engine, statement, entry["parameters"]))
        except Exception as error:  # noqa: BLE001 - a plan is informative only
            print("(no plan: {0})".format(str(error).splitlines()[0]))


# -- checking answers -----------------------------------------------------------------

class Identities:
    """Entities of an answer merged by identity (repeats may be bare references)."""

    def __init__(self, value: Any):
        self.entities: Dict[Tuple[str, str], Dict[str, Any]] = {}
        self.merge(value)

    def merge(self, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                self.merge(item)
        elif isinstance(value, dict):
            for item in value.values():
                self.merge(item)
            if value.get("__entity_type__") and "id" in value:
                self.entities.setdefault((value["__entity_type__"], value["id"]), {}).update(value)

    def resolve(self, entity: Dict[str, Any], path: str) -> Any:
        value: Any = entity
        for name in path.split("."):
            if not isinstance(value, dict):
                return None
            value = self.entities.get((value.get("__entity_type__"), value.get("id")), value)
            value = value.get(name)
        return value


# -- workloads ---------------------------------------------------------------------------

class Workloads:
    """The measured operations on one grown database; each returns a checked result."""

    def __init__(self, server: Any, database: scale_data.Database):
        self.server = server
        self.database = database
        self.project_index = database.layout.projects - 1
        self.project_id = database.project_ids[self.project_index]
        self.project_name = scale_data.project_name(self.project_index)
        self.sequence_id = database.sequence_ids[(self.project_index, SEQUENCE)]
        self.create_sequence_id = database.sequence_ids.get(
            (self.project_index, CREATE_SEQUENCE), self.sequence_id)
        self.runs = 0

    def call(self, operations: List[Dict[str, Any]]) -> List[Any]:
        return self.server.backend.call(operations, self.server.api_user)

    def query(self, expression: str) -> List[Dict[str, Any]]:
        result = self.call([{"action": "query", "expression": expression}])[0]
        return result["data"]

    def filtered_100(self) -> None:
        rows = self.query(
            'select {0} from Task where parent.parent.name is "{1}" and project.name is "{2}" '
            'and status.name in ({3})'.format(
                ", ".join(FILTER_PROJECTIONS), SEQUENCE, self.project_name,
                ", ".join('"{0}"'.format(s) for s in FILTER_STATUSES)))
        assert len(rows) == 100, len(rows)
        identities = Identities(rows)
        for row in rows:
            assert identities.resolve(row, "parent.parent.name") == SEQUENCE
            assert identities.resolve(row, "status.name") in FILTER_STATUSES
            assert identities.resolve(row, "type.name") is not None
            assert identities.resolve(row, "parent.name").startswith("sh")

    def projected_5000(self) -> None:
        rows = self.query(
            'select {0} from AssetVersion where task.project_id is "{1}" limit 5000'.format(
                ", ".join(VERSION_PROJECTIONS), self.project_id))
        assert len(rows) == 5000, len(rows)
        identities = Identities(rows)
        for row in rows[::97]:
            assert identities.resolve(row, "asset.name") in ("plate", "comp")
            assert identities.resolve(row, "asset.parent.name").startswith("sh")
            assert identities.resolve(row, "task.name") in dict(scale_data.TASKS)
            assert identities.resolve(row, "status.name") in scale_data.VERSION_STATUSES

    def ancestors_any(self) -> None:
        rows = self.query(
            'select name, parent.name from Task where ancestors any '
            '(name is "{0}" and project_id is "{1}")'.format(SEQUENCE, self.project_id))
        expected = self.database.layout.shots_of(
            self.project_index * scale_data.SEQUENCES_PER_PROJECT + 3) * len(scale_data.TASKS)
        assert len(rows) == expected, (len(rows), expected)

    def descendants_any(self) -> None:
        rows = self.query('select name from Sequence where descendants any (id is "{0}")'.format(
            self.database.sample_task_id))
        assert [row["name"] for row in rows] == [SEQUENCE], rows

    def select_descendants(self) -> None:
        rows = self.query('select descendants from Sequence where name is "{0}" '
                          'and project_id is "{1}"'.format(SEQUENCE, self.project_id))
        assert len(rows) == 1, rows
        shots = self.database.layout.shots_of(
            self.project_index * scale_data.SEQUENCES_PER_PROJECT + 3)
        assert len(rows[0]["descendants"]) == shots * (1 + len(scale_data.TASKS))

    def creates(self) -> Tuple[Callable[[], Any], Callable[[Any], None]]:
        """(the timed request, its check); a fresh shot of its own is made first."""
        self.runs += 1
        shot_id, shot = scale_data.create("Shot", {
            "name": "bench_{0:03d}".format(self.runs),
            "parent": scale_data.reference("Sequence", self.create_sequence_id)})
        self.call([shot])
        operations = []
        for index in range(CREATE_COUNT):
            _, operation = scale_data.create("Task", {
                "name": "extra_{0:04d}".format(index),
                "parent": scale_data.reference("Shot", shot_id),
                "type_id": seed.TYPE_IDS["Compositing"],
                "status_id": seed.STATUS_IDS["Not started"]})
            operations.append(operation)

        def check(results):
            assert len(results) == CREATE_COUNT
            assert all(r["action"] == "create" for r in results)
            assert [r["data"]["id"] for r in results] == [o["entity_key"][0] for o in operations]

        return lambda: self.call(operations), check


class _Subscriber(Connection):
    """An in-process hub connection stamping when a packet is handed to it."""

    def __init__(self):
        super().__init__("scale-" + uuid.uuid4().hex, {"id": None, "username": "scale"})
        self.delivered = threading.Event()
        self.at = 0.0
        self.frame = ""

    def send(self, frame: str) -> None:
        self.at = time.perf_counter()
        self.frame = frame
        self.delivered.set()


def measure_fan_out(server: Any, workloads: Workloads, repeats: int
                    ) -> Tuple[List[float], List[float]]:
    """(commit → delivery seconds, build seconds) of 1,000-create commits."""
    hub = server.event_hub
    backend = server.backend
    subscriber = _Subscriber()
    stamps: Dict[str, Any] = {}

    def stamp(changes, connection, username, user_id):
        stamps["at"] = time.perf_counter()
        stamps["changes"] = changes
        stamps["user_id"] = user_id

    hub.add_connection(subscriber)
    hub.subscribe(subscriber, {"id": uuid.uuid4().hex}, "topic=ftrack.update")
    backend.commit_listeners.insert(0, stamp)
    latencies, builds = [], []
    try:
        for _ in range(repeats):
            request, check = workloads.creates()
            subscriber.delivered.clear()
            check(request())
            assert subscriber.delivered.wait(120), "no ftrack.update reached the subscriber"
            latencies.append(subscriber.at - stamps["at"])
            event = json.loads(subscriber.frame[len('5:::'):])["args"][0]
            assert event["topic"] == "ftrack.update"
            assert len(event["data"]["entities"]) == CREATE_COUNT

            with backend.storage.engine.connect() as connection:
                started = time.perf_counter()
                data = updates.build(backend.storage, connection, stamps["changes"],
                                     stamps["user_id"])
                builds.append(time.perf_counter() - started)
            assert len(data["entities"]) == CREATE_COUNT
    finally:
        backend.commit_listeners.remove(stamp)
        hub.remove_connection(subscriber)
    return latencies, builds


def timed(action: Callable[[], Any], repeats: int) -> List[float]:
    values = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        values.append(time.perf_counter() - started)
    return values


# -- the benchmark ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scale_report():
    report = ScaleReport(backend_name())
    yield report
    if not report.figures:
        return
    path = report.write()
    print("\n\n== scale: median of {0} runs, backend.call in process (noisy: shared machine) ==".format(
        REPEATS))
    for size, facts in sorted(report.databases.items()):
        print("{0:>10,} entities: {1}".format(size, facts["layout"]))
    print(format_table([json.load(open(path, encoding="utf-8"))]))
    others = [json.load(open(p, encoding="utf-8"))
              for p in sorted(glob.glob(os.path.join(RESULTS_DIR, "scale-*.json"))) if p != path]
    if others:
        print("\n(earlier runs on other backends, from {0})".format(os.path.relpath(RESULTS_DIR)))
        print(format_table(others))
    print("\nfigures written to {0}".format(os.path.relpath(path)))


@pytest.mark.parametrize("size", sizes())
def test_scale(size, scale_report, tmp_path_factory):
    with throwaway_database(database_url()) as url:
        server = start_server(str(tmp_path_factory.mktemp("ftrack-scale")), database=url)
        try:
            run_size(server, size, scale_report)
        finally:
            server.stop()


def run_size(server: Any, size: int, report: ScaleReport) -> None:
    print("\n== {0} at {1:,} entities ==".format(report.backend, size))
    database = scale_data.grow(server, size, log=print)
    layout = database.layout
    grown = sum(database.counts.values())
    print("grown in {0:.1f} s ({1:.1f} s through the API): {2}; rows {3}".format(
        database.seconds, database.api_seconds, layout.describe(),
        ", ".join("{0} {1:,}".format(k, v) for k, v in database.counts.items())))
    assert database.counts["context"] == (
        layout.projects + layout.sequences + layout.shots * (1 + len(scale_data.TASKS)))
    assert database.counts["asset_version"] == layout.shots * scale_data.VERSIONS_PER_SHOT
    report.databases[size] = {"layout": layout.describe(), "rows": database.counts,
                              "total_rows": grown, "grow_seconds": round(database.seconds, 1)}

    workloads = Workloads(server, database)
    engine = server.backend.storage.engine
    queries = [("filtered 100", workloads.filtered_100),
               ("projected 5000", workloads.projected_5000),
               ("ancestors any", workloads.ancestors_any),
               ("descendants any", workloads.descendants_any),
               ("select descendants", workloads.select_descendants)]
    for name, action in queries:
        with SqlRecorder(engine) as recorder:
            action()  # checked, warms the caches, and records the SQL
        report.add(name, size, timed(action, REPEATS))
        print_plans(engine, name, size, recorder)

    def create_once():
        request, check = workloads.creates()
        started = time.perf_counter()
        results = request()
        took = time.perf_counter() - started
        check(results)
        return took

    create_once()  # warm-up
    report.add("create 1000", size, [create_once() for _ in range(REPEATS)])

    latencies, builds = measure_fan_out(server, workloads, REPEATS)
    report.add("update fan-out", size, latencies)
    report.add("update build", size, builds)
    for name in ("create 1000", "update fan-out", "update build"):
        print("{0}: median {1:.1f} ms".format(name, report.figures[name][size]["median"] * 1000))
