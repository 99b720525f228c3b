"""Helpers for the server benchmarks.

Benchmarks print figures and never fail because of timing; they only check
that the results are correct. They are excluded from the normal test run and
are run explicitly::

    python -m pytest test/benchmark -s -q

Figures are printed as a table and written as JSON to
``test/benchmark/results/server.json``.

Set ``FTRACK_LOCAL_DATABASE_URL`` to benchmark another database than SQLite.
"""

import json
import os
import platform
import statistics
import sys
import time
from typing import Any, Dict, Iterator, List

import pytest

import ftrack_local
from ftrack_local.server import LocalServer
from ftrack_local.testing import ApiClient, start_server

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
RESULTS_FILE = os.path.join(RESULTS_DIR, "server.json")


# -- reporting ------------------------------------------------------------------

class Report:
    """Collects figures of all workloads; prints them and writes JSON."""

    def __init__(self) -> None:
        self.workloads: Dict[str, Dict[str, Any]] = {}

    def add(self, workload: str, measure: str, values: List[float],
            unit: str = "s", **extra: Any) -> None:
        entry: Dict[str, Any] = {
            "unit": unit,
            "runs": [round(value, 6) for value in values],
            "min": round(min(values), 6),
            "median": round(statistics.median(values), 6),
        }
        entry.update(extra)
        self.workloads.setdefault(workload, {"measures": {}})["measures"][measure] = entry

    def describe(self, workload: str, **facts: Any) -> None:
        self.workloads.setdefault(workload, {"measures": {}}).update(facts)

    def table(self, workload: str) -> str:
        measures = self.workloads.get(workload, {}).get("measures", {})
        width = max([len(name) for name in measures] + [7])
        lines = [
            "",
            "== {0} ==".format(workload),
            "{0:<{w}}  {1:>12}  {2:>12}  {3}".format("measure", "min", "median", "runs", w=width),
        ]
        for name, entry in measures.items():
            if entry["unit"] == "s":
                low = "{0:.1f} ms".format(entry["min"] * 1000)
                mid = "{0:.1f} ms".format(entry["median"] * 1000)
            else:
                low = "{0:,.0f} {1}".format(entry["min"], entry["unit"])
                mid = "{0:,.0f} {1}".format(entry["median"], entry["unit"])
            lines.append("{0:<{w}}  {1:>12}  {2:>12}  {3}".format(
                name, low, mid, len(entry["runs"]), w=width))
        return "\n".join(lines)

    def environment(self) -> Dict[str, Any]:
        url = os.environ.get("FTRACK_LOCAL_DATABASE_URL") or "sqlite"
        return {
            "ftrack_local_version": getattr(ftrack_local, "__version__", None),
            "python": sys.version.split()[0],
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
            "database": url.split(":", 1)[0],
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    def write(self, path: str = RESULTS_FILE) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        ignore = os.path.join(os.path.dirname(path), ".gitignore")
        if not os.path.exists(ignore):
            with open(ignore, "w", encoding="utf-8") as handle:
                handle.write("*.json\n")
        document = {"environment": self.environment(), "workloads": self.workloads}
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, sort_keys=True)
            handle.write("\n")


# -- fixtures -------------------------------------------------------------------

@pytest.fixture(scope="session")
def benchmark_report() -> Iterator[Report]:
    """The session's report; written to ``results/server.json`` at the end."""
    report = Report()
    yield report
    if report.workloads:
        report.write()
        print("\nbenchmark figures written to {0}".format(
            os.path.relpath(RESULTS_FILE)))


@pytest.fixture
def bench_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A fresh in-process server (its own data directory) for one workload."""
    server = start_server(str(tmp_path_factory.mktemp("ftrack-benchmark")))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def bench_client(bench_server: LocalServer) -> Iterator[ApiClient]:
    """A raw JSON client on ``bench_server``, with a warmed-up connection."""
    client = ApiClient(bench_server.url, bench_server.api_user,
                       bench_server.api_key, timeout=600)
    try:
        client.call([{"action": "query_server_information"}])
        yield client
    finally:
        client.close()
