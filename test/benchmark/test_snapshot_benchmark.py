"""How long snapshots take to make and to load, and how big they are.

For each size of ``FTRACK_LOCAL_SNAPSHOT_SIZES`` (entities, comma
separated; default ``10000,100000``) a server is grown with
:mod:`scale_data` (the same studio-shaped database as the scale
benchmark), then:

* **capture** -- :class:`~ftrack_local.snapshot.capture.Capture` takes
  every project of it through ``ftrack_api`` over HTTP, with the default
  options (no component files); the snapshot's size on disk is measured;
* **load** -- :func:`~ftrack_local.snapshot.load.load` writes the snapshot
  into a fresh data directory (after ``Backend.open``, which is timed
  apart as **open**);
* **startup** -- ``LocalServer(snapshot=...)`` on a fresh data directory,
  from the call to ``start()`` until it accepts connections.

Load and startup run ``FTRACK_LOCAL_SNAPSHOT_REPEATS`` times (default 3),
each on a new data directory; the capture runs once (it reads the whole
server). Medians are reported, with entities per second. The loaded
server is checked to hold the grown projects' entities.

With ``FTRACK_LOCAL_SNAPSHOT_PROFILE=1`` one extra load per size runs under
``cProfile`` and the functions taking most time are printed.

The backend is SQLite unless ``FTRACK_LOCAL_DATABASE_URL`` names a
PostgreSQL server (each server then gets a throwaway database on it)::

    python -m pytest test/benchmark/test_snapshot_benchmark.py -s
    .ci/with-postgres python -m pytest test/benchmark/test_snapshot_benchmark.py -s

The table is printed and written to ``results/snapshot-<backend>.json``.
Figures are noisy (shared machine) and never asserted.
"""

import cProfile
import io
import os
import pstats
import statistics
import time
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
import sqlalchemy as sa

import ftrack_api
from ftrack_local.api import Backend
from ftrack_local.snapshot.capture import Capture, Options
from ftrack_local.snapshot.format import SnapshotReader
from ftrack_local.snapshot.load import load
from ftrack_local.testing import database_url, start_server, throwaway_database

import scale_data
from conftest import RESULTS_DIR, Report

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(4 * 3600)]

SIZES_VARIABLE = "FTRACK_LOCAL_SNAPSHOT_SIZES"
REPEATS_VARIABLE = "FTRACK_LOCAL_SNAPSHOT_REPEATS"
PROFILE_VARIABLE = "FTRACK_LOCAL_SNAPSHOT_PROFILE"
DEFAULT_SIZES = "10000,100000"
DEFAULT_REPEATS = 3
PROFILE_LINES = 30
SLOWEST_STEPS = 6


def sizes() -> List[int]:
    text = os.environ.get(SIZES_VARIABLE) or DEFAULT_SIZES
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def repeats() -> int:
    return max(1, int(os.environ.get(REPEATS_VARIABLE) or DEFAULT_REPEATS))


def backend_name() -> str:
    url = database_url() or "sqlite"
    return url.split(":", 1)[0].split("+", 1)[0]


def folder_size(path: str) -> int:
    """Bytes of the files under *path*."""
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)


# -- recording ------------------------------------------------------------------------

class SnapshotReport(Report):
    """The benchmark's figures: one workload per size, with the snapshot's entities and bytes."""

    def __init__(self, backend: str) -> None:
        super().__init__()
        self.backend = backend
        self.sizes: List[int] = []

    @staticmethod
    def workload(size: int) -> str:
        return "{0} entities".format(size)

    def median(self, size: int, measure: str) -> float:
        return self.workloads[self.workload(size)]["measures"][measure]["median"]

    def size_table(self) -> str:
        """Size × measure: medians, the snapshot's size on disk, entities per second."""
        header = "{0:>9} {1:>9} {2:>10} {3:>12} {4:>9} {5:>9} {6:>9} {7:>14} {8:>14}".format(
            "size", "entities", "disk", "capture", "open", "load", "startup", "capture ent/s", "load ent/s")
        lines = ["", header, "-" * len(header)]
        for size in self.sizes:
            facts = self.workloads[self.workload(size)]
            entities = facts["entities"]
            lines.append("{0:>9,} {1:>9,} {2:>7.1f} MB {3:>10.2f} s {4:>7.2f} s {5:>7.2f} s {6:>7.2f} s "
                         "{7:>14,.0f} {8:>14,.0f}".format(
                             size, entities, facts["bytes"] / 1e6, self.median(size, "capture"),
                             self.median(size, "open"), self.median(size, "load"),
                             self.median(size, "startup"), entities / self.median(size, "capture"),
                             entities / self.median(size, "load")))
        return "\n".join(lines)


