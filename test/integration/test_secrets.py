"""The data dir keeps its keys, token secret and database to its owner
(mode 0600; a data dir the server creates is 0700), and an older data dir
with looser modes is tightened when a server opens it."""

import os
import stat

import pytest
import requests

from ftrack_local.server import LocalServer
from ftrack_local.testing import database_url, throwaway_database

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX only")


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _uses_sqlite(database):
    return not database or database.startswith("sqlite")


def _private_files(data_dir, database):
    files = [os.path.join(data_dir, "api_key"), os.path.join(data_dir, "components", "secret")]
    if _uses_sqlite(database):
        base = os.path.join(data_dir, "ftrack.sqlite")
        files += [base] + [base + suffix for suffix in ("-wal", "-shm") if os.path.exists(
            base + suffix)]
    return files


def _write_something(server):
    answer = requests.post(server.url + "/api", timeout=30, headers={
        "ftrack-user": server.api_user, "ftrack-api-key": server.api_key}, json=[{
            "action": "create", "entity_type": "Project",
            "entity_data": {"__entity_type__": "Project", "name": "secrets", "full_name": "s"}}])
    assert answer.status_code == 200, answer.text


@pytest.fixture
def database():
    with throwaway_database(database_url()) as url:
        yield url


def test_a_new_data_dir_is_private(tmp_path, database):
    data_dir = str(tmp_path / "new" / "data")
    previous = os.umask(0o022)
    try:
        with LocalServer(data_dir, database_url=database) as server:
            _write_something(server)
            assert _mode(data_dir) == 0o700
            files = _private_files(data_dir, database)
            for path in files:
                assert _mode(path) == 0o600, path
    finally:
        os.umask(previous)
    assert len(files) >= (3 if _uses_sqlite(database) else 2)


def test_an_existing_data_dir_gets_its_modes_fixed(tmp_path, database):
    data_dir = str(tmp_path / "old")
    with LocalServer(data_dir, database_url=database) as server:
        _write_something(server)
    files = _private_files(data_dir, database)
    for path in files:
        os.chmod(path, 0o644)
    os.chmod(data_dir, 0o755)
    with LocalServer(data_dir, database_url=database) as server:
        assert requests.post(server.url + "/api", json=[{"action": "query_server_information"}],
                             headers={"ftrack-user": server.api_user,
                                      "ftrack-api-key": server.api_key},
                             timeout=30).status_code == 200
        for path in files:
            assert _mode(path) == 0o600, path
    # An existing data dir keeps the mode its owner chose.
    assert _mode(data_dir) == 0o755
