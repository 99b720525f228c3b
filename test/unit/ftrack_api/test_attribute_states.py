"""Local and remote values, modification states and attribute rules."""

import pytest

import ftrack_api.attribute
import ftrack_api.collection
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.symbol

NOT_SET = ftrack_api.symbol.NOT_SET
CREATED = ftrack_api.symbol.CREATED
MODIFIED = ftrack_api.symbol.MODIFIED
DELETED = ftrack_api.symbol.DELETED


@pytest.fixture
def session(offline_session):
    return offline_session


@pytest.fixture
def user(session):
    return session.feed(
        '{"__entity_type__": "User", "id": "u1", "username": "martin"}'
    )


def test_local_and_remote_values(session, user):
    attribute = type(user).attributes.get("username")
    assert attribute.get_remote_value(user) == "martin"
    assert attribute.get_local_value(user) is NOT_SET
    assert attribute.is_set(user)
    assert not attribute.is_modified(user)

    user["username"] = "bjorn"
    assert attribute.get_local_value(user) == "bjorn"
    assert attribute.get_remote_value(user) == "martin"
    assert attribute.get_value(user) == "bjorn"
    assert attribute.is_modified(user)

    storage = attribute.get_entity_storage(user)
    assert storage["local"] == "bjorn"
    assert storage["remote"] == "martin"

    attribute.set_remote_value(user, "remote")
    assert user["username"] == "bjorn"

    email = type(user).attributes.get("email")
    assert not email.is_set(user)
    assert user["email"] is NOT_SET


def test_states(session, user):
    assert ftrack_api.inspection.state(user) is NOT_SET
    user["email"] = "x"
    assert ftrack_api.inspection.state(user) is MODIFIED
    session.delete(user)
    assert ftrack_api.inspection.state(user) is DELETED

    new = session.create("User", {})
    assert ftrack_api.inspection.state(new) is CREATED
    new["email"] = "y"
    assert ftrack_api.inspection.state(new) is CREATED
    assert session.created == [new]
    assert session.deleted == [user]


def test_immutable(session, user):
    with pytest.raises(ftrack_api.exception.ImmutableAttributeError):
        user["id"] = "other"
    # Setting NOT_SET is always allowed.
    type(user).attributes.get("id").set_local_value(user, NOT_SET)

    attribute = ftrack_api.attribute.ScalarAttribute("name", "string", mutable=False)
    assert attribute.mutable is False
    assert attribute.computed is False


def test_computed_flag(session):
    attribute = session.types["User"].attributes.get("thumbnail_url")
    assert attribute.computed is True


def test_delete_key(session, user):
    del user["username"]
    assert user["username"] is NOT_SET
    assert "username" not in ftrack_api.inspection.entity_state(user).remote
    with pytest.raises(KeyError):
        del user["missing"]


def test_collections_transfer_to_local(session):
    project = session.feed(
        '{"__entity_type__": "Project", "id": "p1", "children": '
        '[{"__entity_type__": "Sequence", "id": "s1"}]}'
    )
    attribute = type(project).attributes.get("children")
    children = project["children"]
    assert isinstance(children, ftrack_api.collection.Collection)
    assert attribute.get_local_value(project) is children
    assert project["children"] is children
    assert not attribute.is_modified(project)
    assert len(session.recorded_operations) == 0

    sequence = session.get("Sequence", "s1")
    assert sequence in children
    with pytest.raises(ftrack_api.exception.DuplicateItemInCollectionError):
        children.append(sequence)

    other = session.feed('{"__entity_type__": "Sequence", "id": "s2"}')
    children.append(other)
    assert attribute.is_modified(project)
    operation = list(session.recorded_operations)[-1]
    assert operation.attribute_name == "children"
    assert list(operation.new_value) == [sequence, other]
    assert list(operation.old_value) == [sequence]


def test_immutable_collection(session):
    project = session.feed('{"__entity_type__": "Project", "id": "p1", "children": []}')
    collection = project["children"]
    collection.mutable = False
    with pytest.raises(ftrack_api.exception.ImmutableCollectionError):
        collection.append(session.feed('{"__entity_type__": "Sequence", "id": "s3"}'))


def test_new_entity_collections_start_empty(session):
    project = session.create("Project", {"name": "new"})
    assert len(project["children"]) == 0
    assert project["name"] == "new"
    assert project["full_name"] is NOT_SET


def test_attributes_container():
    attributes = ftrack_api.attribute.Attributes()
    first = ftrack_api.attribute.ScalarAttribute("a", "string")
    attributes.add(first)
    assert attributes.get("a") is first
    assert "a" in attributes and first in attributes
    assert attributes.keys() == ["a"]
    assert len(attributes) == 1
    with pytest.raises(ftrack_api.exception.NotUniqueError):
        attributes.add(ftrack_api.attribute.ScalarAttribute("a", "string"))
    attributes.remove(first)
    assert attributes.get("a") is None


def test_entity_is_mapping(session, user):
    assert dict(user.items())["username"] == "martin"
    assert user.get("username") == "martin"
    assert user.setdefault("username", "x") == "martin"
    user.update({"first_name": "Martin"})
    assert user["first_name"] == "Martin"
    assert user.pop("first_name") == "Martin"
    assert user["first_name"] is NOT_SET
