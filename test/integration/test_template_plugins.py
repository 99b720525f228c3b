"""The template plugins of ``resource/template`` loaded into real sessions."""

import logging
import shutil
from pathlib import Path

import pytest

import ftrack_api

TEMPLATES = Path(__file__).resolve().parents[2] / "resource" / "template"


@pytest.fixture
def session_with(ftrack_server, ftrack_schema_cache_path, tmp_path):
    """Factory of sessions loading one template plugin."""
    sessions = []

    def factory(template):
        directory = tmp_path / template
        directory.mkdir()
        shutil.copy(str(TEMPLATES / (template + ".py")), str(directory))
        session = ftrack_api.Session(
            server_url=ftrack_server.url, api_user=ftrack_server.api_user,
            api_key=ftrack_server.api_key, schema_cache_path=ftrack_schema_cache_path,
            plugin_paths=[str(directory)])
        sessions.append(session)
        return session

    yield factory
    for session in sessions:
        session.close()


def test_construct_entity_type_template(session_with):
    session = session_with("construct_entity_type")
    project = session.create("Project", {
        "name": "template_factory", "full_name": "Template factory",
        "project_schema": session.query("ProjectSchema").first()})
    shot = session.create("Shot", {"name": "sh010", "parent": project})
    session.commit()
    assert shot.path() == "template_factory / sh010"
    assert project.path() == "template_factory"
    # Other types keep their standard behaviour and get no path helper.
    user = session.query("User").first()
    assert not hasattr(user, "path")
    assert hasattr(user, "start_timer")
    session.delete(project)
    session.commit()


def test_configure_locations_template(session_with, tmp_path, monkeypatch):
    prefix = tmp_path / "storage"
    prefix.mkdir()
    monkeypatch.setenv("STUDIO_LOCATION_PREFIX", str(prefix))
    monkeypatch.setenv("STUDIO_LOCATION_NAME", "studio.template-disk")
    session = session_with("configure_locations")
    location = session.query('Location where name is "studio.template-disk"').one()
    assert isinstance(location.accessor, ftrack_api.accessor.disk.DiskAccessor)
    assert location.accessor.prefix == str(prefix)
    assert isinstance(location.structure, ftrack_api.structure.standard.StandardStructure)
    assert location.priority == 10


def test_session_ready_template(session_with, ftrack_server, caplog):
    with caplog.at_level(logging.DEBUG, logger="ftrack_api.template.session_ready"):
        session = session_with("session_ready")
    assert session.current_user["username"] == ftrack_server.api_user
    assert "Session ready for {0}.".format(ftrack_server.api_user) in caplog.messages
