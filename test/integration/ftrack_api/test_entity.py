"""Entities: creating, reading, updating, deleting and their states."""

import json

import arrow
import pytest

import ftrack_api
import ftrack_api.collection
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.symbol

from client_helpers import RequestCounter, unique_name

NOT_SET = ftrack_api.symbol.NOT_SET


def _operations(body):
    return json.loads(body)


def test_class_metadata(ftrack_session):
    task_class = ftrack_session.types["Task"]
    assert task_class.entity_type == "Task"
    assert task_class.primary_key_attributes == ["id"]
    assert "name" in task_class.default_projections
    names = [attribute.name for attribute in task_class.attributes]
    assert "status" in names and "timelogs" in names and "metadata" in names
    attribute = task_class.attributes.get("status")
    assert isinstance(attribute, ftrack_api.attribute.ReferenceAttribute)
    assert isinstance(
        task_class.attributes.get("metadata"),
        ftrack_api.attribute.KeyValueMappedCollectionAttribute,
    )
    assert repr(attribute).startswith("<ftrack_api.attribute.ReferenceAttribute(status)")
    assert ftrack_session.types["Metadata"].primary_key_attributes == ["parent_id", "key"]


def test_create_and_commit(ftrack_session, request_counter):
    username = unique_name("user")
    user = ftrack_session.create("User", {"username": username})
    assert user["id"]
    assert user["resource_type"] == "user"
    assert ftrack_api.inspection.state(user) is ftrack_api.symbol.CREATED
    assert request_counter.count == 0

    # Unset attributes of new entities are not fetched.
    assert user["first_name"] is NOT_SET
    assert request_counter.count == 0

    ftrack_session.commit()
    assert request_counter.count == 1
    (operation,) = _operations(request_counter.bodies[0])
    assert operation["action"] == "create"
    assert operation["entity_type"] == "User"
    assert operation["entity_key"] == [user["id"]]
    assert operation["entity_data"]["__entity_type__"] == "User"
    assert operation["entity_data"]["username"] == username
    assert ftrack_api.inspection.state(user) is ftrack_api.symbol.NOT_SET
    assert len(ftrack_session.recorded_operations) == 0

    retrieved = ftrack_session.query(
        'User where username is "{0}"'.format(username)
    ).one()
    assert retrieved is user


def test_body_is_sorted_ascii_json(ftrack_session, request_counter):
    user = ftrack_session.create("User", {"username": unique_name("uniçode")})
    ftrack_session.commit()
    body = request_counter.bodies[0]
    if isinstance(body, bytes):
        body = body.decode("ascii")
    assert body == json.dumps(json.loads(body), sort_keys=True)
    assert user["username"].startswith("uniçode")


def test_create_with_relation_compressed(ftrack_session, new_project, request_counter):
    sequence = ftrack_session.create(
        "Sequence", {"name": unique_name("seq"), "parent": new_project}
    )
    assert sequence["parent"] is new_project
    ftrack_session.commit()

    operations = _operations(request_counter.bodies[0])
    assert len(operations) == 1
    assert operations[0]["action"] == "create"
    assert operations[0]["entity_data"]["parent"] == {
        "__entity_type__": "Project",
        "id": new_project["id"],
    }
    assert sequence["project_id"] == new_project["id"]


def test_created_then_deleted_sends_nothing(ftrack_session, request_counter):
    user = ftrack_session.create("User", {"username": unique_name()})
    ftrack_session.delete(user)
    assert ftrack_api.inspection.state(user) is ftrack_api.symbol.DELETED
    ftrack_session.commit()
    assert request_counter.count == 0
    assert len(ftrack_session.recorded_operations) == 0


def test_update(ftrack_session, new_user, new_session):
    new_user["first_name"] = "Changed"
    new_user["first_name"] = "Changed again"
    assert ftrack_api.inspection.state(new_user) is ftrack_api.symbol.MODIFIED
    counter = RequestCounter(ftrack_session)
    ftrack_session.commit()
    operations = _operations(counter.bodies[0])
    assert operations == [
        {
            "action": "update",
            "entity_type": "User",
            "entity_key": [new_user["id"]],
            "entity_data": {"__entity_type__": "User", "first_name": "Changed again"},
        }
    ]

    other = new_session()
    assert other.get("User", new_user["id"])["first_name"] == "Changed again"


