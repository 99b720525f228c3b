"""Requests per second of 1, 2 and 3 server processes on one PostgreSQL database.

For each number of processes, that many ``python -m ftrack_local serve``
processes are started on a fresh database and one data directory (see
``doc/local_server_processes.rst``); a project with :data:`TASKS` tasks is
created, and each process gets one event hub subscriber of
``ftrack.update``. Then :data:`CLIENT_PROCESSES` client processes of
:data:`THREADS` threads each (``multi_process_workloads.py``) send a mix of
small requests for :data:`SECONDS` seconds, spreading them round robin over
the server processes: 6 in 10 a query of one task by id, 2 in 10 an update
of one task, 2 in 10 a create of one task. Printed: requests per second,
the servers' CPU seconds per request, and the ``ftrack.update`` events each
subscriber received — every write must reach every subscriber exactly once,
whichever process committed it (checked). Requests refused because they
conflicted with concurrent changes (nothing written) are counted apart::

    .ci/with-postgres python -m pytest test/benchmark/test_multi_process_benchmark.py -s

Figures are written to ``results/multi-process.json`` with the machine's
CPU count: more processes only help when there are cores to run them (and
the database) on.

``test_relayed_events_per_second`` compares events per second from one raw
Socket.IO client to a subscriber on the same process and on another process
of the database (small events go in the notification, 10 kB ones through
the table), written to ``results/relayed-events.json``; the order of the
events is checked. Both rates are bounded by the single-threaded raw
clients as much as by the server.

Figures only: nothing here fails because of timing.
"""

import json
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest

from ftrack_local.api.backend import new_api_key
from ftrack_local.client import ApiClient
from ftrack_local.testing import database_url, throwaway_database

from conftest import RESULTS_DIR, Report
from test_server_benchmark import project_create, task_creates

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from hub_client import HubClient, make_event  # noqa: E402
from server_process import ServerProcess  # noqa: E402

SCRIPT = os.path.join(HERE, "multi_process_workloads.py")
PROCESS_COUNTS = (1, 2, 3)
CLIENT_PROCESSES = 2
THREADS = 4
SECONDS = float(os.environ.get("FTRACK_MULTI_PROCESS_SECONDS", "10"))
TASKS = 200
#: Seconds subscribers get to receive the last updates after the load stops.
SETTLE = 60.0


