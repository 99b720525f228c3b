"""Encoding requests and decoding answers (doc/protocol.rst, "Values on the wire").

Entities travel as mappings carrying ``__entity_type__``; date-times as
``{"__type__": "datetime", "value": <ISO 8601 text>}``. :class:`Codec`
turns values into that JSON text and back, building detached entities on
the way back (answers merged into a session go through
:meth:`ftrack_api._merge.Merger.hook` instead).
"""

from __future__ import annotations

import collections.abc
import datetime
import functools
import json
from typing import Any, Dict

import arrow

import ftrack_api.attribute
import ftrack_api.collection
import ftrack_api.entity.base
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.symbol
from ftrack_api._merge import decode_datetime

NOT_SET = ftrack_api.symbol.NOT_SET
_Entity = ftrack_api.entity.base.Entity
_Collection = ftrack_api.collection.Collection
_MappedCollectionProxy = ftrack_api.collection.MappedCollectionProxy
_CollectionAttribute = ftrack_api.attribute.AbstractCollectionAttribute

#: Ways of choosing the attribute values of the entities encoded.
STRATEGIES = ("all", "set_only", "modified_only", "persisted_only")

#: Marks an attribute left out of the encoded entity.
_SKIP = object()


def _held(state, name):
    """Return the value *state* holds for *name*, local first, or NOT_SET."""
    value = state.local.get(name, NOT_SET)
    if value is NOT_SET:
        value = state.remote.get(name, NOT_SET)
    return value


def _chosen_value(entity, attribute, strategy, state):
    """Return the value of *attribute* of *entity* that *strategy* encodes, or _SKIP."""
    name = attribute.name
    if strategy == "all":
        return attribute.get_value(entity)
    if strategy == "set_only":
        return _held(state, name)
    if strategy == "modified_only":
        if name in entity.primary_key_attributes:
            return _held(state, name)
        if attribute.is_modified(entity):
            return state.local.get(name, NOT_SET)
        return NOT_SET
    if strategy == "persisted_only":
        if attribute.computed:
            return _SKIP
        return state.remote.get(name, NOT_SET)
    raise ValueError("Unsupported entity_attribute_strategy {0!r}.".format(strategy))


class Codec(object):
    """JSON encoding of the values of *session*.

    *payload_class* is the mapping type whose entity values are sent as
    references (see :class:`ftrack_api.session.OperationPayload`).
    """

    def __init__(self, session: Any, payload_class: type) -> None:
        self._session = session
        self._payload_class = payload_class

    def entity_reference(self, entity: Any) -> Dict[str, Any]:
        """Return the reference of *entity*: its type and primary key values."""
        reference = {"__entity_type__": entity.entity_type}
        with self._session.auto_populating(False):
            reference.update(ftrack_api.inspection.primary_key(entity))
        return reference

    def known_reference(self, entity: Any) -> Dict[str, Any]:
        """Return the reference of *entity* from the key values it holds.

        As :meth:`entity_reference` without switching auto population off
        (the values are read directly); an entity lacking a key value goes
        through :meth:`entity_reference`, which raises.
        """
        reference = {"__entity_type__": entity.entity_type}
        state = ftrack_api.inspection.entity_state(entity)
        local = state.local
        remote = state.remote
        for name in entity.primary_key_attributes:
            value = local[name] if name in local else remote.get(name, NOT_SET)
            if value is NOT_SET:
                return self.entity_reference(entity)
            reference[name] = str(value)
        return reference

    def encode_entity(self, entity: Any, strategy: str) -> Dict[str, Any]:
        """Return the mapping encoding *entity*, its values chosen by *strategy*."""
        data = {"__entity_type__": entity.entity_type}
        if strategy == "all":
            ftrack_api.entity.base.populate_unset_scalars(entity)
        state = ftrack_api.inspection.entity_state(entity)
        for attribute in entity.attributes:
            value = _chosen_value(entity, attribute, strategy, state)
            if value is NOT_SET or value is _SKIP:
                continue
            if isinstance(attribute, _CollectionAttribute):
                value = [self.entity_reference(item) for item in attribute.members(value)]
            elif isinstance(value, _Entity):
                value = self.entity_reference(value)
            data[attribute.name] = value
        return data

    def encode(self, data: Any, entity_attribute_strategy: str = "set_only") -> str:
        """Return *data* as JSON text (see :meth:`ftrack_api.session.Session.encode`)."""
        if entity_attribute_strategy not in STRATEGIES:
            raise ValueError(
                'Unsupported entity_attribute_strategy "{0}"'.format(entity_attribute_strategy)
            )
        return json.dumps(
            data,
            sort_keys=True,
            default=functools.partial(self.encodable, entity_attribute_strategy=entity_attribute_strategy),
        )

    def encodable(self, item: Any, entity_attribute_strategy: str = "set_only") -> Any:
        """Return a JSON encodable form of *item*; raise :exc:`TypeError` for anything else."""
        if isinstance(item, (arrow.Arrow, datetime.datetime, datetime.date)):
            return {"__type__": "datetime", "value": item.isoformat()}
        if isinstance(item, self._payload_class):
            return self._encodable_payload(item)
        if isinstance(item, _Entity):
            return self.encode_entity(item, entity_attribute_strategy)
        if isinstance(item, _MappedCollectionProxy):
            return [self.entity_reference(entity) for entity in item.collection]
        if isinstance(item, _Collection):
            return [self.entity_reference(entity) for entity in item]
        if isinstance(item, ftrack_api.symbol.Symbol):
            return str(item)
        if isinstance(item, collections.abc.Mapping):
            return dict(item)
        if isinstance(item, (set, frozenset, tuple)):
            return list(item)
        raise TypeError("{0!r} is not JSON serializable".format(item))

    def _encodable_payload(self, payload):
        """Return *payload* as a dict, entities in its entity data as references."""
        data = dict(payload)
        entity_data = data.get("entity_data")
        if isinstance(entity_data, collections.abc.Mapping):
            data["entity_data"] = dict(
                (key, self.entity_reference(value) if isinstance(value, _Entity) else value)
                for key, value in entity_data.items()
            )
        return data

    def detached(self, item: dict) -> Any:
        """JSON object hook building detached entities (and date-times) from *item*."""
        if item.get("__type__") in ("datetime", "date"):
            return decode_datetime(item["value"])
        entity_type = item.get("__entity_type__")
        if entity_type is None:
            return item
        try:
            entity_class = self._session.types[entity_type]
        except KeyError:
            raise ftrack_api.exception.UnrecognisedEntityTypeError(entity_type) from None
        return entity_class(self._session, item, reconstructing=True)

    def decode(self, string: str) -> Any:
        """Return the value JSON text *string* encodes, entities detached."""
        return json.loads(string, object_hook=self.detached)
