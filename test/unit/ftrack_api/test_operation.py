"""Tests for :mod:`ftrack_api.operation`."""

import collections
import threading

import pytest

import ftrack_api.operation as operation
import ftrack_api.symbol


def test_operations_push_pop_len_iter():
    operations = operation.Operations()
    assert len(operations) == 0
    assert list(operations) == []

    first = operation.DeleteEntityOperation("User", {"id": "1"})
    second = operation.DeleteEntityOperation("User", {"id": "2"})
    operations.push(first)
    operations.push(second)

    assert len(operations) == 2
    assert list(operations) == [first, second]
    assert operations.pop() is second
    assert list(operations) == [first]


def test_operations_pop_empty_raises():
    with pytest.raises(IndexError):
        operation.Operations().pop()


def test_operations_clear():
    operations = operation.Operations()
    operations.push(operation.Operation())
    operations.clear()
    assert len(operations) == 0


def test_operations_iteration_uses_snapshot():
    operations = operation.Operations()
    operations.push(operation.Operation())
    seen = []
    for item in operations:
        seen.append(item)
        operations.push(operation.Operation())
    assert len(seen) == 1
    assert len(operations) == 2


def test_operations_thread_safe():
    operations = operation.Operations()

    def worker():
        for _ in range(500):
            operations.push(operation.Operation())
            len(operations)
            list(operations)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(operations) == 8 * 500


def test_operation_subclasses():
    for cls in (
        operation.CreateEntityOperation,
        operation.UpdateEntityOperation,
        operation.DeleteEntityOperation,
    ):
        assert issubclass(cls, operation.Operation)


def test_create_entity_operation_copies_values():
    key = collections.OrderedDict([("id", "1")])
    names = ["a"]
    data = {"id": "1", "names": names}
    created = operation.CreateEntityOperation("User", key, data)

    assert created.entity_type == "User"
    assert created.entity_key is key
    assert created.entity_data == {"id": "1", "names": ["a"]}
    assert created.entity_data is not data

    names.append("b")
    data["extra"] = True
    assert created.entity_data == {"id": "1", "names": ["a"]}


def test_create_entity_operation_copy_is_shallow():
    inner = {"x": 1}
    created = operation.CreateEntityOperation("User", {"id": "1"}, {"v": [inner]})
    assert created.entity_data["v"][0] is inner


def test_update_entity_operation():
    old = ["a"]
    new = ["a", "b"]
    updated = operation.UpdateEntityOperation("User", {"id": "1"}, "names", old, new)

    assert updated.entity_type == "User"
    assert updated.entity_key == {"id": "1"}
    assert updated.attribute_name == "names"
    assert updated.old_value == ["a"]
    assert updated.new_value == ["a", "b"]

    old.append("x")
    new.append("y")
    assert updated.old_value == ["a"]
    assert updated.new_value == ["a", "b"]


def test_update_entity_operation_keeps_symbols():
    updated = operation.UpdateEntityOperation(
        "User", {"id": "1"}, "email", ftrack_api.symbol.NOT_SET, "a@b.c"
    )
    assert updated.old_value is ftrack_api.symbol.NOT_SET


def test_delete_entity_operation():
    deleted = operation.DeleteEntityOperation("Task", {"id": "9"})
    assert deleted.entity_type == "Task"
    assert deleted.entity_key == {"id": "9"}


def test_default_repr_names_class():
    assert repr(operation.DeleteEntityOperation("Task", {"id": "9"})).startswith(
        "<ftrack_api.operation.DeleteEntityOperation object at "
    )
