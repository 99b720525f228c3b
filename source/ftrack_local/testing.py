"""pytest plugin: fixtures running a local ftrack server.

Installed packages register it through the ``pytest11`` entry point; it can
also be enabled with ``pytest_plugins = ["ftrack_local.testing"]``.

Fixtures:

* ``ftrack_server`` (session) — a running :class:`LocalServer`.
* ``ftrack_fresh_server`` (function) — a new server for one test.
* ``ftrack_api_client`` (function) — an :class:`ApiClient` on ``ftrack_server``.
* ``ftrack_session`` (function) — an ``ftrack_api.Session`` on ``ftrack_server``
  (its schema cache lives in ``ftrack_schema_cache_path``, a session temp dir).

Set ``FTRACK_LOCAL_DATABASE_URL`` to run the servers on another database
(e.g. PostgreSQL) instead of SQLite in their data directory.
"""

import os
from typing import Any, Iterator, Optional

import pytest

from .client import ApiClient, ApiClientError
from .server import LocalServer

__all__ = ["ApiClient", "ApiClientError", "database_url", "start_server"]

DATABASE_URL_VARIABLE = "FTRACK_LOCAL_DATABASE_URL"


def database_url() -> Optional[str]:
    """The database URL servers should use, from the environment."""
    return os.environ.get(DATABASE_URL_VARIABLE) or None


def start_server(data_dir: str) -> LocalServer:
    """Start a server on a free loopback port with *data_dir*."""
    return LocalServer(data_dir=data_dir, port=0,
                       database_url=database_url()).start()


@pytest.fixture(scope="session")
def ftrack_server(tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[LocalServer]:
    """A local ftrack server shared by the whole test session."""
    server = start_server(str(tmp_path_factory.mktemp("ftrack-server")))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ftrack_fresh_server(tmp_path_factory: pytest.TempPathFactory
                        ) -> Iterator[LocalServer]:
    """A local ftrack server of its own for one test."""
    server = start_server(str(tmp_path_factory.mktemp("ftrack-fresh-server")))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ftrack_api_client(ftrack_server: LocalServer) -> Iterator[ApiClient]:
    """A raw JSON client authenticated as the admin of ``ftrack_server``."""
    client = ApiClient(ftrack_server.url, ftrack_server.api_user,
                       ftrack_server.api_key)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def ftrack_schema_cache_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A schema cache directory for the sessions of this test run (keeps the
    user's own cache untouched)."""
    return str(tmp_path_factory.mktemp("ftrack-schema-cache"))


@pytest.fixture
def ftrack_session(ftrack_server: LocalServer,
                   ftrack_schema_cache_path: str) -> Iterator[Any]:
    """An ``ftrack_api.Session`` connected to ``ftrack_server``."""
    import ftrack_api

    session = ftrack_api.Session(
        server_url=ftrack_server.url, api_user=ftrack_server.api_user,
        api_key=ftrack_server.api_key, auto_connect_event_hub=False,
        schema_cache_path=ftrack_schema_cache_path)
    try:
        yield session
    finally:
        session.close()
