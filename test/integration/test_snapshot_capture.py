"""Snapshots of a real server: what they take, resuming, their options, the command line, safe loads, fixtures.

The source is a running server seeded through ``ftrack_api`` with a small
project ``alpha`` (a sequence, two shots with a task each, an asset with an
old and a new version, a file component, a custom attribute value,
metadata, an old and a new note, three more users) next to a project
``beta`` that is never asked for.
"""

import dataclasses
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from typing import Any, Dict, Optional

import pytest
import sqlalchemy as sa

import ftrack_api
import ftrack_api.exception
from ftrack_local.api import Backend
from ftrack_local.snapshot import source as snapshot_source
from ftrack_local.snapshot.capture import Capture, Options
from ftrack_local.snapshot.format import ENTITIES, MANIFEST, SnapshotError, SnapshotReader, pack
from ftrack_local.snapshot.load import load
from ftrack_local.storage import SEQ
from ftrack_local.testing import database_url, running_server, start_server, throwaway_database

from server_process import ServerProcess

pytest_plugins = ["pytester"]

OLD = datetime.datetime(2020, 1, 1, 12, 0)
NEW = datetime.datetime(2026, 6, 1, 12, 0)
SINCE = "2025-01-01T00:00:00"
SALT = "pepper"
PLATE = b"plate pixels\n" * 700
#: Values the anonymised snapshot must not hold anywhere.
SECRETS = ("Jane", "jane", "Doe", "studio.example", "Looks great", "hero shot", "Alpha Show", "sq010")


@dataclasses.dataclass
class Site:
    """The seeded source server and the ids of what was made on it."""

    server: Any
    cache: str
    ids: Dict[str, Any]


@dataclasses.dataclass
class Taken:
    """A snapshot taken, and the requests its run sent."""

    path: str
    sends: int


class CountingTransport:
    """A session's real transport, counting requests; every request after the first *fail_after* fails."""

    def __init__(self, session: Any, fail_after: Optional[int] = None) -> None:
        self.real = session._transport
        self.fail_after = fail_after
        self.sends = 0
        self._lock = threading.Lock()
        session._transport = self

    def send(self, payload: Any) -> bytes:
        with self._lock:
            self.sends += 1
            failing = self.fail_after is not None and self.sends > self.fail_after
        if failing:
            raise ftrack_api.exception.ServerConnectionError("The connection to the server was lost.")
        return self.real.send(payload)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def connect(server: Any, cache: str) -> Any:
    return ftrack_api.Session(server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                              auto_connect_event_hub=False, schema_cache_path=cache)


# -- the source -------------------------------------------------------------------------

def seed_people(session: Any) -> Dict[str, Any]:
    people = {}
    for username, first, last in (("jane", "Jane", "Doe"), ("bob", "Bob", "Roe"), ("carol", "Carol", "Poe")):
        people[username] = session.create("User", {"username": username, "first_name": first, "last_name": last,
                                                   "email": username + "@studio.example"})
    return people


def seed_tree(session: Any) -> Dict[str, Any]:
    schema = session.query("ProjectSchema").first()
    project = session.create("Project", {"name": "alpha", "full_name": "Alpha Show", "project_schema": schema})
    beta = session.create("Project", {"name": "beta", "full_name": "Beta Show", "project_schema": schema})
    elsewhere = session.create("Shot", {"name": "elsewhere", "parent": beta})
    sequence = session.create("Sequence", {"name": "sq010", "parent": project})
    shots = [session.create("Shot", {"name": name, "parent": sequence, "description": "Jane's hero shot"})
             for name in ("sh010", "sh020")]
    tasks = [session.create("Task", {"name": "comp", "parent": shot}) for shot in shots]
    asset = session.create("Asset", {"name": "plate", "parent": shots[0],
                                     "type": session.query("AssetType").first()})
    return {"project": project, "beta": beta, "elsewhere": elsewhere, "sequence": sequence,
            "shots": shots, "tasks": tasks, "asset": asset}


