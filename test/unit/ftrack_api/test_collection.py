"""Collections and mapped collection proxies (:mod:`ftrack_api.collection`)."""

import copy
import logging
import threading
import uuid

import pytest

import ftrack_api.collection
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.operation
import ftrack_api.symbol

NOT_SET = ftrack_api.symbol.NOT_SET


class FakeSession(object):
    """The little of a session a collection uses to record operations."""

    def __init__(self):
        self.record_operations = True
        self.recorded_operations = ftrack_api.operation.Operations()

    def operation_recording(self, record):
        session = self

        class Recording(object):
            def __enter__(self):
                self.previous = session.record_operations
                session.record_operations = record

            def __exit__(self, *exc_info):
                session.record_operations = self.previous

        return Recording()


class Item(object):
    """A stand-in entity: a type, a primary key and a session."""

    entity_type = "Thing"
    primary_key_attributes = ["id"]

    def __init__(self, session, identifier=None):
        self.session = session
        self.id = identifier or uuid.uuid4().hex

    def __getitem__(self, key):
        return getattr(self, key)

    def __setitem__(self, key, value):
        setattr(self, key, value)

    def keys(self):
        return ["id"]

    def __eq__(self, other):
        return isinstance(other, Item) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return "Item({0})".format(self.id)


class Attribute(object):
    """A stand-in attribute: only its name is used."""

    name = "things"


@pytest.fixture
def session():
    return FakeSession()


@pytest.fixture
def owner(session):
    return Item(session, "owner")


@pytest.fixture
def items(session):
    return [Item(session, "a"), Item(session, "b")]


@pytest.fixture
def collection(owner, items):
    return ftrack_api.collection.Collection(owner, Attribute(), data=items)


def operations(session):
    return list(session.recorded_operations)


# Recording of changes ------------------------------------------------------


def test_filling_at_creation_records_nothing(session, collection):
    assert len(collection) == 2
    assert operations(session) == []


def test_append_records_update_operation(session, owner, items, collection):
    new = Item(session, "c")
    collection.append(new)

    (operation,) = operations(session)
    assert isinstance(operation, ftrack_api.operation.UpdateEntityOperation)
    assert operation.entity_type == "Thing"
    assert dict(operation.entity_key) == {"id": "owner"}
    assert operation.attribute_name == "things"
    assert list(operation.old_value) == items
    assert list(operation.new_value) == items + [new]
    assert operation.new_value == collection
    # The operation keeps copies: later changes do not alter it.
    assert operation.new_value is not collection
    assert isinstance(operation.old_value, ftrack_api.collection.Collection)
    collection.append(Item(session, "d"))
    assert len(operation.new_value) == 3


@pytest.mark.parametrize(
    "change, count",
    [
        (lambda c, new: c.insert(0, new), 1),
        (lambda c, new: c.__setitem__(0, new), 1),
        (lambda c, new: c.__delitem__(0), 1),
        (lambda c, new: c.pop(), 1),
        (lambda c, new: c.remove(c[0]), 1),
        (lambda c, new: c.extend([new]), 1),
        (lambda c, new: c.clear(), 2),
        (lambda c, new: c.__setitem__(0, c[0]), 1),
    ],
    ids=["insert", "set", "delete", "pop", "remove", "extend", "clear", "re-set"],
)
def test_every_change_is_recorded(session, collection, change, count):
    change(collection, Item(session, "new"))
    assert len(operations(session)) == count
    assert all(
        isinstance(operation, ftrack_api.operation.UpdateEntityOperation)
        for operation in operations(session)
    )


def test_changes_not_recorded_when_recording_is_off(session, collection):
    with session.operation_recording(False):
        collection.append(Item(session, "c"))
        del collection[0]
    assert operations(session) == []
    assert [item.id for item in collection] == ["b", "c"]


