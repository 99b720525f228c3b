"""``python -m ftrack_local user ...`` on the data of a running server."""

import subprocess
import sys
import time
import uuid

import pytest

from ftrack_local.client import ApiClient, ApiClientError
from ftrack_local.testing import running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(str(tmp_path_factory.mktemp("cli-users"))) as running:
        yield running


def _options(server):
    url = server.backend.storage.engine.url
    options = ["--data-dir", server.data_dir]
    if url.get_backend_name() != "sqlite":
        options += ["--database", url.render_as_string(hide_password=False)]
    return options


def user_command(server, *arguments, check=True):
    result = subprocess.run([sys.executable, "-m", "ftrack_local", "user"] + _options(server)
                            + list(arguments), capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _project(server):
    client = ApiClient(server.url, server.api_user, server.api_key)
    project_id = str(uuid.uuid4())
    name = "cli_" + project_id[:8]
    schema_id = client.query("select id from ProjectSchema")[0]["id"]
    client.call([{"action": "create", "entity_type": "Project", "entity_key": [project_id],
                  "entity_data": {"__entity_type__": "Project", "name": name, "full_name": name,
                                  "project_schema_id": schema_id}}])
    return project_id, name


def _works(server, user, key):
    try:
        ApiClient(server.url, user, key).call([{"action": "query_server_information"}])
        return True
    except ApiClientError as error:
        assert error.status == 401
        return False


@pytest.mark.slow
def test_add_list_role_and_rotate(server):
    project_id, project_name = _project(server)
    name = "artist_" + uuid.uuid4().hex[:6]
    key = user_command(server, "add", name, "--role", "Supervisor", "--project", project_name,
                       "--email", name + "@example.com").stdout.strip()
    assert len(key) == 36 and _works(server, name, key)
    client = ApiClient(server.url, name, key)
    assert client.query('select id from Project where id is "{0}"'.format(project_id))

    listed = user_command(server, "list").stdout
    line = next(line for line in listed.splitlines() if line.startswith(name + "\t"))
    assert "Supervisor ({0})".format(project_name) in line
    assert key not in listed
    assert key in user_command(server, "list", "--show-keys").stdout

    user_command(server, "role", name, "API", "--all-projects")
    assert "API (all projects)" in user_command(server, "list").stdout
    user_command(server, "role", name, "Supervisor", "--remove")
    user_command(server, "role", name, "API", "--remove")
    deadline = time.monotonic() + 10  # a hang guard: the server forgets rights within ~1 s
    while client.query('select id from Project where id is "{0}"'.format(project_id)):
        assert time.monotonic() < deadline
        time.sleep(0.2)

    new_key = user_command(server, "rotate-key", name).stdout.strip()
    assert new_key != key and _works(server, name, new_key)
    deadline = time.monotonic() + 10
    while _works(server, name, key):
        assert time.monotonic() < deadline
        time.sleep(0.2)


@pytest.mark.slow
def test_clear_errors(server):
    assert user_command(server, "add", server.api_user, check=False).returncode == 1
    missing = user_command(server, "role", "no_such_user", "User", "--all-projects", check=False)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    name = "x_" + uuid.uuid4().hex[:6]
    role = user_command(server, "add", name, "--role", "Wizard", "--all-projects", check=False)
    assert role.returncode == 1 and "Wizard" in role.stderr
    # Nothing of the refused command was kept (one transaction).
    assert name not in user_command(server, "list").stdout


def test_refuses_a_directory_without_data(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ftrack_local", "user", "--data-dir",
                             str(tmp_path / "empty"), "list"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1 and "serve" in result.stderr
