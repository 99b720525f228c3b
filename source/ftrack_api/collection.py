"""Collections of entities held by collection attributes."""

import collections.abc
import copy
import logging

import ftrack_api.cache
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.symbol
from ftrack_api.logging import LazyLogMessage as L  # noqa: F401 (public name)

NOT_SET = ftrack_api.symbol.NOT_SET

_LOGGER = logging.getLogger(__name__)


def _identity_key(item):
    """Return hashable identity for *item* (entity or other value)."""
    try:
        return item._identity_key()
    except AttributeError:
        return ("object", id(item))


class Collection(collections.abc.MutableSequence):
    """A collection of entities."""

    def __init__(self, entity, attribute, mutable=True, data=None):
        """Initialise collection bound to *attribute* of *entity*.

        *mutable* decides whether the collection may be changed. *data* is
        an optional iterable of initial items (no change is recorded for
        them).
        """
        self.entity = entity
        self.attribute = attribute
        self.mutable = mutable
        self._data = list(data) if data else []

    def _notify(self, old_value):
        """Report change of the collection to the owning attribute."""
        if self.entity is not None and self.attribute is not None:
            self.attribute._collection_changed(self.entity, self, old_value)

    def _snapshot(self):
        """Return copy of the collection before a change."""
        return Collection(self.entity, self.attribute, self.mutable, list(self._data))

    def _check_mutable(self):
        if not self.mutable:
            raise ftrack_api.exception.ImmutableCollectionError(self)

    def insert(self, index, item):
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
            seen = set(_identity_key(existing) for existing in remaining)
            for candidate in items:
                key = _identity_key(candidate)
                if key in seen:
                    raise ftrack_api.exception.DuplicateItemInCollectionError(
                        candidate, self
                    )
                seen.add(key)
            old_value = self._snapshot()
            self._data[index] = items
            self._notify(old_value)
            return

        current = self._data[index]
        if current is not item and current != item and item in self:
            raise ftrack_api.exception.DuplicateItemInCollectionError(item, self)
        old_value = self._snapshot()
        self._data[index] = item
        self._notify(old_value)

    def __delitem__(self, index):
        """Remove item at *index*."""
        self._check_mutable()
        old_value = self._snapshot()
        del self._data[index]
        self._notify(old_value)

    def __len__(self):
        """Return number of items."""
        return len(self._data)

    def __iter__(self):
        """Iterate over items."""
        return iter(list(self._data))

    def __eq__(self, other):
        """Return whether *other* holds the same items in the same order."""
        if isinstance(other, Collection):
            return self._data == other._data
        if isinstance(other, list):
            return self._data == other
        return False

    def __ne__(self, other):
        """Return whether *other* differs."""
        return not self.__eq__(other)

    __hash__ = None

    def __copy__(self):
        """Return shallow copy (items are shared)."""
        return Collection(self.entity, self.attribute, self.mutable, list(self._data))


class MappedCollectionProxy(collections.abc.MutableMapping):
    """Common base class for mapped collection of entities."""

    def __init__(self, collection):
        """Proxy *collection* (a :class:`Collection`)."""
        super(MappedCollectionProxy, self).__init__()
        self.collection = collection

    @property
    def mutable(self):
        """Return whether collection is mutable."""
        return self.collection.mutable

    @mutable.setter
    def mutable(self, value):
        """Set whether collection is mutable to *value*."""
        self.collection.mutable = value

    @property
    def attribute(self):
        """Return attribute bound to."""
        return self.collection.attribute

    @attribute.setter
    def attribute(self, value):
        """Set bound attribute to *value*."""
        self.collection.attribute = value

    def __copy__(self):
        """Return shallow copy."""
        duplicate = type(self).__new__(type(self))
        duplicate.__dict__.update(self.__dict__)
        duplicate.collection = copy.copy(self.collection)
        return duplicate

    def __repr__(self):
        try:
            content = dict(self.items())
        except Exception:  # pragma: no cover - defensive.
            content = "..."
        return "<{0}.{1} {2!r}>".format(
            self.__module__, self.__class__.__name__, content
        )


