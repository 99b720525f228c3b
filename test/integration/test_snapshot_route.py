"""Loading a snapshot into a running server: ``POST /ftrack-local/snapshot`` and ``load --server``.

Server A holds a small project made with ``ftrack_api`` (the tutorial
flow: shots, tasks, a custom attribute, metadata, a version with a file);
its snapshot is sent over HTTP to a running server B.
"""

import os
import subprocess
import sys

import ftrack_api
import pytest
import requests
import sqlalchemy as sa

from ftrack_local.api import users
from ftrack_local.demo import run_tutorial
from ftrack_local.limits import Limits
from ftrack_local.server import LocalServer
from ftrack_local.snapshot.capture import Capture, Options
from ftrack_local.snapshot.format import SnapshotReader, pack
from ftrack_local.testing import database_url, running_server, start_server, throwaway_database

TIMEOUT = 60


def _session(server, user=None, key=None):
    return ftrack_api.Session(server_url=server.url, api_user=user or server.api_user,
                              api_key=key or server.api_key, auto_connect_event_hub=False)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """A snapshot (folder) of the tutorial project, with its component file."""
    root = tmp_path_factory.mktemp("snapshot-route")
    with running_server(str(root / "a")) as server:
        session = _session(server)
        try:
            run_tutorial(session, lambda message: None)
            name = session.query("Project").first()["name"]
            return Capture(session, str(root / "snap"), Options([name], include_components=True)).run()
        finally:
            session.close()


def _post(server, body, user=None, key=None):
    return requests.post(server.url + "/ftrack-local/snapshot", data=body, timeout=TIMEOUT, headers={
        "ftrack-user": user or server.api_user, "ftrack-api-key": key or server.api_key})


def _count_rows(server):
    storage = server.backend.storage
    with storage.engine.connect() as connection:
        return {name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                for name, table in storage.tables.items()}


def test_an_administrator_loads_an_archive_into_the_running_server(snapshot, tmp_path, ftrack_fresh_server):
    archive = pack(snapshot, str(tmp_path / "snap.tar.gz"))
    with open(archive, "rb") as body:
        response = _post(ftrack_fresh_server, body)

    assert response.status_code == 200, response.text
    report = response.json()
    manifest = SnapshotReader(snapshot).manifest
    assert report["entities"] == sum(entry.count for entry in manifest.types.values())
    assert report["files"] == 1 and report["unknown_types"] == []
    session = _session(ftrack_fresh_server)
    try:
        project = session.get("Project", manifest.projects[0]["id"])
        assert project["name"] == manifest.projects[0]["name"]
        component = session.query("FileComponent").one()
        location = session.query('Location where name is "ftrack.server"').one()
        data = requests.get(location.get_url(component), timeout=TIMEOUT).content
        with SnapshotReader(snapshot).open_blob(component["id"]) as handle:
            assert data == handle.read()
    finally:
        session.close()


def test_the_command_line_sends_a_folder_to_a_server(snapshot, ftrack_fresh_server):
    result = subprocess.run(
        [sys.executable, "-m", "ftrack_local", "load", snapshot, "--server", ftrack_fresh_server.url,
         "--user", ftrack_fresh_server.api_user, "--key", ftrack_fresh_server.api_key],
        capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert "Loaded" in result.stderr and "1 component file " in result.stderr
    session = _session(ftrack_fresh_server)
    try:
        assert session.query("Shot").all()
    finally:
        session.close()


def test_a_body_that_is_no_snapshot_is_refused_and_changes_nothing(ftrack_fresh_server):
    before = _count_rows(ftrack_fresh_server)

    response = _post(ftrack_fresh_server, b"not a tar archive")

    assert response.status_code == 400
    answer = response.json()
    assert answer["exception"] == "ValidationError"
    assert "not a readable snapshot archive" in answer["content"]
    assert ftrack_fresh_server.data_dir not in answer["content"]
    assert _count_rows(ftrack_fresh_server) == before
    assert not [name for name in os.listdir(ftrack_fresh_server.data_dir) if name.startswith("snapshot-")]


def test_only_administrators_may_load(snapshot, tmp_path, ftrack_fresh_server):
    storage = ftrack_fresh_server.backend.storage
    with storage.engine.begin() as connection:
        key = users.create_user(storage, connection, "artist")["api_key"]
    archive = pack(snapshot, str(tmp_path / "snap.tar"))

    with open(archive, "rb") as body:
        refused = _post(ftrack_fresh_server, body, user="artist", key=key)
    unknown = _post(ftrack_fresh_server, b"", key="not-the-key")

    assert refused.status_code == 403
    assert "Administrator" in refused.json()["content"]
    assert unknown.status_code == 401


def test_an_archive_over_the_upload_limit_is_refused(snapshot, tmp_path):
    archive = pack(snapshot, str(tmp_path / "snap.tar"))
    with throwaway_database(database_url()) as database:
        server = LocalServer(data_dir=str(tmp_path / "small"), port=0, database_url=database,
                             limits=Limits(max_upload_bytes=1024)).start()
        try:
            with open(archive, "rb") as body:
                response = _post(server, body)
            assert response.status_code == 413
            assert "max_upload_bytes" in response.json()["content"]
        finally:
            server.stop()


def test_a_server_started_from_a_snapshot_serves_its_data(snapshot, tmp_path):
    with throwaway_database(database_url()) as database:
        server = start_server(str(tmp_path / "b"), database, snapshot=snapshot)
        try:
            session = _session(server)
            try:
                shots = session.query("Shot").all()
                assert len(shots) == SnapshotReader(snapshot).manifest.types["Shot"].count
            finally:
                session.close()
        finally:
            server.stop()
