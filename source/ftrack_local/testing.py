"""pytest plugin: fixtures running a local ftrack server.

Installed packages register it through the ``pytest11`` entry point; it can
also be enabled with ``pytest_plugins = ["ftrack_local.testing"]``.

Fixtures:

* ``ftrack_server`` (session) — a running :class:`LocalServer`.
* ``ftrack_fresh_server`` (function) — a new server for one test.
* ``ftrack_api_client`` (function) — an :class:`ApiClient` on ``ftrack_server``.
* ``ftrack_session`` (function) — an ``ftrack_api.Session`` on ``ftrack_server``
  (its schema cache lives in ``ftrack_schema_cache_path``, a session temp dir).

The two server fixtures start from a snapshot (see :mod:`ftrack_local.snapshot`) when given
one: parametrise the fixture indirectly with the snapshot's path
(``@pytest.mark.parametrize("ftrack_server", [path], indirect=True)``),
or mark the test ``@pytest.mark.ftrack_snapshot(path)`` (``ftrack_fresh_server``).

Set ``FTRACK_LOCAL_DATABASE_URL`` to run the servers on another database
(e.g. PostgreSQL) instead of SQLite in their data directory.

The plugin is loaded by every pytest run of an environment where the
package is installed, so importing it needs nothing beyond the client's own
requirements. The server itself needs the ``server`` extra
(``pip install 'ftrack-python-api[server]'``). Without it, a test that asks
for one of the server fixtures *fails* (is reported as an error) with a
message naming the missing module and the install command; a test is not
silently skipped, because a missing dependency in CI should not look like a
green run. Tests that use none of these fixtures are unaffected.
:func:`start_server` and :func:`running_server` raise
:class:`ServerDependenciesMissing` in the same situation, and so does
accessing ``LocalServer`` on this module.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import TYPE_CHECKING, Any, Iterator, Optional

import pytest

# The raw client needs only ``requests``, a requirement of the package itself.
from .client import ApiClient, ApiClientError

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from .server import LocalServer

__all__ = ["ApiClient", "ApiClientError", "ServerDependenciesMissing",
           "database_url", "running_server", "start_server", "throwaway_database"]

DATABASE_URL_VARIABLE = "FTRACK_LOCAL_DATABASE_URL"

#: Distribution name and extra that bring the server's dependencies.
SERVER_INSTALL_HINT = "pip install 'ftrack-python-api[server]'"


class ServerDependenciesMissing(ImportError):
    """The ftrack-local server cannot run: a module of the ``server`` extra
    (aiohttp, SQLAlchemy, ...) is not installed."""


def _missing_dependency_error(error: ImportError) -> ServerDependenciesMissing:
    """Wrap *error* into a :class:`ServerDependenciesMissing` that says what
    to install."""
    missing = getattr(error, "name", None) or str(error)
    return ServerDependenciesMissing(
        "ftrack-local server dependencies are not installed (missing module "
        "{0!r}): {1}".format(missing, SERVER_INSTALL_HINT),
        name=getattr(error, "name", None))


def _is_third_party_missing(error: ImportError) -> bool:
    """Whether *error* is about a module outside this package (a missing
    dependency) rather than a broken import inside ``ftrack_local``."""
    name = getattr(error, "name", None)
    if not isinstance(error, ModuleNotFoundError) or not name:
        return False
    return name.split(".")[0] not in ("ftrack_local", "ftrack_api")


def _server_class() -> "type[LocalServer]":
    """Import and return :class:`~ftrack_local.server.LocalServer`.

    Raise :class:`ServerDependenciesMissing` when the ``server`` extra is not
    installed.
    """
    try:
        from .server import LocalServer
    except ImportError as error:
        if _is_third_party_missing(error):
            raise _missing_dependency_error(error) from error
        raise
    return LocalServer


def _fixture_server_class() -> "type[LocalServer]":
    """Like :func:`_server_class`, failing the requesting test (without a
    long traceback) when the server cannot be imported."""
    try:
        return _server_class()
    except ServerDependenciesMissing as error:
        message = str(error)
    # Outside the handler, so the report shows the message alone.
    pytest.fail(message, pytrace=False)


def __getattr__(name: str) -> Any:
    """Resolve ``LocalServer`` on first access, so importing this module does
    not import the server."""
    if name == "LocalServer":
        return _server_class()
    raise AttributeError("module {0!r} has no attribute {1!r}".format(__name__, name))


def database_url() -> Optional[str]:
    """The database URL servers should use, from the environment."""
    return os.environ.get(DATABASE_URL_VARIABLE) or None


def start_server(data_dir: str, database: Optional[str] = None,
                 snapshot: Optional[str] = None) -> "LocalServer":
    """Start a server on a free loopback port with *data_dir*, loading *snapshot* first when given."""
    server_class = _server_class()
    return server_class(data_dir=data_dir, port=0, database_url=database or database_url(),
                        snapshot=snapshot).start()


@contextlib.contextmanager
def throwaway_database(url: Optional[str]) -> Iterator[Optional[str]]:
    """A new, empty database on the server *url* names, dropped afterwards.

    SQLite (or no URL) needs nothing: each data dir holds its own file.
    """
    if not url or url.startswith("sqlite"):
        yield url
        return
    try:
        import sqlalchemy as sa
    except ImportError as error:
        raise _missing_dependency_error(error) from error

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
def running_server(data_dir: str, snapshot: Optional[str] = None) -> Iterator["LocalServer"]:
    """A started server on its own data dir (and own database), stopped afterwards.

    *snapshot* is a snapshot folder or archive the server starts from.
    """
    # Check the dependencies before creating any database.
    _server_class()
    with throwaway_database(database_url()) as database:
        server = start_server(data_dir, database, snapshot)
        try:
            yield server
        finally:
            server.stop()


SNAPSHOT_MARKER = "ftrack_snapshot"


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``ftrack_snapshot`` marker."""
    config.addinivalue_line("markers", "{0}(path): start ftrack_fresh_server from the snapshot at "
                                       "path".format(SNAPSHOT_MARKER))