def test_notify_is_the_seam_for_changes(owner, items, session):
    calls = []

    class Watched(ftrack_api.collection.Collection):
        def _notify(self, old_value):
            calls.append((list(old_value), list(self)))

    collection = Watched(owner, Attribute(), data=items)
    assert calls == []

    new = Item(session, "c")
    collection.append(new)
    del collection[0]

    assert calls == [(items, items + [new]), (items + [new], [items[1], new])]
    # The override replaces the recording.
    assert operations(session) == []


def test_unbound_collection_records_nothing(items):
    collection = ftrack_api.collection.Collection(None, None, data=items)
    collection.append(Item(None, "c"))
    assert len(collection) == 3


# Mutability and duplicates -------------------------------------------------


def test_duplicate_at_creation_is_refused(owner, items):
    with pytest.raises(ftrack_api.exception.DuplicateItemInCollectionError):
        ftrack_api.collection.Collection(
            owner, Attribute(), data=items + [Item(owner.session, "a")]
        )


def test_immutable_collection_can_be_filled_at_creation(owner, items):
    collection = ftrack_api.collection.Collection(
        owner, Attribute(), data=items, mutable=False
    )
    assert list(collection) == items
    assert collection.mutable is False


@pytest.mark.parametrize(
    "change",
    [
        lambda c, new: c.append(new),
        lambda c, new: c.__setitem__(0, c[0]),
        lambda c, new: c.__delitem__(0),
        lambda c, new: c.__delitem__(10),
    ],
    ids=["append", "set", "delete", "delete-invalid-index"],
)
def test_immutable_collection_refuses_changes(owner, items, session, change):
    collection = ftrack_api.collection.Collection(
        owner, Attribute(), data=items, mutable=False
    )
    with pytest.raises(ftrack_api.exception.ImmutableCollectionError) as error:
        change(collection, Item(session, "c"))
    assert "Cannot modify value of immutable collection" in str(error.value)
    assert list(collection) == items
    assert operations(session) == []


def test_duplicates_refused(session, collection, items):
    with pytest.raises(ftrack_api.exception.DuplicateItemInCollectionError):
        collection.insert(0, Item(session, "b"))
    with pytest.raises(ftrack_api.exception.DuplicateItemInCollectionError):
        collection[0] = items[1]
    with pytest.raises(ftrack_api.exception.DuplicateItemInCollectionError):
        # Checked before the index.
        collection[5] = items[1]
    assert list(collection) == items
    assert operations(session) == []


def test_same_item_can_be_set_again_at_its_index(collection, items):
    collection[0] = items[0]
    collection[-1] = items[1]
    assert list(collection) == items


def test_invalid_index_records_nothing(session, collection):
    with pytest.raises(IndexError, match="list index out of range"):
        del collection[4]
    with pytest.raises(IndexError, match="list assignment index out of range"):
        collection[4] = Item(session, "c")
    assert operations(session) == []


# Equality, iteration and copies --------------------------------------------


def test_equality_by_identity_in_any_order(owner, items, session):
    same = ftrack_api.collection.Collection(
        owner, Attribute(), data=[Item(session, "b"), Item(session, "a")]
    )
    collection = ftrack_api.collection.Collection(owner, Attribute(), data=items)
    assert collection == same
    assert not collection != same

    other = ftrack_api.collection.Collection(owner, Attribute(), data=items[:1])
    assert collection != other
    assert collection != ftrack_api.collection.Collection(owner, Attribute())


def test_not_equal_to_other_types(collection, items):
    assert collection != list(items)
    assert collection != {}
    assert not collection == NOT_SET
    with pytest.raises(TypeError):
        hash(collection)


def test_plain_values_compare_by_value(owner):
    first = ftrack_api.collection.Collection(owner, Attribute(), data=[1, 2])
    second = ftrack_api.collection.Collection(owner, Attribute(), data=[2, 1])
    assert first == second
    assert first != ftrack_api.collection.Collection(owner, Attribute(), data=[1])


def test_iteration_follows_positions_like_a_list(owner, session):
    collection = ftrack_api.collection.Collection(
        owner, Attribute(), data=[Item(session, name) for name in "abcd"]
    )
    with session.operation_recording(False):
        for item in collection:
            collection.remove(item)
    assert [item.id for item in collection] == ["b", "d"]


