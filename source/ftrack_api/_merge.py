"""Merging entities into a session (doc/protocol.rst, "Entities and references").

An entity of a session is unique per identity: merging a value replaces each
entity in it by the one the session holds for the same identity, taking in
the values the merged one brings. :class:`Merger` does this for values given
by callers and, through :meth:`Merger.hook`, for every object of an answer
while it is decoded, which is the hot path of every query.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable, List, Optional

import arrow
import dateutil.tz

import ftrack_api.attribute
import ftrack_api.cache
import ftrack_api.collection
import ftrack_api.entity.base
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.symbol
from ftrack_api._identity_map import EntityCache, cache_key

NOT_SET = ftrack_api.symbol.NOT_SET
_UTC = dateutil.tz.tzutc()
_Entity = ftrack_api.entity.base.Entity
_Collection = ftrack_api.collection.Collection
_MappedCollectionProxy = ftrack_api.collection.MappedCollectionProxy
_CollectionAttribute = ftrack_api.attribute.AbstractCollectionAttribute
_state_of = ftrack_api.inspection.entity_state
_reconstructed = ftrack_api.entity.base.reconstructed


def decode_datetime(value: str) -> arrow.Arrow:
    """Return :class:`arrow.Arrow` for ISO 8601 text *value* (naive = UTC)."""
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return arrow.get(value)
    tzinfo = parsed.tzinfo
    return arrow.Arrow(
        parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute, parsed.second,
        parsed.microsecond, tzinfo if tzinfo is not None else _UTC,
    )


def _drop_stale_copies(cls, entity, state, data):
    """Drop the local collections of *entity* that merely copy a remote value
    *data* (from an answer) is about to replace (see
    :meth:`~ftrack_api.attribute.AbstractCollectionAttribute.refresh_copy`)."""
    local = state.local
    remote = state.remote
    attributes = cls.attributes
    for name in [name for name in data if name in local]:
        attribute = attributes.get(name)
        if isinstance(attribute, _CollectionAttribute):
            attribute.refresh_copy(entity, remote.get(name, NOT_SET))


class Merger(object):
    """Merges values into *session*, whose entities *cache* holds."""

    def __init__(self, session: Any, cache: EntityCache) -> None:
        self._session = session
        self._cache = cache

    def hook(self, touched: Optional[List[Any]] = None) -> Callable[[dict], Any]:
        """Return a JSON object hook merging the entities of one answer.

        What the hook needs is looked up once, here, rather than for every
        object. Entities merged are appended to the list *touched* when given.
        """
        session = self._session
        types = session.types
        entries = self._cache.identity_map.entries
        one_text_key = type(session.cache_key_maker) is ftrack_api.cache.StringKeyMaker
        key_of = self._cache.key

        def merge(data):
            if "__type__" in data:
                kind = data["__type__"]
                if kind == "datetime" or kind == "date":
                    return decode_datetime(data["value"])
            entity_type = data.get("__entity_type__")
            if entity_type is None:
                return data
            cls = types.get(entity_type)
            if cls is None:
                raise ftrack_api.exception.UnrecognisedEntityTypeError(entity_type)
            del data["__entity_type__"]
            primary_key = cls.primary_key_attributes
            try:
                if one_text_key and len(primary_key) == 1:
                    # The usual case, written out as cache_key does.
                    key = "(%r, [%r])" % (entity_type, str(data[primary_key[0]]))
                else:
                    key = key_of((entity_type, tuple(str(data[name]) for name in primary_key)))
            except KeyError:
                return cls(session, data, reconstructing=True)
            names = cls.attributes.by_name
            if not data.keys() <= names.keys():
                data = {name: value for name, value in data.items() if name in names}
            entity = entries.get(key)
            if entity is None:
                entity = entries[key] = _reconstructed(cls, session, data)
            else:
                state = _state_of(entity)
                if state.local:
                    _drop_stale_copies(cls, entity, state, data)
                state.remote.update(data)
            if touched is not None:
                touched.append(entity)
            return entity

        return merge

    def merge(self, value: Any, merged: dict) -> Any:
        """Return *value* with its entities merged (see :meth:`Session.merge`)."""
        if isinstance(value, _Entity):
            return self._merge_entity(value, merged)
        if isinstance(value, _MappedCollectionProxy):
            self.merge(value.collection, merged)
            return value
        if isinstance(value, _Collection):
            value.assign([self.merge(item, merged) for item in value])
            return value
        if isinstance(value, list):
            return [self.merge(item, merged) for item in value]
        if isinstance(value, tuple):
            return tuple(self.merge(item, merged) for item in value)
        if isinstance(value, dict):
            return dict((key, self.merge(item, merged)) for key, item in value.items())
        return value

    def _merge_entity(self, entity, merged):
        """Merge *entity* and return the instance the session holds for it."""
        identity = ftrack_api.inspection.identity_key(entity)
        if identity in merged:
            return merged[identity]
        key = cache_key(self._session.cache_key_maker, identity)
        attached = self._cache.identity_map.entries.get(key)
        if attached is None:
            # Start from what a lower cache layer (a file cache, say) holds,
            # so that entities referenced from a cached record come whole.
            stored = self._cache.from_lower_layers(key)
            if isinstance(stored, _Entity) and stored is not entity:
                self._attach_new(key, identity, stored, merged).merge(entity, merged)
                return merged[identity]
            return self._attach_new(key, identity, entity, merged)
        merged[identity] = attached
        if attached is not entity:
            attached.merge(entity, merged)
        return attached

    def _attach_new(self, key, identity, entity, merged):
        """Attach *entity* (a copy when it belongs to another session) under *key*."""
        if entity.session is not None and entity.session is not self._session:
            # Never take an entity away from another session.
            entity = self.copy_entity(entity)
        merged[identity] = entity
        self._cache.attach(key, entity)
        self._merge_nested(entity, merged)
        return entity

    def copy_entity(self, entity: Any) -> Any:
        """Return a new entity of the session holding the values of *entity*."""
        cls = self._session.types.get(entity.entity_type, type(entity))
        copy = _reconstructed(cls, self._session, {})
        theirs, mine = _state_of(entity), _state_of(copy)
        attributes = cls.attributes
        for source, target in ((theirs.remote, mine.remote), (theirs.local, mine.local)):
            for name, value in source.items():
                attribute = attributes.get(name)
                if attribute is None:
                    continue
                if isinstance(attribute, _CollectionAttribute):
                    members = attribute.members(value)
                    value = attribute.new_collection(copy, members) if target is mine.local else members
                target[name] = value
        return copy

    def _merge_nested(self, entity, merged):
        """Replace entities referenced by values of *entity* by attached ones."""
        state = _state_of(entity)
        for store in (state.remote, state.local):
            for name, value in list(store.items()):
                if isinstance(value, (_Entity, _Collection, _MappedCollectionProxy, list)):
                    store[name] = self.merge(value, merged)