def _requested_snapshot(request: pytest.FixtureRequest, marker: bool) -> Optional[str]:
    """The snapshot a fixture is asked to start from: its parameter, else (*marker*) the test's marker."""
    snapshot = getattr(request, "param", None)
    if snapshot is None and marker:
        found = request.node.get_closest_marker(SNAPSHOT_MARKER)
        if found is not None:
            snapshot = found.args[0] if found.args else found.kwargs.get("path")
    return os.fspath(snapshot) if snapshot is not None else None


def _fixture_server(tmp_path_factory: pytest.TempPathFactory, basename: str,
                    snapshot: Optional[str] = None) -> Iterator["LocalServer"]:
    """A running server on a new temporary directory named after *basename*, from *snapshot* if given.

    Fails the requesting test when the ``server`` extra is not installed.
    """
    _fixture_server_class()
    with running_server(str(tmp_path_factory.mktemp(basename)), snapshot) as server:
        yield server


@pytest.fixture(scope="session")
def ftrack_server(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator["LocalServer"]:
    """A local ftrack server shared by the whole test session (needs the ``server`` extra).

    Parametrised indirectly with a snapshot path, one server per snapshot.
    """
    yield from _fixture_server(tmp_path_factory, "ftrack-server", _requested_snapshot(request, marker=False))


@pytest.fixture
def ftrack_fresh_server(request: pytest.FixtureRequest,
                        tmp_path_factory: pytest.TempPathFactory) -> Iterator["LocalServer"]:
    """A local ftrack server of its own for one test (needs the ``server`` extra).

    Starts from the snapshot of an indirect parameter or of the test's
    ``ftrack_snapshot`` marker.
    """
    yield from _fixture_server(tmp_path_factory, "ftrack-fresh-server", _requested_snapshot(request, marker=True))


@pytest.fixture
def ftrack_api_client(ftrack_server: "LocalServer") -> Iterator[ApiClient]:
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
def ftrack_session(ftrack_server: "LocalServer",
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
