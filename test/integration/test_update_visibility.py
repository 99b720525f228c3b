"""``ftrack.update`` events only show a user the projects it may read.

One server, two projects; a user with a role on project A only, another with
no role, and the admin all listen on the event hub while the admin changes
both projects.
"""

import types
import uuid

import pytest

import ftrack_api

from ftrack_local.client import ApiClient

from hub_client import HubClient

TIMEOUT = 10.0


def _make_user(admin, name, project_id=None):
    user = admin.create("User", {"username": name, "first_name": name})
    admin.commit()
    if project_id is not None:
        role = admin.query('SecurityRole where name is "User"').one()
        grant = admin.create("UserSecurityRole", {"user": user, "security_role": role,
                                                  "is_all_projects": False})
        admin.create("UserSecurityRoleProject", {"user_security_role": grant,
                                                 "project_id": project_id})
        admin.commit()
    return types.SimpleNamespace(
        url=admin.server_url, api_user=name,
        api_key=admin.reset_remote("api_key", entity=user)["api_key"])


def _updates(client):
    """The update entities *client* receives until it goes quiet."""
    seen = []
    while True:
        event = client.next_event(timeout=1.5, predicate=lambda e: e["topic"] == "ftrack.update")
        if event is None:
            return seen
        seen.extend(event["data"]["entities"])


def ids(entities, entity_type):
    return {e["entityId"] for e in entities if e["entity_type"] == entity_type}


@pytest.mark.slow
def test_updates_leave_out_projects_the_user_cannot_read(ftrack_fresh_server):
    server = ftrack_fresh_server
    admin = ftrack_api.Session(server_url=server.url, api_user=server.api_user,
                               api_key=server.api_key, auto_connect_event_hub=False)
    schema = admin.query("ProjectSchema").first()
    projects = {}
    for label in ("A", "B"):
        project = admin.create("Project", {"name": "vis_{0}_{1}".format(label, uuid.uuid4().hex[:6]),
                                           "full_name": label, "project_schema": schema})
        projects[label] = project
    admin.commit()
    viewer = _make_user(admin, "viewer_a", projects["A"]["id"])
    stranger = _make_user(admin, "stranger")

    with HubClient(server) as everyone, HubClient(viewer) as only_a, \
            HubClient(stranger) as nothing:
        for client in (everyone, only_a, nothing):
            client.subscribe("topic=ftrack.update")
        shots = {}
        for label, project in projects.items():
            shots[label] = admin.create("Shot", {"name": "sh_" + label, "parent": project})
        admin.commit()
        # A site-wide change every user with or without a role may see.
        admin.query('User where username is "stranger"').one()["first_name"] = "Stranger"
        admin.commit()

        seen_by_admin = _updates(everyone)
        seen_by_viewer = _updates(only_a)
        seen_by_stranger = _updates(nothing)

    assert ids(seen_by_admin, "Shot") == {shots["A"]["id"], shots["B"]["id"]}
    assert ids(seen_by_viewer, "Shot") == {shots["A"]["id"]}
    assert ids(seen_by_stranger, "Shot") == set()
    for seen in (seen_by_admin, seen_by_viewer, seen_by_stranger):
        assert len(ids(seen, "User")) == 1
    # What is left out is also left out of the parents of what is kept.
    for entity in seen_by_viewer:
        assert projects["B"]["id"] not in {p["entityId"] for p in entity["parents"]}
    admin.close()


def test_the_admin_still_gets_every_update_unchanged(ftrack_fresh_server):
    server = ftrack_fresh_server
    client = ApiClient(server.url, server.api_user, server.api_key)
    with HubClient(server) as listener:
        listener.subscribe("topic=ftrack.update")
        created = client.create("Project", {
            "name": "vis_admin_" + uuid.uuid4().hex[:6], "full_name": "Admin",
            "project_schema_id": client.query("select id from ProjectSchema")[0]["id"]})
        seen = _updates(listener)
    assert created["id"] in {e["entityId"] for e in seen}
