"""Collections of entities held by collection attributes."""

from __future__ import annotations

import collections.abc
import copy
import logging
from typing import Any, Callable, Iterable, Optional

import ftrack_api._recording
import ftrack_api.cache
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.symbol
from ftrack_api.logging import LazyLogMessage as L

NOT_SET = ftrack_api.symbol.NOT_SET


def _identity_key(item):
    """Return hashable identity for *item*.

    Entities are identified by :func:`ftrack_api.inspection.identity_key`;
    other hashable values by themselves and anything else by object identity.
    """
    if ftrack_api.inspection.is_entity(item):
        return ftrack_api.inspection.identity_key(item)
    try:
        hash(item)
    except TypeError:
        return ("object", id(item))
    return ("value", item)


class Collection(collections.abc.MutableSequence):
    """A collection of entities."""

    def __init__(self, entity: Any, attribute: Any, mutable: bool = True, data: Optional[Iterable[Any]] = None) -> None:
        """Initialise collection bound to *attribute* of *entity*.

        *mutable* decides whether the collection may be changed afterwards.
        *data* is an optional iterable of initial items; filling the
        collection with them records no operation, and an item given twice
        raises :exc:`~ftrack_api.exception.DuplicateItemInCollectionError`.
        """
        self.entity = entity
        self.attribute = attribute
        self.mutable = mutable
        self._data = []

        items = list(data) if data is not None else []
        if len(items) > 1:
            self._refuse_duplicates(items, set())
        self._data = items

    def _refuse_duplicates(self, items, seen):
        """Raise if *items* repeat an entity or hold one whose key is in *seen*."""
        for item in items:
            key = _identity_key(item)
            if key in seen:
                raise ftrack_api.exception.DuplicateItemInCollectionError(item, self)
            seen.add(key)

    def _notify(self, old_value):
        """Record that the collection changed from *old_value* (a copy taken
        before the change).

        When the owning entity's session records operations, an
        :class:`~ftrack_api.operation.UpdateEntityOperation` of the bound
        attribute is added to it, with this collection as new value. Every
        modification of the collection goes through this method.
        """
        entity = self.entity
        attribute = self.attribute
        if entity is None or attribute is None:
            return

        adopt = getattr(attribute, "adopt_collection", None)
        if adopt is not None:
            adopt(entity, self)
        ftrack_api._recording.record_update(entity, attribute.name, old_value, self)

    def assign(self, items: Iterable[Any]) -> None:
        """Replace every item by *items* without recording a change.

        For values that are not changes of this session: members merged from
        the server or placed by the code creating them.
        """
        self._data[:] = list(items)

    def _snapshot(self):
        """Return copy of the collection taken before a change."""
        return copy.copy(self)

    def _check_mutable(self):
        """Raise :exc:`~ftrack_api.exception.ImmutableCollectionError` when
        the collection may not be changed."""
        if not self.mutable:
            raise ftrack_api.exception.ImmutableCollectionError(self)

    def insert(self, index: int, item: Any) -> None:
        """Insert *item* at *index*."""
        self._check_mutable()
        if item in self:
            raise ftrack_api.exception.DuplicateItemInCollectionError(item, self)
        old_value = self._snapshot()
        self._data.insert(index, item)
        self._notify(old_value)

    def __contains__(self, value):
        """Return whether *value* is in the collection."""
        data = self._data
        for item in data:
            if item is value:
                return True
        return value in data

    def __getitem__(self, index):
        """Return item (or list of items for a slice) at *index*."""
        return self._data[index]

    def __setitem__(self, index, item):
        """Replace item at *index* with *item*."""
        self._check_mutable()
        if isinstance(index, slice):
            items = list(item)
            remaining = [
                existing
                for position, existing in enumerate(self._data)
                if position not in range(*index.indices(len(self._data)))
            ]
            self._refuse_duplicates(
                items, set(_identity_key(existing) for existing in remaining)
            )
            old_value = self._snapshot()
            self._data[index] = items
            self._notify(old_value)
            return

        try:
            current = self._data[index]
        except IndexError:
            # Still checked for duplicates; the assignment below then raises.
            current = NOT_SET
        replaces_itself = current is not NOT_SET and (
            current is item or current == item
        )
        if not replaces_itself and item in self:
            raise ftrack_api.exception.DuplicateItemInCollectionError(item, self)
        old_value = self._snapshot()
        self._data[index] = item
        self._notify(old_value)

    def __delitem__(self, index):
        """Remove item at *index*."""
        self._check_mutable()
        # Look the item up first: an invalid index fails before any copy.
        self._data[index]
        old_value = self._snapshot()
        del self._data[index]
        self._notify(old_value)

    def __len__(self):
        """Return number of items."""
        return len(self._data)

    def __iter__(self):
        """Iterate over items.

        As for a list, items added or removed while iterating are seen or
        skipped according to their position.
        """
        return iter(self._data)

    def __eq__(self, other):
        """Return whether *other* is a collection of the same items.

        Items are compared by identity (entity type and primary key), in any
        order. A collection never equals an object of another type, not even
        a list of the same items.
        """
        if not isinstance(other, Collection):
            return False
        if len(self._data) != len(other._data):
            return False
        return collections.Counter(
            _identity_key(item) for item in self._data
        ) == collections.Counter(_identity_key(item) for item in other._data)

    def __ne__(self, other):
        """Return whether *other* differs (see :meth:`__eq__`)."""
        return not self.__eq__(other)

    __hash__ = None

    def __copy__(self):
        """Return shallow copy.

        The copy is bound to the same entity and attribute (and is of the same
        class) but holds its own list of the (shared) items, so changing one
        does not change the other.
        """
        duplicate = type(self).__new__(type(self))
        duplicate.__dict__.update(self.__dict__)
        duplicate._data = list(self._data)
        return duplicate


