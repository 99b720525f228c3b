"""Users and security roles over real HTTP: ftrack_api sessions, raw calls and the official client.

One server holds two projects (A and B), each with a shot, a task, an
asset version with an uploaded component, and a note. Users get roles
through the admin's API session or the ``user`` command line.
"""

import subprocess
import sys
import uuid

import arrow
import ftrack_api
import ftrack_api.exception
import pytest
import requests

from ftrack_local import seed
from ftrack_local.client import ApiClient, ApiClientError
from ftrack_local.testing import running_server

from component_client import TIMEOUT, component_url, upload

#: Users made through the admin's API session: name -> (role, projects: "all" or ["A"]).
API_USERS = {
    "sup_a": ("Supervisor", ["A"]),
    "restricted_a": ("Restricted User", ["A"]),
    "pm_all": ("Project Manager", "all"),
    "api_a": ("API", ["A"]),
    "custom_a": ("Animation lead", ["A"]),
    "assignee_a": ("Assignee", ["A"]),
}


def _session(server, user, key):
    return ftrack_api.Session(server_url=server.url, api_user=user, api_key=key,
                              auto_connect_event_hub=False)


def _database_options(server):
    url = server.backend.storage.engine.url
    if url.get_backend_name() == "sqlite":
        return ["--data-dir", server.data_dir]
    return ["--data-dir", server.data_dir, "--database", url.render_as_string(hide_password=False)]