def seed_history(session: Any, made: Dict[str, Any], folder: str) -> Dict[str, Any]:
    shot, task, people = made["shots"][0], made["tasks"][0], made["people"]
    shot_type = session.query('ObjectType where name is "Shot"').one()
    number = session.query('CustomAttributeType where name is "number"').one()
    fps = session.create("CustomAttributeConfiguration", {
        "entity_type": "task", "object_type_id": shot_type["id"], "type": number, "label": "FPS",
        "key": "fps", "default": 25, "config": json.dumps({"isdecimal": False})})
    session.commit()
    session.create("ContextCustomAttributeValue", {"configuration_id": fps["id"], "entity_id": shot["id"],
                                                   "value": 24})
    shot["metadata"]["frames"] = "1001-1100"
    versions = [session.create("AssetVersion", {"asset": made["asset"], "task": task, "user": people[user],
                                                "comment": comment, "date": date})
                for user, comment, date in (("jane", "first pass", OLD), ("bob", "second pass", NEW))]
    notes = [session.create("Note", {"content": content, "author": people[user], "parent_id": shot["id"],
                                     "parent_type": "Shot", "date": date})
             for user, content, date in (("jane", "Old note from Jane", OLD), ("bob", "Looks great, Jane", NEW))]
    session.commit()
    path = os.path.join(folder, "plate.exr")
    with open(path, "wb") as handle:
        handle.write(PLATE)
    location = session.query('Location where name is "ftrack.server"').one()
    component = versions[0].create_component(path, data={"name": "main"}, location=location)
    return {"versions": versions, "notes": notes, "component": component}


def ids_of(made: Dict[str, Any]) -> Dict[str, Any]:
    """The ids of *made* (entities, or lists or dicts of them), keyed alike."""
    ids: Dict[str, Any] = {}
    for name, value in made.items():
        if isinstance(value, list):
            ids[name] = [entity["id"] for entity in value]
        elif isinstance(value, dict):
            ids[name] = {key: entity["id"] for key, entity in value.items()}
        else:
            ids[name] = value["id"]
    return ids


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("snapshot-source")
    with running_server(str(root / "data")) as server:
        session = connect(server, str(root))
        try:
            made = seed_tree(session)
            made["people"] = seed_people(session)
            session.commit()
            made.update(seed_history(session, made, str(root)))
            made["admin"] = session.query('User where username is "{0}"'.format(server.api_user)).one()
            ids = ids_of(made)
        finally:
            session.close()
        yield Site(server, str(root), ids)


def take(site: Site, output: Any, options: Options, fail_after: Optional[int] = None, **settings: Any) -> Taken:
    """Take a snapshot of *site* into *output* through a counting (and maybe failing) transport."""
    session = connect(site.server, site.cache)
    try:
        transport = CountingTransport(session, fail_after)
        path = Capture(session, str(output), options, **settings).run()
        return Taken(path, transport.sends)
    finally:
        session.close()


def full_options() -> Options:
    return Options(["alpha"], include_components=True)


@pytest.fixture(scope="module")
def reference(site, tmp_path_factory):
    """A whole snapshot of ``alpha`` with its files, taken in one go."""
    return take(site, tmp_path_factory.mktemp("reference") / "alpha", full_options())


# -- reading snapshots ------------------------------------------------------------------

def contents(path: str) -> Dict[str, bytes]:
    """Every file of the snapshot at *path* by relative path; the manifest without its creation time."""
    found = {}
    for folder, _, names in os.walk(path):
        for name in names:
            full = os.path.join(folder, name)
            with open(full, "rb") as handle:
                data = handle.read()
            relative = os.path.relpath(full, path)
            if relative == MANIFEST:
                manifest = json.loads(data)
                manifest.pop("created_at")
                data = json.dumps(manifest, sort_keys=True).encode("utf-8")
            found[relative] = data
    return found


def ids_in(path: str, type_name: str) -> set:
    reader = SnapshotReader(path)
    if type_name not in reader.type_names:
        return set()
    return {entity["id"] for entity in reader.entities(type_name)}


def entities_text(path: str) -> str:
    folder = os.path.join(path, ENTITIES)
    texts = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            texts.append(handle.read())
    return "".join(texts)


