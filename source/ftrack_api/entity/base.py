"""Base class of all entity classes."""

from __future__ import annotations

import abc
import collections.abc
import functools
import logging
from typing import Any, Dict, List, Mapping, Optional

import ftrack_api._recording
import ftrack_api.attribute
import ftrack_api.inspection
import ftrack_api.symbol
from ftrack_api.logging import LazyLogMessage as L

NOT_SET = ftrack_api.symbol.NOT_SET

_LOGGER = logging.getLogger(__name__)

_new_object = object.__new__
_EntityState = ftrack_api.inspection.EntityState


class DynamicEntityTypeMetaclass(abc.ABCMeta):
    """Custom metaclass to customise representation of dynamic classes.

    .. note::

        Derive from same metaclass as derived bases to avoid conflicts.
    """

    def __repr__(self):
        """Return representation of class."""
        return "<dynamic ftrack class '{0}'>".format(self.__name__)


class _EntityBase(object):
    """Root of the entity class hierarchy."""


class Entity(
    _EntityBase, collections.abc.MutableMapping, metaclass=DynamicEntityTypeMetaclass
):
    """Base class for all entities.

    The values of an entity live in its
    :class:`~ftrack_api.inspection.EntityState` (see
    :func:`ftrack_api.inspection.entity_state`): values set locally and not
    yet persisted, and the last values known from the server. An attribute
    missing from both is NOT_SET.
    """

    entity_type = "Entity"
    attributes = None
    primary_key_attributes = None
    default_projections = None

    #: Names of collection attributes (set per generated class).
    _collection_names = frozenset()

    def __init__(self, session: Any, data: Optional[Mapping[str, Any]] = None, reconstructing: bool = False) -> None:
        """Initialise entity.

        *session* is an instance of :class:`ftrack_api.session.Session` that
        this entity instance is bound to.

        *data* is a mapping of key, value pairs to apply as initial attribute
        values.

        *reconstructing* indicates whether this entity is being
        reconstructed, such as from a query, and therefore should not have
        any special creation logic applied, such as initialising defaults for
        missing data.
        """
        super(Entity, self).__init__()
        self.session = session
        self._state = _EntityState()

        if data is None:
            data = {}

        if reconstructing:
            self._reconstruct(data)
        else:
            self._construct(data)

    @functools.cached_property
    def logger(self) -> logging.Logger:
        """Return the logger of this entity, named after its class."""
        return logging.getLogger(__name__ + "." + type(self).__name__)

    def _attributes_for_data(self, data):
        """Yield (name, attribute, value) for the values of *data* naming an attribute.

        Other names are logged and skipped, as is ``__entity_type__``.
        """
        attributes = self.attributes
        for key, value in data.items():
            if key == "__entity_type__":
                continue
            attribute = attributes.get(key)
            if attribute is None:
                _LOGGER.debug(L("Ignoring {0!r}: {1!r} has no such attribute.", key, self))
                continue
            yield key, attribute, value

    def _reconstruct(self, data):
        """Apply *data* as remote values."""
        for _, attribute, value in self._attributes_for_data(data):
            attribute.set_remote_value(self, value)

    def _construct(self, data):
        """Apply *data* and defaults as local values of a new entity."""
        local = self._state.local
        relational = []

        for key, attribute, value in self._attributes_for_data(data):
            if isinstance(attribute, ftrack_api.attribute.ScalarAttribute):
                if value is not NOT_SET:
                    local[key] = value
            else:
                relational.append((attribute, value))

        self._apply_defaults(data)

        # New from the start, so that reading the key for the operation
        # fetches nothing; an entity whose creation is not recorded is not new.
        self._state.created = True
        self._state.created = ftrack_api._recording.record_create(self, dict(local))

        for attribute, value in relational:
            attribute.set_local_value(self, value)

    def _apply_defaults(self, data):
        """Set the default of every attribute neither in *data* nor set locally."""
        local = self._state.local
        for attribute in self.attributes:
            name = attribute.name
            if name in local or name in data:
                continue
            default_value = attribute.default_value
            if default_value is NOT_SET:
                continue
            if callable(default_value):
                default_value = default_value(self)
            if default_value is not NOT_SET:
                local[name] = default_value

    def _format_key(self):
        """Return primary key values as text for representations."""
        return ", ".join(ftrack_api.inspection.identity_key(self)[1])

    def __repr__(self):
        """Return representation of instance."""
        return "<{0}({1})>".format(type(self).__name__, self._format_key())

    def __str__(self):
        """Return string representation of instance."""
        return "<{0}({1})>".format(type(self).__name__, self._format_key())

    def __hash__(self):
        """Return hash of the entity identity."""
        return hash(ftrack_api.inspection.identity_key(self))

    def __eq__(self, other):
        """Return whether *other* is the same entity (same identity)."""
        if self is other:
            return True
        if not isinstance(other, Entity):
            return False
        identity_key = ftrack_api.inspection.identity_key
        return identity_key(self) == identity_key(other)

    def __ne__(self, other):
        """Return whether *other* is a different entity."""
        return not self.__eq__(other)

    def __copy__(self):
        """Return the entity itself: entities are unique per identity."""
        return self

    def __deepcopy__(self, memo):
        """Return the entity itself: entities are unique per identity."""
        return self

    def __getitem__(self, key):
        """Return attribute value for *key*."""
        state = self._state
        local = state.local
        if key in local:
            return local[key]
        if key not in self._collection_names:
            remote = state.remote
            if key in remote:
                return remote[key]
        attribute = self.attributes.get(key)
        if attribute is None:
            raise KeyError(key)
        return attribute.get_value(self)

    def __setitem__(self, key, value):
        """Set attribute *key* to *value*."""
        attribute = self.attributes.get(key)
        if attribute is None:
            raise KeyError(key)
        attribute.set_local_value(self, value)

    def __delitem__(self, key):
        """Clear attribute *key*, resetting it to NOT_SET."""
        attribute = self.attributes.get(key)
        if attribute is None:
            raise KeyError(key)
        attribute.set_local_value(self, NOT_SET)
        attribute.set_remote_value(self, NOT_SET)

    def __iter__(self):
        """Iterate over attribute names."""
        return iter(self.attributes.keys())

    def __len__(self):
        """Return number of attributes."""
        return len(self.attributes)

    def __contains__(self, key):
        """Return whether *key* is an attribute name."""
        return key in self.attributes

    def values(self) -> List[Any]:
        """Return list of values.

        Will fetch all values from the server if not already fetched or set
        locally.
        """
        return [value for _, value in self.items()]

    def items(self) -> List[tuple]:
        """Return list of tuples of (key, value) pairs.

        .. note::

            Will fetch all values from the server if not already fetched or
            set locally.
        """
        populate_unset_scalars(self)
        return [(name, self[name]) for name in self.attributes.keys()]

    def clear(self) -> None:
        """Reset all locally modified attribute values."""
        self._state.local.clear()

    def merge(self, entity: "Entity", merged: Optional[dict] = None) -> List[Dict[str, Any]]:
        """Merge the values *entity* holds into this entity.

        Values that are NOT_SET are skipped, and *merged* (identity to
        attached entity) is passed on to the session's merge of the values.
        Return one mapping per change made, with the keys ``type``
        (``'remote_attribute'`` or ``'local_attribute'``), ``name``,
        ``old_value`` and ``new_value``.
        """
        if merged is None:
            merged = {}
        mine = self._state
        theirs = ftrack_api.inspection.entity_state(entity)
        log = []
        for attribute in entity.attributes:
            own = self.attributes.get(attribute.name)
            if own is None:
                continue
            for kind, source, target in (
                ("remote_attribute", theirs.remote, mine.remote),
                ("local_attribute", theirs.local, mine.local),
            ):
                change = self._merge_value(own, kind, source, target, merged)
                if change is not None:
                    log.append(change)
        return log

    def _merge_value(self, attribute, kind, source, target, merged):
        """Merge the value of *attribute* from *source* into *target*.

        Return the change made (see :meth:`merge`) or None.
        """
        name = attribute.name
        value = source.get(name, NOT_SET)
        if value is NOT_SET:
            return None
        if self.session is not None:
            value = self.session.merge(value, merged)
        is_collection = isinstance(attribute, ftrack_api.attribute.AbstractCollectionAttribute)
        if is_collection:
            members = attribute.members(value)
            value = attribute.new_collection(self, members) if kind == "local_attribute" else members
        old_value = target.get(name, NOT_SET)
        if _unchanged(attribute, is_collection, old_value, value):
            return None
        if is_collection and kind == "remote_attribute":
            attribute.refresh_copy(self, old_value)
        target[name] = value
        return {"type": kind, "name": name, "old_value": old_value, "new_value": value}


