"""Client CPU per workload: this project's ``ftrack_api`` and, optionally, the official one.

Both clients run the same script (``client_workloads.py``) against the same
local server and data. Set ``FTRACK_REFERENCE_PYTHON`` to an interpreter that
has the official ``ftrack-python-api==3.1.0`` installed to get the ratios::

    FTRACK_REFERENCE_PYTHON=/path/to/venv/bin/python python -m pytest test/benchmark -s -k client

Figures only: nothing here fails because of timing.
"""

import json
import os
import statistics
import subprocess
import sys
import uuid

import pytest

from ftrack_local import seed

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "client_workloads.py")
TASK_COUNT = 5000
REPEATS = 5


def create_op(type_name, **data):
    data.setdefault("id", str(uuid.uuid4()))
    data["__entity_type__"] = type_name
    return {"action": "create", "entity_type": type_name, "entity_key": [data["id"]], "entity_data": data}


def ref(type_name, entity_id):
    return {"__entity_type__": type_name, "id": entity_id}


@pytest.fixture(scope="module")
def data(ftrack_server):
    """A project with TASK_COUNT tasks under 50 shots, and a shot to create tasks under."""
    backend, user = ftrack_server.backend, ftrack_server.api_user
    projects = [create_op("Project", name="bench_" + uuid.uuid4().hex[:6], full_name="Bench", status="active",
                          project_schema_id=seed.DEFAULT_PROJECT_SCHEMA_ID) for _ in range(2)]
    project_id, other_id = (p["entity_key"][0] for p in projects)
    shots = [create_op("Shot", name="sh{0:03d}".format(i), parent=ref("Project", project_id)) for i in range(50)]
    target = create_op("Shot", name="target", parent=ref("Project", other_id))
    backend.call(projects + shots + [target], user)
    type_id = seed.TYPE_IDS["Compositing"]
    status_id = seed.STATUS_IDS["In progress"]
    for start in range(0, TASK_COUNT, 1000):
        backend.call([create_op("Task", name="task_{0}".format(i), bid=float(i),
                                parent=ref("Shot", shots[i % 50]["entity_key"][0]), type_id=type_id,
                                status_id=status_id) for i in range(start, start + 1000)], user)
    return {"project_id": project_id, "parent_id": target["entity_key"][0], "task_type_id": type_id,
            "status_id": status_id, "task_count": TASK_COUNT}


def run_client(python, server, params, tmp_path):
    cache = tmp_path / uuid.uuid4().hex
    cache.mkdir()
    payload = dict(params, server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                   schema_cache_dir=str(cache))
    env = dict(os.environ, FTRACK_EVENT_PLUGIN_PATH="")
    env.pop("PYTHONPATH", None)
    completed = subprocess.run([python, SCRIPT], input=json.dumps(payload), capture_output=True, text=True,
                               env=env, timeout=1800)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(3600)
def test_client_cpu_per_workload(ftrack_server, data, tmp_path):
    clients = {"ours": sys.executable}
    reference = os.environ.get("FTRACK_REFERENCE_PYTHON")
    if reference:
        clients["official 3.1.0"] = reference
    figures = {}
    for label, python in clients.items():
        runs = [run_client(python, ftrack_server, data, tmp_path) for _ in range(REPEATS)]
        figures[label] = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
    width = max(len(name) for name in figures["ours"])
    lines = ["", "client CPU seconds (median of {0} runs)".format(REPEATS),
             "{0:<{w}}  {1}".format("workload", "  ".join("{0:>14}".format(c) for c in figures), w=width)
             + ("  ours/official" if reference else "")]
    for name in figures["ours"]:
        cells = "  ".join("{0:>14.3f}".format(figures[c][name]) for c in figures)
        ratio = "  {0:>13.2f}".format(figures["ours"][name] / figures["official 3.1.0"][name]) if reference else ""
        lines.append("{0:<{w}}  {1}{2}".format(name, cells, ratio, w=width))
    print("\n".join(lines))
    results = os.path.join(HERE, "results")
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "client.json"), "w", encoding="utf-8") as handle:
        json.dump(figures, handle, indent=2)
    assert set(figures["ours"]) == {"session start (empty schema cache)", "query 5,000 tasks, cold cache",
                                    "same query, warm cache", "1,000 creates, one commit",
                                    "1,000 updates, one commit"}