def _forwarded(name: str, doc: str) -> property:
    """Return a property reading and writing *name* of the proxied collection."""

    def read(proxy):
        return getattr(proxy.collection, name)

    def write(proxy, value):
        setattr(proxy.collection, name, value)

    read.__doc__ = doc
    return property(read, write, doc=doc)


class MappedCollectionProxy(collections.abc.MutableMapping):
    """Common base class for mapped collection of entities."""

    def __init__(self, collection: Collection) -> None:
        """Proxy *collection* (a :class:`Collection`)."""
        #: Logger named after the module and the proxy class.
        self.logger = logging.getLogger(__name__ + "." + type(self).__name__)
        self.collection = collection
        super(MappedCollectionProxy, self).__init__()

    mutable = _forwarded("mutable", "Whether the proxied collection may be changed.")
    attribute = _forwarded("attribute", "The attribute the proxied collection is bound to.")

    def __copy__(self):
        """Return shallow copy.

        The copy proxies a shallow copy of the underlying collection, so
        changing one does not change the other.
        """
        duplicate = type(self).__new__(type(self))
        duplicate.__dict__.update(self.__dict__)
        duplicate.collection = copy.copy(self.collection)
        return duplicate


class KeyValueMappedCollectionProxy(MappedCollectionProxy):
    """A mapped collection of key, value entities.

    Proxy a standard :class:`Collection` as a mapping where certain
    attributes from the entities in the collection are mapped to key, value
    pairs.
    """

    def __init__(
        self, collection: Collection, creator: Callable[..., Any], key_attribute: str, value_attribute: str
    ) -> None:
        """Initialise with *collection*.

        *creator* is called as ``creator(proxy, data)`` to create a new
        entity for a new key, *data* holding the key and value under the
        names *key_attribute* and *value_attribute*.
        """
        self.creator = creator
        self.key_attribute = key_attribute
        self.value_attribute = value_attribute
        super(KeyValueMappedCollectionProxy, self).__init__(collection)

    def _get_entity_by_key(self, key):
        """Return entity in collection with *key*, or None."""
        key_attribute = self.key_attribute
        for entity in self.collection._data:
            if entity[key_attribute] == key:
                return entity
        return None

    def __getitem__(self, key):
        """Return value for *key*."""
        entity = self._get_entity_by_key(key)
        if entity is None:
            raise KeyError(key)
        return entity[self.value_attribute]

    def __setitem__(self, key, value):
        """Set *value* for *key*, creating a new entity if needed."""
        entity = self._get_entity_by_key(key)
        if entity is not None:
            entity[self.value_attribute] = value
            return

        if not self.mutable:
            raise ftrack_api.exception.ImmutableCollectionError(self.collection)

        entity = self.creator(
            self, {self.key_attribute: key, self.value_attribute: value}
        )
        collection = self.collection
        if any(existing is entity for existing in collection._data):
            # The creator placed the entity itself.
            return

        if ftrack_api.inspection.state(entity) is ftrack_api.symbol.CREATED:
            # A new entity: its membership is committed with the collection.
            collection.append(entity)
        else:
            # The creator persists the entity some other way (for example an
            # update of a reconstructed entity); recording the change of the
            # collection too would send a redundant operation.
            with collection.entity.session.operation_recording(False):
                collection.append(entity)

    def __delitem__(self, key):
        """Remove *key*, deleting the entity holding it."""
        entity = self._get_entity_by_key(key)
        if entity is None:
            raise KeyError(key)
        self.collection.remove(entity)
        session = getattr(self.collection.entity, "session", None)
        if session is not None:
            session.delete(entity)

    def keys(self) -> list:
        """Return list of keys."""
        return list(self)

    def __iter__(self):
        """Iterate over keys."""
        key_attribute = self.key_attribute
        keys = []
        seen = set()
        for entity in self.collection._data:
            key = entity[key_attribute]
            try:
                if key in seen:
                    continue
                seen.add(key)
            except TypeError:
                if key in keys:
                    continue
            keys.append(key)
        return iter(keys)

    def __len__(self):
        """Return number of keys."""
        return len(list(iter(self)))