def test_shallow_copy_is_independent(session, owner, items, collection):
    duplicate = copy.copy(collection)
    assert duplicate == collection
    assert duplicate.entity is owner
    assert duplicate.attribute is collection.attribute
    assert duplicate.mutable is True

    with session.operation_recording(False):
        duplicate.append(Item(session, "c"))
    assert list(collection) == items
    assert len(duplicate) == 3


def test_shallow_copy_keeps_class_and_state(owner, items):
    class Special(ftrack_api.collection.Collection):
        pass

    collection = Special(owner, Attribute(), data=items, mutable=False)
    collection.note = "kept"
    duplicate = copy.copy(collection)
    assert type(duplicate) is Special
    assert duplicate.mutable is False
    assert duplicate.note == "kept"


def test_default_representation(collection):
    assert repr(collection).startswith("<ftrack_api.collection.Collection object at ")


# Collections of real entities ----------------------------------------------


@pytest.fixture
def project(offline_session):
    return offline_session.create("Project", {"name": "collections"})


def test_entity_collection_change_records_update(offline_session, project):
    children = project["children"]
    offline_session.recorded_operations.clear()

    task = offline_session.create("Task", {"name": "child"})
    offline_session.recorded_operations.clear()
    children.append(task)

    (operation,) = list(offline_session.recorded_operations)
    assert isinstance(operation, ftrack_api.operation.UpdateEntityOperation)
    assert operation.entity_type == "Project"
    assert operation.attribute_name == "children"
    assert isinstance(operation.new_value, ftrack_api.collection.Collection)
    assert list(operation.new_value) == [task]
    assert list(operation.old_value) == []
    assert project["children"] is children


def test_changed_copy_does_not_replace_entity_value(offline_session, project):
    children = project["children"]
    duplicate = copy.copy(children)
    with offline_session.operation_recording(False):
        duplicate.append(offline_session.create("Task", {"name": "child"}))
    assert project["children"] is children
    assert len(project["children"]) == 0


def test_changed_remote_collection_becomes_local_value(offline_session):
    project = offline_session.feed(
        '{"__entity_type__": "Project", "id": "p1", "children": []}'
    )
    attribute = type(project).attributes.get("children")
    remote = attribute.get_remote_value(project)
    task = offline_session.create("Task", {"name": "child"})
    offline_session.recorded_operations.clear()

    remote.append(task)

    assert attribute.get_local_value(project) is remote
    assert list(project["children"]) == [task]
    assert len(offline_session.recorded_operations) == 1


# Mapped collection proxies -------------------------------------------------


def test_metadata_proxy_records_creation_and_membership(offline_session, project):
    metadata = project["metadata"]
    offline_session.recorded_operations.clear()

    metadata["colour"] = "red"

    kinds = [type(operation).__name__ for operation in offline_session.recorded_operations]
    assert kinds == ["CreateEntityOperation", "UpdateEntityOperation"]
    update = list(offline_session.recorded_operations)[-1]
    assert update.attribute_name == "metadata"
    assert isinstance(update.new_value, ftrack_api.collection.Collection)
    assert metadata["colour"] == "red"
    assert list(metadata.keys()) == ["colour"]


def test_proxy_does_not_record_membership_of_persisted_entity(
    session, owner, monkeypatch
):
    existing = Item(session, "persisted")
    existing.key = "k"
    existing.value = "v"

    def creator(proxy, data):
        return existing

    collection = ftrack_api.collection.Collection(owner, Attribute())
    proxy = ftrack_api.collection.KeyValueMappedCollectionProxy(
        collection, creator, "key", "value"
    )
    # The stand-in has no recorded creation: it counts as persisted.
    monkeypatch.setattr(ftrack_api.inspection, "state", lambda entity: NOT_SET)
    proxy["k"] = "v"

    assert list(collection) == [existing]
    assert operations(session) == []
    assert session.record_operations is True


