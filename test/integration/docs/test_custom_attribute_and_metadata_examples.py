"""The documentation's "Using custom attributes" and "Using metadata" examples (Python 3)."""

import datetime
import json
import uuid

import pytest

import ftrack_api
from ftrack_local import seed


def new_session(server, cache_path):
    return ftrack_api.Session(server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                              schema_cache_path=cache_path)


@pytest.fixture
def setup(ftrack_fresh_server, ftrack_schema_cache_path):
    """A shot with a task and custom attribute configurations like the docs use."""
    with new_session(ftrack_fresh_server, ftrack_schema_cache_path) as session:
        schema = session.get("ProjectSchema", seed.DEFAULT_PROJECT_SCHEMA_ID)
        project = session.create("Project", {"name": "ca", "full_name": "CA", "project_schema": schema})
        shot = session.create("Shot", {"name": "sh010", "parent": project})
        task = session.create("Task", {"name": "comp", "parent": shot})
        types = {t["name"]: t for t in session.query("CustomAttributeType")}
        task_type_id = seed.OBJECT_TYPE_IDS["Task"]
        shot_type_id = seed.OBJECT_TYPE_IDS["Shot"]
        for key, kind, object_type_id, default, config in (
                ("my_text_field", "text", task_type_id, "some text", {"markdown": False}),
                ("fstart", "number", shot_type_id, 1001, {"isdecimal": False}),
                ("approved_on", "date", shot_type_id, None, {})):
            session.create("CustomAttributeConfiguration", {
                "entity_type": "task", "object_type_id": object_type_id, "type": types[kind], "key": key,
                "label": key, "default": default, "config": json.dumps(config)})
        session.create("CustomAttributeConfiguration", {
            "entity_type": "task", "is_hierarchical": True, "type": types["text"], "key": "my_attribute",
            "label": "My attribute", "default": None, "config": json.dumps({"markdown": False})})
        session.commit()
        return ftrack_fresh_server, task["id"], shot["id"]


def test_using_custom_attributes(setup, ftrack_schema_cache_path):
    server, task_id, shot_id = setup
    with new_session(server, ftrack_schema_cache_path) as session:
        task = session.get("Task", task_id)
        assert sorted(task["custom_attributes"].keys()) == ["my_attribute", "my_text_field"]
        assert dict(task["custom_attributes"].items())["my_text_field"] == "some text"
        assert task["custom_attributes"]["my_text_field"] == "some text"
        task["custom_attributes"]["my_text_field"] = "bar"
        session.commit()
        names = [t["name"] for t in session.query(
            'Task where custom_attributes any (key is "my_text_field" and value is "bar")')]
        assert names == ["comp"]
    with new_session(server, ftrack_schema_cache_path) as session:
        assert session.get("Task", task_id)["custom_attributes"]["my_text_field"] == "bar"


def test_set_attributes_after_creating(setup, ftrack_schema_cache_path):
    server, task_id, shot_id = setup
    with new_session(server, ftrack_schema_cache_path) as session:
        shot = session.get("Shot", shot_id)
        task = session.create("Task", {"name": "light", "parent": shot})
        task["custom_attributes"]["my_text_field"] = "bar"
        session.commit()
        assert task["custom_attributes"]["my_text_field"] == "bar"


def test_hierarchical_attributes_read_raw(setup, ftrack_schema_cache_path):
    server, task_id, shot_id = setup
    with new_session(server, ftrack_schema_cache_path) as session:
        session.get("Shot", shot_id)["custom_attributes"]["my_attribute"] = "foo"
        session.commit()
    with new_session(server, ftrack_schema_cache_path) as session:
        assert session.get("Shot", shot_id)["custom_attributes"]["my_attribute"] == "foo"
        assert session.get("Task", task_id)["custom_attributes"]["my_attribute"] is None


def test_validation(setup, ftrack_schema_cache_path):
    server, task_id, shot_id = setup
    with new_session(server, ftrack_schema_cache_path) as session:
        shot = session.get("Shot", shot_id)
        shot["custom_attributes"]["fstart"] = "test"
        with pytest.raises(ftrack_api.exception.ServerError) as error:
            session.commit()
        assert "fstart" in str(error.value)
        session.rollback()
        shot["custom_attributes"]["approved_on"] = datetime.datetime(2024, 5, 1, 12, 30)
        shot["custom_attributes"]["fstart"] = 1010
        session.commit()
    with new_session(server, ftrack_schema_cache_path) as session:
        values = session.get("Shot", shot_id)["custom_attributes"]
        assert values["fstart"] == 1010
        assert values["approved_on"].year == 2024 and values["approved_on"].hour == 12


def test_using_metadata(ftrack_session, ftrack_server, ftrack_schema_cache_path):
    session = ftrack_session
    schema = session.get("ProjectSchema", seed.DEFAULT_PROJECT_SCHEMA_ID)
    project = session.create("Project", {"name": "md_" + uuid.uuid4().hex[:6], "full_name": "MD",
                                         "project_schema": schema})
    new_sequence = session.create("Sequence", {"name": "sq", "parent": project})
    new_sequence["metadata"]["frame_padding"] = "4"
    new_sequence["metadata"]["focal_length"] = "70"
    session.commit()
    assert sorted(new_sequence["metadata"].keys()) == ["focal_length", "frame_padding"]
    assert sorted(new_sequence["metadata"].items()) == [("focal_length", "70"), ("frame_padding", "4")]
    assert new_sequence["metadata"]["frame_padding"] == "4"
    new_sequence["metadata"]["frame_padding"] = "5"
    session.commit()
    found = session.query('Sequence where metadata any (key is "frame_padding" and value is "5") '
                          'and project_id is "{0}"'.format(project["id"])).all()
    assert [s["id"] for s in found] == [new_sequence["id"]]
    new_sequence["metadata"] = {"frame_padding": "4"}
    session.commit()
    with new_session(ftrack_server, ftrack_schema_cache_path) as other:
        assert dict(other.get("Sequence", new_sequence["id"])["metadata"]) == {"frame_padding": "4"}
        assert new_sequence["id"] in [s["id"] for s in other.query(
            'Sequence where metadata any (key is "frame_padding" and value is "4")')]
