"""Functions extracting information about entities.

The values returned describe the entity at the time of the call; changing
them has no effect on the entity itself.
"""

import collections
import collections.abc

import ftrack_api.operation
import ftrack_api.symbol


def primary_key(entity):
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


def identity(entity):
    """Return unique identity of *entity*.

    The identity is a tuple of the entity type name and a list of the
    primary key values as strings, e.g. ``('User', ['d7e6...'])``: the form
    session cache keys are made from (see
    :attr:`ftrack_api.session.Session.cache_key_maker`). Convert the list to
    a tuple to use the identity as a dictionary key.
    """
    return (str(entity.entity_type), list(primary_key(entity).values()))


def _operation_key(entity_key):
    """Return comparable form of an operation *entity_key*."""
    if isinstance(entity_key, collections.abc.Mapping):
        return tuple(str(value) for value in entity_key.values())

    if isinstance(entity_key, (str, bytes)):
        return (str(entity_key),)

    try:
        return tuple(str(value) for value in entity_key)
    except TypeError:
        return (str(entity_key),)


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


def _compute_states(session, identities):
    """Return mapping of state for each of *identities* within *session*."""
    found = {}
    if session is None:
        return found

    try:
        operations = session.recorded_operations
    except Exception:
        return found

    if operations is None:
        return found

    for operation in operations:
        entity_type = getattr(operation, "entity_type", None)
        if entity_type is None:
            continue

        operation_identity = (
            str(entity_type),
            _operation_key(getattr(operation, "entity_key", ())),
        )
        if operation_identity not in identities:
            continue

        found[operation_identity] = _apply_operation(
            found.get(operation_identity, ftrack_api.symbol.NOT_SET), operation
        )

    return found


def state(entity):
    """Return current state of *entity*.

    The state is derived from the operations recorded in the entity's session
    and is one of :data:`ftrack_api.symbol.CREATED`,
    :data:`ftrack_api.symbol.MODIFIED`, :data:`ftrack_api.symbol.DELETED` or
    :data:`ftrack_api.symbol.NOT_SET` when no pending operation concerns the
    entity.
    """
    return states([entity])[0]


def states(entities):
    """Return states of *entities* as a list in the same order.

    More efficient than calling :func:`state` repeatedly as each session's
    recorded operations are only examined once.
    """
    entities = list(entities)
    entity_identities = [
        (str(entity.entity_type), tuple(primary_key(entity).values()))
        for entity in entities
    ]

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