def test_update_without_populating(ftrack_session, new_user, new_session):
    other = new_session()
    with other.auto_populating(False):
        user = other.query("User where id is {0}".format(new_user["id"])).one()
        user["last_name"] = "Written blind"
    other.commit()
    ftrack_session.reset()
    assert ftrack_session.get("User", new_user["id"])["last_name"] == "Written blind"


def test_delete(ftrack_session, new_session):
    user = ftrack_session.create("User", {"username": unique_name()})
    ftrack_session.commit()
    user_id = user["id"]

    ftrack_session.delete(user)
    assert ftrack_api.inspection.state(user) is ftrack_api.symbol.DELETED
    ftrack_session.commit()
    # Local data stays readable.
    assert user["id"] == user_id
    assert new_session().get("User", user_id) is None


def test_rollback(ftrack_session, new_user):
    created = ftrack_session.create("User", {"username": unique_name()})
    first_name = new_user["first_name"]
    new_user["first_name"] = "Rolled back"
    ftrack_session.rollback()

    assert len(ftrack_session.recorded_operations) == 0
    assert new_user["first_name"] == first_name
    assert ftrack_session.get("User", created["id"]) is None
    assert ftrack_api.inspection.state(new_user) is ftrack_api.symbol.NOT_SET


def test_failed_commit_keeps_operations(ftrack_session):
    ftrack_session.create("Task", {"name": unique_name()})  # No parent: invalid.
    with pytest.raises(ftrack_api.exception.ServerError):
        ftrack_session.commit()
    assert len(ftrack_session.recorded_operations) == 1
    ftrack_session.rollback()


def test_query_merge_keeps_local_changes(ftrack_session):
    user = ftrack_session.query("User").first()
    user["email"] = "me@example.com"
    retrieved = ftrack_session.query(
        'select email from User where id is "{0}"'.format(user["id"])
    ).one()
    assert retrieved is user
    assert retrieved["email"] == "me@example.com"
    ftrack_session.rollback()


def test_immutable_attribute(ftrack_session, new_user):
    with pytest.raises(ftrack_api.exception.ImmutableAttributeError):
        new_user["id"] = "f3ab4ba8-3d47-11e6-a11c-14109fd8a4ea"

    created = ftrack_session.create("User", {"username": unique_name()})
    with pytest.raises(ftrack_api.exception.ImmutableAttributeError):
        created["id"] = "f3ab4ba8-3d47-11e6-a11c-14109fd8a4ea"
    ftrack_session.rollback()

    # Set while unset is fine.
    user = ftrack_session.create(
        "User", {"id": "5e0ee31c-0000-4000-8000-000000000001", "username": "x"}
    )
    assert user["id"] == "5e0ee31c-0000-4000-8000-000000000001"
    ftrack_session.rollback()


def test_unknown_attribute(ftrack_session):
    user = ftrack_session.query("User").first()
    with pytest.raises(KeyError):
        user["no_such_attribute"]
    with pytest.raises(KeyError):
        user["no_such_attribute"] = 1
    assert "no_such_attribute" not in user
    assert user.get("no_such_attribute") is None


def test_unknown_entity_type(ftrack_session):
    with pytest.raises(ftrack_api.exception.UnrecognisedEntityTypeError):
        ftrack_session.create("Unknown")
    with pytest.raises(ftrack_api.exception.UnrecognisedEntityTypeError):
        ftrack_session.get("Unknown", "some-id")


