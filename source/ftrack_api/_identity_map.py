"""The session's local cache: every entity attached to a session, once.

The top layer of :attr:`ftrack_api.session.Session.cache` is an
:class:`IdentityMap`: it holds each attached entity under the cache key of its
identity (see :func:`ftrack_api.inspection.identity_key`), so that one
identity always maps to one entity instance. The layers below it (a file
cache, say) keep copies that outlive the session. :class:`EntityCache` is
the view of both the session's code uses.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable, List, Optional

import ftrack_api.cache
import ftrack_api.inspection
from ftrack_api.inspection import Identity
from ftrack_api.logging import LazyLogMessage as L

_LOGGER = logging.getLogger(__name__)
_StringKeyMaker = ftrack_api.cache.StringKeyMaker


def cache_key(key_maker: Any, identity: Identity) -> Any:
    """Return the cache key *key_maker* makes of *identity*.

    The key is made of the pair ``(entity type, [key values])``; for the
    default :class:`~ftrack_api.cache.StringKeyMaker` its text is written out
    directly (the values are text, so ``%r`` gives what ``str()`` of the
    pair does).
    """
    if type(key_maker) is _StringKeyMaker:
        values = identity[1]
        if len(values) == 1:
            return "(%r, [%r])" % (identity[0], values[0])
        return "(%r, [%s])" % (identity[0], ", ".join(map(repr, values)))
    return key_maker.key((identity[0], list(identity[1])))


class IdentityMap(ftrack_api.cache.MemoryCache):
    """Memory cache holding the entities attached to one session."""

    @property
    def entries(self) -> dict:
        """Return the dictionary of cache key to value itself (for fast look ups)."""
        return self._cache

    def entities(self) -> List[Any]:
        """Return the entities held."""
        return [value for value in list(self._cache.values()) if ftrack_api.inspection.is_entity(value)]


class EntityCache(object):
    """The entities of *session*: its identity map and the cache layers below.

    *identity_map* is the top layer of ``session.cache``; the other layers
    are read from ``session.cache`` whenever needed, so replacing them takes
    effect at once.
    """

    def __init__(self, session: Any, identity_map: IdentityMap) -> None:
        self._session = session
        self.identity_map = identity_map

    def key(self, identity: Identity) -> Any:
        """Return the cache key of *identity*."""
        return cache_key(self._session.cache_key_maker, identity)

    def attached(self, identity: Identity) -> Optional[Any]:
        """Return the entity held for *identity*, or None."""
        return self.identity_map.entries.get(self.key(identity))

    def attach(self, key: Any, entity: Any) -> None:
        """Hold *entity* under cache *key*, making it an entity of the session."""
        entity.session = self._session
        self.identity_map.entries[key] = entity

    def detach(self, identity: Identity) -> None:
        """Forget the entity held for *identity* in every cache layer."""
        try:
            self._session.cache.remove(self.key(identity))
        except KeyError:
            pass

    def lower_layers(self) -> List[Any]:
        """Return the cache layers below the identity map."""
        cache = self._session.cache
        if isinstance(cache, ftrack_api.cache.LayeredCache):
            return list(cache.caches[1:])
        return []

    def from_lower_layers(self, key: Any) -> Optional[Any]:
        """Return the value a layer below the identity map holds for *key*, or None."""
        for layer in self.lower_layers():
            try:
                return layer.get(key)
            except KeyError:
                continue
            except Exception:
                _LOGGER.debug(L("Failed reading {0} from cache {1!r}.", key, layer))
        return None

    def store_in_lower_layers(self, entities: Iterable[Any]) -> None:
        """Store *entities* in the cache layers below the identity map."""
        layers = self.lower_layers()
        if not layers:
            return
        for entity in entities:
            key = self.key(ftrack_api.inspection.identity_key(entity))
            for layer in layers:
                try:
                    layer.set(key, entity)
                except Exception:
                    _LOGGER.debug(L("Failed to store {0!r} in cache {1!r}.", entity, layer))
