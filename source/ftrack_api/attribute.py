"""Attributes of entity types.

An attribute object describes one named value of an entity type (scalar,
reference to another entity or collection of entities). Attribute objects
are shared by every instance of a type and keep no per entity state: the
values live in the entity's :class:`~ftrack_api.inspection.EntityState`, in
two plain dictionaries, one for local (not yet persisted) values and one for
the last known remote values. A value missing from a dictionary is
:data:`ftrack_api.symbol.NOT_SET`.
"""

from __future__ import annotations

import collections.abc
import functools
import logging
from typing import Any, Callable, Iterable, List, Optional

import ftrack_api._properties
import ftrack_api._recording
import ftrack_api.collection
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.operation
import ftrack_api.symbol

NOT_SET = ftrack_api.symbol.NOT_SET

_state_of = ftrack_api.inspection.entity_state

logger = logging.getLogger(__name__)


def merge_references(function: Callable) -> Callable:
    """Decorator to handle merging of references / collections.

    Wrap a method accepting ``(attribute, entity, value)`` so that entities
    held by *value* (a single entity, a collection or a list of entities)
    are merged into the session of *entity* before the method is called.
    """

    @functools.wraps(function)
    def wrapper(attribute, entity, value):
        session = getattr(entity, "session", None)
        if session is not None and value is not NOT_SET and value is not None:
            value = _merge_value(session, value)
        return function(attribute, entity, value)

    return wrapper


def _merge_value(session, value):
    """Return *value* with its entities merged into *session*."""
    if ftrack_api.inspection.is_entity(value):
        return session.merge(value)

    if isinstance(value, list):
        return [_merge_value(session, item) for item in value]

    return value


class _AttributeStorage(collections.abc.MutableMapping):
    """View of the stored values of one attribute on one entity.

    Keys are ``'local'`` and ``'remote'``; values default to NOT_SET.
    """

    _KEYS = ("local", "remote")

    def __init__(self, entity, name):
        self._entity = entity
        self._name = name

    def _store(self, key):
        if key == "local":
            return _state_of(self._entity).local
        if key == "remote":
            return _state_of(self._entity).remote
        raise KeyError(key)

    def __getitem__(self, key):
        return self._store(key).get(self._name, NOT_SET)

    def __setitem__(self, key, value):
        store = self._store(key)
        if value is NOT_SET:
            store.pop(self._name, None)
        else:
            store[self._name] = value

    def __delitem__(self, key):
        self._store(key).pop(self._name, None)

    def __iter__(self):
        return iter(self._KEYS)

    def __len__(self):
        return len(self._KEYS)


class Attributes(object):
    """Collection of properties accessible by name."""

    def __init__(self, attributes: Optional[Iterable[Attribute]] = None) -> None:
        """Initialise with optional *attributes* (iterable)."""
        super(Attributes, self).__init__()
        self._data = {}
        #: Mapping of name to attribute (the live one: do not change it).
        self.by_name = self._data
        #: Names of attributes whose values are collections (kept up to date
        #: for fast checks by entities).
        self.collection_names = set()
        if attributes is not None:
            for attribute in attributes:
                self.add(attribute)

    def add(self, attribute: Attribute) -> None:
        """Add *attribute*.

        Raise :exc:`ftrack_api.exception.NotUniqueError` if an attribute with
        the same name exists already.
        """
        name = attribute.name
        if name in self._data:
            raise ftrack_api.exception.NotUniqueError(
                "Attribute with name {0!r} already added as {1!r}".format(
                    name, self._data[name]
                )
            )
        self._data[name] = attribute
        if isinstance(attribute, AbstractCollectionAttribute):
            self.collection_names.add(name)

    def remove(self, attribute: Attribute) -> None:
        """Remove *attribute*."""
        del self._data[attribute.name]
        self.collection_names.discard(attribute.name)

    def get(self, name: str) -> Optional[Attribute]:
        """Return attribute with *name*, or None if not found."""
        return self._data.get(name)

    def keys(self) -> List[str]:
        """Return list of attribute names."""
        return list(self._data.keys())

    def __contains__(self, item):
        """Return whether *item* (attribute or name) is present."""
        if isinstance(item, Attribute):
            item = item.name
        return item in self._data

    def __iter__(self):
        """Iterate over attributes."""
        return iter(list(self._data.values()))

    def __len__(self):
        """Return number of attributes."""
        return len(self._data)


