"""The backend's collaborators and the component URLs it answers with."""

from __future__ import annotations

import urllib.parse

import pytest

from ftrack_local.api import users
from ftrack_local.api.backend import Backend
from ftrack_local.components.service import ComponentService


@pytest.fixture
def backend(tmp_path):
    opened = Backend.open(str(tmp_path), api_user="admin", api_key="admin-key")
    opened.server_url = "http://ftrack.test:8080"
    yield opened
    component_service = opened.components_if_made
    if component_service is not None:
        component_service.close()
    opened.close()


def _new_user(backend, username):
    with backend.storage.engine.begin() as connection:
        return users.create_user(backend.storage, connection, username)


def _query(backend, username, expression):
    [answer] = backend.call([{"action": "query", "expression": expression}], username)
    return answer["data"]


def _query_of(url):
    parsed = urllib.parse.urlsplit(url)
    return parsed.path, dict(urllib.parse.parse_qsl(parsed.query))


def test_component_services_are_made_once_on_first_use(backend):
    assert backend.components_if_made is None
    made = backend.components
    assert isinstance(made, ComponentService)
    assert backend.components is made and backend.components_if_made is made
    assert made.backend is backend


@pytest.fixture
def anna(backend):
    """User "anna" with a thumbnail: her key and the thumbnail's component id."""
    key = _new_user(backend, "anna")["api_key"]
    [created] = backend.call([{"action": "create", "entity_type": "FileComponent",
                               "entity_data": {"name": "image"}}], "admin")
    component_id = created["data"]["id"]
    [user] = _query(backend, "admin", 'select id from User where username is "anna"')
    backend.call([{"action": "update", "entity_type": "User", "entity_key": [user["id"]],
                   "entity_data": {"thumbnail_id": component_id}}], "admin")
    return key, component_id


def _thumbnail_link(backend, username):
    [row] = _query(backend, username, 'select thumbnail_url from User where username is "anna"')
    return _query_of(row["thumbnail_url"]["url"])


def test_component_urls_carry_the_asking_users_key(backend, anna):
    key, component_id = anna
    for username, expected_key in (("admin", "admin-key"), ("anna", key)):
        path, query = _thumbnail_link(backend, username)
        assert path == "/component/thumbnail"
        assert query == {"id": component_id, "username": username, "apiKey": expected_key}


def test_component_urls_follow_a_rotated_key_at_once(backend, anna):
    backend.authenticate("admin", "admin-key")  # the key is cached from here on
    with backend.storage.engine.begin() as connection:
        new_key = users.rotate_key(backend.storage, connection, "admin")
    assert _thumbnail_link(backend, "admin")[1]["apiKey"] == new_key


def test_entities_without_thumbnail_link_the_placeholder(backend):
    [row] = _query(backend, "admin", 'select thumbnail_url from User where username is "admin"')
    assert row["thumbnail_url"] == {"url": "http://ftrack.test:8080/img/thumbnail2.png",
                                    "value": "http://ftrack.test:8080/img/thumbnail2.png"}


def test_may_access_component_follows_the_roles(backend, anna):
    _, component_id = anna
    assert backend.may_access_component("admin", component_id, write=True)
    assert not backend.may_access_component("anna", component_id, write=True)  # no role yet
    assert backend.readable_projects(backend.user_id_of("admin")) is None
