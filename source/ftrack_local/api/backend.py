"""The data side of the server: a database, its schema and the API actions.

:class:`Backend` owns the storage; :meth:`Backend.call` runs one request's
operations in one transaction, so a failing operation leaves nothing behind.
After a request that changed data commits, each of :attr:`Backend.commit_listeners`
is given the request's change log (the event hub turns it into ``ftrack.update``).

Its collaborators are attributes made by the constructor: the storage, the
write gate, the commit listeners, the API key cache and (on first use, see
:attr:`Backend.components`) the component services.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
import uuid
from typing import Any, Callable, ContextManager, Dict, FrozenSet, List, Optional, Tuple

import sqlalchemy as sa

from .. import __version__, private_files, schema as schema_module, seed
from ..components.service import ComponentService, component_link
from ..errors import ApiError, AuthenticationError, ValidationError
from ..storage import Storage, retryable, sqlite_url
from . import permissions, users
from .actions import Request, run
from .concurrency import MAX_ATTEMPTS, WriteGate, writes_data
from .loader import ComponentUrl, Loader
from .users import DATABASE_FILE, new_api_key
from .writer import Writer

log = logging.getLogger(__name__)

#: Database errors that mean a statement exceeds the database's own limits.
_TOO_COMPLEX = re.compile(r"parser stack overflow|too many|too complex|stack depth", re.I)
#: SQLite's answer when another connection kept the write lock past the busy timeout.
_BUSY = re.compile(r"database is locked|database is busy", re.I)

#: The ftrack server release whose behaviour this server follows; clients
#: refuse servers older than 3.3.11.
SERVER_VERSION = "4.13.8"
#: Seconds a key read from the database is trusted before it is read again.
KEY_TTL = 1.0
API_KEY_FILE = "api_key"


def _database_error(error: sa.exc.DBAPIError) -> BaseException:
    """The answer for a database error that ended a request's transaction."""
    if retryable(error):
        return error
    reason = str(error.orig).splitlines()[0] if str(error.orig) else type(error.orig).__name__
    if isinstance(error, sa.exc.IntegrityError):
        return ApiError("The change conflicts with existing data: {0}".format(reason),
                        exception="DuplicateEntryError", status=409)
    if isinstance(error, sa.exc.OperationalError):
        if _TOO_COMPLEX.search(reason):
            # The database's own limits (nesting, terms): the query's fault.
            return ValidationError("The query is too complex for the database: {0}".format(reason))
        if _BUSY.search(reason):
            return ApiError("The database stayed locked by another writer: {0}. Nothing was "
                            "changed; send the request again.".format(reason),
                            exception="ServerError", status=503)
    return error


def _same_key(known: str, given: str) -> bool:
    """Whether two keys are equal, compared in constant time (any characters)."""
    return secrets.compare_digest(known.encode("utf-8", "surrogatepass"),
                                  given.encode("utf-8", "surrogatepass"))