class Attribute(object):
    """A name and value pair persisted remotely."""

    def __init__(
        self, name: str, default_value: Any = NOT_SET, mutable: bool = True, computed: bool = False
    ) -> None:
        """Initialise attribute with *name*.

        *default_value* represents the default value for the attribute. It
        may be a callable (called with the entity). It is not used within
        the attribute when providing values, but instead exists for other
        parts of the system to reference.

        If *mutable* is False then the local value of the attribute on an
        entity can only be set when both the existing local and remote values
        are NOT_SET, except when the new value is NOT_SET too.

        If *computed* is True the value is computed by the server and should
        not be long-term cached.
        """
        super(Attribute, self).__init__()
        self._name = name
        self._mutable = mutable
        self._computed = computed
        self.default_value = default_value

    def __repr__(self):
        """Return representation of the attribute."""
        return "<{0}.{1}({2}) object at {3}>".format(
            self.__module__, self.__class__.__name__, self._name, id(self)
        )

    name = ftrack_api._properties.read_only("_name", "The attribute's name.")

    mutable = ftrack_api._properties.read_only("_mutable", "Whether the attribute may be changed.")

    computed = ftrack_api._properties.read_only("_computed", "Whether the server computes the value.")

    def get_entity_storage(self, entity: Any) -> collections.abc.MutableMapping:
        """Return attribute storage on *entity* (a ``local``/``remote`` view)."""
        return _AttributeStorage(entity, self._name)

    def get_local_value(self, entity: Any) -> Any:
        """Return locally set value for *entity*."""
        return _state_of(entity).local.get(self._name, NOT_SET)

    def get_remote_value(self, entity: Any) -> Any:
        """Return remote value for *entity*.

        .. note::

            Only return locally stored remote value, do not fetch from remote.
        """
        return _state_of(entity).remote.get(self._name, NOT_SET)

    def _can_populate(self, entity):
        """Return whether a missing value of *entity* may be fetched."""
        session = entity.session
        return (
            session is not None
            and session.auto_populate
            and not _state_of(entity).created
            and not session.closed
        )

    def get_value(self, entity: Any) -> Any:
        """Return current value for *entity*.

        If a value was set locally then return it, otherwise return last known
        remote value. If no remote value yet retrieved, make a request for it
        via the session and block until available.
        """
        name = self._name
        state = _state_of(entity)
        value = state.local.get(name, NOT_SET)
        if value is NOT_SET:
            value = state.remote.get(name, NOT_SET)
        if value is NOT_SET and self._can_populate(entity):
            self.populate_remote_value(entity)
            value = state.remote.get(name, NOT_SET)
        return value

    def _check_mutable(self, entity, value):
        """Raise if *value* may not be set on *entity* (immutable attribute)."""
        if self._mutable or value is NOT_SET:
            return
        if self.is_set(entity):
            raise ftrack_api.exception.ImmutableAttributeError(attribute=self)

    #: Whether values are stored as they are given (collections are not).
    _stored_as_given = True

    def _adapt(self, entity, value):
        """Return *value* in the form stored as local value of *entity*."""
        return value

    def _as_remote(self, entity, value):
        """Return *value* (not NOT_SET) in the form stored as remote value of *entity*."""
        return value

    def set_local_value(self, entity: Any, value: Any) -> None:
        """Set local *value* for *entity*, recording the change."""
        self._check_mutable(entity, value)
        as_given = self._stored_as_given
        if not as_given:
            value = self._adapt(entity, value)
        name = self._name
        state = _state_of(entity)
        local = state.local
        old_value = local.get(name, NOT_SET)
        if old_value is NOT_SET:
            old_value = state.remote.get(name, NOT_SET) if as_given else self.get_remote_value(entity)
        if value is NOT_SET:
            local.pop(name, None)
        else:
            local[name] = value
        ftrack_api._recording.record_update(entity, name, old_value, value)

    def set_remote_value(self, entity: Any, value: Any) -> None:
        """Set remote *value* for *entity*.

        .. note::

            Only set locally stored remote value, do not persist to remote.
        """
        remote = _state_of(entity).remote
        if value is NOT_SET:
            remote.pop(self._name, None)
        else:
            remote[self._name] = self._as_remote(entity, value)

    def populate_remote_value(self, entity: Any) -> None:
        """Populate remote value for *entity* (one query for this attribute)."""
        entity.session.populate([entity], self._name)

    def is_modified(self, entity: Any) -> bool:
        """Return whether local value set and differs from remote.

        .. note::

            Will not fetch remote value so may report True even when values
            are the same on the remote.
        """
        local_value = self.get_local_value(entity)
        return (
            local_value is not NOT_SET
            and local_value != self.get_remote_value(entity)
        )

    def is_set(self, entity: Any) -> bool:
        """Return whether a value is set for *entity*."""
        state = _state_of(entity)
        return self._name in state.local or self._name in state.remote


