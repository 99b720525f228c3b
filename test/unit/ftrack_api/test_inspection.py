"""Tests for :mod:`ftrack_api.inspection`."""

import collections

import pytest

import ftrack_api.cache
import ftrack_api.inspection
import ftrack_api.operation
import ftrack_api.symbol


class FakeSession(object):
    """Minimal session exposing recorded operations."""

    def __init__(self):
        self.recorded_operations = ftrack_api.operation.Operations()


class FakeEntity(dict):
    """Minimal entity: a mapping with type, session and key attributes."""

    def __init__(self, session, entity_type, data, primary_key_attributes=("id",)):
        super(FakeEntity, self).__init__(data)
        self.session = session
        self.entity_type = entity_type
        self.primary_key_attributes = list(primary_key_attributes)

    def __getitem__(self, key):
        return self.get(key, ftrack_api.symbol.NOT_SET)


@pytest.fixture
def session():
    return FakeSession()


def test_primary_key_ordered_strings(session):
    entity = FakeEntity(
        session,
        "Metadata",
        {"key": "frame", "parent_id": 42, "value": "x"},
        primary_key_attributes=["parent_id", "key"],
    )
    key = ftrack_api.inspection.primary_key(entity)
    assert isinstance(key, collections.OrderedDict)
    assert list(key.items()) == [("parent_id", "42"), ("key", "frame")]
    assert list(key.values()) == ["42", "frame"]


def test_primary_key_missing_value_raises(session):
    entity = FakeEntity(session, "User", {})
    with pytest.raises(KeyError):
        ftrack_api.inspection.primary_key(entity)


def test_identity(session):
    entity = FakeEntity(session, "User", {"id": "abc"})
    identity = ftrack_api.inspection.identity(entity)
    # The type name and a list of key values, as cache keys are made from.
    assert identity == ("User", ["abc"])
    assert ftrack_api.cache.StringKeyMaker().key(identity) == "('User', ['abc'])"


def test_identity_composite_and_stable(session):
    first = FakeEntity(session, "Link", {"a": 1, "b": "2"}, ["a", "b"])
    second = FakeEntity(session, "Link", {"a": "1", "b": 2}, ["a", "b"])
    assert ftrack_api.inspection.identity(first) == ("Link", ["1", "2"])
    assert ftrack_api.inspection.identity(first) == ftrack_api.inspection.identity(
        second
    )


def _key(entity):
    return ftrack_api.inspection.primary_key(entity)


def test_state_not_set_without_operations(session):
    entity = FakeEntity(session, "User", {"id": "1"})
    assert ftrack_api.inspection.state(entity) is ftrack_api.symbol.NOT_SET


def test_state_created(session):
    entity = FakeEntity(session, "User", {"id": "1"})
    session.recorded_operations.push(
        ftrack_api.operation.CreateEntityOperation("User", _key(entity), {"id": "1"})
    )
    assert ftrack_api.inspection.state(entity) is ftrack_api.symbol.CREATED


def test_state_created_stays_created_after_update(session):
    entity = FakeEntity(session, "User", {"id": "1"})
    session.recorded_operations.push(
        ftrack_api.operation.CreateEntityOperation("User", _key(entity), {})
    )
    session.recorded_operations.push(
        ftrack_api.operation.UpdateEntityOperation(
            "User", _key(entity), "name", ftrack_api.symbol.NOT_SET, "x"
        )
    )
    assert ftrack_api.inspection.state(entity) is ftrack_api.symbol.CREATED


def test_state_modified(session):
    entity = FakeEntity(session, "User", {"id": "1"})
    session.recorded_operations.push(
        ftrack_api.operation.UpdateEntityOperation(
            "User", _key(entity), "name", "a", "b"
        )
    )
    assert ftrack_api.inspection.state(entity) is ftrack_api.symbol.MODIFIED


def test_state_deleted(session):
    entity = FakeEntity(session, "User", {"id": "1"})
    session.recorded_operations.push(
        ftrack_api.operation.CreateEntityOperation("User", _key(entity), {})
    )
    session.recorded_operations.push(
        ftrack_api.operation.DeleteEntityOperation("User", _key(entity))
    )
    assert ftrack_api.inspection.state(entity) is ftrack_api.symbol.DELETED


def test_state_ignores_other_entities(session):
    entity = FakeEntity(session, "User", {"id": "1"})
    other = FakeEntity(session, "User", {"id": "2"})
    other_type = FakeEntity(session, "Task", {"id": "1"})
    session.recorded_operations.push(
        ftrack_api.operation.CreateEntityOperation("User", _key(other), {})
    )
    session.recorded_operations.push(
        ftrack_api.operation.DeleteEntityOperation("Task", _key(other_type))
    )
    assert ftrack_api.inspection.state(entity) is ftrack_api.symbol.NOT_SET


def test_state_matches_plain_dict_keys(session):
    entity = FakeEntity(session, "User", {"id": "1"})
    session.recorded_operations.push(
        ftrack_api.operation.DeleteEntityOperation("User", {"id": "1"})
    )
    assert ftrack_api.inspection.state(entity) is ftrack_api.symbol.DELETED


def test_state_reverts_when_log_cleared(session):
    entity = FakeEntity(session, "User", {"id": "1"})
    session.recorded_operations.push(
        ftrack_api.operation.DeleteEntityOperation("User", _key(entity))
    )
    session.recorded_operations.clear()
    assert ftrack_api.inspection.state(entity) is ftrack_api.symbol.NOT_SET


def test_states_batch(session):
    created = FakeEntity(session, "User", {"id": "1"})
    modified = FakeEntity(session, "User", {"id": "2"})
    deleted = FakeEntity(session, "User", {"id": "3"})
    untouched = FakeEntity(session, "User", {"id": "4"})
    operations = session.recorded_operations
    operations.push(
        ftrack_api.operation.CreateEntityOperation("User", _key(created), {})
    )
    operations.push(
        ftrack_api.operation.UpdateEntityOperation(
            "User", _key(modified), "name", "a", "b"
        )
    )
    operations.push(ftrack_api.operation.DeleteEntityOperation("User", _key(deleted)))

    assert ftrack_api.inspection.states(
        [untouched, deleted, modified, created, created]
    ) == [
        ftrack_api.symbol.NOT_SET,
        ftrack_api.symbol.DELETED,
        ftrack_api.symbol.MODIFIED,
        ftrack_api.symbol.CREATED,
        ftrack_api.symbol.CREATED,
    ]


def test_states_empty():
    assert ftrack_api.inspection.states([]) == []


def test_states_iterates_operations_once_per_session(session):
    class CountingSession(object):
        def __init__(self):
            self.reads = 0
            self._operations = ftrack_api.operation.Operations()

        @property
        def recorded_operations(self):
            self.reads += 1
            return self._operations

    counting = CountingSession()
    entities = [FakeEntity(counting, "User", {"id": str(i)}) for i in range(5)]
    ftrack_api.inspection.states(entities)
    assert counting.reads == 1


def test_states_across_sessions():
    first_session = FakeSession()
    second_session = FakeSession()
    first = FakeEntity(first_session, "User", {"id": "1"})
    second = FakeEntity(second_session, "User", {"id": "1"})
    first_session.recorded_operations.push(
        ftrack_api.operation.CreateEntityOperation("User", _key(first), {})
    )
    assert ftrack_api.inspection.states([first, second]) == [
        ftrack_api.symbol.CREATED,
        ftrack_api.symbol.NOT_SET,
    ]