@pytest.fixture(scope="module")
def snapshot_report() -> Iterator[SnapshotReport]:
    report = SnapshotReport(backend_name())
    yield report
    if not report.sizes:
        return
    path = os.path.join(RESULTS_DIR, "snapshot-{0}.json".format(report.backend))
    report.write(path)
    print("\n\n== snapshots on {0}: medians of {1} loads and startups, one capture "
          "(noisy: shared machine) ==".format(report.backend, repeats()))
    print(report.size_table())
    print("\nfigures written to {0}".format(os.path.relpath(path)))


# -- the measures ---------------------------------------------------------------------

def context_counts(engine: sa.engine.Engine) -> Dict[str, int]:
    """Rows of the ``context`` table by entity type."""
    table = sa.table("context", sa.column("_entity_type"))
    with engine.connect() as connection:
        return dict(connection.execute(
            sa.select(table.c._entity_type, sa.func.count()).group_by(table.c._entity_type)).all())


class StepClock:
    """A ``progress`` callback timing each step of a capture (until the next one starts)."""

    def __init__(self) -> None:
        #: (step label, queries, when it started); the last entry marks the end of the reading.
        self.marks: List[Tuple[str, int, float]] = []

    def __call__(self, event: str, **details: Any) -> None:
        if event == "step":
            self.marks.append((details["step"], details["chunks"], time.perf_counter()))
        elif event == "finished":
            self.marks.append(("(gathering and writing)", 0, time.perf_counter()))

    def slowest(self, count: int) -> List[Tuple[str, int, float]]:
        spans = [(label, queries, following - started)
                 for (label, queries, started), (_, _, following) in zip(self.marks, self.marks[1:])]
        return sorted(spans, key=lambda span: -span[2])[:count]


def capture(server: Any, output: str, projects: List[str]) -> Tuple[float, str]:
    """(seconds, path) of a snapshot of *projects* taken through ``ftrack_api``; prints the slowest steps."""
    clock = StepClock()
    with ftrack_api.Session(server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                            auto_connect_event_hub=False, schema_cache_path=False) as session:
        started = time.perf_counter()
        path = Capture(session, output, Options(projects=projects), progress=clock).run()
        took = time.perf_counter() - started
    print("slowest capture steps: " + ", ".join("{0} {1:.1f} s ({2} queries)".format(label, seconds, queries)
                                                for label, queries, seconds in clock.slowest(SLOWEST_STEPS)))
    return took, path


def timed_load(data_dir: str, snapshot: str, database: Any,
               wrap: Callable[[Callable[[], Any]], Any] = lambda action: action()) -> Tuple[float, float, Any]:
    """(open seconds, load seconds, report) of loading *snapshot* into a fresh *data_dir*."""
    started = time.perf_counter()
    backend = Backend.open(data_dir, database_url=database)
    opened = time.perf_counter()
    try:
        report = wrap(lambda: load(backend, snapshot))
        return opened - started, time.perf_counter() - opened, report
    finally:
        backend.close()


def timed_startup(data_dir: str, snapshot: str, database: Any, expected: Dict[str, int]) -> float:
    """Seconds a server takes to start from *snapshot*; its projects' rows are checked."""
    started = time.perf_counter()
    server = start_server(data_dir, database, snapshot=snapshot)
    took = time.perf_counter() - started
    try:
        counts = context_counts(server.backend.storage.engine)
        assert {name: counts.get(name) for name in expected} == expected
    finally:
        server.stop()
    return took