class ScalarAttribute(Attribute):
    """Represent a scalar value."""

    def __init__(self, name: str, data_type: str, **kw: Any) -> None:
        """Initialise property of *data_type* (schema type name)."""
        super(ScalarAttribute, self).__init__(name, **kw)
        self.data_type = data_type


class ReferenceAttribute(Attribute):
    """Reference another entity."""

    def __init__(self, name: str, entity_type: str, **kw: Any) -> None:
        """Initialise reference to *entity_type*."""
        super(ReferenceAttribute, self).__init__(name, **kw)
        self.entity_type = entity_type

    def _projections(self, entity):
        """Return projections loading this reference for *entity*."""
        session = entity.session
        projections = None
        cls = session.types.get(self.entity_type) if session is not None else None
        if cls is not None:
            projections = cls.default_projections
        if not projections:
            projections = ["id"] if cls is None else list(cls.primary_key_attributes)
        return ", ".join(
            "{0}.{1}".format(self._name, projection) for projection in projections
        )

    def populate_remote_value(self, entity: Any) -> None:
        """Populate remote value for *entity*.

        As attribute references another entity, use that entity's configured
        default projections to auto populate useful attributes when loading.
        """
        entity.session.populate([entity], self._projections(entity))

    def is_modified(self, entity: Any) -> bool:
        """Return whether a local value has been set and differs from remote.

        .. note::

            Will not fetch remote value so may report True even when values
            are the same on the remote.
        """
        local_value = self.get_local_value(entity)
        if local_value is NOT_SET:
            return False
        remote_value = self.get_remote_value(entity)
        if remote_value is NOT_SET or local_value is None or remote_value is None:
            return local_value is not remote_value
        return local_value != remote_value

    def get_value(self, entity: Any) -> Any:
        """Return current value for *entity*.

        If a value was set locally then return it, otherwise return last known
        remote value. If no remote value yet retrieved, make a request for it
        via the session and block until available.
        """
        return super(ReferenceAttribute, self).get_value(entity)

    @merge_references
    def set_local_value(self, entity: Any, value: Any) -> None:
        """Set local *value* for *entity*, recording the change."""
        super(ReferenceAttribute, self).set_local_value(entity, value)

    @merge_references
    def set_remote_value(self, entity: Any, value: Any) -> None:
        """Set remote *value* for *entity*."""
        super(ReferenceAttribute, self).set_remote_value(entity, value)