def rewrite(path: str, type_name: str, change: Any, fix_manifest: bool = True) -> None:
    """Replace the lines of *type_name* in the snapshot at *path* by ``change(lines)``."""
    target = os.path.join(path, ENTITIES, type_name + ".jsonl")
    with open(target, encoding="utf-8") as handle:
        lines = change(handle.read().splitlines())
    data = "".join(line + "\n" for line in lines)
    with open(target, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(data)
    if fix_manifest:
        with open(os.path.join(path, MANIFEST), encoding="utf-8") as handle:
            manifest = json.load(handle)
        manifest["types"][type_name] = {"count": len(lines),
                                        "sha256": hashlib.sha256(data.encode("utf-8")).hexdigest()}
        with open(os.path.join(path, MANIFEST), "w", encoding="utf-8") as handle:
            json.dump(manifest, handle)


# -- what a snapshot takes --------------------------------------------------------------

def test_a_snapshot_takes_the_project_its_people_and_its_files(site, reference):
    ids = site.ids
    reader = SnapshotReader(reference.path)
    reader.verify()
    assert reader.manifest.projects == [{"id": ids["project"], "name": "alpha"}]
    assert ids_in(reference.path, "Project") == {ids["project"]}
    assert ids_in(reference.path, "Shot") == set(ids["shots"])
    assert ids_in(reference.path, "Task") == set(ids["tasks"])
    assert ids_in(reference.path, "AssetVersion") == set(ids["versions"])
    assert ids_in(reference.path, "Note") == set(ids["notes"])
    usernames = {user["username"] for user in reader.entities("User")}
    assert {"jane", "bob", site.server.api_user} <= usernames and "carol" not in usernames
    assert list(reader.entities("Metadata"))[0]["value"] == "1001-1100"
    assert [value["value"] for value in reader.entities("ContextCustomAttributeValue")] == [24]
    assert {"Status", "Priority", "ProjectSchema", "CustomAttributeConfiguration"} <= set(reader.type_names)
    with reader.open_blob(ids["component"]) as blob:
        assert blob.read() == PLATE
    text = entities_text(reference.path)
    assert ids["beta"] not in text and ids["elsewhere"] not in text


def test_other_options_give_other_snapshots_of_the_same_ids(site, reference, tmp_path):
    without_files = take(site, tmp_path / "no-files", Options(["alpha"]))
    assert SnapshotReader(without_files.path).manifest.blobs == 0
    assert not os.path.exists(os.path.join(without_files.path, "blobs", site.ids["component"][:2]))
    assert ids_in(without_files.path, "FileComponent") == ids_in(reference.path, "FileComponent")
    both = take(site, tmp_path / "both", Options(["beta", "alpha"]))
    assert ids_in(both.path, "Project") == {site.ids["project"], site.ids["beta"]}
    assert site.ids["elsewhere"] in ids_in(both.path, "Shot")


@pytest.mark.parametrize("concurrency, page_size, ids_per_query", [(1, 1, 250), (4, 7, 2)])
def test_paging_and_concurrency_do_not_change_the_snapshot(site, reference, tmp_path,
                                                           concurrency, page_size, ids_per_query):
    taken = take(site, tmp_path / "alpha", full_options(), concurrency=concurrency, page_size=page_size,
                 ids_per_query=ids_per_query)
    assert contents(taken.path) == contents(reference.path)


def test_since_leaves_out_older_history_and_keeps_the_tree(site, reference, tmp_path):
    ids = site.ids
    taken = take(site, tmp_path / "recent", Options(["alpha"], since=SINCE))
    assert ids_in(taken.path, "AssetVersion") == {ids["versions"][1]}
    assert ids_in(taken.path, "Note") == {ids["notes"][1]}
    for type_name in ("Project", "Sequence", "Shot", "Task", "Asset", "Status"):
        assert ids_in(taken.path, type_name) == ids_in(reference.path, type_name), type_name
    assert ids["people"]["jane"] not in ids_in(taken.path, "User")
    assert SnapshotReader(taken.path).manifest.options["since"] == SINCE


# -- resuming ---------------------------------------------------------------------------

@pytest.mark.parametrize("fail_at", [0.5, 1.0], ids=["half-way", "last-request"])
def test_an_interrupted_snapshot_resumes_and_equals_an_uninterrupted_one(site, reference, tmp_path,
                                                                          monkeypatch, fail_at):
    monkeypatch.setattr(snapshot_source, "RETRY_PAUSE", 0.0)
    output, work = tmp_path / "alpha", tmp_path / "alpha.partial"
    answered = int(reference.sends * fail_at) - 1
    with pytest.raises(ftrack_api.exception.ServerConnectionError):
        take(site, output, full_options(), fail_after=answered)
    assert not output.exists() and work.is_dir()
    with pytest.raises(SnapshotError, match="other options"):
        take(site, output, Options(["alpha"]))
    assert not output.exists() and work.is_dir()
    resumed = take(site, output, full_options())
    # What was read before is not read again: at most the projects query and the requests lost in flight.
    assert resumed.sends <= reference.sends - answered + 1 + 4
    assert not work.exists()
    assert contents(resumed.path) == contents(reference.path)


# -- anonymising ------------------------------------------------------------------------

def anonymised_options() -> Options:
    return Options(["alpha"], include_components=True, anonymise_salt=SALT)


@pytest.fixture(scope="module")
def anonymised(site, tmp_path_factory):
    return take(site, tmp_path_factory.mktemp("anonymised") / "alpha", anonymised_options())


def test_an_anonymised_snapshot_hides_people_and_text_and_keeps_structure(site, reference, anonymised, tmp_path):
    assert contents(take(site, tmp_path / "again", anonymised_options()).path) == \
        contents(anonymised.path)
    text = entities_text(anonymised.path)
    for secret in SECRETS:
        assert secret not in text, secret
    reader, original = SnapshotReader(anonymised.path), SnapshotReader(reference.path)
    assert reader.type_names == original.type_names
    for type_name in reader.type_names:
        assert reader.manifest.types[type_name].count == original.manifest.types[type_name].count
        if "id" in next(reader.entities(type_name)):
            assert ids_in(anonymised.path, type_name) == ids_in(reference.path, type_name), type_name
    for type_name in ("Status", "Priority", "Type", "ProjectSchema", "ContextCustomAttributeValue"):
        name = os.path.join(ENTITIES, type_name + ".jsonl")
        assert contents(anonymised.path)[name] == contents(reference.path)[name], type_name
    shots = [shot["name"] for shot in reader.entities("Shot")]
    assert sorted(name[-3:] for name in shots) == ["010", "020"] and not {"sh010", "sh020"} & set(shots)
    assert reader.manifest.options["anonymised"] is True and "salt" not in reader.manifest.options


def test_an_anonymised_manifest_names_no_project_or_server(site, anonymised):
    with open(os.path.join(anonymised.path, MANIFEST), encoding="utf-8") as handle:
        manifest = handle.read()
    assert site.server.url not in manifest
    assert "alpha" not in manifest


def test_an_anonymised_snapshot_loads(anonymised, tmp_path):
    reader = SnapshotReader(anonymised.path)
    names = {shot["id"]: shot["name"] for shot in reader.entities("Shot")}
    contents_of_notes = {note["id"]: note["content"] for note in reader.entities("Note")}
    with running_server(str(tmp_path / "target"), snapshot=anonymised.path) as target:
        session = connect(target, str(tmp_path))
        try:
            shots = session.query("select name from Shot").all()
            assert {shot["id"]: shot["name"] for shot in shots} == names
            notes = session.query("select content from Note").all()
            assert {note["id"]: note["content"] for note in notes} == contents_of_notes
            assert session.query('User where username is "jane"').first() is None
        finally:
            session.close()


# -- errors -----------------------------------------------------------------------------

def command(*arguments: Any) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ftrack_local"] + [str(argument) for argument in arguments],
                          capture_output=True, text=True, timeout=120)