class Backend:
    """A database holding ftrack data, answering API operations."""

    def __init__(self, storage: Storage, data_dir: str, api_user: str, api_key: str) -> None:
        self.storage = storage
        self.schema = storage.schema
        self.data_dir = data_dir
        self.api_user = api_user
        self.api_key = api_key
        self.server_url = ""
        #: Writing requests pass here: one at a time on SQLite (one writer per
        #: file), together on PostgreSQL (see :mod:`.concurrency`).
        self._writers = WriteGate()
        self._serial_writes = storage.engine.dialect.name != "postgresql"
        #: Held while a writing request commits and its listeners publish.
        self._commit_order = threading.Lock()
        #: Called as ``listener(changes, connection, username, user_id)`` after a
        #: request that changed data has committed; *changes* is the request's
        #: ``Writer.changes``. Other requests may have committed since, so a
        #: listener that reads the database should have a ``prepare`` method
        #: with the same arguments, called inside the request's transaction
        #: (see :meth:`_prepare`). Errors are logged, never raised.
        self.commit_listeners: List[Callable[..., None]] = []
        #: API keys read from the database, each trusted for :data:`KEY_TTL`
        #: seconds from :attr:`_key_read_at` (rotations by other processes show then).
        self._keys: Dict[str, str] = {}
        self._key_read_at: Dict[str, float] = {}
        self._user_ids: Dict[str, Tuple[str, float]] = {}
        self._schemas_text = schema_module.load_raw()[0]
        schemas = json.loads(self._schemas_text)
        self.schema_hash = hashlib.md5(json.dumps(schemas, sort_keys=True).encode("ascii")).hexdigest()
        #: The component services, made on first use of :attr:`components`.
        self._components: Optional[ComponentService] = None
        self._components_lock = threading.Lock()

    # -- opening ----------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: str, database_url: Optional[str] = None, api_user: str = "admin",
             api_key: Optional[str] = None) -> Backend:
        """Open (and on first use initialise) the data dir *data_dir*."""
        data_dir = os.path.abspath(data_dir)
        private_files.make_private_dir(data_dir)
        url = database_url or sqlite_url(os.path.join(data_dir, DATABASE_FILE))
        database_file = sa.engine.make_url(url).database
        if url.startswith("sqlite") and database_file and database_file != ":memory:":
            # Created owner-only before SQLite opens it; its -wal and -shm
            # files take the same mode.
            private_files.make_private_database(database_file)
        storage = Storage(schema_module.load(), url)
        backend = cls(storage, data_dir, api_user, "")
        # Server processes starting together on one PostgreSQL database take
        # turns creating its tables, seeding it and adding the API user.
        guard, lock_key = None, 0x66746C6F70656E  # a constant of this server
        if storage.engine.dialect.name == "postgresql":
            guard = storage.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            guard.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": lock_key})
        try:
            storage.create_all()
            with storage.engine.begin() as connection:
                if backend._info(connection, "seeded") is None:
                    backend._seed(connection)
                backend.api_key = backend._ensure_user(connection, api_user, api_key)
        finally:
            if guard is not None:
                try:
                    guard.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key})
                finally:
                    guard.close()
        private_files.write_private(os.path.join(data_dir, API_KEY_FILE), backend.api_key + "\n")
        return backend

    def _info(self, connection: sa.Connection, name: str) -> Optional[str]:
        table = self.storage.info
        return connection.execute(sa.select(table.c.value).where(table.c.name == name)).scalar()

    def _seed(self, connection: sa.Connection) -> None:
        writer = Writer(self.storage, connection)
        for type_name, data in seed.default_records():
            writer.create(type_name, dict(data, __entity_type__=type_name))
        writer.finish()
        connection.execute(sa.insert(self.storage.info).values(name="seeded", value=__version__))

    def _ensure_user(self, connection: sa.Connection, username: str, api_key: Optional[str]) -> str:
        """Make sure *username* exists and has a key; return the key in force."""
        users = self.storage.tables["resource"]
        exists = connection.execute(sa.select(users.c.id).where(
            users.c.username == username, users.c["_entity_type"] == "User")).first()
        if exists is None:
            writer = Writer(self.storage, connection)
            for type_name, data in seed.admin_records(username, str(uuid.uuid4())):
                writer.create(type_name, dict(data, __entity_type__=type_name))
            writer.finish()
        stored = self._stored_key(connection, username)
        if api_key:
            if api_key != stored:
                self.store_api_key(connection, username, api_key)
            return api_key
        if stored:
            return stored
        key = new_api_key()
        self.store_api_key(connection, username, key)
        return key

    def _stored_key(self, connection: sa.Connection, username: str) -> Optional[str]:
        return users.stored_key(self.storage, connection, username)

    # -- collaborators ------------------------------------------------------------

    @property
    def components(self) -> ComponentService:
        """The component services of this backend (blob store, tokens, media
        encoder, outbox), made on first use: they create folders in the data dir."""
        if self._components is None:
            with self._components_lock:
                if self._components is None:
                    self._components = ComponentService(self)
        return self._components

    @property
    def components_if_made(self) -> Optional[ComponentService]:
        """The component services if :attr:`components` made them, else None."""
        return self._components

    def may_access_component(self, username: str, component_id: str, write: bool) -> bool:
        """Whether *username* may read (or, with *write*, change) the data of *component_id*."""
        return permissions.may_access_component(self, username, component_id, write)

    def readable_projects(self, user_id: Optional[str]) -> Optional[FrozenSet[str]]:
        """The ids of the projects *user_id* may read, or None for all of them."""
        return permissions.readable_projects(self, user_id)

    def store_api_key(self, connection: sa.Connection, username: str, api_key: str) -> None:
        """Make *api_key* the one key of *username*."""
        users.store_key(self.storage, connection, username, api_key)
        self.forget_api_key(username)

    def forget_api_key(self, username: str) -> None:
        """Read the key of *username* from the database at its next request."""
        self._keys.pop(username, None)
        self._key_read_at.pop(username, None)

    # -- requests ------------------------------------------------------------------

    def authenticate(self, username: str, api_key: str) -> None:
        """Raise :class:`AuthenticationError` unless *api_key* belongs to *username*."""
        if not username or not api_key:
            raise AuthenticationError("The supplied API key is not valid: the ftrack-user and "
                                      "ftrack-api-key headers are required.")
        known = self._keys.get(username)
        now = time.monotonic()
        # Read again when the cached key is old, or differs (a key just given elsewhere).
        if known is None or now - self._key_read_at.get(username, 0.0) >= KEY_TTL or \
                not _same_key(known, api_key):
            with self.storage.engine.connect() as connection:
                known = self._stored_key(connection, username)
            if known is not None:
                self._keys[username] = known
                self._key_read_at[username] = now
            else:
                self.forget_api_key(username)
        if known is None or not _same_key(known, api_key):
            raise AuthenticationError("The supplied API key is not valid.")

    def call(self, operations: List[Any], username: str) -> List[Any]:
        """Run *operations* for *username* in one transaction and return their results.

        Requests that only read run at once, on a snapshot of the last commit;
        requests that may write pass :attr:`_writers` and, on PostgreSQL,
        run again (alone) after a conflict with a concurrent transaction. See
        ``doc/local_server_concurrency.rst``.
        """
        if not writes_data(operations):
            results, callbacks = self._transaction(operations, username, writes=False)
        else:
            results, callbacks = self._write(operations, username)
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - the request has succeeded regardless
                log.exception("An after-commit callback failed")
        return results

    def _write(self, operations: List[Any], username: str) -> Tuple[List[Any], List[Callable]]:
        """Run a writing request through the write gate, retrying conflicts."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            with self._writers.hold(exclusive=self._serial_writes or attempt > 1):
                try:
                    return self._transaction(operations, username, writes=True)
                except sa.exc.DBAPIError as error:
                    if not retryable(error):
                        raise
                    reason = str(error.orig).splitlines()[0]
                    log.info("Request of %s conflicted with a concurrent one (attempt %d): %s",
                             username, attempt, reason)
        raise ApiError("The change conflicted with changes made at the same time {0} times "
                       "in a row; nothing was changed. Send it again.".format(MAX_ATTEMPTS),
                       exception="ServerError", status=503)

    def _transaction(self, operations: List[Any], username: str, writes: bool
                     ) -> Tuple[List[Any], List[Callable]]:
        """Run *operations* in one transaction; return the results and the
        request's after-commit callbacks. Conflicts worth a retry are raised
        as they are (see :func:`~ftrack_local.storage.retryable`)."""
        with self.storage.connect(writes) as connection:
            transaction = connection.begin()
            try:
                user_id = self._user_id(connection, username)
                request = Request(
                    backend=self, storage=self.storage, connection=connection,
                    writer=Writer(self.storage, connection, user_id=user_id, username=username),
                    loader=Loader(self.storage, connection, self.server_url, username,
                                  self._component_urls(connection, username)),
                    username=username, user_id=user_id)
                results = run(request, operations)
                changes = request.writer.changes
                prepared = self._prepare(changes, connection, username, user_id) if changes else []
                if changes:
                    # Commit and publish in commit order: a subscriber never
                    # sees an older state of an entity after a newer one.
                    with self._commit_order:
                        transaction.commit()
                        self._notify(prepared, changes, connection, username, user_id)
                else:
                    transaction.commit()
            except ApiError:
                transaction.rollback()
                raise
            except sa.exc.DBAPIError as error:
                transaction.rollback()
                raise _database_error(error) from None
            except BaseException:
                transaction.rollback()
                raise
            return results, request.after_commit

    def _component_urls(self, connection: sa.Connection, username: str) -> ComponentUrl:
        """Component URLs for *username*, read in the request's transaction.

        The URLs carry the user's credentials (doc/protocol.rst, "Component
        URLs"); the key is read once, when the first URL is made.
        """
        keys: List[str] = []

        def component_url(purpose: str, component_id: str) -> str:
            if not keys:
                keys.append(self._stored_key(connection, username) or "")
            return component_link(self.server_url, purpose, component_id, username, keys[0])
        return component_url

    def _prepare(self, changes: List[Any], connection: sa.Connection, username: str,
                 user_id: Optional[str]) -> List[Tuple[Callable[..., None], Any]]:
        """Let each commit listener read what it needs inside the transaction.

        A listener with a ``prepare(changes, connection, username, user_id)``
        method is asked before the commit, seeing exactly the request's
        changes; what it returns (a callable, or None for nothing to do) is
        run after the commit. Other listeners are called after the commit.
        A database error while preparing fails the request (the transaction
        cannot go on); any other error only loses that listener's part.
        """
        prepared = []
        for listener in list(self.commit_listeners):
            prepare = getattr(listener, "prepare", None)
            if prepare is None:
                prepared.append((listener, None))
                continue
            try:
                prepared.append((listener, prepare(changes, connection, username, user_id)))
            except sa.exc.DBAPIError:
                raise  # the transaction cannot go on (and may be worth a retry)
            except Exception:  # noqa: BLE001 - the request succeeds regardless
                log.exception("A commit listener failed to prepare")
        return prepared

    def _notify(self, prepared: List[Tuple[Callable[..., None], Any]], changes: List[Any],
                connection: sa.Connection, username: str, user_id: Optional[str]) -> None:
        """Run the commit listeners after the commit (see :meth:`_prepare`)."""
        for listener, delivery in prepared:
            try:
                if hasattr(listener, "prepare"):
                    if delivery is not None:
                        delivery()
                else:
                    listener(changes, connection, username, user_id)
            except Exception:  # noqa: BLE001 - the request has succeeded regardless
                log.exception("A commit listener failed")
            finally:
                if connection.in_transaction():
                    connection.rollback()

    def user_id_of(self, username: str) -> Optional[str]:
        """The id of the user *username* (None when there is none)."""
        with self.storage.engine.connect() as connection:
            return self._user_id(connection, username)

    def user_id_in(self, connection: sa.Connection, username: str) -> Optional[str]:
        """The id of the user *username* read with *connection* (None when there is none)."""
        return self._user_id(connection, username)

    def _user_id(self, connection: sa.Connection, username: str) -> Optional[str]:
        # Trusted for KEY_TTL seconds, like keys: another process (a snapshot
        # load) may give the name to another user.
        known = self._user_ids.get(username)
        now = time.monotonic()
        if known is not None and now - known[1] < KEY_TTL:
            return known[0]
        users = self.storage.tables["resource"]
        user_id = connection.execute(sa.select(users.c.id).where(
            users.c.username == username, users.c["_entity_type"] == "User")).scalar()
        if user_id is not None:
            self._user_ids[username] = (user_id, now)
        return user_id

    def writing_alone(self) -> ContextManager[None]:
        """Hold off every other writing request of this process while the block runs."""
        return self._writers.hold(exclusive=True)

    def forget_cached(self) -> None:
        """Forget the keys and user ids read from the database (after it was changed behind the API)."""
        self._keys.clear()
        self._key_read_at.clear()
        self._user_ids.clear()

    # -- answers ------------------------------------------------------------------

    def raw_schemas(self) -> List[Dict[str, Any]]:
        """The served entity schemas, as the client receives them."""
        return json.loads(self._schemas_text)

    def server_information(self, connection: sa.Connection, values: Any = None) -> Dict[str, Any]:
        """The server information a session asks for when it starts."""
        setting = self.storage.tables["setting"]
        text = connection.execute(sa.select(setting.c.value).where(
            setting.c.name == "storage_scenario", setting.c.group == "STORAGE")).scalar()
        try:
            scenario = json.loads(text) if text else {"scenario": "ftrack.automatic", "data": {}}
        except ValueError:
            scenario = {"scenario": "ftrack.automatic", "data": {}}
        return {
            "version": SERVER_VERSION,
            "schema_hash": self.schema_hash,
            "is_timezone_support_enabled": True,
            "storage_scenario": scenario,
            "server_name": "ftrack-local",
            "ftrack_local_version": __version__,
        }

    def close(self) -> None:
        """Release the database connections of the backend."""
        self.storage.dispose()
