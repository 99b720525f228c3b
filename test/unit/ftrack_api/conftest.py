"""Offline sessions for client unit tests: entity classes are built from the
recorded schema and nothing is sent anywhere (any other request fails)."""

import json
import os

import pytest

import ftrack_api
import ftrack_api._schemas
import ftrack_api.session
import ftrack_api.transport

SCHEMA_PATH = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "source", "ftrack_local", "data",
    "query_schemas.json",
)


@pytest.fixture(scope="session")
def recorded_schemas():
    with open(SCHEMA_PATH) as handle:
        return json.load(handle)


class OfflineTransport(ftrack_api.transport.Transport):
    """Answers the start-up requests from the recorded schema file, refuses the rest."""

    #: The recorded schemas' JSON text and hash, read once.
    _recorded = None

    @classmethod
    def recorded(cls):
        if cls._recorded is None:
            with open(SCHEMA_PATH, "rb") as handle:
                text = handle.read()
            cls._recorded = (text, ftrack_api._schemas.schema_hash(json.loads(text)))
        return cls._recorded

    def send(self, payload):
        operations = json.loads(self.body_of(payload))
        text, schema_hash = self.recorded()
        answers = []
        for operation in operations:
            if operation["action"] == "query_server_information":
                answers.append(json.dumps({"version": "dev", "schema_hash": schema_hash}).encode())
            elif operation["action"] == "query_schemas":
                answers.append(text)
            else:
                raise AssertionError("Offline session cannot send {0!r}".format(operations))
        return b"[" + b", ".join(answers) + b"]"


class OfflineSession(ftrack_api.session.Session):
    """Session started from the recorded schema without contacting a server."""

    transport_class = OfflineTransport

    def __init__(self, **kwargs):
        kwargs = dict(
            dict(server_url="http://offline.invalid", api_user="offline", api_key="offline",
                 auto_populate=False, schema_cache_path=False, plugin_paths=[],
                 auto_connect_event_hub=False),
            **kwargs)
        super(OfflineSession, self).__init__(**kwargs)

    def feed(self, text):
        """Decode server answer *text* merging entities (as on receipt)."""
        with self._lock:
            return json.loads(text, object_hook=self._make_merge_hook())


@pytest.fixture
def offline_session():
    """Session with entity classes from the recorded schema, no server."""
    session = OfflineSession()
    yield session
    session.close()


@pytest.fixture
def located_session(offline_session):
    """An offline session (its event hub and built-in locations are set up on start)."""
    return offline_session