class PerSessionDefaultKeyMaker(ftrack_api.cache.KeyMaker):
    """Generate key for session."""

    def _key(self, obj):
        """Return key for *obj*, identifying sessions and entities by session."""
        if isinstance(obj, (tuple, list)):
            return "(" + ",".join(self._key(item) for item in obj) + ")"
        if isinstance(obj, dict):
            return "{" + ",".join(
                "{0}:{1}".format(key, self._key(value))
                for key, value in sorted(obj.items(), key=lambda item: str(item[0]))
            ) + "}"
        session = getattr(obj, "session", None)
        if session is not None and hasattr(obj, "entity_type"):
            return "session:{0}".format(id(session))
        if hasattr(obj, "types") and hasattr(obj, "query"):
            return "session:{0}".format(id(obj))
        if callable(obj) and hasattr(obj, "__qualname__"):
            return "{0}.{1}".format(getattr(obj, "__module__", ""), obj.__qualname__)
        return str(obj)


#: Memoiser for use with callables that should be called once per session.
memoise_session = ftrack_api.cache.memoise_decorator(
    ftrack_api.cache.Memoiser(
        key_maker=PerSessionDefaultKeyMaker(), return_copies=False
    )
)


class CustomAttributeCollectionProxy(MappedCollectionProxy):
    """A mapped collection of custom attribute value entities.

    Values are ``CustomAttributeValue`` entities identified by their
    configuration; keys are the keys of the configurations that apply to the
    owning entity, whether a value is set for them or not.
    """

    def __init__(self, collection: Collection) -> None:
        """Initialise with custom attribute value *collection*."""
        self.key_attribute = "configuration_id"
        self.value_attribute = "value"
        super(CustomAttributeCollectionProxy, self).__init__(collection)

    def _session(self):
        """Return the session of the owning entity."""
        return self.collection.entity.session

    def _get_entity_configurations(self):
        """Return the configurations that apply to the owning entity.

        Configurations specific to the entity's project come before global
        ones, so that a project configuration shadows a global one with the
        same key. Raise :exc:`ValueError` for an entity type that cannot hold
        these custom attributes.
        """
        entity = self.collection.entity
        entity_type = None
        project_id = None
        object_type_id = None

        if "object_type_id" in list(entity.keys()):
            entity_type = "task"
            project_id = entity["project_id"]
            object_type_id = entity["object_type_id"]

        owner_type = entity.entity_type
        if owner_type == "AssetVersion":
            entity_type = "assetversion"
            project_id = entity["asset"]["parent"]["project_id"]
        elif owner_type == "Asset":
            entity_type = "asset"
            project_id = entity["parent"]["project_id"]
        elif owner_type == "Project":
            entity_type = "show"
            project_id = entity["id"]
        elif owner_type == "User":
            entity_type = "user"

        if entity_type is None:
            raise ValueError("Entity {!r} not supported.".format(entity))

        applicable = [
            configuration
            for configuration in self._session()._custom_attribute_configurations(
                entity
            )
            if configuration["entity_type"] == entity_type
            and configuration["project_id"] in (project_id, None)
            and configuration["object_type_id"] == object_type_id
        ]
        # Stable sort: project specific first, global last.
        return sorted(
            applicable, key=lambda configuration: configuration["project_id"] is None
        )

    def _get_keys(self):
        """Return the keys of the applicable configurations, in order."""
        return [
            configuration["key"] for configuration in self._get_entity_configurations()
        ]

    def get_configuration_id_from_key(self, key: str) -> str:
        """Return id of configuration with matching *key*.

        Raise :exc:`KeyError` if no configuration with matching key found.
        """
        for configuration in self._get_entity_configurations():
            if configuration["key"] == key:
                return configuration["id"]
        raise KeyError(key)

    def _get_entity_by_key(self, key):
        """Return value entity for *key*, or None.

        Raise :exc:`KeyError` when no configuration has *key*.
        """
        configuration_id = self.get_configuration_id_from_key(key)
        for entity in self.collection._data:
            if entity[self.key_attribute] == configuration_id:
                return entity
        return None

    def __getitem__(self, key):
        """Return value for *key*, or its configuration's default when no
        value is set."""
        entity = self._get_entity_by_key(key)
        if entity is not None:
            return entity[self.value_attribute]

        for configuration in self._get_entity_configurations():
            if configuration["key"] == key:
                return configuration["default"]
        raise KeyError(key)

    def __setitem__(self, key, value):
        """Set *value* for *key*, creating a value entity if needed."""
        entity = self._get_entity_by_key(key)
        if entity is not None:
            entity[self.value_attribute] = value
            return

        owner = self.collection.entity
        entity = owner.session.create(
            "CustomAttributeValue",
            {
                self.key_attribute: self.get_configuration_id_from_key(key),
                self.value_attribute: value,
                "entity_id": owner["id"],
            },
        )
        # The owner's current collection: a merge may have replaced the one
        # this proxy was made for.
        owner["custom_attributes"].collection.append(entity)

    def __delitem__(self, key):
        """Remove *key*, deleting its value entity.

        Nothing is removed (a warning is logged) when *key* has no value set;
        :exc:`KeyError` is raised when no configuration has *key*.
        """
        entity = self._get_entity_by_key(key)
        if entity is None:
            self.logger.warning(
                L(
                    "Cannot delete {0!r} on {1!r}, no custom attribute value set.",
                    key,
                    self.collection.entity,
                )
            )
            return
        del self.collection[self.collection.index(entity)]
        entity.session.delete(entity)

    def __iter__(self):
        """Iterate over the keys of the applicable configurations."""
        return iter(self._get_keys())

    def __len__(self):
        """Return number of applicable configurations."""
        return len(self._get_keys())

    def __eq__(self, collection):
        """Return whether *collection* proxies an equal collection."""
        if isinstance(collection, MappedCollectionProxy):
            return self.collection == collection.collection
        return False

    __hash__ = None