def cli(server, *arguments):
    """Run ``python -m ftrack_local user ...`` on *server*'s data; return stdout."""
    result = subprocess.run([sys.executable, "-m", "ftrack_local", "user"]
                            + _database_options(server) + list(arguments),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _build_project(session, label):
    schema = session.query("ProjectSchema").first()
    name = "perm_{0}_{1}".format(label, uuid.uuid4().hex[:8])
    project = session.create("Project", {"name": name, "full_name": "Project " + label,
                                         "project_schema": schema})
    shot = session.create("Shot", {"name": "sh010", "parent": project})
    task = session.create("Task", {"name": "comp", "parent": shot,
                                   "type": session.query('Type where name is "Compositing"').one(),
                                   "status": session.query('Status where name is "Not started"').one()})
    asset = session.create("Asset", {"name": "plate", "parent": shot,
                                     "type": session.query("AssetType").first()})
    version = session.create("AssetVersion", {"asset": asset, "task": task})
    author = session.query('User where username is "{0}"'.format(session.api_user)).one()
    note = session.create("Note", {"content": "note of " + label, "parent_id": task["id"],
                                   "parent_type": "Task", "author": author})
    session.commit()
    return {"project": project["id"], "name": project["name"], "shot": shot["id"],
            "task": task["id"], "asset": asset["id"], "version": version["id"], "note": note["id"]}


def _grant(session, user, role_name, projects):
    role = session.query('SecurityRole where name is "{0}"'.format(role_name)).first()
    if role is None:
        role = session.create("SecurityRole", {"name": role_name, "type": "PROJECT"})
    grant = session.create("UserSecurityRole", {"user": user, "security_role": role,
                                                "is_all_projects": projects == "all"})
    if projects != "all":
        for project_id in projects:
            session.create("UserSecurityRoleProject", {"user_security_role": grant,
                                                       "project_id": project_id})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The server, its two projects and users with keys (``keys[name]``)."""
    with running_server(str(tmp_path_factory.mktemp("permissions"))) as server:
        admin = _session(server, server.api_user, server.api_key)
        projects = {label: _build_project(admin, label) for label in ("A", "B")}
        client = ApiClient(server.url, server.api_user, server.api_key)
        for label, made in projects.items():
            made["component"] = upload(client, b"data of " + label.encode())
            client.call([{"action": "update", "entity_type": "FileComponent",
                          "entity_key": [made["component"]],
                          "entity_data": {"version_id": made["version"], "name": "main"}}])
        keys = {}
        for name, (role_name, labels) in API_USERS.items():
            user = admin.create("User", {"username": name, "first_name": name})
            admin.commit()
            _grant(admin, user, role_name,
                   "all" if labels == "all" else [projects[label]["project"] for label in labels])
            admin.commit()
            keys[name] = admin.reset_remote("api_key", entity=user)["api_key"]
        admin.create("User", {"username": "nobody"})
        admin.commit()
        keys["nobody"] = admin.reset_remote(
            "api_key", entity=admin.query('User where username is "nobody"').one())["api_key"]
        admin.close()
        # Through the command line, on the running server's data.
        keys["user_a"] = cli(server, "add", "user_a", "--role", "User", "--project",
                             projects["A"]["name"]).strip()
        client.close()
        yield {"server": server, "projects": projects, "keys": keys}


def as_user(world, name):
    return _session(world["server"], name, world["keys"][name])


def raw(world, name, strict=True):
    return ApiClient(world["server"].url, name, world["keys"][name], strict=strict)


def admin_client(world):
    server = world["server"]
    return ApiClient(server.url, server.api_user, server.api_key)


def task_name(world, label):
    return admin_client(world).query('select name from Task where id is "{0}"'.format(
        world["projects"][label]["task"]))[0]["name"]


# -- keys and accounts --------------------------------------------------------------------

def test_non_admin_cannot_reset_another_users_key_but_can_reset_its_own(world):
    server = world["server"]
    admin_id = admin_client(world).query('select id from User where username is "{0}"'.format(
        server.api_user))[0]["id"]
    client = raw(world, "pm_all")
    with pytest.raises(ApiClientError) as refused:
        client.call([{"action": "reset_remote", "reset_type": "api_key", "entity_type": "User",
                      "entity_key": [admin_id]}])
    assert refused.value.exception == "PermissionError"
    assert refused.value.status == 403
    assert admin_client(world).call([{"action": "query_server_information"}])
    own_id = client.query('select id from User where username is "pm_all"')[0]["id"]
    new_key = client.call([{"action": "reset_remote", "reset_type": "api_key",
                            "entity_type": "User", "entity_key": [own_id]}])[0]["data"]["api_key"]
    with pytest.raises(ApiClientError) as old:
        raw(world, "pm_all").call([{"action": "query_server_information"}])
    assert old.value.status == 401
    world["keys"]["pm_all"] = new_key
    assert raw(world, "pm_all").call([{"action": "query_server_information"}])


def test_non_admin_cannot_create_users_or_grant_itself_roles(world):
    session = as_user(world, "api_a")
    session.create("User", {"username": "intruder_" + uuid.uuid4().hex[:6]})
    with pytest.raises(ftrack_api.exception.ServerError, match="PermissionError"):
        session.commit()
    session.close()
    session = as_user(world, "api_a")
    me = session.query('User where username is "api_a"').one()
    admin_role = session.query('SecurityRole where name is "Administrator"').one()
    session.create("UserSecurityRole", {"user": me, "security_role": admin_role,
                                        "is_all_projects": True})
    with pytest.raises(ftrack_api.exception.ServerError, match="PermissionError"):
        session.commit()
    session.close()
    grants = admin_client(world).query(
        'select security_role.name from UserSecurityRole where user.username is "api_a"')
    assert [grant["security_role"]["name"] for grant in grants] == ["API"]
    assert raw(world, "api_a").query('select id from Project where id is "{0}"'.format(
        world["projects"]["B"]["project"])) == []


def test_user_changes_own_names_but_not_others_or_own_roles(world):
    session = as_user(world, "sup_a")
    me = session.query('User where username is "sup_a"').one()
    me["last_name"] = "Changed"
    session.commit()
    other = session.query('User where username is "restricted_a"').one()
    other["last_name"] = "Hijacked"
    with pytest.raises(ftrack_api.exception.ServerError, match="PermissionError"):
        session.commit()
    session.close()
    names = {user["username"]: user["last_name"] for user in admin_client(world).query(
        'select username, last_name from User where username in ("sup_a", "restricted_a")')}
    assert names["sup_a"] == "Changed"
    assert names["restricted_a"] != "Hijacked"
    own_grant = raw(world, "sup_a").query(
        'select id from UserSecurityRole where user.username is "sup_a"')[0]["id"]
    with pytest.raises(ApiClientError) as refused:
        raw(world, "sup_a").call([{"action": "update", "entity_type": "UserSecurityRole",
                                   "entity_key": [own_grant],
                                   "entity_data": {"is_all_projects": True}}])
    assert refused.value.status == 403


# -- reading --------------------------------------------------------------------------------

def test_other_projects_are_invisible(world):
    b = world["projects"]["B"]
    session = as_user(world, "sup_a")
    try:
        assert session.query('Task where id is "{0}"'.format(b["task"])).all() == []
        assert session.get("Task", b["task"]) is None
        assert session.get("AssetVersion", b["version"]) is None
        assert session.get("Note", b["note"]) is None
        assert session.get("Component", b["component"]) is None
        projects = {project["id"] for project in session.query("Project")}
        assert world["projects"]["A"]["project"] in projects
        assert b["project"] not in projects
        notes = {note["id"] for note in session.query("Note")}
        assert world["projects"]["A"]["note"] in notes and b["note"] not in notes
        # Site-wide data stays readable.
        assert session.query('Status where name is "Not started"').all()
        assert session.query('User where username is "admin"').all()
    finally:
        session.close()


def test_relations_leave_out_other_projects(world):
    a, b = world["projects"]["A"], world["projects"]["B"]
    client = raw(world, "sup_a")
    type_id = admin_client(world).query('select type_id from Asset where id is "{0}"'.format(
        a["asset"]))[0]["type_id"]
    [asset_type] = client.query('select id, assets.id from AssetType where id is "{0}"'.format(
        type_id))
    asset_ids = {asset["id"] for asset in asset_type["assets"]}
    assert a["asset"] in asset_ids and b["asset"] not in asset_ids
    all_assets = {asset["id"] for asset in admin_client(world).query(
        'select assets.id from AssetType where id is "{0}"'.format(type_id))[0]["assets"]}
    assert b["asset"] in all_assets


def test_users_without_roles_read_reference_data_only(world):
    client = raw(world, "nobody")
    assert client.query('select id from Status where name is "Not started"')
    assert client.query("select id from User")
    assert client.query("select id from Task") == []
    assert client.query("select id from Project") == []


# -- writing --------------------------------------------------------------------------------

def test_writes_to_other_projects_are_refused_and_nothing_is_applied(world):
    a, b = world["projects"]["A"], world["projects"]["B"]
    client = raw(world, "sup_a")
    with pytest.raises(ApiClientError) as refused:
        client.call([
            {"action": "update", "entity_type": "Task", "entity_key": [a["task"]],
             "entity_data": {"name": "renamed_a"}},
            {"action": "update", "entity_type": "Task", "entity_key": [b["task"]],
             "entity_data": {"name": "renamed_b"}}])
    assert refused.value.exception == "PermissionError"
    assert refused.value.status == 403
    assert "Permission denied" in refused.value.content
    assert task_name(world, "A") == "comp" and task_name(world, "B") == "comp"
    with pytest.raises(ApiClientError) as deleting:
        client.call([{"action": "delete", "entity_type": "Task", "entity_key": [b["task"]]}])
    assert deleting.value.status == 403
    assert task_name(world, "B") == "comp"
    # Moving an entity of A under B needs rights on B.
    with pytest.raises(ApiClientError):
        client.call([{"action": "update", "entity_type": "Task", "entity_key": [a["task"]],
                      "entity_data": {"parent_id": b["shot"]}}])
    # Creating under B is refused too.
    with pytest.raises(ApiClientError):
        client.call([{"action": "create", "entity_type": "Shot", "entity_key": [str(uuid.uuid4())],
                      "entity_data": {"__entity_type__": "Shot", "name": "sh999",
                                      "parent_id": b["project"]}}])


def test_non_strict_refusal_keeps_the_ftrack_envelope(world):
    b = world["projects"]["B"]
    response = raw(world, "sup_a", strict=False).post([
        {"action": "delete", "entity_type": "Task", "entity_key": [b["task"]]}])
    assert response.status_code == 200
    assert response.json()["exception"] == "PermissionError"


def _create_shot(client, project_id):
    shot_id = str(uuid.uuid4())
    client.call([{"action": "create", "entity_type": "Shot", "entity_key": [shot_id],
                  "entity_data": {"__entity_type__": "Shot", "name": "sh_" + shot_id[:6],
                                  "parent_id": project_id}}])
    return shot_id


def _delete(client, type_name, entity_id):
    client.call([{"action": "delete", "entity_type": type_name, "entity_key": [entity_id]}])


@pytest.mark.parametrize("name, create, update, delete", [
    ("restricted_a", False, False, False),
    ("assignee_a", False, True, False),
    ("user_a", True, True, False),
    ("custom_a", True, True, False),  # an unknown role name counts as "User"
    ("sup_a", True, True, True),
    ("api_a", True, True, True),
    ("pm_all", True, True, True),
])
def test_role_matrix_on_own_project(world, name, create, update, delete):
    a = world["projects"]["A"]
    client, admin = raw(world, name), admin_client(world)
    assert client.query('select id from Task where id is "{0}"'.format(a["task"]))
    if create:
        shot_id = _create_shot(client, a["project"])
    else:
        with pytest.raises(ApiClientError) as refused:
            _create_shot(client, a["project"])
        assert refused.value.status == 403
        shot_id = _create_shot(admin, a["project"])
    rename = {"action": "update", "entity_type": "Shot", "entity_key": [shot_id],
              "entity_data": {"description": "by " + name}}
    if update:
        client.call([rename])
    else:
        with pytest.raises(ApiClientError):
            client.call([rename])
    if delete:
        _delete(client, "Shot", shot_id)
        assert admin.query('select id from Shot where id is "{0}"'.format(shot_id)) == []
    else:
        with pytest.raises(ApiClientError) as refused:
            _delete(client, "Shot", shot_id)
        assert refused.value.status == 403
        assert admin.query('select id from Shot where id is "{0}"'.format(shot_id))
        _delete(admin, "Shot", shot_id)


def _create_project(client):
    project_id = str(uuid.uuid4())
    client.call([{"action": "create", "entity_type": "Project", "entity_key": [project_id],
                  "entity_data": {"__entity_type__": "Project", "name": "p_" + project_id[:8],
                                  "full_name": "New", "project_schema_id":
                                      seed.DEFAULT_PROJECT_SCHEMA_ID}}])
    return project_id


def test_only_project_managers_and_api_users_on_all_projects_create_projects(world):
    for name in ("sup_a", "api_a", "user_a"):
        with pytest.raises(ApiClientError) as refused:
            _create_project(raw(world, name))
        assert refused.value.status == 403
    client = raw(world, "pm_all")
    project_id = _create_project(client)
    assert client.query('select id from Project where id is "{0}"'.format(project_id))
    _delete(client, "Project", project_id)
    with pytest.raises(ApiClientError):
        _delete(raw(world, "sup_a"), "Project", world["projects"]["A"]["project"])


def test_site_configuration_is_for_administrators(world):
    client = raw(world, "pm_all")
    with pytest.raises(ApiClientError) as refused:
        client.call([{"action": "create", "entity_type": "Status",
                      "entity_key": [str(uuid.uuid4())],
                      "entity_data": {"__entity_type__": "Status", "name": "Mine",
                                      "color": "#ffffff"}}])
    assert refused.value.exception == "PermissionError"
    assert client.query('select id from Status where name is "Mine"') == []


def test_own_timelogs_are_readable_and_writable(world):
    a = world["projects"]["A"]
    session = as_user(world, "restricted_a")
    me = session.query('User where username is "restricted_a"').one()
    timelog = session.create("Timelog", {"user": me, "context_id": a["task"], "duration": 60,
                                         "start": arrow.utcnow()})
    session.commit()
    timelog["duration"] = 120
    session.commit()
    assert session.get("Timelog", timelog["id"])["duration"] == 120
    session.close()


# -- component data ---------------------------------------------------------------------------

def _url(world, purpose, name, label):
    return component_url(world["server"], purpose, world["projects"][label]["component"],
                         user=name, key=world["keys"][name])


def test_component_data_follows_the_project(world):
    allowed = requests.get(_url(world, "get", "sup_a", "A"), timeout=TIMEOUT)
    assert allowed.status_code == 200 and allowed.content == b"data of A"
    refused = requests.get(_url(world, "get", "sup_a", "B"), timeout=TIMEOUT)
    assert refused.status_code == 403
    assert refused.json()["exception"] == "PermissionError"
    thumbnail = requests.get(_url(world, "thumbnail", "sup_a", "B"), timeout=TIMEOUT)
    assert thumbnail.status_code == 403
    removal = requests.get(_url(world, "remove", "restricted_a", "A"), timeout=TIMEOUT)
    assert removal.status_code == 403
    assert requests.get(_url(world, "get", "restricted_a", "A"), timeout=TIMEOUT).content == \
        b"data of A"
    nobody = requests.get(_url(world, "get", "nobody", "A"), timeout=TIMEOUT)
    assert nobody.status_code == 403


def test_upload_urls_follow_the_project(world):
    client = raw(world, "sup_a")
    for label, status in (("A", None), ("B", 403)):
        operation = {"action": "get_upload_metadata",
                     "component_id": world["projects"][label]["component"],
                     "file_name": "again.bin", "file_size": 4, "checksum": None}
        if status is None:
            assert client.call([operation])[0]["url"]
        else:
            with pytest.raises(ApiClientError) as refused:
                client.call([operation])
            assert refused.value.status == status
    admin_data = requests.get(component_url(world["server"], "get",
                                            world["projects"]["B"]["component"]), timeout=TIMEOUT)
    assert admin_data.content == b"data of B"


# -- the official client ------------------------------------------------------------------------

def test_official_client_sees_the_same_rules(world, reference_python, run_reference):
    a, b = world["projects"]["A"], world["projects"]["B"]
    observed = run_reference(reference_python, world["server"], "permissions",
                             user="sup_a", key=world["keys"]["sup_a"], task_a=a["task"],
                             task_b=b["task"], version_b=b["version"], note_b=b["note"],
                             admin_id=admin_client(world).query(
                                 'select id from User where username is "admin"')[0]["id"])
    assert observed["own_task"] == "comp"
    assert observed["other_task"] is None
    assert observed["other_version"] is None and observed["other_note"] is None
    assert observed["other_tasks_queried"] == 0
    assert "PermissionError" in observed["update_other"]["error"]["message"]
    assert "PermissionError" in observed["reset_admin"]["error"]["message"]
    assert task_name(world, "B") == "comp"
    assert admin_client(world).call([{"action": "query_server_information"}])