def test_keys_items_values(ftrack_session, new_user, request_counter):
    ftrack_session.reset()
    user = ftrack_session.query("select id from User where id is {0}".format(
        new_user["id"]
    )).one()
    keys = list(user.keys())
    assert "username" in keys and "timelogs" in keys
    assert len(user) == len(keys)

    with ftrack_session.auto_populating(False):
        items = dict(user.items())
        assert items["username"] is NOT_SET
        assert items["id"] == new_user["id"]

    request_counter.reset()
    items = dict(user.items())
    # Scalars in one query, then one per reference / collection attribute.
    expressions = request_counter.expressions()
    first = expressions[0]
    assert first.startswith("select ") and "username" in first and "first_name" in first
    assert first.endswith("from User where id is {0} offset 0 limit 500".format(
        user["id"]
    ))
    assert items["username"] == new_user["username"]
    assert isinstance(items["timelogs"], ftrack_api.collection.Collection)
    assert list(user.values())[0] == items[keys[0]]


def test_auto_population(ftrack_session, new_project, request_counter):
    sequence = ftrack_session.create(
        "Sequence", {"name": unique_name("seq"), "parent": new_project}
    )
    ftrack_session.commit()
    ftrack_session.reset()
    request_counter.reset()

    sequence = ftrack_session.query(
        "select id from Sequence where id is {0}".format(sequence["id"])
    ).one()
    with ftrack_session.auto_populating(False):
        assert sequence["name"] is NOT_SET
    assert request_counter.count == 1

    name = sequence["name"]
    assert name.startswith("seq_")
    assert request_counter.expressions()[-1] == (
        "select name from Sequence where id is {0} offset 0 limit 500".format(
            sequence["id"]
        )
    )
    sequence["name"]
    assert request_counter.count == 2

    parent = sequence["parent"]
    assert parent["id"] == new_project["id"]
    new_project = parent
    projections = ", ".join(
        "parent.{0}".format(name)
        for name in ftrack_session.types["Context"].default_projections
    )
    assert request_counter.expressions()[-1] == (
        "select {0} from Sequence where id is {1} offset 0 limit 500".format(
            projections, sequence["id"]
        )
    )

    children = new_project["children"]
    assert request_counter.expressions()[-1] == (
        "select children from Project where id is {0} offset 0 limit 500".format(
            new_project["id"]
        )
    )
    assert sequence in children


def test_delete_key_resets_value(ftrack_session, new_user):
    user = ftrack_session.query(
        "select username from User where id is {0}".format(new_user["id"])
    ).one()
    with ftrack_session.auto_populating(False):
        del user["username"]
        assert user["username"] is NOT_SET
    assert user["username"] == new_user["username"]
    ftrack_session.rollback()


def test_populate(ftrack_session, new_user, request_counter):
    ftrack_session.reset()
    users = ftrack_session.query("select id from User").all()
    request_counter.reset()
    ftrack_session.populate(users, "first_name, last_name")
    assert request_counter.count == 1
    expression = request_counter.expressions()[0]
    if len(users) > 1:
        assert expression == (
            "select first_name, last_name from User where id in ({0}) "
            "offset 0 limit 500".format(",".join(user["id"] for user in users))
        )
    with ftrack_session.auto_populating(False):
        for user in users:
            assert user["first_name"] is not NOT_SET
            assert user["email"] is NOT_SET

    # Single entity, local values win.
    user = users[0]
    user["first_name"] = "Local"
    request_counter.reset()
    ftrack_session.populate(user, "first_name")
    assert request_counter.expressions() == [
        "select first_name from User where id is {0} offset 0 limit 500".format(
            user["id"]
        )
    ]
    assert user["first_name"] == "Local"

    # New entities are skipped.
    created = ftrack_session.create("User", {"username": unique_name()})
    request_counter.reset()
    ftrack_session.populate([created], "first_name")
    assert request_counter.count == 0
    ftrack_session.rollback()


def test_populate_composite_key(ftrack_session, new_project, request_counter):
    new_project["metadata"]["a"] = "1"
    new_project["metadata"]["b"] = "2"
    ftrack_session.commit()
    metadata = list(new_project["metadata"].collection)
    request_counter.reset()
    ftrack_session.populate(metadata, "value")
    expression = request_counter.expressions()[0]
    parts = [
        '(parent_id is "{0}"and key is "{1}")'.format(new_project["id"], key)
        for key in ("a", "b")
    ]
    assert expression in (
        "select value from Metadata where {0} offset 0 limit 500".format(
            " or ".join(parts)
        ),
        "select value from Metadata where {0} offset 0 limit 500".format(
            " or ".join(reversed(parts))
        ),
    )


