"""Events per second through the event server: publisher → server → subscriber.

One publisher process and one subscriber process, both of this project's
``ftrack_api`` or, when ``FTRACK_REFERENCE_PYTHON`` names an interpreter with
the official ``ftrack-python-api==3.1.0``, both of the official client, run
``event_workloads.py`` against the same in-process local server on loopback.
The rate is the number of events divided by the time from the first publish
to the last delivery in the subscriber::

    FTRACK_REFERENCE_PYTHON=/path/to/venv/bin/python python -m pytest test/benchmark -s -k event

Figures only: nothing here fails because of timing.
"""

import json
import os
import statistics
import subprocess
import sys
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "event_workloads.py")
EVENT_COUNT = 5000
REPEATS = 3
#: Seconds a run may take at most.
RUN_TIMEOUT = 300
#: What one run measures: rates through the server, and each client's own
#: CPU seconds (the part that does not depend on the server).
MEASURES = ("delivered events/s", "published events/s", "subscriber CPU s",
            "publisher CPU s")


def start_role(python, server, role, topic, tmp_path, **extra):
    cache = tmp_path / uuid.uuid4().hex
    cache.mkdir()
    params = dict(extra, role=role, topic=topic, count=EVENT_COUNT, timeout=RUN_TIMEOUT,
                  server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                  schema_cache_dir=str(cache))
    env = dict(os.environ, FTRACK_EVENT_PLUGIN_PATH="")
    env.pop("PYTHONPATH", None)
    process = subprocess.Popen([python, SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    process.stdin.write(json.dumps(params))
    process.stdin.close()
    process.stdin = None  # communicate() must not touch it again
    return process


def result_of(process):
    stdout, stderr = process.communicate(timeout=RUN_TIMEOUT + 60)
    assert process.returncode == 0, stdout + stderr
    return json.loads(stdout.strip().splitlines()[-1])


def subscribed(server, topic):
    return any(subscriber.subscription.text == "topic=" + topic
               for subscriber in server.event_hub.subscribers())


def run_once(python, server, tmp_path):
    """Return the figures of one run, in the order of ``MEASURES``."""
    topic = "bench.events." + uuid.uuid4().hex[:8]
    stop_file = tmp_path / (topic + ".stop")
    subscriber = start_role(python, server, "subscribe", topic, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not subscribed(server, topic):
            assert subscriber.poll() is None, result_of(subscriber)
            assert time.monotonic() < deadline, "the subscriber did not subscribe"
            time.sleep(0.02)
        publisher = start_role(python, server, "publish", topic, tmp_path,
                               stop_file=str(stop_file))
        try:
            received = result_of(subscriber)
        finally:
            stop_file.touch()
        published = result_of(publisher)
    finally:
        if subscriber.poll() is None:
            subscriber.kill()
    assert received["received"] == EVENT_COUNT, received
    assert received["unique"] == EVENT_COUNT, received
    delivered_rate = EVENT_COUNT / (received["last"] - published["started"])
    publish_rate = EVENT_COUNT / (published["published"] - published["started"])
    return delivered_rate, publish_rate, received["cpu"], published["cpu"]


@pytest.mark.timeout(3600)
def test_events_per_second(bench_server, tmp_path):
    clients = {"ours": sys.executable}
    reference = os.environ.get("FTRACK_REFERENCE_PYTHON")
    if reference:
        clients["official 3.1.0"] = reference
    measures = MEASURES
    figures = {}
    for label, python in clients.items():
        runs = [run_once(python, bench_server, tmp_path) for _ in range(REPEATS)]
        figures[label] = {measure: statistics.median(run[index] for run in runs)
                          for index, measure in enumerate(measures)}
    width = max(len(measure) for measure in measures)
    lines = ["", "event hub, {0:,} events, one publisher and one subscriber process "
             "(median of {1} runs)".format(EVENT_COUNT, REPEATS),
             "{0:<{w}}  {1}".format("measure", "  ".join("{0:>14}".format(c) for c in figures),
                                    w=width) + ("  ours/official" if reference else "")]
    for measure in measures:
        number = "{0:>14,.3f}" if measure.endswith("CPU s") else "{0:>14,.0f}"
        cells = "  ".join(number.format(figures[c][measure]) for c in figures)
        ratio = ("  {0:>13.2f}".format(figures["ours"][measure]
                                       / figures["official 3.1.0"][measure])
                 if reference else "")
        lines.append("{0:<{w}}  {1}{2}".format(measure, cells, ratio, w=width))
    print("\n".join(lines))
    results = os.path.join(HERE, "results")
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "events.json"), "w", encoding="utf-8") as handle:
        json.dump(figures, handle, indent=2)
    assert all(figures[c][measure] > 0 for c in figures for measure in measures)