class KeyValueMappedCollectionProxy(MappedCollectionProxy):
    """A mapped collection of key, value entities.

    Proxy a standard :class:`Collection` as a mapping where certain
    attributes from the entities in the collection are mapped to key, value
    pairs.
    """

    def __init__(self, collection, creator, key_attribute, value_attribute):
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
        # The creator may have placed the entity already.
        if not any(existing is entity for existing in self.collection._data):
            self.collection.append(entity)

    def __delitem__(self, key):
        """Remove *key*, deleting the entity holding it."""
        entity = self._get_entity_by_key(key)
        if entity is None:
            raise KeyError(key)
        self.collection.remove(entity)
        session = getattr(self.collection.entity, "session", None)
        if session is not None:
            session.delete(entity)

    def keys(self):
        """Return list of keys."""
        return list(self)

    def __iter__(self):
        """Iterate over keys."""
        key_attribute = self.key_attribute
        keys = []
        for entity in self.collection._data:
            key = entity[key_attribute]
            if key not in keys:
                keys.append(key)
        return iter(keys)

    def __len__(self):
        """Return number of keys."""
        return len(list(iter(self)))

    def __copy__(self):
        """Return shallow copy."""
        return KeyValueMappedCollectionProxy(
            copy.copy(self.collection),
            self.creator,
            self.key_attribute,
            self.value_attribute,
        )


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
    configuration; keys are the configuration keys.
    """

    def __init__(self, collection):
        """Initialise with custom attribute value *collection*."""
        self.key_attribute = "configuration_id"
        self.value_attribute = "value"
        super(CustomAttributeCollectionProxy, self).__init__(collection)

    def _session(self):
        return self.collection.entity.session

    def _configurations(self):
        """Return configurations applicable to the owning entity."""
        entity = self.collection.entity
        return self._session()._custom_attribute_configurations(entity)

    def get_configuration_id_from_key(self, key):
        """Return id of configuration with matching *key*.

        Raise :exc:`KeyError` if no configuration with matching key found.
        """
        for configuration in self._configurations():
            if configuration["key"] == key:
                return configuration["id"]
        raise KeyError(key)

    def _get_keys(self):
        """Return mapping of configuration id to key."""
        return dict(
            (configuration["id"], configuration["key"])
            for configuration in self._configurations()
        )

    def _get_entity_by_key(self, key):
        """Return value entity for *key*, or None."""
        configuration_id = self.get_configuration_id_from_key(key)
        for entity in self.collection._data:
            if entity[self.key_attribute] == configuration_id:
                return entity
        return None

    def __getitem__(self, key):
        """Return value for *key*."""
        entity = self._get_entity_by_key(key)
        if entity is None:
            raise KeyError(key)
        return entity[self.value_attribute]

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
                "entity_id": owner["id"],
                "configuration_id": self.get_configuration_id_from_key(key),
                "value": value,
            },
        )
        self.collection.append(entity)

    def __delitem__(self, key):
        """Remove *key*, deleting its value entity."""
        entity = self._get_entity_by_key(key)
        if entity is None:
            raise KeyError(key)
        self.collection.remove(entity)
        self._session().delete(entity)

    def __iter__(self):
        """Iterate over keys."""
        keys = self._get_keys()
        result = []
        for entity in self.collection._data:
            key = keys.get(entity[self.key_attribute])
            if key is not None and key not in result:
                result.append(key)
        return iter(result)

    def __len__(self):
        """Return number of keys."""
        return len(list(iter(self)))

    def __eq__(self, collection):
        """Return whether *collection* proxies equal items."""
        if isinstance(collection, CustomAttributeCollectionProxy):
            return self.collection == collection.collection
        return False

    __hash__ = None

    def __copy__(self):
        """Return shallow copy."""
        return CustomAttributeCollectionProxy(copy.copy(self.collection))
