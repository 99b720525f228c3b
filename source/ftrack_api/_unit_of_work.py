"""The changes a session holds until it commits them.

Creating, changing and deleting entities records operations in the
session's log (see :mod:`ftrack_api._recording`); :class:`UnitOfWork` sends
them as one batch on commit (see :mod:`ftrack_api._batch`), then settles the
entities' values, or forgets them on rollback.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, List, Optional

import ftrack_api._batch
import ftrack_api.collection
import ftrack_api.entity.base
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.operation
import ftrack_api.symbol
from ftrack_api._codec import Codec
from ftrack_api._identity_map import EntityCache
from ftrack_api._merge import Merger

NOT_SET = ftrack_api.symbol.NOT_SET
_Create = ftrack_api.operation.CreateEntityOperation
_Update = ftrack_api.operation.UpdateEntityOperation
_Entity = ftrack_api.entity.base.Entity
_Collection = ftrack_api.collection.Collection
_MappedCollectionProxy = ftrack_api.collection.MappedCollectionProxy
_state_of = ftrack_api.inspection.entity_state
_identity_of = ftrack_api.inspection.operation_identity


class OperationLog(ftrack_api.operation.Operations):
    """The log of a session's operations, with an atomic :meth:`keep`."""

    def keep(self, predicate: Callable[[Any], bool]) -> List[Any]:
        """Keep only the operations *predicate* accepts; return them.

        Operations pushed meanwhile by other threads are neither lost nor
        judged twice.
        """
        with self._lock:
            return _keep(self, predicate)


def _keep(operations, predicate):
    """Keep the *operations* (any log) *predicate* accepts; return them."""
    kept = [operation for operation in operations if predicate(operation)]
    operations.clear()
    for operation in kept:
        operations.push(operation)
    return kept


def keep_operations(operations: Any, predicate: Callable[[Any], bool]) -> List[Any]:
    """Keep only the operations of the log *operations* that *predicate* accepts."""
    if isinstance(operations, OperationLog):
        return operations.keep(predicate)
    return _keep(operations, predicate)


#: The unit of work of each session, for :func:`discard_changes`.
_UNITS = weakref.WeakKeyDictionary()


def discard_changes(entity: Any) -> None:
    """Forget what *entity* has pending in its session.

    Its recorded operations are removed and its local values cleared; an
    entity whose creation was pending also leaves the session's cache. For
    changes the server refused, so that they are not sent again.
    """
    _UNITS[entity.session].discard(entity)