def _unchanged(attribute, is_collection, old_value, value):
    """Return whether *value* of *attribute* equals *old_value* (collections by members)."""
    if is_collection:
        return attribute.members(old_value) == attribute.members(value)
    try:
        return old_value is value or old_value == value
    except Exception:
        return False


def populate_unset_scalars(entity: Entity) -> None:
    """Fetch, in one query, every scalar attribute of *entity* without a known value.

    Nothing is fetched for a new entity, a closed session or when the
    session does not populate automatically.
    """
    session = entity.session
    state = ftrack_api.inspection.entity_state(entity)
    if session is None or state.created or not session.auto_populate or session.closed:
        return
    projections = [
        attribute.name
        for attribute in entity.attributes
        if isinstance(attribute, ftrack_api.attribute.ScalarAttribute)
        and attribute.name not in state.remote
    ]
    if projections:
        session.populate([entity], ", ".join(projections))


def reconstructed(cls: type, session: Any, remote: dict) -> Entity:
    """Return an entity of *cls* in *session* holding *remote* as its remote values.

    *remote* maps attribute names of *cls* to values as the server sends
    them and becomes the entity's storage. Classes keeping the standard
    constructor skip it (no per attribute work): this is the path of every
    entity a query answer brings.
    """
    if cls.__init__ is not _ENTITY_INIT:
        return cls(session, remote, reconstructing=True)
    entity = _new_object(cls)
    entity.session = session
    # The state's constructor, inlined: this runs for every entity received.
    state = entity._state = _new_object(_EntityState)
    state.local = {}
    state.remote = remote
    state.created = False
    return entity


_ENTITY_INIT = Entity.__init__
