"""Users, their API keys and their security roles, for the API and the command line.

Each function works inside an open transaction (*connection*) on a
:class:`~ftrack_local.storage.Storage`; the caller commits. Rows are written
through the :class:`~ftrack_local.api.writer.Writer`, as the API writes them.
"""

from __future__ import annotations

import os
import secrets
import uuid
from typing import Any, Dict, Iterable, List, Optional

import sqlalchemy as sa

from .. import schema as schema_module, seed
from ..errors import NotFoundError, ValidationError
from ..storage import TYPE, Storage, sqlite_url
from .writer import Writer

#: The SQLite database file of a data dir (when no database URL is given).
DATABASE_FILE = "ftrack.sqlite"


def new_api_key() -> str:
    """A new random API key."""
    return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))


def stored_key(storage: Storage, connection: sa.Connection, username: str) -> Optional[str]:
    """The API key of *username* (None when it has none)."""
    table = storage.credential
    return connection.execute(sa.select(table.c.api_key).where(
        table.c.username == username)).scalar()


def store_key(storage: Storage, connection: sa.Connection, username: str, api_key: str) -> None:
    """Make *api_key* the one key of *username*."""
    table = storage.credential
    connection.execute(sa.delete(table).where(table.c.username == username))
    connection.execute(sa.insert(table).values(username=username, api_key=api_key))


def rotate_key(storage: Storage, connection: sa.Connection, username: str) -> str:
    """Give *username* a new API key (the old one stops working) and return it."""
    key = new_api_key()
    store_key(storage, connection, username, key)
    return key


def find_user(storage: Storage, connection: sa.Connection, name: str) -> Dict[str, Any]:
    """The User row whose username (or id) is *name*; NotFoundError when none."""
    users = storage.tables["resource"]
    row = connection.execute(sa.select(users).where(
        users.c[TYPE] == "User", sa.or_(users.c.username == name, users.c.id == name))
        .order_by(users.c.username != name).limit(1)).mappings().first()
    if row is None:
        raise NotFoundError('User "{0}" does not exist.'.format(name))
    return dict(row)


def find_project(storage: Storage, connection: sa.Connection, name: str) -> str:
    """The id of the Project whose name, full name or id is *name*."""
    contexts = storage.tables["context"]
    rows = connection.execute(sa.select(contexts.c.id).where(
        contexts.c[TYPE] == "Project",
        sa.or_(contexts.c.id == name, contexts.c.name == name, contexts.c.full_name == name))
    ).scalars().all()
    if not rows:
        raise NotFoundError('Project "{0}" does not exist.'.format(name))
    if len(rows) > 1:
        raise ValidationError('"{0}" names {1} projects; give the project id.'.format(
            name, len(rows)))
    return rows[0]


def role_id(storage: Storage, connection: sa.Connection, role_name: str) -> str:
    """The id of the SecurityRole named *role_name* (case-insensitive)."""
    roles = storage.tables["security_role"]
    found = {name.lower(): role for role, name in connection.execute(
        sa.select(roles.c.id, roles.c.name))}
    role = found.get(role_name.lower())
    if role is None:
        names = sorted(name for name in connection.execute(sa.select(roles.c.name)).scalars())
        raise NotFoundError('Security role "{0}" does not exist; the roles are: {1}.'.format(
            role_name, ", ".join(names)))
    return role


def create_user(storage: Storage, connection: sa.Connection, username: str,
                email: Optional[str] = None, first_name: Optional[str] = None,
                last_name: Optional[str] = None) -> Dict[str, str]:
    """Create the user *username* with a new API key; return its ``id`` and ``api_key``."""
    if not username or not username.strip():
        raise ValidationError("A user needs a non-empty username.")
    users = storage.tables["resource"]
    if connection.execute(sa.select(users.c.id).where(users.c.username == username)).first():
        raise ValidationError('User "{0}" already exists.'.format(username))
    data = {"__entity_type__": "User", "username": username, "is_active": True,
            "first_name": first_name or username, "last_name": last_name or "",
            "resource_type": "user", "user_type_id": seed.DEFAULT_USER_TYPE_ID}
    if email:
        data["email"] = email
    writer = Writer(storage, connection)
    _, row = writer.create("User", data)
    writer.finish()
    key = rotate_key(storage, connection, username)
    return {"id": row["id"], "api_key": key}


def _grants(storage: Storage, connection: sa.Connection, user_id: str,
            security_role_id: str) -> List[Dict[str, Any]]:
    grants = storage.tables["user_security_role"]
    return [dict(row) for row in connection.execute(sa.select(grants).where(
        grants.c.user_id == user_id, grants.c.security_role_id == security_role_id)
        .order_by(grants.c["_seq"])).mappings()]


def _granted_projects(storage: Storage, connection: sa.Connection, grant_id: str) -> List[str]:
    links = storage.tables["user_security_role_project"]
    return list(connection.execute(sa.select(links.c.project_id).where(
        links.c.user_security_role_id == grant_id)).scalars())


