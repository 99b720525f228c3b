"""The documentation's "Caching" examples (Python 3)."""

import os

import arrow

import ftrack_api
import ftrack_api.cache
import ftrack_api.entity.base
import ftrack_api.inspection
import ftrack_api.symbol
from ftrack_api.symbol import NOT_SET


class SelectiveCache(ftrack_api.cache.ProxyCache):
    """Proxy cache that won't cache newly created entities."""

    def set(self, key, value):
        if isinstance(value, ftrack_api.entity.base.Entity):
            if ftrack_api.inspection.state(value) is ftrack_api.symbol.CREATED:
                return
        super(SelectiveCache, self).set(key, value)


class CountingSession(ftrack_api.Session):
    sent = 0

    def _send(self, data):
        self.sent += 1
        return super(CountingSession, self)._send(data)


def test_get_twice_and_merging(ftrack_session):
    session = ftrack_session
    user = session.query("User").first()
    session.create("Timelog", {"user": user, "start": arrow.now(), "duration": 60, "comment": "Some comment"})
    session.commit()
    fresh = ftrack_api.Session(server_url=session.server_url, api_user=session.api_user, api_key=session.api_key)
    try:
        first = fresh.get("User", user["id"])
        assert fresh.get("User", user["id"]) is first
        timelog = first["timelogs"][0]
        with fresh.auto_populating(False):
            assert timelog["comment"] is NOT_SET
        fresh.query('select comment from Timelog where id is "{0}"'.format(timelog["id"])).all()
        with fresh.auto_populating(False):
            assert timelog["comment"] == "Some comment"
        assert isinstance(fresh.cache, ftrack_api.cache.LayeredCache)
    finally:
        fresh.close()


def test_persistent_file_cache_between_sessions(ftrack_server, tmp_path, ftrack_schema_cache_path):
    cache_path = os.path.join(str(tmp_path), "ftrack_session_cache.dbm")

    def cache_maker(session):
        return SelectiveCache(ftrack_api.cache.SerialisedCache(
            ftrack_api.cache.FileCache(cache_path), encode=session.encode, decode=session.decode))

    arguments = dict(server_url=ftrack_server.url, api_user=ftrack_server.api_user,
                     api_key=ftrack_server.api_key, schema_cache_path=ftrack_schema_cache_path, cache=cache_maker)
    with ftrack_api.Session(**arguments) as session:
        layers = session.cache.caches
        assert isinstance(layers[0], ftrack_api.cache.MemoryCache) and isinstance(layers[1], SelectiveCache)
        user = session.query("select username from User").first()
        username, user_id = user["username"], user["id"]
        created = session.create("Scope", {"name": "not persisted"})
        persisted_keys = layers[1].keys()
        assert not any(created["id"] in key for key in persisted_keys)
        session.rollback()
    with CountingSession(**arguments) as session:
        session.sent = 0
        with session.auto_populating(False):
            cached = session.get("User", user_id)
            assert cached["username"] == username
        assert session.sent == 0  # served from the file cache, no request