def test_get(ftrack_session, new_user, request_counter, new_session):
    # From the cache without request.
    request_counter.reset()
    assert ftrack_session.get("User", new_user["id"]) is new_user
    assert request_counter.count == 0

    other = new_session()
    counter = RequestCounter(other)
    user = other.get("User", new_user["id"])
    assert user["id"] == new_user["id"]
    assert counter.expressions() == [
        'select {0} from User where (id is "{1}") offset 0 limit 500'.format(
            ", ".join(other.types["User"].default_projections), new_user["id"]
        )
    ]
    assert other.get("User", [new_user["id"]]) is user
    assert other.get("User", "00000000-0000-4000-8000-000000000000") is None

    with pytest.raises(ValueError):
        other.get("Metadata", "only-one-value")


def test_get_composite_key(ftrack_session, new_project, new_session):
    new_project["metadata"]["key"] = "value"
    ftrack_session.commit()
    other = new_session()
    metadata = other.get("Metadata", [new_project["id"], "key"])
    assert metadata["value"] == "value"
    assert other.get("Metadata", {"parent_id": new_project["id"], "key": "key"}) is metadata


def test_ensure(ftrack_session, request_counter):
    username = unique_name("ensured")
    request_counter.reset()
    user = ftrack_session.ensure("User", {"username": username})
    assert user["username"] == username
    assert request_counter.expressions()[0] == (
        'select id from User where username is "{0}" limit 2'.format(username)
    )
    assert len(ftrack_session.recorded_operations) == 0

    again = ftrack_session.ensure("User", {"username": username})
    assert again is user

    updated = ftrack_session.ensure(
        "User",
        {"username": username, "email": "ensured@example.com"},
        identifying_keys=["username"],
    )
    assert updated is user
    assert user["email"] == "ensured@example.com"
    assert len(ftrack_session.recorded_operations) == 0

    with pytest.raises(KeyError):
        ftrack_session.ensure("User", {"username": username}, identifying_keys=["email"])
    with pytest.raises(ValueError):
        ftrack_session.ensure("User", {})


def test_ensure_query_text(ftrack_session, request_counter):
    start = arrow.get("2024-01-02T03:04:05.123456+02:00")
    try:
        ftrack_session.ensure(
            "Timelog",
            {"comment": "text", "duration": 10, "start": start, "name": None},
        )
    except ftrack_api.exception.ServerError:
        ftrack_session.rollback()
    assert request_counter.expressions()[0] == (
        'select id from Timelog where comment is "text" and duration is 10 and '
        'start is "2024-01-02T03:04:05" and name is None limit 2'
    )
    ftrack_session.rollback()


def test_entity_equality_and_hash(ftrack_session, new_user, new_session):
    other_session = new_session()
    other = other_session.get("User", new_user["id"])
    assert other is not new_user
    assert other == new_user
    assert hash(other) == hash(new_user)
    assert new_user != "not an entity"
    assert (new_user == 1) is False
    assert len({new_user, other}) == 1
    assert repr(new_user) == "<User({0})>".format(new_user["id"])


def test_states(ftrack_session, new_user):
    new = ftrack_session.create("User", {})
    assert ftrack_api.inspection.state(new) is ftrack_api.symbol.CREATED
    existing = ftrack_session.get("User", new_user["id"])
    assert ftrack_api.inspection.state(existing) is ftrack_api.symbol.NOT_SET
    existing["email"] = "martin@example.com"
    assert ftrack_api.inspection.state(existing) is ftrack_api.symbol.MODIFIED
    ftrack_session.delete(new)
    assert ftrack_api.inspection.state(new) is ftrack_api.symbol.DELETED
    ftrack_session.rollback()


