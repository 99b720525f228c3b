"""Functions extracting information about entities.

The values returned describe the entity at the time of the call; changing
them has no effect on the entity itself, except for :func:`entity_state`,
which gives the entity's own storage.
"""

from __future__ import annotations

import collections
import collections.abc
from typing import Any, Iterable, List, Optional, Tuple

import ftrack_api.operation
import ftrack_api.symbol

NOT_SET = ftrack_api.symbol.NOT_SET

#: Identity of an entity: its type name and its key values as text.
Identity = Tuple[str, Tuple[str, ...]]


class EntityState(object):
    """Storage of one entity: the values it holds and whether it is new.

    *local* maps attribute names to values set in this session and not yet
    persisted, *remote* to the last values known from the server; a name
    missing from both is :data:`~ftrack_api.symbol.NOT_SET`. *created* is
    true while the creation of the entity is pending (not yet committed).
    """

    __slots__ = ("local", "remote", "created")

    def __init__(self, remote: Optional[dict] = None) -> None:
        self.local = {}
        self.remote = {} if remote is None else remote
        self.created = False


def entity_state(entity: Any) -> EntityState:
    """Return the :class:`EntityState` of *entity* (its storage, not a copy).

    This is the one way modules other than the entity class reach the
    values an entity holds.
    """
    return entity._state


def is_entity(value: Any) -> bool:
    """Return whether *value* is an entity (an object holding an :class:`EntityState`)."""
    return isinstance(getattr(value, "_state", None), EntityState)


def identity_key(entity: Any) -> Identity:
    """Return the identity of *entity*: ``(entity type, key values as text)``.

    Every identity the client compares (cache keys, collection membership,
    operations, equality of entities) has this form. The key values are
    read as they are held, nothing is fetched; a missing one reads
    ``'NOT_SET'``. Objects without an :class:`EntityState` are read through
    their mapping interface.
    """
    try:
        state = entity._state
    except AttributeError:
        return (str(entity.entity_type), tuple(primary_key(entity).values()))
    local = state.local
    remote = state.remote
    names = entity.primary_key_attributes or ()
    if len(names) == 1:
        # The usual case, spelled out: this runs for every merge and hash.
        name = names[0]
        return (entity.entity_type, (str(local[name] if name in local else remote.get(name, NOT_SET)),))
    return (
        entity.entity_type,
        tuple(str(local[name] if name in local else remote.get(name, NOT_SET)) for name in names),
    )


def operation_identity(operation: Any) -> Identity:
    """Return the identity (see :func:`identity_key`) of the entity *operation* concerns."""
    entity_key = getattr(operation, "entity_key", ())
    if entity_key.__class__ is collections.OrderedDict:
        # As the session records them: the key values are text (see primary_key).
        return (operation.entity_type, tuple(entity_key.values()))
    if isinstance(entity_key, collections.abc.Mapping):
        values = tuple(str(value) for value in entity_key.values())
    elif isinstance(entity_key, (str, bytes)):
        values = (str(entity_key),)
    else:
        try:
            values = tuple(str(value) for value in entity_key)
        except TypeError:
            values = (str(entity_key),)
    return (str(operation.entity_type), values)


def _apply_operation(current, operation):
    """Return state following *operation* given *current* state."""
    if isinstance(operation, ftrack_api.operation.CreateEntityOperation):
        return ftrack_api.symbol.CREATED

    if isinstance(operation, ftrack_api.operation.UpdateEntityOperation):
        if current in (ftrack_api.symbol.CREATED, ftrack_api.symbol.DELETED):
            return current
        return ftrack_api.symbol.MODIFIED

    if isinstance(operation, ftrack_api.operation.DeleteEntityOperation):
        return ftrack_api.symbol.DELETED

    return current


def states_by_identity(operations: Iterable[Any]) -> "collections.OrderedDict[Identity, Any]":
    """Return the state each entity concerned by *operations* ends in.

    The mapping goes from identity (see :func:`identity_key`) to
    :data:`~ftrack_api.symbol.CREATED`, :data:`~ftrack_api.symbol.MODIFIED`
    or :data:`~ftrack_api.symbol.DELETED`, in the order the entities first
    appear in the operations.
    """
    found = collections.OrderedDict()
    for operation in operations:
        if getattr(operation, "entity_type", None) is None:
            continue
        identity = operation_identity(operation)
        found[identity] = _apply_operation(found.get(identity, NOT_SET), operation)
    return found


def _compute_states(session, identities):
    """Return mapping of state for each of *identities* within *session*."""
    try:
        operations = session.recorded_operations
    except Exception:
        return {}
    if operations is None:
        return {}
    found = states_by_identity(operations)
    return {identity: found[identity] for identity in identities if identity in found}


def primary_key(entity: Any) -> "collections.OrderedDict[str, str]":
    """Return primary key of *entity* as an ordered mapping ``{name: value}``.

    Values are converted to strings. To get just the key values use
    ``primary_key(entity).values()``.

    Raise :exc:`KeyError` if a primary key attribute has no value.
    """
    key = collections.OrderedDict()
    for name in entity.primary_key_attributes:
        value = entity[name]
        if value is ftrack_api.symbol.NOT_SET:
            raise KeyError(
                'Missing required value for primary key attribute "{0}" on '
                "entity {1!r}.".format(name, entity)
            )

        key[str(name)] = str(value)

    return key


def identity(entity: Any) -> Tuple[str, List[str]]:
    """Return unique identity of *entity*.

    The identity is a tuple of the entity type name and a list of the
    primary key values as strings, e.g. ``('User', ['d7e6...'])``: the form
    session cache keys are made from (see
    :attr:`ftrack_api.session.Session.cache_key_maker`). Convert the list to
    a tuple to use the identity as a dictionary key.
    """
    return (str(entity.entity_type), list(primary_key(entity).values()))


def state(entity: Any) -> Any:
    """Return current state of *entity*.

    The state is derived from the operations recorded in the entity's session
    and is one of :data:`ftrack_api.symbol.CREATED`,
    :data:`ftrack_api.symbol.MODIFIED`, :data:`ftrack_api.symbol.DELETED` or
    :data:`ftrack_api.symbol.NOT_SET` when no pending operation concerns the
    entity.
    """
    return states([entity])[0]


def states(entities: Iterable[Any]) -> List[Any]:
    """Return states of *entities* as a list in the same order.

    More efficient than calling :func:`state` repeatedly as each session's
    recorded operations are only examined once.
    """
    entities = list(entities)
    entity_identities = [identity_key(entity) for entity in entities]

    sessions = []
    for entity, entity_identity in zip(entities, entity_identities):
        session = getattr(entity, "session", None)
        for known_session, wanted in sessions:
            if known_session is session:
                wanted.add(entity_identity)
                break
        else:
            sessions.append((session, {entity_identity}))

    results_by_session = [
        (session, _compute_states(session, wanted)) for session, wanted in sessions
    ]

    result = []
    for entity, entity_identity in zip(entities, entity_identities):
        session = getattr(entity, "session", None)
        for known_session, found in results_by_session:
            if known_session is session:
                result.append(found.get(entity_identity, ftrack_api.symbol.NOT_SET))
                break

    return result