def snapshot_command(site: Site, output: Any, *arguments: Any) -> subprocess.CompletedProcess:
    server = site.server
    return command("snapshot", "--from", server.url, "--user", server.api_user, "--key", server.api_key,
                   *arguments, output)


def test_unknown_projects_and_existing_outputs_are_clear_errors(site, tmp_path):
    with pytest.raises(SnapshotError, match='No project named "nope" on '):
        take(site, tmp_path / "unknown", Options(["alpha", "nope"]))
    assert not (tmp_path / "unknown").exists()
    result = snapshot_command(site, tmp_path / "unknown-cli", "--project", "nope")
    assert result.returncode == 1
    assert 'error: No project named "nope"' in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "unknown-cli").exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    with pytest.raises(SnapshotError, match="already exists"):
        take(site, existing, Options(["alpha"]))
    assert os.listdir(str(existing)) == []


def test_a_mistyped_project_name_does_not_block_the_corrected_command(site, tmp_path):
    with pytest.raises(SnapshotError, match="No project named"):
        take(site, tmp_path / "alpha", Options(["alpah"]))
    assert ids_in(take(site, tmp_path / "alpha", Options(["alpha"])).path, "Project") == {site.ids["project"]}


# -- the command line -------------------------------------------------------------------

def assert_holds_alpha(server: Any, site: Site, cache: str) -> None:
    """The server *server* serves the ``alpha`` of *site*: its tree, values and file."""
    session = connect(server, cache)
    try:
        assert session.get("Project", site.ids["project"])["name"] == "alpha"
        shots = session.query('select name from Shot where project.name is "alpha"').all()
        assert sorted(shot["name"] for shot in shots) == ["sh010", "sh020"]
        shot = session.get("Shot", site.ids["shots"][0])
        assert shot["custom_attributes"]["fps"] == 24
        assert shot["metadata"]["frames"] == "1001-1100"
        component = session.get("FileComponent", site.ids["component"])
        location = session.query('Location where name is "ftrack.server"').one()
        data = location.accessor.open(location.get_resource_identifier(component), "rb")
        try:
            assert data.read() == PLATE
        finally:
            data.close()
    finally:
        session.close()


