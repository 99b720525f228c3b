"""How commit turns recorded operations into a batch."""

import json

import pytest

import ftrack_api.inspection
import ftrack_api.operation
import ftrack_api.symbol

state = ftrack_api.inspection.entity_state

PROJECT = '{"__entity_type__": "Project", "id": "p1", "name": "project"}'


@pytest.fixture
def session(offline_session):
    return offline_session


def _batch(session):
    return session._unit_of_work.build_batch(list(session.recorded_operations))


def test_create_with_relations_is_one_create(session):
    project = session.feed(PROJECT)
    sequence = session.create("Sequence", {"name": "seq", "parent": project})
    operations = list(session.recorded_operations)
    assert [type(operation).__name__ for operation in operations] == [
        "CreateEntityOperation",
        "UpdateEntityOperation",
    ]
    batch = _batch(session)
    assert len(batch) == 1
    create = batch[0]
    assert create["action"] == "create"
    assert create["entity_type"] == "Sequence"
    assert create["entity_key"] == [sequence["id"]]
    data = create["entity_data"]
    assert data["__entity_type__"] == "Sequence"
    assert data["id"] == sequence["id"]
    assert data["name"] == "seq"
    assert data["parent"] == {"__entity_type__": "Project", "id": "p1"}
    # Defaults are applied client side.
    assert data["object_type_id"] == "e5139355-61da-4c8f-9db4-3abc870166bc"


def test_created_and_deleted_is_dropped(session):
    user = session.create("User", {"username": "gone"})
    user["email"] = "x"
    session.delete(user)
    other = session.create("User", {"username": "kept"})
    batch = _batch(session)
    assert [payload["entity_key"] for payload in batch] == [[other["id"]]]


def test_last_update_wins_and_merges(session):
    project = session.feed(PROJECT)
    user = session.feed('{"__entity_type__": "User", "id": "u1"}')
    project["name"] = "first"
    user["email"] = "a"
    project["name"] = "second"
    project["full_name"] = "Full"
    batch = _batch(session)
    assert batch == [
        {
            "action": "update",
            "entity_type": "User",
            "entity_key": ["u1"],
            "entity_data": {"__entity_type__": "User", "email": "a"},
        },
        {
            "action": "update",
            "entity_type": "Project",
            "entity_key": ["p1"],
            "entity_data": {
                "__entity_type__": "Project",
                "name": "second",
                "full_name": "Full",
            },
        },
    ]


def test_not_set_updates_are_dropped(session):
    project = session.feed(PROJECT)
    project["full_name"] = "x"
    project["full_name"] = ftrack_api.symbol.NOT_SET
    assert _batch(session) == []


def test_delete_payload(session):
    project = session.feed(PROJECT)
    session.delete(project)
    assert _batch(session) == [
        {"action": "delete", "entity_type": "Project", "entity_key": ["p1"]}
    ]


def test_collection_update_sends_membership(session):
    project = session.feed(PROJECT)
    session.feed('{"__entity_type__": "Project", "id": "p1", "children": []}')
    sequence = session.create("Sequence", {"name": "seq"})
    project["children"].append(sequence)
    batch = _batch(session)
    assert [payload["action"] for payload in batch] == ["create", "update"]
    assert batch[1]["entity_data"] == {
        "__entity_type__": "Project",
        "children": [{"__entity_type__": "Sequence", "id": sequence["id"]}],
    }


def test_metadata_creates_entities(session):
    project = session.feed(
        '{"__entity_type__": "Project", "id": "p1", "metadata": []}'
    )
    project["metadata"]["frame_padding"] = "4"
    batch = _batch(session)
    assert batch[0] == {
        "action": "create",
        "entity_type": "Metadata",
        "entity_key": ["p1", "frame_padding"],
        "entity_data": {
            "__entity_type__": "Metadata",
            "parent_id": "p1",
            "parent_type": "Project",
            "key": "frame_padding",
            "value": "4",
        },
    }
    assert batch[1]["entity_data"]["metadata"] == [
        {"__entity_type__": "Metadata", "parent_id": "p1", "key": "frame_padding"}
    ]

    # Deleting a key deletes its entity (created and deleted: nothing sent
    # for it).
    del project["metadata"]["frame_padding"]
    assert [payload["entity_type"] for payload in _batch(session)] == ["Project"]


def test_datetimes_in_payload(session):
    import arrow

    user = session.feed('{"__entity_type__": "User", "id": "u1"}')
    timelog = session.create(
        "Timelog", {"user": user, "start": arrow.Arrow(2024, 1, 2, 3, 4, 5, tzinfo="utc")}
    )
    body = json.loads(session.encode(_batch(session)))
    assert body[0]["entity_data"]["start"] == {
        "__type__": "datetime",
        "value": "2024-01-02T03:04:05+00:00",
    }
    assert body[0]["entity_data"]["user"] == {"__entity_type__": "User", "id": "u1"}
    assert timelog["user"] is user


def test_after_commit_clears_local_values(session):
    project = session.feed(PROJECT)
    project["name"] = "changed"
    created = session.create("User", {"username": "new"})
    operations = list(session.recorded_operations)
    later = session.create("User", {"username": "later"})
    session._unit_of_work.after_commit(operations)

    assert len(session.recorded_operations) == 1
    assert state(project).local == {}
    assert state(created).local == {}
    assert state(created).remote["id"] == created["id"]
    assert state(created).created is False
    # Entities changed after the batch was built keep their local values.
    assert state(later).local["username"] == "later"
    assert state(later).created is True