class UnitOfWork(object):
    """Pending changes of *session*, committed through *send*.

    *send* sends a batch and merges the answer; *lock* guards the session's
    cache and log, *commit_lock* keeps commits one at a time.
    """

    def __init__(
        self, session: Any, cache: EntityCache, merger: Merger, codec: Codec,
        lock: Any, commit_lock: Any, send: Callable[[list], Any],
    ) -> None:
        self._session = session
        self._cache = cache
        self._merger = merger
        self._codec = codec
        self._lock = lock
        self._commit_lock = commit_lock
        self._send = send
        _UNITS[session] = self

    def _log(self):
        return self._session.recorded_operations

    def create(self, entity_type: str, data: Optional[dict], reconstructing: bool) -> Any:
        """Create an entity of *entity_type* with *data* and merge it into the session."""
        with self._lock:
            return self._merger.merge(self.new_entity(entity_type, data, reconstructing), {})

    def new_entity(self, entity_type: str, data: Optional[dict], reconstructing: bool) -> Any:
        """Return a new entity of *entity_type* with *data*, not yet merged."""
        try:
            entity_class = self._session.types[entity_type]
        except KeyError:
            raise ftrack_api.exception.UnrecognisedEntityTypeError(entity_type)
        return entity_class(self._session, data=data, reconstructing=reconstructing)

    def delete(self, entity: Any) -> None:
        """Record the deletion of *entity*."""
        if self._session.record_operations:
            self._log().push(
                ftrack_api.operation.DeleteEntityOperation(
                    entity.entity_type, ftrack_api.inspection.primary_key(entity)
                )
            )

    def entities_in(self, state: Any) -> List[Any]:
        """Return the attached entities the recorded operations leave in *state*."""
        with self._lock:
            found = ftrack_api.inspection.states_by_identity(self._log())
            entities = [
                self._cache.attached(identity)
                for identity, entity_state in found.items()
                if entity_state is state
            ]
            return [entity for entity in entities if entity is not None]

    def _encode_value(self, value):
        """Return *value* as a batch sends it (entities as references)."""
        if isinstance(value, _Entity):
            return self._codec.known_reference(value)
        if isinstance(value, _MappedCollectionProxy):
            value = value.collection
        if isinstance(value, (_Collection, list, tuple)):
            return [self._encode_value(item) for item in value]
        return value

    def build_batch(self, operations: List[Any]) -> List[dict]:
        """Return the payloads sending *operations*."""
        return ftrack_api._batch.build_batch(operations, self._encode_value)

    def commit(self) -> None:
        """Send the recorded operations as one batch, then settle the entities."""
        with self._commit_lock:
            with self._lock:
                operations = list(self._log())
                batch = self.build_batch(operations)
            if batch:
                self._send(batch)
            self.after_commit(operations)

    def after_commit(self, operations: List[Any]) -> None:
        """Drop the committed *operations* and make committed local values remote."""
        with self._lock:
            committed = set(id(operation) for operation in operations)
            remaining = keep_operations(self._log(), lambda operation: id(operation) not in committed)
            for operation in operations:
                if isinstance(operation, _Create):
                    entity = self._cache.attached(_identity_of(operation))
                    if entity is not None:
                        _state_of(entity).created = False
            keep_all, keep = _still_needed(remaining)
            for entity in self._cache.identity_map.entities():
                state = _state_of(entity)
                if state.local:
                    _settle(entity, state, keep_all, keep)

    def rollback(self) -> None:
        """Forget every recorded operation and local value; new entities leave the cache."""
        with self._lock:
            operations = list(self._log())
            self._log().clear()
            for operation in operations:
                if isinstance(operation, _Create):
                    self._cache.detach(_identity_of(operation))
            for entity in self._cache.identity_map.entities():
                _state_of(entity).local.clear()

    def discard(self, entity: Any) -> None:
        """Forget what *entity* has pending (see :func:`discard_changes`)."""
        identity = ftrack_api.inspection.identity_key(entity)
        with self._lock:
            keep_operations(self._log(), lambda operation: _identity_of(operation) != identity)
            state = _state_of(entity)
            if state.created and self._cache.attached(identity) is entity:
                self._cache.detach(identity)
            state.local.clear()

    def clear(self) -> None:
        """Forget every recorded operation."""
        with self._lock:
            self._log().clear()


def _still_needed(operations):
    """Return which local values *operations* (recorded during a commit) still need.

    A pair: the identities of entities whose creation is pending (all their
    values are needed) and, per identity, the names of attributes updated.
    """
    keep_all = set()
    keep = {}
    for operation in operations:
        identity = _identity_of(operation)
        if isinstance(operation, _Create):
            keep_all.add(identity)
        elif isinstance(operation, _Update):
            keep.setdefault(identity, set()).add(operation.attribute_name)
    return keep_all, keep


def _settle(entity, state, keep_all, keep):
    """Make the committed local values of *entity* (whose state is *state*) its remote values.

    Values that operations recorded during the commit still need stay local
    (see :func:`_still_needed`).
    """
    local = state.local
    identity = ftrack_api.inspection.identity_key(entity)
    if identity in keep_all:
        return
    remote = state.remote
    names = keep.get(identity)
    for name in list(local):
        if names is not None and name in names:
            continue
        value = local.pop(name)
        if value is not NOT_SET:
            remote[name] = value