def test_command_line_snapshot_load_and_serve(site, tmp_path):
    archive = tmp_path / "alpha.tar.gz"
    result = snapshot_command(site, archive, "--project", "alpha", "--include", "components")
    assert result.returncode == 0, result.stderr
    assert "Snapshot written to" in result.stderr
    assert sorted(os.listdir(str(tmp_path))) == ["alpha.tar.gz"]
    with throwaway_database(database_url()) as database:
        loaded = tmp_path / "loaded"
        result = command("load", archive, "--data-dir", loaded, *(["--database", database] if database else []))
        assert result.returncode == 0, result.stderr
        assert result.stderr.splitlines()[-1].startswith("Loaded 3")
        server = start_server(str(loaded), database)
        try:
            assert_holds_alpha(server, site, str(tmp_path))
        finally:
            server.stop()
    with throwaway_database(database_url()) as database, ServerProcess(
            tmp_path / "served", database=database, arguments=["--from-snapshot", str(archive)]) as process:
        assert_holds_alpha(process, site, str(tmp_path))


# -- loading safely ---------------------------------------------------------------------

def database_rows(backend: Any) -> Dict[str, list]:
    """Every row of every table, without the insertion sequence."""
    rows = {}
    with backend.storage.engine.connect() as connection:
        for table in backend.storage.metadata.sorted_tables:
            columns = [column for column in table.columns if column.name != SEQ]
            rows[table.name] = sorted((tuple(row) for row in connection.execute(sa.select(*columns))), key=repr)
    return rows


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """A data directory (and database) to load into, opened as the ``load`` command does."""
    with throwaway_database(database_url()) as database:
        backend = Backend.open(str(tmp_path_factory.mktemp("target")), database_url=database)
        try:
            yield backend
        finally:
            backend.close()


def copy_of(reference: Taken, tmp_path: Any) -> str:
    return shutil.copytree(reference.path, str(tmp_path / "copy"))


def cut_last_line(lines):
    return lines[:-1] + [lines[-1][:25]]


def bad_start_date(lines):
    shot = json.loads(lines[0])
    shot["start_date"] = {"__type__": "datetime", "value": "the day after tomorrow"}
    return [json.dumps(shot)] + lines[1:]