def test_collection_changes(ftrack_session, new_project, project_schema, new_session):
    sequence = ftrack_session.create("Sequence", {"name": unique_name("seq")})
    children = new_project["children"]
    children.append(sequence)
    with pytest.raises(ftrack_api.exception.DuplicateItemInCollectionError):
        children.append(sequence)
    ftrack_session.commit()
    # The other side of the relation is not updated locally.
    assert new_session().get("Sequence", sequence["id"])["parent_id"] == new_project["id"]

    # New entities start with empty collections.
    project = ftrack_session.create(
        "Project", {"name": unique_name(), "full_name": "x", "project_schema": project_schema}
    )
    assert len(project["children"]) == 0
    ftrack_session.rollback()


def test_collection_assignment(ftrack_session, new_project):
    sequence = ftrack_session.create(
        "Sequence", {"name": unique_name("seq"), "parent": new_project}
    )
    scope_a = ftrack_session.create("Scope", {"name": unique_name("scope")})
    scope_b = ftrack_session.create("Scope", {"name": unique_name("scope")})
    sequence["scopes"] = [scope_a, scope_b]
    ftrack_session.commit()
    ftrack_session.reset()
    sequence = ftrack_session.get("Sequence", sequence["id"])
    assert sorted(scope["name"] for scope in sequence["scopes"]) == sorted(
        [scope_a["name"], scope_b["name"]]
    )


def test_datetime_attributes(ftrack_session, new_user, new_session):
    start = arrow.get("2024-05-01T10:11:12+00:00")
    timelog = ftrack_session.create(
        "Timelog", {"user": new_user, "start": start, "duration": 60}
    )
    ftrack_session.commit()

    other = new_session()
    loaded = other.get("Timelog", timelog["id"])
    assert isinstance(loaded["start"], arrow.Arrow)
    assert loaded["start"] == start


def test_notes(ftrack_session, new_project, new_user):
    note = new_project.create_note("My new note", author=new_user)
    ftrack_session.commit()
    reply = note.create_reply("My reply", author=new_user)
    ftrack_session.commit()
    ftrack_session.reset()
    note = ftrack_session.get("Note", note["id"])
    assert note["content"] == "My new note"
    assert [item["id"] for item in note["replies"]] == [reply["id"]]


def test_job_type(ftrack_session, new_user):
    with pytest.raises(ValueError):
        ftrack_session.create("Job", {"type": "not_api_job", "user": new_user})
    job = ftrack_session.create(
        "Job", {"user": new_user, "status": "running", "data": json.dumps({})}
    )
    assert job["type"] == "api_job"
    ftrack_session.commit()


def test_user_timers(ftrack_session, new_project, new_user):
    timer = new_user.start_timer(new_project, comment="working")
    assert timer["comment"] == "working"
    with pytest.raises(ftrack_api.exception.NotUniqueError):
        new_user.start_timer(new_project)
    assert len(ftrack_session.recorded_operations) == 0

    timer = new_user.start_timer(new_project, force=True)
    timelog = new_user.stop_timer()
    assert timelog["duration"] >= 0
    assert timelog["comment"] == ""
    with pytest.raises(ftrack_api.exception.NoResultFoundError):
        new_user.stop_timer()


def test_project_schema_helpers(ftrack_session, project_schema):
    statuses = project_schema.get_statuses("Shot")
    assert statuses and all(
        isinstance(status, ftrack_session.types["Status"]) for status in statuses
    )
    types = project_schema.get_types("Task")
    assert types
    task_statuses = project_schema.get_statuses("Task", types[0]["id"])
    assert task_statuses
    assert project_schema.get_statuses("AssetVersion")
    with pytest.raises(ValueError):
        project_schema.get_statuses("NoSuchObjectType")


def test_entity_merge(ftrack_session, new_user):
    detached = ftrack_session.types["User"](
        ftrack_session, {"id": new_user["id"], "first_name": "Merged"},
        reconstructing=True,
    )
    changes = new_user.merge(detached)
    assert {"type": "remote_attribute", "name": "first_name",
            "old_value": changes[0]["old_value"], "new_value": "Merged"} in changes
    assert new_user["first_name"] == "Merged"
    assert ftrack_session.merge(detached) is new_user


def test_entity_clear(ftrack_session, new_user):
    last_name = new_user["last_name"]
    new_user["last_name"] = "Local"
    new_user.clear()
    assert new_user["last_name"] == last_name
    ftrack_session.rollback()
