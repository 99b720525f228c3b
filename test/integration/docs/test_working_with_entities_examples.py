"""The examples of the documentation's "Working with entities" section, run as written (Python 3)."""

import uuid

import pytest

import ftrack_api
import ftrack_api.attribute
import ftrack_api.collection
import ftrack_api.inspection
from ftrack_api.symbol import CREATED, DELETED, MODIFIED, NOT_SET
from ftrack_local import seed


def new_session(server, cache_path):
    return ftrack_api.Session(server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                              schema_cache_path=cache_path)


@pytest.fixture
def task(ftrack_session):
    session = ftrack_session
    schema = session.get("ProjectSchema", seed.DEFAULT_PROJECT_SCHEMA_ID)
    project = session.create("Project", {"name": "ents_" + uuid.uuid4().hex[:6], "full_name": "Entities",
                                         "project_schema": schema})
    shot = session.create("Shot", {"name": "sh010", "parent": project})
    task = session.create("Task", {"name": "model", "parent": shot})
    session.create("Note", {"content": "A message", "parent_id": task["id"], "parent_type": "Task"})
    session.commit()
    return task


def test_note_keys_update_and_reply(ftrack_session, ftrack_server, ftrack_schema_cache_path, task):
    session = ftrack_session
    note = session.query('Note where parent_id is "{0}"'.format(task["id"])).first()
    assert "content" in note.keys() and note["content"] == "A message"
    note["content"] = "A different message!"
    reply = note.create_reply("Thanks!", session.query("User").first())
    session.commit()
    with new_session(ftrack_server, ftrack_schema_cache_path) as other:
        stored = other.get("Note", note["id"])
        assert stored["content"] == "A different message!"
        assert [r["content"] for r in stored["replies"]] == ["Thanks!"]
        assert other.get("Note", reply["id"])["in_reply_to_id"] == note["id"]


def test_attributes_by_kind(ftrack_session, task):
    session = ftrack_session
    kinds = {attribute.name: type(attribute) for attribute in type(task).attributes}
    assert kinds["name"] is ftrack_api.attribute.ScalarAttribute
    assert kinds["status"] is ftrack_api.attribute.ReferenceAttribute
    assert kinds["timelogs"] is ftrack_api.attribute.CollectionAttribute
    assert kinds["metadata"] is ftrack_api.attribute.KeyValueMappedCollectionAttribute
    assert task["name"] == "model"
    task["name"] = "comp"
    new_status = session.query("Status").first()
    task["status"] = new_status
    assert isinstance(task["timelogs"], ftrack_api.collection.Collection)
    user = session.query("User").first()
    new_timelog = session.create("Timelog", {"user": user, "start": task["created_at"], "duration": 60})
    task["timelogs"].append(new_timelog)
    session.commit()
    assert task["status"] is new_status
    assert [t["id"] for t in session.query(
        'Timelog where context_id is "{0}"'.format(task["id"]))] == [new_timelog["id"]]


def test_create_update_and_states(ftrack_session):
    session = ftrack_session
    new_user = session.create("User", {"username": "martin_" + uuid.uuid4().hex[:6]})
    assert len(new_user["id"]) == 36
    assert new_user["first_name"] is NOT_SET
    assert ftrack_api.inspection.state(new_user) is CREATED
    existing_user = session.query("User").first()
    assert ftrack_api.inspection.state(existing_user) is NOT_SET
    existing_user["email"] = "martin@example.com"
    assert ftrack_api.inspection.state(existing_user) is MODIFIED
    session.delete(new_user)
    assert ftrack_api.inspection.state(new_user) is DELETED
    session.rollback()


def test_update_without_auto_population(ftrack_session, ftrack_server, ftrack_schema_cache_path, task):
    session = ftrack_session
    with session.auto_populating(False):
        found = session.query('Task where id is "{0}"'.format(task["id"])).first()
        found["bid"] = 8
    session.commit()
    with new_session(ftrack_server, ftrack_schema_cache_path) as other:
        assert other.get("Task", task["id"])["bid"] == 8


def test_reset_remote_api_key(ftrack_fresh_server, ftrack_schema_cache_path):
    with new_session(ftrack_fresh_server, ftrack_schema_cache_path) as session:
        session.create("User", {"username": "test_user"})
        session.commit()
        result = session.reset_remote(
            "api_key", entity=session.query('User where username is "test_user"').one())
        assert len(result["api_key"]) == 36


def test_delete_keeps_local_instance_and_cascades(ftrack_session, task):
    session = ftrack_session
    task_to_delete = session.get("Task", task["id"])
    session.delete(task_to_delete)
    session.commit()
    assert task_to_delete["name"] == "model"
    assert session.query('Task where id is "{0}"'.format(task["id"])).all() == []
    assert session.query('Note where parent_id is "{0}"'.format(task["id"])).all() == []


def test_populate(ftrack_session):
    session = ftrack_session
    users = session.query("User").all()
    session.populate(users, "first_name, last_name")
    with session.auto_populating(False):
        for user in users:
            assert user["first_name"] is not NOT_SET
            assert user["email"] is NOT_SET