def grant_role(storage: Storage, connection: sa.Connection, username: str, role_name: str,
               projects: Iterable[str] = (), all_projects: bool = False) -> None:
    """Give *username* the role *role_name* on *projects* (names or ids) or on all projects.

    Granting a role the user already holds widens that grant.
    """
    user = find_user(storage, connection, username)
    role = role_id(storage, connection, role_name)
    project_ids = [find_project(storage, connection, name) for name in projects]
    if not project_ids and not all_projects:
        raise ValidationError("Name the projects of the role, or grant it on all projects.")
    writer = Writer(storage, connection)
    existing = _grants(storage, connection, user["id"], role)
    if existing:
        grant = existing[0]
        if all_projects and not grant.get("is_all_projects"):
            writer.update("UserSecurityRole", [grant["id"]],
                          {"is_all_projects": True, "is_all_open_projects": True})
    else:
        _, grant = writer.create("UserSecurityRole", {
            "__entity_type__": "UserSecurityRole", "user_id": user["id"],
            "security_role_id": role, "is_all_projects": all_projects,
            "is_all_open_projects": all_projects})
    have = set(_granted_projects(storage, connection, grant["id"]))
    for project_id in dict.fromkeys(project_ids):
        if project_id not in have:
            writer.create("UserSecurityRoleProject", {
                "__entity_type__": "UserSecurityRoleProject",
                "user_security_role_id": grant["id"], "project_id": project_id})
    writer.finish()


def revoke_role(storage: Storage, connection: sa.Connection, username: str, role_name: str,
                projects: Iterable[str] = ()) -> None:
    """Take *role_name* from *username*: on *projects* only, or entirely."""
    user = find_user(storage, connection, username)
    role = role_id(storage, connection, role_name)
    existing = _grants(storage, connection, user["id"], role)
    if not existing:
        raise NotFoundError('User "{0}" does not hold the role "{1}".'.format(username,
                                                                              role_name))
    writer = Writer(storage, connection)
    project_ids = [find_project(storage, connection, name) for name in projects]
    if not project_ids:
        for grant in existing:
            writer.delete("UserSecurityRole", [grant["id"]])
    else:
        links = storage.tables["user_security_role_project"]
        for grant in existing:
            if grant.get("is_all_projects"):
                raise ValidationError('User "{0}" holds "{1}" on all projects: revoke the role '
                                      'entirely and grant it again on the projects to '
                                      'keep.'.format(username, role_name))
            for link_id in connection.execute(sa.select(links.c.id).where(
                    links.c.user_security_role_id == grant["id"],
                    links.c.project_id.in_(project_ids))).scalars().all():
                writer.delete("UserSecurityRoleProject", [link_id])
    writer.finish()


def describe_users(storage: Storage, connection: sa.Connection,
                   with_keys: bool = False) -> List[Dict[str, Any]]:
    """Every user with its roles (``role``, ``projects`` names or ``"all"``), keys on request."""
    users = storage.tables["resource"]
    grants = storage.tables["user_security_role"]
    roles = storage.tables["security_role"]
    links = storage.tables["user_security_role_project"]
    contexts = storage.tables["context"]
    role_names = dict(connection.execute(sa.select(roles.c.id, roles.c.name)).all())
    project_names = dict(connection.execute(sa.select(contexts.c.id, contexts.c.name).where(
        contexts.c[TYPE] == "Project")).all())
    by_grant: Dict[str, List[str]] = {}
    for grant_id, project_id in connection.execute(
            sa.select(links.c.user_security_role_id, links.c.project_id)
            .order_by(links.c["_seq"])):
        by_grant.setdefault(grant_id, []).append(project_names.get(project_id, project_id))
    by_user: Dict[str, List[Dict[str, Any]]] = {}
    for grant in connection.execute(sa.select(grants).order_by(grants.c["_seq"])).mappings():
        by_user.setdefault(grant["user_id"], []).append({
            "role": role_names.get(grant["security_role_id"], grant["security_role_id"]),
            "projects": "all" if grant["is_all_projects"] or grant["is_all_open_projects"]
            else by_grant.get(grant["id"], [])})
    keys = dict(connection.execute(sa.select(storage.credential.c.username,
                                             storage.credential.c.api_key)).all()) \
        if with_keys else {}
    described = []
    for row in connection.execute(sa.select(users).where(users.c[TYPE] == "User")
                                  .order_by(users.c.username)).mappings():
        entry = {"username": row["username"], "id": row["id"], "email": row.get("email"),
                 "roles": by_user.get(row["id"], [])}
        if with_keys:
            entry["api_key"] = keys.get(row["username"])
        described.append(entry)
    return described


def open_storage(data_dir: str, database_url: Optional[str] = None) -> Storage:
    """The storage of the data dir *data_dir* (or *database_url*) a server has set up.

    Raises ValidationError when no server has initialised it yet.
    """
    if database_url is None:
        database_file = os.path.join(os.path.abspath(data_dir), DATABASE_FILE)
        if not os.path.isfile(database_file):
            raise ValidationError("No ftrack_local data in {0}: run `ftrack_local serve "
                                  "--data-dir {0}` once first.".format(data_dir))
        database_url = sqlite_url(database_file)
    storage = Storage(schema_module.load(), database_url)
    with storage.engine.connect() as connection:
        if not sa.inspect(connection).has_table("_info") or connection.execute(
                sa.select(storage.info.c.value).where(storage.info.c.name == "seeded")
        ).scalar() is None:
            storage.dispose()
            raise ValidationError("The database has no ftrack_local data yet: run "
                                  "`ftrack_local serve` on it once first.")
    return storage
