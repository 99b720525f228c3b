"""How long the web pages of ``ftrack-local serve`` take on a studio-sized database.

A server's database is grown to ``FTRACK_LOCAL_WEB_SIZE`` entities (default
100,000) with :mod:`scale_data` (projects → sequences of 40 shots → tasks,
assets, versions, custom attribute values and metadata). On top of that,
through the API: 600 folders under the last project (so its ``children``
collection has pages to turn), a review component on one version, a few
hundred jobs (some with attachments) and, once a browser has signed in,
200 events (half of them ``ftrack.update`` from real edits).

A ``requests`` session signs in (``POST /login``) and each page is fetched
once to warm up, then ``FTRACK_LOCAL_WEB_REPEATS`` times (default 7); the
median and fastest times of the whole request (server and HTTP) are
reported:

* ``/`` (the projects), a project, a sequence (40 shots), a shot, a task
  and a version page;
* the project's ``children`` collection, pages 1 and 10;
* ``/query`` with ``select name from Task where project.name is … limit
  100``; with a query matching 1,000 versions and no ``limit`` (the page
  reads 501 rows and shows 500); and with the same query ending in ``limit
  1000`` (the page reads them all and shows 500);
* ``/events`` with 200 events in its history, and ``/jobs`` with the jobs.

Each answer is checked (status 200 and what the page must show). The aim
is every page under 300 ms; figures are noisy (shared machine) and never
asserted. The table is printed and written to ``results/web-<backend>.json``
(which keeps the figures of other sizes)::

    python -m pytest test/benchmark/test_web_benchmark.py -s
    .ci/with-postgres python -m pytest test/benchmark/test_web_benchmark.py -s
"""

import json
import os
import time
from typing import Any, Callable, Dict, Iterator, List, Tuple
from urllib.parse import quote

import pytest
import requests

from ftrack_local.testing import database_url, start_server, throwaway_database

import scale_data
from conftest import RESULTS_DIR, Report

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(3600)]

SIZE_VARIABLE = "FTRACK_LOCAL_WEB_SIZE"
REPEATS_VARIABLE = "FTRACK_LOCAL_WEB_REPEATS"
DEFAULT_SIZE = 100000
DEFAULT_REPEATS = 7
#: The aim for every page, in seconds (reported, not asserted).
TARGET = 0.3
EXTRA_FOLDERS = 600
JOBS = 300
EDIT_EVENTS = 100
OTHER_EVENTS = 100
SEQUENCE = scale_data.sequence_name(3)


def size() -> int:
    return int((os.environ.get(SIZE_VARIABLE) or str(DEFAULT_SIZE)).replace("_", ""))


def repeats() -> int:
    return max(1, int(os.environ.get(REPEATS_VARIABLE) or DEFAULT_REPEATS))


def backend_name() -> str:
    url = database_url() or "sqlite"
    return url.split(":", 1)[0].split("+", 1)[0]


# -- the studio -------------------------------------------------------------------------

