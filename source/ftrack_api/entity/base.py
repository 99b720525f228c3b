"""Base class of all entity classes."""

import abc
import collections.abc
import functools
import logging

import ftrack_api.attribute
import ftrack_api.inspection
import ftrack_api.operation
import ftrack_api.symbol
from ftrack_api.logging import LazyLogMessage as L

NOT_SET = ftrack_api.symbol.NOT_SET

_LOGGER = logging.getLogger(__name__)


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

    Values are kept in two dictionaries per instance: ``_local`` holds values
    set locally and not yet persisted, ``_remote`` the last values known from
    the server. An attribute missing from both is NOT_SET.
    """

    entity_type = "Entity"
    attributes = None
    primary_key_attributes = None
    default_projections = None

    #: True while the entity's creation is pending (not yet committed).
    _created = False

    #: Names of collection attributes (set per generated class).
    _collection_names = frozenset()

    def __init__(self, session, data=None, reconstructing=False):
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
        self._local = {}
        self._remote = {}

        if data is None:
            data = {}

        if reconstructing:
            self._reconstruct(data)
        else:
            self._construct(data)

    @functools.cached_property
    def logger(self):
        """Return the logger of this entity, named after its class."""
        return logging.getLogger(__name__ + "." + type(self).__name__)

    def _attribute_for_data(self, attributes, key):
        """The attribute *key* of incoming data names, or None (logged) when there is none."""
        attribute = attributes.get(key)
        if attribute is None:
            _LOGGER.debug(L("Ignoring {0!r}: {1!r} has no such attribute.", key, self))
        return attribute

    def _reconstruct(self, data):
        """Apply *data* as remote values."""
        attributes = self.attributes
        for key, value in data.items():
            if key == "__entity_type__":
                continue
            attribute = self._attribute_for_data(attributes, key)
            if attribute is None:
                continue
            attribute.set_remote_value(self, value)

    def _construct(self, data):
        """Apply *data* and defaults as local values of a new entity."""
        attributes = self.attributes
        local = self._local
        relational = []

        for key, value in data.items():
            if key == "__entity_type__":
                continue
            attribute = self._attribute_for_data(attributes, key)
            if attribute is None:
                continue
            if isinstance(attribute, ftrack_api.attribute.ScalarAttribute):
                if value is not NOT_SET:
                    local[key] = value
            else:
                relational.append((attribute, value))

        for attribute in attributes:
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

        session = self.session
        if session is not None and session.record_operations:
            self._created = True
            session._record_operation(
                ftrack_api.operation.CreateEntityOperation(
                    self.entity_type,
                    ftrack_api.inspection.primary_key(self),
                    dict(local),
                )
            )

        for attribute, value in relational:
            attribute.set_local_value(self, value)

    def _record_update(self, name, old_value, new_value):
        """Record change of attribute *name* in the session."""
        session = self.session
        if session is None or not session.record_operations:
            return
        session._record_operation(
            ftrack_api.operation.UpdateEntityOperation(
                self.entity_type,
                ftrack_api.inspection.primary_key(self),
                name,
                old_value,
                new_value,
            )
        )

    def _identity_key(self):
        """Return identity tuple (type, key values as text) without loading."""
        local = self._local
        remote = self._remote
        values = []
        for name in self.primary_key_attributes:
            if name in local:
                value = local[name]
            else:
                value = remote.get(name, NOT_SET)
            values.append(str(value))
        return (self.entity_type, tuple(values))

    def _format_key(self):
        """Return primary key values as text for representations."""
        local = self._local
        remote = self._remote
        values = []
        for name in self.primary_key_attributes or ():
            if name in local:
                values.append(str(local[name]))
            else:
                values.append(str(remote.get(name, NOT_SET)))
        return ", ".join(values)

    def __repr__(self):
        """Return representation of instance."""
        return "<{0}({1})>".format(type(self).__name__, self._format_key())

    def __str__(self):
        """Return string representation of instance."""
        return "<{0}({1})>".format(type(self).__name__, self._format_key())

    def __hash__(self):
        """Return hash of the entity identity."""
        return hash(self._identity_key())

    def __eq__(self, other):
        """Return whether *other* is the same entity (same identity)."""
        if self is other:
            return True
        if not isinstance(other, Entity):
            return False
        return self._identity_key() == other._identity_key()

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
        local = self._local
        if key in local:
            return local[key]
        if key not in self._collection_names:
            remote = self._remote
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

    def values(self):
        """Return list of values.

        Will fetch all values from the server if not already fetched or set
        locally.
        """
        return [value for _, value in self.items()]

    def items(self):
        """Return list of tuples of (key, value) pairs.

        .. note::

            Will fetch all values from the server if not already fetched or
            set locally.
        """
        self._populate_unset_scalar_attributes()
        return [(name, self[name]) for name in self.attributes.keys()]

    def _populate_unset_scalar_attributes(self):
        """Fetch all scalar attributes without a value in one query."""
        session = self.session
        if (
            session is None
            or self._created
            or not session.auto_populate
            or session.closed
        ):
            return
        projections = [
            attribute.name
            for attribute in self.attributes
            if isinstance(attribute, ftrack_api.attribute.ScalarAttribute)
            and attribute.name not in self._remote
        ]
        if projections:
            session.populate([self], ", ".join(projections))

    def clear(self):
        """Reset all locally modified attribute values."""
        self._local.clear()

    def merge(self, entity, merged=None):
        """Merge *entity* attribute values and other data into this entity.

        Only merge values from *entity* that are not NOT_SET.

        Return a list of changes made with each change being a mapping with
        the keys:

            * type - Either 'remote_attribute', 'local_attribute' or
              'property'.
            * name - The name of the attribute / property modified.
            * old_value - The previous value.
            * new_value - The new merged value.
        """
        if merged is None:
            merged = {}

        log = []
        session = self.session

        for attribute in entity.attributes:
            name = attribute.name
            own = self.attributes.get(name)
            if own is None:
                continue
            is_collection = isinstance(
                own, ftrack_api.attribute.AbstractCollectionAttribute
            )

            for kind, source, target in (
                ("remote_attribute", entity._remote, self._remote),
                ("local_attribute", entity._local, self._local),
            ):
                if name not in source:
                    continue
                value = source[name]
                if value is NOT_SET:
                    continue
                if session is not None:
                    value = session._merge(value, merged)
                if is_collection:
                    items = own._items(value)
                    if kind == "local_attribute":
                        value = own._new_collection(self, items)
                    else:
                        value = items
                old_value = target.get(name, NOT_SET)
                if is_collection:
                    unchanged = own._items(old_value) == own._items(value)
                else:
                    try:
                        unchanged = old_value is value or old_value == value
                    except Exception:
                        unchanged = False
                if unchanged:
                    continue
                if is_collection and kind == "remote_attribute":
                    own._refresh_copy(self, old_value)
                target[name] = value
                log.append(
                    {
                        "type": kind,
                        "name": name,
                        "old_value": old_value,
                        "new_value": value,
                    }
                )

        return log
