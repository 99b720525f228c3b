"""Helpers for the client integration tests (real local server)."""

import pytest

import ftrack_api

from client_helpers import RequestCounter, unique_name


@pytest.fixture
def request_counter(ftrack_session):
    return RequestCounter(ftrack_session)


@pytest.fixture
def new_session(ftrack_server, ftrack_schema_cache_path):
    """Factory of extra sessions on the shared server (closed afterwards)."""
    sessions = []

    def factory(**kwargs):
        kwargs.setdefault("server_url", ftrack_server.url)
        kwargs.setdefault("api_user", ftrack_server.api_user)
        kwargs.setdefault("api_key", ftrack_server.api_key)
        kwargs.setdefault("schema_cache_path", ftrack_schema_cache_path)
        session = ftrack_api.Session(**kwargs)
        sessions.append(session)
        return session

    yield factory
    for session in sessions:
        session.close()


@pytest.fixture
def project_schema(ftrack_session):
    return ftrack_session.query("ProjectSchema").first()


@pytest.fixture
def new_project(ftrack_session, project_schema):
    """A committed project with a unique name."""
    name = unique_name("project")
    project = ftrack_session.create(
        "Project",
        {"name": name, "full_name": name + "_full", "project_schema": project_schema},
    )
    ftrack_session.commit()
    return project


@pytest.fixture
def new_user(ftrack_session):
    name = unique_name("user")
    user = ftrack_session.create(
        "User", {"username": name, "first_name": "First", "last_name": "Last"}
    )
    ftrack_session.commit()
    return user