class Studio:
    """The grown server and the entities whose pages are fetched."""

    def __init__(self, server: Any, database: scale_data.Database) -> None:
        self.server = server
        self.database = database
        self.project_index = database.layout.projects - 1
        self.project_name = scale_data.project_name(self.project_index)
        self.project_id = database.project_ids[self.project_index]
        self.sequence_id = database.sequence_ids[(self.project_index, SEQUENCE)]
        shot = self.query('select id from Shot where parent_id is "{0}" order by name limit 1'.format(
            self.sequence_id))[0]
        self.shot_id = shot["id"]
        self.task_id = self.query('select id from Task where parent_id is "{0}" and name is "animation"'.format(
            self.shot_id))[0]["id"]
        # The first version of the shot's plate: it has a custom attribute value and metadata.
        self.version_id = self.query('select id from AssetVersion where asset.context_id is "{0}" and '
                                     'asset.name is "plate" and version is 1'.format(self.shot_id))[0]["id"]

    def call(self, operations: List[Dict[str, Any]]) -> List[Any]:
        return self.server.backend.call(operations, self.server.api_user)

    def query(self, expression: str) -> List[Dict[str, Any]]:
        return self.call([{"action": "query", "expression": expression}])[0]["data"]

    def add_folders(self) -> None:
        """Folders under the project, so that its ``children`` have more than ten pages."""
        self.call([scale_data.create("Folder", {
            "name": "folder_{0:04d}".format(index),
            "parent": scale_data.reference("Project", self.project_id)})[1] for index in range(EXTRA_FOLDERS)])

    def add_review_component(self) -> None:
        """A playable component of the version (its page shows a ``<video>``)."""
        self.call([scale_data.create("FileComponent", {
            "name": "ftrackreview-mp4", "file_type": ".mp4", "size": 1000,
            "version": scale_data.reference("AssetVersion", self.version_id)})[1]])

    def add_jobs(self) -> None:
        """Jobs in every status, one in ten with an attached file."""
        user_id = self.query('select id from User where username is "{0}"'.format(self.server.api_user))[0]["id"]
        operations = []
        for index in range(JOBS):
            status = ("done", "failed", "running", "queued")[index % 4]
            data: Dict[str, Any] = {"description": "Encode shot {0}".format(index)}
            if status == "running":
                data["progress"] = index % 100
            if status == "failed":
                data["error"] = "The encoder stopped."
            job_id, operation = scale_data.create("Job", {
                "type": "api_job", "status": status, "data": json.dumps(data), "user_id": user_id})
            operations.append(operation)
            if index % 10 == 0:
                component_id, component = scale_data.create("Component", {
                    "name": "report_{0}".format(index), "file_type": ".txt", "size": 10})
                operations.append(component)
                operations.append(scale_data.create("JobComponent", {
                    "job_id": job_id, "component_id": component_id}, key=[component_id, job_id])[1])
        self.call(operations)

    def add_events(self) -> None:
        """200 events after the pages started recording: edits (``ftrack.update``) and others."""
        tasks = self.query('select id from Task where project_id is "{0}" limit {1}'.format(
            self.project_id, EDIT_EVENTS))
        for index, task in enumerate(tasks):
            self.call([{"action": "update", "entity_type": "Task", "entity_key": [task["id"]],
                        "entity_data": {"__entity_type__": "Task", "description": "take {0}".format(index)}}])
        hub = self.server.event_hub
        for index in range(OTHER_EVENTS):
            hub.publish_from_server("studio.render.progress", {"frame": 1001 + index, "shot": "sh0010"},
                                    {"user": {"username": self.server.api_user}})


