"""Records of changes made to entities in a session.

A session records an :class:`Operation` for every create, update or delete
and keeps them, in order, in an :class:`Operations` log until they are sent
to the server on commit.
"""

from __future__ import annotations

import copy
import threading
from typing import Any, Iterator, Mapping


class Operations(object):
    """Ordered log of operations.

    All methods are safe to call from several threads at once. Iterating
    walks over a snapshot taken when iteration starts, so the log can be
    changed while it is being iterated.
    """

    def __init__(self) -> None:
        """Create an empty log."""
        super(Operations, self).__init__()
        self._stack = []
        self._lock = threading.RLock()

    def clear(self) -> None:
        """Remove every operation from the log."""
        with self._lock:
            del self._stack[:]

    def push(self, operation: Operation) -> None:
        """Append *operation* to the end of the log."""
        with self._lock:
            self._stack.append(operation)

    def pop(self) -> Operation:
        """Remove and return the most recently pushed operation.

        Raise :exc:`IndexError` when the log is empty.
        """
        with self._lock:
            return self._stack.pop()

    def __len__(self) -> int:
        """Return number of operations in the log."""
        with self._lock:
            return len(self._stack)

    def __iter__(self) -> Iterator[Operation]:
        """Iterate over the operations, oldest first."""
        with self._lock:
            snapshot = list(self._stack)
        return iter(snapshot)


class Operation(object):
    """Base class for all operations."""


class CreateEntityOperation(Operation):
    """Creation of a new entity."""

    def __init__(self, entity_type: str, entity_key: Mapping[str, str], entity_data: Mapping[str, Any]) -> None:
        """Describe creation of an entity.

        *entity_type* is the name of the entity type, *entity_key* the
        primary key of the new entity in the form returned by
        :func:`ftrack_api.inspection.primary_key` and *entity_data* a mapping
        of the initial attribute values. A shallow copy is taken of each
        value in *entity_data*.
        """
        super(CreateEntityOperation, self).__init__()
        self.entity_type = entity_type
        self.entity_key = entity_key
        self.entity_data = {}
        for key, value in entity_data.items():
            self.entity_data[key] = copy.copy(value)


class UpdateEntityOperation(Operation):
    """Change of one attribute value of an entity."""

    def __init__(
        self, entity_type: str, entity_key: Mapping[str, str], attribute_name: str, old_value: Any, new_value: Any
    ) -> None:
        """Describe a change of *attribute_name* on an entity.

        *entity_type* and *entity_key* identify the entity as for
        :class:`CreateEntityOperation`; *old_value* and *new_value* are the
        values before and after the change, both stored as shallow copies.
        """
        super(UpdateEntityOperation, self).__init__()
        self.entity_type = entity_type
        self.entity_key = entity_key
        self.attribute_name = attribute_name
        self.old_value = copy.copy(old_value)
        self.new_value = copy.copy(new_value)


class DeleteEntityOperation(Operation):
    """Deletion of an entity."""

    def __init__(self, entity_type: str, entity_key: Mapping[str, str]) -> None:
        """Describe deletion of the entity identified by *entity_type* and
        *entity_key* (see :class:`CreateEntityOperation`)."""
        super(DeleteEntityOperation, self).__init__()
        self.entity_type = entity_type
        self.entity_key = entity_key