class AbstractCollectionAttribute(Attribute):
    """Base class for collection attributes."""

    #: Collection class used by attribute.
    collection_class = None

    _stored_as_given = False

    def members(self, value: Any) -> List[Any]:
        """Return the list of entities *value* holds (a collection, a proxy, a list or nothing)."""
        if value is None or value is NOT_SET:
            return []
        if isinstance(value, ftrack_api.collection.MappedCollectionProxy):
            return list(value.collection)
        if isinstance(value, ftrack_api.collection.Collection):
            return list(value)
        return list(value)

    def new_collection(self, entity: Any, items: Iterable[Any]) -> Any:
        """Return a new collection value for *entity* holding *items*."""
        return ftrack_api.collection.Collection(
            entity, self, mutable=self._mutable, data=items
        )

    def get_remote_value(self, entity: Any) -> Any:
        """Return remote value for *entity* as a collection.

        .. note::

            Only return locally stored remote value, do not fetch from remote.
        """
        remote = _state_of(entity).remote
        name = self._name
        if name not in remote:
            return NOT_SET
        value = remote[name]
        if value is None or value.__class__ is list:
            value = self.new_collection(entity, value or [])
            remote[name] = value
        return value

    def get_value(self, entity: Any) -> Any:
        """Return current value for *entity*.

        If a value was set locally then return it, otherwise return last known
        remote value. If no remote value yet retrieved, make a request for it
        via the session and block until available.

        .. note::

            As value is a collection that is mutable, will transfer a remote
            value into the local value on access if no local value currently
            set.
        """
        name = self._name
        state = _state_of(entity)
        local = state.local
        if name in local:
            return local[name]

        remote = state.remote
        if name not in remote and self._can_populate(entity):
            self.populate_remote_value(entity)

        if name in remote:
            value = self.new_collection(entity, self.members(remote[name]))
        elif state.created:
            # New entities start with an empty collection.
            value = self.new_collection(entity, [])
        else:
            return NOT_SET

        # Transfer into local value without recording an operation.
        local[name] = value
        return value

    def refresh_copy(self, entity: Any, old_remote: Any) -> None:
        """Forget the local value of *entity* when it is an unmodified copy
        of *old_remote*, the remote value about to be replaced.

        The next read then copies the new remote value, so a collection read
        before a newer answer from the server shows that answer.
        """
        local = _state_of(entity).local
        name = self._name
        if name in local and self.members(local[name]) == self.members(old_remote):
            del local[name]

    def _adapt(self, entity, value):
        """Return *value* converted to this attribute's collection type."""
        if value is NOT_SET:
            return value
        if isinstance(value, ftrack_api.collection.MappedCollectionProxy):
            if value.collection.entity is entity and value.attribute is self:
                return value
            return self.new_collection(entity, self.members(value))
        if isinstance(value, ftrack_api.collection.Collection):
            if value.entity is entity and value.attribute is self:
                return value
            return self.new_collection(entity, list(value))
        if isinstance(value, (str, bytes, collections.abc.Mapping)):
            raise NotImplementedError(
                "Cannot convert {0!r} to collection for attribute {1!r}.".format(
                    value, self._name
                )
            )
        return self.new_collection(entity, list(value))

    def _as_remote(self, entity, value):
        """Return *value* as stored remotely: lists as sent, others as collections."""
        if value is None or value.__class__ is list:
            return value
        return self.new_collection(entity, self.members(value))

    def adopt_collection(self, entity: Any, collection: Any) -> None:
        """Make *collection* the local value of *entity* after it changed,
        when it is the remote value (modified in place).

        Called by :meth:`ftrack_api.collection.Collection._notify`, which
        also records the operation. Other collections (the local value, or a
        detached copy) are left where they are.
        """
        name = self._name
        state = _state_of(entity)
        if state.remote.get(name, NOT_SET) is not collection:
            return
        local = state.local
        current = local.get(name, NOT_SET)
        if current is collection or (
            isinstance(current, ftrack_api.collection.MappedCollectionProxy)
            and current.collection is collection
        ):
            return
        local[name] = self._wrap_changed(entity, collection)

    def _wrap_changed(self, entity, collection):
        """Return local value to store for changed *collection*."""
        return collection

    def is_modified(self, entity: Any) -> bool:
        """Return whether local value set and differs from remote."""
        state = _state_of(entity)
        local_value = state.local.get(self._name, NOT_SET)
        if local_value is NOT_SET:
            return False
        remote_value = state.remote.get(self._name, NOT_SET)
        return self.members(local_value) != self.members(remote_value)


class CollectionAttribute(AbstractCollectionAttribute):
    """Represent a collection of other entities."""

    #: Collection class used by attribute.
    collection_class = ftrack_api.collection.Collection