def test_proxy_representation_logger_and_copy(session, owner):
    collection = ftrack_api.collection.Collection(owner, Attribute())
    proxy = ftrack_api.collection.KeyValueMappedCollectionProxy(
        collection, None, "key", "value"
    )
    assert repr(proxy).startswith(
        "<ftrack_api.collection.KeyValueMappedCollectionProxy object at "
    )
    assert isinstance(proxy.logger, logging.Logger)
    assert proxy.logger.name == (
        "ftrack_api.collection.KeyValueMappedCollectionProxy"
    )

    class Special(ftrack_api.collection.KeyValueMappedCollectionProxy):
        pass

    special = Special(collection, None, "key", "value")
    duplicate = copy.copy(special)
    assert type(duplicate) is Special
    assert duplicate.collection is not collection
    assert duplicate.collection == collection
    assert duplicate.key_attribute == "key"
    assert duplicate.logger is special.logger


# Legacy custom attribute proxy ---------------------------------------------


class Configuration(dict):
    """A custom attribute configuration record."""


class ConfigurationSession(FakeSession):
    def __init__(self, configurations):
        super(ConfigurationSession, self).__init__()
        self.configurations = configurations
        self.deleted = []
        self._lock = threading.RLock()

    def _custom_attribute_configurations(self, entity):
        return self.configurations

    def delete(self, entity):
        self.deleted.append(entity)


class Owner(Item):
    entity_type = "Project"


class Value(Item):
    entity_type = "CustomAttributeValue"

    def __init__(self, session, configuration_id, value):
        super(Value, self).__init__(session)
        self.configuration_id = configuration_id
        self.value = value


def _configuration(identifier, key, entity_type="show", project_id=None):
    return Configuration(
        id=identifier,
        key=key,
        entity_type=entity_type,
        project_id=project_id,
        object_type_id=None,
        default="default-" + key,
    )


@pytest.fixture
def custom(caplog):
    configurations = [
        _configuration("c-global", "fps"),
        _configuration("c-project", "fps", project_id="p1"),
        _configuration("c-other", "budget"),
        _configuration("c-task", "priority", entity_type="task"),
        _configuration("c-elsewhere", "fps", project_id="p2"),
    ]
    session = ConfigurationSession(configurations)
    owner = Owner(session, "p1")
    value = Value(session, "c-project", 25)
    collection = ftrack_api.collection.Collection(
        owner, Attribute(), data=[value]
    )
    return ftrack_api.collection.CustomAttributeCollectionProxy(collection), value


def test_custom_attribute_keys_are_the_applicable_configurations(custom):
    proxy, _ = custom
    assert list(proxy) == ["fps", "fps", "budget"]
    assert len(proxy) == 3
    # The project configuration shadows the global one.
    assert proxy.get_configuration_id_from_key("fps") == "c-project"
    with pytest.raises(KeyError):
        proxy.get_configuration_id_from_key("priority")


def test_custom_attribute_value_or_default(custom):
    proxy, value = custom
    assert proxy["fps"] == 25
    assert proxy["budget"] == "default-budget"
    with pytest.raises(KeyError):
        proxy["missing"]

    proxy["fps"] = 30
    assert value.value == 30


def test_custom_attribute_delete(custom, caplog):
    proxy, value = custom
    session = proxy.collection.entity.session

    with caplog.at_level(logging.WARNING):
        del proxy["budget"]
    (record,) = caplog.records
    assert record.name == "ftrack_api.collection.CustomAttributeCollectionProxy"
    assert record.getMessage().startswith("Cannot delete 'budget' on ")
    assert record.getMessage().endswith(", no custom attribute value set.")

    with pytest.raises(KeyError):
        del proxy["missing"]

    del proxy["fps"]
    assert list(proxy.collection) == []
    assert session.deleted == [value]


def test_custom_attribute_unsupported_entity():
    session = ConfigurationSession([])
    collection = ftrack_api.collection.Collection(
        Item(session, "x"), Attribute(), data=[]
    )
    proxy = ftrack_api.collection.CustomAttributeCollectionProxy(collection)
    with pytest.raises(ValueError, match="not supported"):
        list(proxy)
