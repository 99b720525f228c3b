"""Rights from security roles, and the project path of every entity type."""

import uuid

import pytest
import sqlalchemy as sa

from ftrack_local import seed
from ftrack_local.api import permissions, users
from ftrack_local.api.backend import Backend
from ftrack_local.api.permissions import (EVERYWHERE, ROLE_MATRIX, SITE_WIDE, Guard, Scope,
                                          compute_rights, paths_for, role_rights)
from ftrack_local.api.writer import Writer
from ftrack_local.errors import PermissionError


@pytest.fixture()
def backend(tmp_path):
    opened = Backend.open(str(tmp_path))
    yield opened
    opened.close()


def _project(storage, connection, name):
    writer = Writer(storage, connection)
    _, row = writer.create("Project", {"__entity_type__": "Project", "name": name,
                                       "full_name": name,
                                       "project_schema_id": seed.DEFAULT_PROJECT_SCHEMA_ID})
    _, shot = writer.create("Shot", {"__entity_type__": "Shot", "name": "sh010",
                                     "parent_id": row["id"]})
    writer.finish()
    return row["id"], shot["id"]


def test_every_schema_type_has_a_project_path_or_is_site_wide(backend):
    paths = paths_for(backend.storage)
    for name in backend.schema.types:
        assert (name in paths.links) != (name in SITE_WIDE), name


def test_project_paths_follow_the_schema_relations(backend):
    links = paths_for(backend.storage).links
    assert links["Task"] == "context"
    assert links["AssetVersion"] == [("asset_id", "Asset")]
    assert links["Asset"] == [("context_id", "Context")]
    assert links["ReviewSessionObjectStatus"] == [("review_session_object_id",
                                                   "ReviewSessionObject")]
    assert ("parent_id", "AssetVersion") in links["Note"]
    assert links["ContextCustomAttributeValue"] == [("entity_id", "Context")]
    assert links["CustomAttributeValue"] == "by_type"
    assert "User" not in links and "Status" not in links


def test_unknown_role_names_count_as_user():
    assert role_rights("Lighting lead") == ROLE_MATRIX["User"]
    assert role_rights(None) == ROLE_MATRIX["User"]
    assert ROLE_MATRIX["Administrator"].admin
    assert not any(rights.admin for name, rights in ROLE_MATRIX.items() if name != "Administrator")


_ALL = {"read", "create", "update", "delete", "projects"}


@pytest.mark.parametrize("role, granted, admin", [
    ("Administrator", _ALL, True),
    ("Project Manager", _ALL, False),
    ("API", _ALL, False),
    ("Supervisor", {"read", "create", "update", "delete"}, False),
    ("User", {"read", "create", "update"}, False),
    ("Assignee", {"read", "update"}, False),
    ("Restricted User", {"read"}, False),
])
def test_roles_grant_what_the_role_table_documents(role, granted, admin):
    # doc/local_server_users.rst, "The roles"
    rights = role_rights(role)
    assert {verb for verb in permissions.SCOPED_RIGHTS if rights.allows(verb)} == granted
    assert rights.admin is admin


def test_rights_of_the_admin_short_circuit(backend):
    with backend.storage.engine.begin() as connection:
        admin_id = backend.user_id_in(connection, backend.api_user)
        rights = compute_rights(backend.storage, connection, admin_id)
    assert rights.admin and rights.scope("delete") is EVERYWHERE
    guard = Guard(backend.storage, None, rights)
    assert permissions.restriction_for(guard) is None


def test_rights_combine_roles_per_project(backend):
    storage = backend.storage
    with storage.engine.begin() as connection:
        project_a, _ = _project(storage, connection, "a")
        project_b, _ = _project(storage, connection, "b")
        created = users.create_user(storage, connection, "mia")
        users.grant_role(storage, connection, "mia", "Supervisor", [project_a])
        users.grant_role(storage, connection, "mia", "Restricted User", ["b"])
        rights = compute_rights(storage, connection, created["id"])
    assert not rights.admin
    assert rights.roles == ("Restricted User", "Supervisor")
    assert rights.scope("read") == Scope(ids=frozenset({project_a, project_b}))
    assert rights.scope("delete") == Scope(ids=frozenset({project_a}))
    assert rights.scope("projects").empty


def test_no_role_means_no_project(backend):
    storage = backend.storage
    with storage.engine.begin() as connection:
        created = users.create_user(storage, connection, "nobody")
        rights = compute_rights(storage, connection, created["id"])
    assert not rights.has_role and rights.scope("read").empty


def test_read_clause_keeps_rows_of_allowed_projects(backend):
    storage = backend.storage
    with storage.engine.begin() as connection:
        project_a, shot_a = _project(storage, connection, "a")
        _, shot_b = _project(storage, connection, "b")
        created = users.create_user(storage, connection, "leo")
        users.grant_role(storage, connection, "leo", "User", [project_a])
        guard = Guard(storage, connection, compute_rights(storage, connection, created["id"]))
        shot_type = storage.schema.types["Shot"]
        table = storage.table(shot_type)
        visible = connection.execute(sa.select(table.c.id).where(
            table.c.id.in_([shot_a, shot_b]), guard.read_clause(shot_type, table))).scalars().all()
        assert visible == [shot_a]
        guard.check_write("update", shot_type, {"id": shot_a}, ["name"])
        with pytest.raises(PermissionError):
            guard.check_write("update", shot_type, {"id": shot_b}, ["name"])
        with pytest.raises(PermissionError):
            guard.check_write("delete", shot_type, {"id": shot_a})


def test_cache_is_invalidated_and_expires(backend):
    storage = backend.storage
    cache = permissions.RightsCache(ttl=60)
    with storage.engine.begin() as connection:
        project_a, _ = _project(storage, connection, "a")
        created = users.create_user(storage, connection, "ivy")
        assert not cache.get(storage, connection, created["id"]).has_role
        users.grant_role(storage, connection, "ivy", "API", all_projects=True)
        assert not cache.get(storage, connection, created["id"]).has_role  # still cached
        cache.invalidate()
        assert cache.get(storage, connection, created["id"]).scope("create").everywhere
    expiring = permissions.RightsCache(ttl=0)
    with storage.engine.begin() as connection:
        first = expiring.get(storage, connection, created["id"])
        users.revoke_role(storage, connection, "ivy", "API")
        assert expiring.get(storage, connection, created["id"]) != first


def test_own_user_record_harmless_fields_only(backend):
    storage = backend.storage
    with storage.engine.begin() as connection:
        created = users.create_user(storage, connection, "zoe")
        guard = Guard(storage, connection, compute_rights(storage, connection, created["id"]))
        user_type = storage.schema.types["User"]
        guard.check_write("update", user_type, {"id": created["id"]}, ["first_name", "email"])
        with pytest.raises(PermissionError):
            guard.check_write("update", user_type, {"id": created["id"]}, ["is_active"])
        with pytest.raises(PermissionError):
            guard.check_write("update", user_type, {"id": str(uuid.uuid4())}, ["first_name"])