class KeyValueMappedCollectionAttribute(AbstractCollectionAttribute):
    """Represent a mapped key, value collection of entities."""

    #: Collection class used by attribute.
    collection_class = ftrack_api.collection.KeyValueMappedCollectionProxy

    def __init__(
        self, name: str, creator: Callable[..., Any], key_attribute: str, value_attribute: str, **kw: Any
    ) -> None:
        """Initialise attribute with *name*.

        *creator* should be a function that accepts the collection proxy and
        a dictionary of data and is used by the referenced collection to
        create new entities in the collection.

        *key_attribute* should be the name of the attribute on an entity in
        the collection that represents the value for 'key' of the
        dictionary.

        *value_attribute* should be the name of the attribute on an entity in
        the collection that represents the value for 'value' of the
        dictionary.
        """
        self.creator = creator
        self.key_attribute = key_attribute
        self.value_attribute = value_attribute
        #: When True (custom attributes) a whole mapping cannot replace the
        #: values of a persisted entity; keys must be set one by one.
        self.set_keys_individually = False
        super(KeyValueMappedCollectionAttribute, self).__init__(name, **kw)

    def set_local_value(self, entity: Any, value: Any) -> None:
        """Set local *value* for *entity*, recording the change."""
        if self.set_keys_individually and isinstance(
            value, collections.abc.Mapping
        ) and not isinstance(value, ftrack_api.collection.MappedCollectionProxy):
            if not _state_of(entity).created:
                raise ftrack_api.exception.ImmutableAttributeError(attribute=self)
            proxy = self.get_value(entity)
            for key, item in value.items():
                proxy[key] = item
            return
        super(KeyValueMappedCollectionAttribute, self).set_local_value(entity, value)

    def new_collection(self, entity: Any, items: Iterable[Any]) -> Any:
        """Return new mapped collection proxy for *entity* holding *items*."""
        collection = ftrack_api.collection.Collection(
            entity, self, mutable=self._mutable, data=items
        )
        return self.collection_class(
            collection, self.creator, self.key_attribute, self.value_attribute
        )

    def _wrap_changed(self, entity, collection):
        return self.collection_class(
            collection, self.creator, self.key_attribute, self.value_attribute
        )

    def _adapt(self, entity, value):
        """Return *value* converted to a mapped collection proxy.

        A mapping replaces the current content: existing entries with keys
        in the mapping are updated, missing keys are created and entries
        whose keys are not in the mapping are deleted.
        """
        if isinstance(value, collections.abc.Mapping) and not isinstance(
            value, ftrack_api.collection.MappedCollectionProxy
        ):
            return self._from_mapping(entity, value)
        return super(KeyValueMappedCollectionAttribute, self)._adapt(
            entity, value
        )

    def _from_mapping(self, entity, mapping):
        """Return proxy holding entities for *mapping* (see :meth:`_adapt`)."""
        session = entity.session
        current = self.get_value(entity)
        existing = {}
        if current is not NOT_SET:
            for member in current.collection:
                existing[member[self.key_attribute]] = member

        collection = ftrack_api.collection.Collection(
            entity, self, mutable=self._mutable
        )
        proxy = self.collection_class(
            collection, self.creator, self.key_attribute, self.value_attribute
        )
        members = []
        for key, value in mapping.items():
            member = existing.pop(key, None)
            if member is not None:
                if member[self.value_attribute] != value:
                    member[self.value_attribute] = value
            else:
                member = self.creator(
                    proxy, {self.key_attribute: key, self.value_attribute: value}
                )
            members.append(member)

        for member in existing.values():
            session.delete(member)

        collection.assign(members)
        return proxy


class CustomAttributeCollectionAttribute(AbstractCollectionAttribute):
    """Represent a mapped custom attribute collection of entities."""

    #: Collection class used by attribute.
    collection_class = ftrack_api.collection.CustomAttributeCollectionProxy

    def new_collection(self, entity: Any, items: Iterable[Any]) -> Any:
        """Return new custom attribute proxy for *entity* holding *items*."""
        collection = ftrack_api.collection.Collection(
            entity, self, mutable=self._mutable, data=items
        )
        return self.collection_class(collection)

    def _wrap_changed(self, entity, collection):
        return self.collection_class(collection)

    def _adapt(self, entity, value):
        """Return *value* converted to a custom attribute proxy."""
        if isinstance(value, collections.abc.Mapping) and not isinstance(
            value, ftrack_api.collection.MappedCollectionProxy
        ):
            proxy = self.get_value(entity)
            if proxy is NOT_SET:
                proxy = self.new_collection(entity, [])
            for key, item in value.items():
                proxy[key] = item
            return proxy
        return super(CustomAttributeCollectionAttribute, self)._adapt(
            entity, value
        )