def profiled(action: Callable[[], Any]) -> Any:
    """Run *action* under ``cProfile`` and print where the time went."""
    profile = cProfile.Profile()
    result = profile.runcall(action)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(PROFILE_LINES)
    stats.sort_stats("tottime").print_stats(PROFILE_LINES)
    print(out.getvalue())
    return result


def measure_loads(report: SnapshotReport, workload: str, path: str, entities: int,
                  factory: pytest.TempPathFactory) -> None:
    """Time ``Backend.open`` and ``load`` of the snapshot at *path* into fresh data directories."""
    opens, loads = [], []
    for _ in range(repeats()):
        with throwaway_database(database_url()) as url:
            opened, loaded, loaded_report = timed_load(str(factory.mktemp("snapshot-load")), path, url)
        assert loaded_report.entities == entities and not loaded_report.unknown_types, loaded_report
        opens.append(opened)
        loads.append(loaded)
    report.add(workload, "open", opens)
    report.add(workload, "load", loads)
    print("loaded in {0:.2f} s (median; open {1:.2f} s)".format(statistics.median(loads), statistics.median(opens)))


def measure_startups(report: SnapshotReport, workload: str, path: str, expected: Dict[str, int],
                     factory: pytest.TempPathFactory) -> None:
    """Time servers starting from the snapshot at *path*, each on a fresh data directory."""
    startups = []
    for _ in range(repeats()):
        with throwaway_database(database_url()) as url:
            startups.append(timed_startup(str(factory.mktemp("snapshot-serve")), path, url, expected))
    report.add(workload, "startup", startups)
    print("server started from the snapshot in {0:.2f} s (median)".format(statistics.median(startups)))


# -- the benchmark --------------------------------------------------------------------

@pytest.mark.parametrize("size", sizes())
def test_snapshot(size: int, snapshot_report: SnapshotReport, tmp_path_factory: pytest.TempPathFactory) -> None:
    print("\n== snapshot on {0} at {1:,} entities ==".format(snapshot_report.backend, size))
    with throwaway_database(database_url()) as url:
        source = start_server(str(tmp_path_factory.mktemp("snapshot-source")), database=url)
        try:
            database = scale_data.grow(source, size, log=print)
            expected = {name: count for name, count in context_counts(source.backend.storage.engine).items()
                        if name in ("Project", "Sequence", "Shot", "Task")}
            print("grown in {0:.1f} s: {1}".format(database.seconds, database.layout.describe()))
            projects = [scale_data.project_name(index) for index in range(database.layout.projects)]
            seconds, path = capture(source, str(tmp_path_factory.mktemp("snapshot") / "studio"), projects)
        finally:
            source.stop()
    reader = SnapshotReader(path)
    entities = sum(entry.count for entry in reader.manifest.types.values())
    assert reader.manifest.types["Task"].count == expected["Task"]
    assert reader.manifest.types["AssetVersion"].count == database.counts["asset_version"]
    workload = snapshot_report.workload(size)
    snapshot_report.sizes.append(size)
    snapshot_report.describe(workload, layout=database.layout.describe(), entities=entities, bytes=folder_size(path),
                             types={name: entry.count for name, entry in reader.manifest.types.items()})
    snapshot_report.add(workload, "capture", [seconds])
    print("captured {0:,} entities of {1} types in {2:.1f} s ({3:.1f} MB)".format(
        entities, len(reader.type_names), seconds, folder_size(path) / 1e6))

    measure_loads(snapshot_report, workload, path, entities, tmp_path_factory)
    measure_startups(snapshot_report, workload, path, expected, tmp_path_factory)

    if os.environ.get(PROFILE_VARIABLE):
        with throwaway_database(database_url()) as url:
            timed_load(str(tmp_path_factory.mktemp("snapshot-profile")), path, url, wrap=profiled)
