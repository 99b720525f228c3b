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

import contextlib
import os
import uuid
from typing import Any, Iterator, Optional

import pytest

from .client import ApiClient, ApiClientError
from .server import LocalServer

__all__ = ["ApiClient", "ApiClientError", "database_url", "running_server", "start_server",
           "throwaway_database"]

DATABASE_URL_VARIABLE = "FTRACK_LOCAL_DATABASE_URL"


def database_url() -> Optional[str]:
    """The database URL servers should use, from the environment."""
    return os.environ.get(DATABASE_URL_VARIABLE) or None


def start_server(data_dir: str, database: Optional[str] = None) -> LocalServer:
    """Start a server on a free loopback port with *data_dir*."""
    return LocalServer(data_dir=data_dir, port=0,
                       database_url=database or database_url()).start()


@contextlib.contextmanager
def throwaway_database(url: Optional[str]) -> Iterator[Optional[str]]:
    """A new, empty database on the server *url* names, dropped afterwards.

    SQLite (or no URL) needs nothing: each data dir holds its own file.
    """
    if not url or url.startswith("sqlite"):
        yield url
        return
    import sqlalchemy as sa

    base = sa.engine.make_url(url)
    name = "ftrack_test_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text('CREATE DATABASE "{0}"'.format(name)))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text('DROP DATABASE IF EXISTS "{0}" WITH (FORCE)'.format(name)))
        admin.dispose()


@contextlib.contextmanager
def running_server(data_dir: str) -> Iterator[LocalServer]:
    """A started server on its own data dir (and own database), stopped afterwards."""
    with throwaway_database(database_url()) as database:
        server = start_server(data_dir, database)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def ftrack_server(tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[LocalServer]:
    """A local ftrack server shared by the whole test session."""
    with running_server(str(tmp_path_factory.mktemp("ftrack-server"))) as server:
        yield server


@pytest.fixture
def ftrack_fresh_server(tmp_path_factory: pytest.TempPathFactory
                        ) -> Iterator[LocalServer]:
    """A local ftrack server of its own for one test."""
    with running_server(str(tmp_path_factory.mktemp("ftrack-fresh-server"))) as server:
        yield server


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