def signed_in(server: Any) -> requests.Session:
    """A browser-like session signed in as the admin."""
    browser = requests.Session()
    answer = browser.post(server.url + "/login", data={
        "username": server.api_user, "api_key": server.api_key, "next": "/"}, allow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert "ftrack_local_session" in browser.cookies
    return browser


def wait_for_history(server: Any, browser: requests.Session, count: int) -> None:
    """Wait until the events page lists *count* events (the hub routes on its own loop)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if browser.get(server.url + "/events").text.count('<td class="topic">') >= count:
            return
        time.sleep(0.2)
    raise AssertionError("the events page never showed {0} events".format(count))


# -- the pages ------------------------------------------------------------------------------

def pages(studio: Studio) -> List[Tuple[str, str, Callable[[str], None]]]:
    """(name, path, check of the page's text) of every page measured."""
    def showing(*texts: str) -> Callable[[str], None]:
        def check(text: str) -> None:
            for wanted in texts:
                assert wanted in text, wanted
        return check

    def rows(count: str, shown: int) -> Callable[[str], None]:
        def check(text: str) -> None:
            assert '<p class="count">{0} rows'.format(count) in text
            assert text.count("<tr") == shown + 1, text.count("<tr")
        return check

    def query_path(expression: str) -> str:
        return "/query?q=" + quote(expression)

    def entity(entity_type: str, entity_id: str) -> str:
        return "/browse/{0}/{1}".format(entity_type, entity_id)

    project = entity("Project", studio.project_id)
    name = studio.project_name
    versions = ('select version, task.name from AssetVersion where task.parent.parent.name is "{0}" and '
                'task.project.name is "{1}"'.format(SEQUENCE, name))
    return [
        ("projects /", "/", showing(name, scale_data.project_name(0))),
        ("project", project, showing(name, "children", "folder_0009")),
        ("sequence (40 shots)", entity("Sequence", studio.sequence_id), showing(SEQUENCE, "sh0000", "sh0090")),
        ("shot", entity("Shot", studio.shot_id), showing("sh0000", "animation", "fstart")),
        ("task", entity("Task", studio.task_id), showing("animation", "difficulty")),
        ("version", entity("AssetVersion", studio.version_id),
         showing("review_note", "render-farm", "<video")),
        ("children page 1", project + "/children?page=1", showing("folder_0000", "folder_0049")),
        ("children page 10", project + "/children?page=10", showing("folder_0450", "folder_0499")),
        ("query limit 100", query_path('select name from Task where project.name is "{0}" limit 100'.format(name)),
         rows("100", 100)),
        ("query 1000, no limit", query_path(versions), rows("More than 500", 500)),
        ("query 1000, limit 1000", query_path(versions + " limit 1000"), rows("1000", 500)),
        ("events (200)", "/events", counting('<td class="topic">', EDIT_EVENTS + OTHER_EVENTS,
                                             "ftrack.update", "studio.render.progress")),
        ("jobs ({0})".format(JOBS), "/jobs", counting('class="job ', 200, "Encode shot", "report_0.txt")),
    ]


def counting(marker: str, count: int, *texts: str) -> Callable[[str], None]:
    """A check that a page has at least *count* rows (each with *marker*), and shows *texts*."""
    def check(text: str) -> None:
        assert text.count(marker) >= count, (marker, text.count(marker))
        for wanted in texts:
            assert wanted in text, wanted
    return check


def fetch(browser: requests.Session, url: str, check: Callable[[str], None]) -> float:
    """Seconds to get the page at *url*, whose answer is checked."""
    started = time.perf_counter()
    answer = browser.get(url, allow_redirects=False)
    took = time.perf_counter() - started
    assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
    assert "/login" not in answer.url
    check(answer.text)
    return took


# -- the benchmark ------------------------------------------------------------------------------

class WebReport(Report):
    """The pages' figures, with the aim each is compared with."""

    def keep_others(self, path: str) -> None:
        """Keep the figures *path* holds for other sizes (each size is one workload)."""
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                earlier = json.load(handle).get("workloads", {})
            for workload, figures in earlier.items():
                self.workloads.setdefault(workload, figures)

    def page_table(self, workload: str) -> str:
        measures = self.workloads[workload]["measures"]
        width = max(len(name) for name in measures)
        header = "{0:<{w}}  {1:>10}  {2:>10}  {3:>8}  {4}".format("page", "median", "min", "bytes", "aim",
                                                                   w=width)
        lines = ["", header, "-" * len(header)]
        for name, entry in measures.items():
            lines.append("{0:<{w}}  {1:>7.1f} ms  {2:>7.1f} ms  {3:>8,}  {4}".format(
                name, entry["median"] * 1000, entry["min"] * 1000, entry["bytes"],
                "ok" if entry["median"] < TARGET else "SLOW", w=width))
        return "\n".join(lines)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    with throwaway_database(database_url()) as url:
        server = start_server(str(tmp_path_factory.mktemp("ftrack-web")), database=url)
        try:
            database = scale_data.grow(server, size(), log=print)
            print("grown in {0:.1f} s: {1}".format(database.seconds, database.layout.describe()))
            studio = Studio(server, database)
            studio.add_folders()
            studio.add_review_component()
            studio.add_jobs()
            yield studio
        finally:
            server.stop()


def test_web_pages(studio: Studio) -> None:
    server = studio.server
    browser = signed_in(server)  # the events page records from now on
    studio.add_events()
    wait_for_history(server, browser, EDIT_EVENTS + OTHER_EVENTS)
    report = WebReport()
    workload = "web pages at {0:,} entities".format(size())
    report.describe(workload, entities=size(), layout=studio.database.layout.describe(), aim_seconds=TARGET,
                    backend=backend_name(), repeats=repeats(), recorded_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    for name, path, check in pages(studio):
        url = server.url + path
        fetch(browser, url, check)  # warm-up
        times = [fetch(browser, url, check) for _ in range(repeats())]
        report.add(workload, name, times, bytes=len(browser.get(url).content), path=path)
    path = os.path.join(RESULTS_DIR, "web-{0}.json".format(backend_name()))
    report.keep_others(path)
    report.write(path)
    print("\n\n== {0} on {1}: median of {2} warm requests over HTTP (noisy: shared machine) ==".format(
        workload, backend_name(), repeats()))
    print(report.page_table(workload))
    print("\nfigures written to {0}".format(os.path.relpath(path)))