def cpu_seconds(pid):
    """User and system CPU seconds of process *pid* so far (Linux)."""
    with open("/proc/{0}/stat".format(pid), encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class UpdateCounter:
    """An ``ftrack.update`` subscriber on one server, counting in a thread."""

    def __init__(self, server):
        self.client = HubClient(server)
        self.client.subscribe("topic=ftrack.update")
        self.ids = []
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            self.client._read(0.2)
            while self.client.events:
                self.ids.append(self.client.events.pop(0)["id"])

    def close(self):
        self.stopping = True
        self.thread.join(5)
        self.client.close()


def run_clients(servers, project_id, task_ids, template):
    params = {"urls": [server.url for server in servers], "api_user": servers[0].api_user,
              "api_key": servers[0].api_key, "threads": THREADS, "seconds": SECONDS,
              "project_id": project_id, "task_ids": task_ids, "task_template": template}
    processes = []
    for worker in range(CLIENT_PROCESSES):
        process = subprocess.Popen([sys.executable, SCRIPT], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        process.stdin.write(json.dumps(dict(params, worker=worker)))
        process.stdin.close()
        process.stdin = None
        processes.append(process)
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=SECONDS + 300)
        assert process.returncode == 0, stdout + stderr
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    return results


def measure(count, database_root, tmp_path):
    """The figures of *count* server processes on a fresh database."""
    api_key = new_api_key()
    data_dir = tmp_path / "data{0}".format(count)
    with throwaway_database(database_root) as database:
        servers = [ServerProcess(data_dir, database=database, name="bench{0}-{1}".format(count, i),
                                 arguments=["--api-key", api_key]) for i in range(count)]
        counters = []
        try:
            for server in servers:
                server.start()
            client = ApiClient(servers[0].url, servers[0].api_user, servers[0].api_key,
                               timeout=600)
            project_id, create = project_create("multi_" + uuid.uuid4().hex[:8])
            client.call([create])
            creates, _ = task_creates(project_id, 0, TASKS)
            client.call(creates)
            task_ids = [operation["entity_key"][0] for operation in creates]
            template, _ = task_creates(project_id, TASKS, 1)
            counters = [UpdateCounter(server) for server in servers]
            cpu_before = [cpu_seconds(server.process.pid) for server in servers]
            started = time.monotonic()
            results = run_clients(servers, project_id, task_ids, template[0])
            elapsed = time.monotonic() - started
            cpu = sum(cpu_seconds(s.process.pid) for s in servers) - sum(cpu_before)
            errors = sum(result["error_count"] for result in results)
            assert errors == 0, [result["errors"] for result in results]
            requests_done = sum(result["requests"] for result in results)
            conflicts = sum(result["conflicts"] for result in results)
            writes = sum(result["by_kind"].get("update", 0) + result["by_kind"].get("create", 0)
                         for result in results)
            deadline = time.monotonic() + SETTLE
            while (any(len(counter.ids) < writes for counter in counters)
                   and time.monotonic() < deadline):
                time.sleep(0.1)
            time.sleep(0.5)
            received = [len(counter.ids) for counter in counters]
            unique = [len(set(counter.ids)) for counter in counters]
            # Every write's update reaches every process's subscriber exactly once.
            assert received == [writes] * count and unique == received, (writes, received, unique)
            return {
                "server processes": count,
                "requests": requests_done,
                "writes": writes,
                "conflicts": conflicts,
                "seconds": round(elapsed, 3),
                "requests/s": round(requests_done / SECONDS, 1),
                "server CPU ms/request": round(1000 * cpu / requests_done, 3),
                "updates per subscriber": received,
            }
        finally:
            for counter in counters:
                counter.close()
            for server in servers:
                server.stop()


@pytest.mark.timeout(1800)
def test_requests_per_second_over_server_processes(tmp_path):
    url = database_url()
    if not url or not url.startswith("postgresql"):
        pytest.skip("needs FTRACK_LOCAL_DATABASE_URL naming a PostgreSQL server")
    rows = [measure(count, url, tmp_path) for count in PROCESS_COUNTS]
    environment = Report().environment()
    lines = ["", "small-request mix, {0} client processes x {1} threads, {2:.0f} s per row, "
             "cpu_count={3}".format(CLIENT_PROCESSES, THREADS, SECONDS, os.cpu_count()),
             "{0:>9}  {1:>10}  {2:>9}  {3:>9}  {4:>17}  {5}".format(
                 "processes", "requests/s", "requests", "conflicts", "server CPU ms/req",
                 "ftrack.update per subscriber")]
    for row in rows:
        lines.append("{0:>9}  {1:>10,.0f}  {2:>9,}  {3:>9,}  {4:>17.2f}  {5}".format(
            row["server processes"], row["requests/s"], row["requests"], row["conflicts"],
            row["server CPU ms/request"], row["updates per subscriber"]))
    print("\n".join(lines))
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(os.path.join(RESULTS_DIR, "multi-process.json"), "w", encoding="utf-8") as handle:
        json.dump({"environment": environment, "threads": CLIENT_PROCESSES * THREADS,
                   "seconds": SECONDS, "rows": rows}, handle, indent=2)
        handle.write("\n")
    assert all(row["requests"] > 0 for row in rows)


#: Events published for the relay rate, per size (the subscriber must keep up:
#: the server drops a client with more than 16 MB waiting).
RELAYED_EVENTS = {100: 5000, 10000: 1000}


def event_rate(publisher_server, subscriber_server, padding):
    """Events per second from a raw client of one server to a subscriber of another
    (or the same) server: from the first publish to the last delivery."""
    topic = "bench.relay." + uuid.uuid4().hex[:8]
    count = RELAYED_EVENTS[len(padding)]
    with HubClient(subscriber_server) as subscriber, HubClient(publisher_server) as publisher:
        subscriber.subscribe("topic=" + topic)
        received = []

        def receive():
            deadline = time.monotonic() + SETTLE
            while len(received) < count and time.monotonic() < deadline:
                event = subscriber.next_event(timeout=1.0)
                if event is not None:
                    received.append(event["data"]["number"])

        reader = threading.Thread(target=receive)
        started = time.monotonic()
        reader.start()
        for number in range(count):
            publisher.publish(make_event(topic, {"number": number, "padding": padding}),
                              wait_ack=False)
        reader.join()
        elapsed = time.monotonic() - started
        assert received == list(range(count))
        return count / elapsed


@pytest.mark.timeout(900)
def test_relayed_events_per_second(tmp_path):
    url = database_url()
    if not url or not url.startswith("postgresql"):
        pytest.skip("needs FTRACK_LOCAL_DATABASE_URL naming a PostgreSQL server")
    api_key = new_api_key()
    with throwaway_database(url) as database:
        servers = [ServerProcess(tmp_path / "data", database=database, name="relay{0}".format(i),
                                 arguments=["--api-key", api_key]) for i in range(2)]
        try:
            for server in servers:
                server.start()
            rows = []
            for label, padding in (("5,000 small (100 B)", "x" * 100),
                                   ("1,000 large (10 kB)", "x" * 10000)):
                rows.append((label, event_rate(servers[0], servers[0], padding),
                             event_rate(servers[0], servers[1], padding)))
        finally:
            for server in servers:
                server.stop()
    lines = ["", "events from one raw client to one subscriber, cpu_count={0}".format(
        os.cpu_count()),
        "{0:<22}  {1:>14}  {2:>16}".format("event", "same process/s", "other process/s")]
    for label, same, other in rows:
        lines.append("{0:<22}  {1:>14,.0f}  {2:>16,.0f}".format(label, same, other))
    print("\n".join(lines))
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(os.path.join(RESULTS_DIR, "relayed-events.json"), "w", encoding="utf-8") as handle:
        json.dump({"environment": Report().environment(), "events": RELAYED_EVENTS,
                   "rows": [{"event": label, "same process/s": round(same, 1),
                             "other process/s": round(other, 1)}
                            for label, same, other in rows]}, handle, indent=2)
        handle.write("\n")
