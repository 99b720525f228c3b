"""Finding entities: from the session's cache, else by query.

(doc/protocol.rst, "Queries") :class:`Retrieval` serves
:meth:`~ftrack_api.session.Session.get`, ``ensure``, ``query`` and
``populate``.
"""

from __future__ import annotations

import collections.abc
import datetime
import logging
from typing import Any, Iterable, List, Optional, Sequence

import arrow

import ftrack_api.entity.base
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.query
from ftrack_api._identity_map import EntityCache

_LOGGER = logging.getLogger(__name__)


class UnknownEntityTypeError(ftrack_api.exception.UnrecognisedEntityTypeError, KeyError):
    """Unknown entity type met by a look up (also a :exc:`KeyError`)."""


def _criterion(key, value):
    """Return the query criterion text for *key* equal to *value*."""
    if isinstance(value, str):
        return '{0} is "{1}"'.format(key, value)
    if isinstance(value, arrow.Arrow):
        value = value.naive
    if isinstance(value, datetime.datetime):
        value = value.replace(tzinfo=None, microsecond=0)
        return '{0} is "{1}"'.format(key, value.isoformat())
    if isinstance(value, datetime.date):
        return '{0} is "{1}"'.format(key, value.isoformat())
    return "{0} is {1}".format(key, value)


def _key_values(entity_type, primary_key, entity_key):
    """Return the list of key values *entity_key* gives for *entity_type*."""
    if isinstance(entity_key, str):
        values = [entity_key]
    elif isinstance(entity_key, collections.abc.Mapping):
        values = [entity_key[name] for name in primary_key]
    elif isinstance(entity_key, collections.abc.Iterable):
        values = list(entity_key)
    else:
        values = [entity_key]
    if len(values) != len(primary_key):
        raise ValueError(
            "Incompatible entity_key {0!r} supplied. Entity type {1} "
            "expects a primary key composed of {2} values ({3}).".format(
                entity_key, entity_type, len(primary_key), ", ".join(primary_key)
            )
        )
    return values


def _keys_criteria(primary_key, keys):
    """Return the criteria matching any of *keys* (tuples of key values)."""
    if len(primary_key) == 1:
        name = primary_key[0]
        if len(keys) == 1:
            return "{0} is {1}".format(name, keys[0][0])
        return "{0} in ({1})".format(name, ",".join(key[0] for key in keys))
    return " or ".join(
        "({0})".format(
            "and ".join('{0} is "{1}"'.format(name, value) for name, value in zip(primary_key, key))
        )
        for key in keys
    )


class Retrieval(object):
    """Look ups of *session*, whose entities *cache* holds."""

    def __init__(self, session: Any, cache: EntityCache) -> None:
        self._session = session
        self._cache = cache

    def type_for_lookup(self, entity_type: str) -> type:
        """Return the class of *entity_type*; an unknown type raises :exc:`UnknownEntityTypeError`."""
        try:
            return self._session.types[entity_type]
        except KeyError:
            raise UnknownEntityTypeError(entity_type) from None

    def get(self, entity_type: str, entity_key: Any) -> Optional[Any]:
        """Return the entity of *entity_type* with *entity_key*, from the cache or the server."""
        primary_key = self.type_for_lookup(entity_type).primary_key_attributes
        key_values = _key_values(entity_type, primary_key, entity_key)
        try:
            return self.cached(entity_type, key_values)
        except KeyError:
            pass
        criteria = " and ".join(
            '{0} is "{1}"'.format(name, value) for name, value in zip(primary_key, key_values)
        )
        results = self._session.query("{0} where ({1})".format(entity_type, criteria)).all()
        return results[0] if results else None

    def cached(self, entity_type: str, key_values: Sequence[Any]) -> Any:
        """Return the cached entity of *entity_type* with *key_values*; raise :exc:`KeyError` if none."""
        key = self._cache.key((entity_type, tuple(str(value) for value in key_values)))
        entity = self._cache.identity_map.entries.get(key)
        if entity is not None:
            return entity
        value = self._cache.from_lower_layers(key)
        if not isinstance(value, ftrack_api.entity.base.Entity):
            raise KeyError(key)
        return self._session.merge(value)

    def ensure(self, entity_type: str, data: dict, identifying_keys: Optional[List[str]] = None) -> Any:
        """Return the entity of *entity_type* matching *data*, created or updated to match."""
        if not identifying_keys:
            identifying_keys = list(data.keys())
        if not identifying_keys:
            raise ValueError(
                "Could not determine any identifying data to check against "
                "when ensuring {0!r} with data {1!r}. Identifying keys: {2!r}".format(
                    entity_type, data, identifying_keys
                )
            )
        criteria = [_criterion(key, data[key]) for key in identifying_keys]
        session = self._session
        try:
            entity = session.query("{0} where {1}".format(entity_type, " and ".join(criteria))).one()
        except ftrack_api.exception.NoResultFoundError:
            _LOGGER.debug("Creating entity as did not already exist.")
            entity = session.create(entity_type, data)
            session.commit()
            return entity
        _LOGGER.debug("Retrieved matching existing entity.")
        updated = False
        for key, target_value in data.items():
            if entity[key] != target_value:
                entity[key] = target_value
                updated = True
        if updated:
            _LOGGER.debug("Updating existing entity to match new data.")
            session.commit()
        return entity

    def query(self, expression: str, page_size: int = 500) -> ftrack_api.query.QueryResult:
        """Return the lazy result of *expression*, given default projections when it has none."""
        stripped = expression.strip()
        head = stripped.split(None, 1)
        if not head or head[0].lower() != "select":
            entity_class = self.type_for_lookup(head[0] if head else "")
            projections = entity_class.default_projections or list(entity_class.primary_key_attributes)
            expression = "select {0} from {1}".format(", ".join(projections), stripped)
        return ftrack_api.query.QueryResult(self._session, expression, page_size=page_size)

    def populate(self, entities: Iterable[Any], projections: Any) -> None:
        """Fetch *projections* of *entities* (those already persisted) in one query."""
        if ftrack_api.inspection.is_entity(entities):
            entities = [entities]
        persisted = [
            entity for entity in entities if not ftrack_api.inspection.entity_state(entity).created
        ]
        if not persisted:
            return
        if not isinstance(projections, str):
            projections = ", ".join(projections)
        keys = list(dict.fromkeys(ftrack_api.inspection.identity_key(entity)[1] for entity in persisted))
        reference = persisted[0]
        expression = "select {0} from {1} where {2}".format(
            projections, reference.entity_type, _keys_criteria(reference.primary_key_attributes, keys)
        )
        self._session.query(expression).all()