@pytest.mark.parametrize("change, fix_manifest, message", [
    (cut_last_line, True, r"Shot\.jsonl line 2"),
    (bad_start_date, True, r"Shot\.jsonl line 1: .*the day after tomorrow"),
    (bad_start_date, False, r"Shot\.jsonl does not match the manifest"),
], ids=["unreadable-line", "bad-value", "checksum"])
def test_a_damaged_snapshot_fails_and_changes_nothing(site, reference, tmp_path, target,
                                                      change, fix_manifest, message):
    damaged = copy_of(reference, tmp_path)
    rewrite(damaged, "Shot", change, fix_manifest)
    before = database_rows(target)
    events = []
    with pytest.raises(SnapshotError, match=message):
        load(target, damaged, progress=lambda event, **details: events.append(event))
    if fix_manifest:  # the load got past storing the file and writing the types before Shot
        assert "files" in events and "type" in events
    assert database_rows(target) == before
    assert not target.components.store.exists(site.ids["component"])


def test_loading_twice_changes_nothing_and_keeps_the_admin_key(site, reference, tmp_path):
    snapshot = copy_of(reference, tmp_path)
    admin_id = site.ids["admin"]
    # The snapshot's "admin" (the same user name as the target's) loses its roles: the load must restore them.
    rewrite(snapshot, "UserSecurityRole",
            lambda lines: [line for line in lines if json.loads(line)["user_id"] != admin_id])
    with throwaway_database(database_url()) as database:
        data_dir = str(tmp_path / "target")
        backend = Backend.open(data_dir, database_url=database)
        try:
            key = backend.api_key
            first = load(backend, snapshot)
            rows = database_rows(backend)
            second = load(backend, snapshot)
            assert database_rows(backend) == rows
            assert (first.entities, first.types, first.files) == (second.entities, second.types, second.files)
        finally:
            backend.close()
        server = start_server(data_dir, database)
        try:
            assert server.api_key == key
            assert_admin_is_the_snapshot_user(server, site, str(tmp_path))
        finally:
            server.stop()


def assert_admin_is_the_snapshot_user(server: Any, site: Site, cache: str) -> None:
    session = connect(server, cache)
    try:
        admin = session.query('User where username is "{0}"'.format(server.api_user)).one()
        assert admin["id"] == site.ids["admin"]
        roles = session.query('select security_role.name from UserSecurityRole where user_id is "{0}"'.format(
            admin["id"])).all()
        assert "Administrator" in {role["security_role"]["name"] for role in roles}
        assert {shot["id"] for shot in session.query("Shot").all()} == set(site.ids["shots"])
        # Only administrators add users.
        session.create("User", {"username": "newcomer"})
        session.commit()
    finally:
        session.close()


# -- the pytest fixtures ----------------------------------------------------------------

SHARED_TESTS = '''
import pytest

SNAPSHOT = {snapshot!r}
SHOTS = {shots!r}


@pytest.mark.parametrize("ftrack_server", [SNAPSHOT], indirect=True)
def test_the_shared_server_starts_from_the_snapshot(ftrack_session):
    assert sorted(shot["id"] for shot in ftrack_session.query("Shot").all()) == SHOTS


def test_the_plain_shared_server_is_empty(ftrack_session):
    assert ftrack_session.query("Shot").all() == []
'''

FRESH_TESTS = '''
import pytest

from ftrack_local.testing import ApiClient

ARCHIVE = {archive!r}
SHOTS = {shots!r}


@pytest.mark.ftrack_snapshot(ARCHIVE)
def test_a_fresh_server_starts_from_the_marked_snapshot(ftrack_fresh_server):
    client = ApiClient(ftrack_fresh_server.url, ftrack_fresh_server.api_user, ftrack_fresh_server.api_key)
    try:
        assert sorted(row["id"] for row in client.query("select id from Shot")) == SHOTS
    finally:
        client.close()
'''


def test_the_fixtures_start_servers_from_snapshots(pytester, site, reference, tmp_path):
    shots = sorted(site.ids["shots"])
    archive = pack(reference.path, str(tmp_path / "alpha.tar.xz"))
    pytester.makepyfile(test_shared=SHARED_TESTS.format(snapshot=reference.path, shots=shots),
                        test_fresh=FRESH_TESTS.format(archive=archive, shots=shots))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
