"""Offline sessions for client unit tests: entity classes are built from the
recorded schema and nothing is sent anywhere (any request fails)."""

import json
import os
import threading

import pytest

import ftrack_api
import ftrack_api.cache
import ftrack_api.entity.factory
import ftrack_api.event.hub
import ftrack_api.operation
import ftrack_api.session
import ftrack_api.symbol

SCHEMA_PATH = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "source", "ftrack_local", "data",
    "query_schemas.json",
)


@pytest.fixture(scope="session")
def recorded_schemas():
    with open(SCHEMA_PATH) as handle:
        return json.load(handle)


class OfflineSession(ftrack_api.session.Session):
    """Session whose state is set up without contacting a server."""

    def __init__(self, schemas):
        import logging

        self.logger = logging.getLogger("offline")
        self._closed = False
        self._lock = threading.RLock()
        self._commit_lock = threading.RLock()
        self._thread_state = threading.local()
        self._server_url = "http://offline.invalid"
        self._api_user = "offline"
        self._api_key = "offline"
        self._auto_populate = False
        self._record_operations = True
        self._recorded_operations = ftrack_api.operation.Operations()
        self._custom_attribute_configurations_cache = None
        self.cache_key_maker = ftrack_api.cache.StringKeyMaker()
        self._memory_cache = ftrack_api.cache.MemoryCache()
        self.cache = ftrack_api.cache.LayeredCache([self._memory_cache])
        self._server_information = {"version": "dev"}
        self.request_timeout = 60
        self.schemas = schemas
        factory = ftrack_api.entity.factory.StandardFactory()
        self.types = dict(
            (schema["id"], factory.create(schema)) for schema in schemas
        )

    def call(self, data):
        raise AssertionError("Offline session cannot send {0!r}".format(data))

    def feed(self, text):
        """Decode server answer *text* merging entities (as on receipt)."""
        import json as _json

        with self._lock:
            return _json.loads(text, object_hook=self._make_merge_hook())


@pytest.fixture
def offline_session(recorded_schemas):
    """Session with entity classes from the recorded schema, no server."""
    return OfflineSession(recorded_schemas)


@pytest.fixture
def located_session(offline_session):
    """An offline session with an event hub and the built-in locations."""
    session = offline_session
    session._event_hub = ftrack_api.event.hub.EventHub(
        session.server_url, session.api_user, session.api_key)
    session._configure_builtin_locations()
    return session
