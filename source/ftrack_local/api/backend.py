"""The data side of the server: a database, its schema and the API actions.

:class:`Backend` owns the storage; :meth:`Backend.call` runs one request's
operations in one transaction, so a failing operation leaves nothing behind.
After a request that changed data commits, each of :attr:`Backend.commit_listeners`
is given the request's change log (the event hub turns it into ``ftrack.update``).
"""

import hashlib
import json
import logging
import os
import re
import secrets
import threading
import uuid
from typing import Any, Callable, Dict, List, Optional

import sqlalchemy as sa

from .. import __version__, schema as schema_module, seed
from ..errors import ApiError, AuthenticationError, ValidationError
from ..storage import Storage, sqlite_url
from .actions import Request, run
from .loader import Loader
from .writer import Writer

log = logging.getLogger(__name__)

#: Database errors that mean a statement exceeds the database's own limits.
_TOO_COMPLEX = re.compile(r"parser stack overflow|too many|too complex|stack depth", re.I)

#: The ftrack server release whose behaviour this server follows; clients
#: refuse servers older than 3.3.11.
SERVER_VERSION = "4.13.8"
DATABASE_FILE = "ftrack.sqlite"
API_KEY_FILE = "api_key"


def new_api_key() -> str:
    """A new random API key."""
    return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))


class Backend:
    """A database holding ftrack data, answering API operations."""

    def __init__(self, storage: Storage, data_dir: str, api_user: str, api_key: str):
        self.storage = storage
        self.schema = storage.schema
        self.data_dir = data_dir
        self.api_user = api_user
        self.api_key = api_key
        self.server_url = ""
        self._lock = threading.RLock()
        #: Called as ``listener(changes, connection, username, user_id)`` after a
        #: request that changed data has committed; *changes* is the request's
        #: ``Writer.changes`` and *connection* is still open (reads see the committed
        #: state, nothing else writes meanwhile). Errors are logged, never raised.
        self.commit_listeners: List[Callable[..., None]] = []
        self._keys: Dict[str, str] = {}
        self._user_ids: Dict[str, str] = {}
        self._schemas_text = schema_module.load_raw()[0]
        schemas = json.loads(self._schemas_text)
        self.schema_hash = hashlib.md5(json.dumps(schemas, sort_keys=True).encode("ascii")).hexdigest()

    # -- opening ----------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: str, database_url: Optional[str] = None, api_user: str = "admin",
             api_key: Optional[str] = None) -> "Backend":
        """Open (and on first use initialise) the data dir *data_dir*."""
        data_dir = os.path.abspath(data_dir)
        os.makedirs(data_dir, exist_ok=True)
        url = database_url or sqlite_url(os.path.join(data_dir, DATABASE_FILE))
        storage = Storage(schema_module.load(), url)
        storage.create_all()
        backend = cls(storage, data_dir, api_user, "")
        with storage.engine.begin() as connection:
            if backend._info(connection, "seeded") is None:
                backend._seed(connection)
            backend.api_key = backend._ensure_user(connection, api_user, api_key)
        with open(os.path.join(data_dir, API_KEY_FILE), "w", encoding="utf-8") as handle:
            handle.write(backend.api_key + "\n")
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
        table = self.storage.credential
        return connection.execute(sa.select(table.c.api_key).where(table.c.username == username)).scalar()

    def store_api_key(self, connection: sa.Connection, username: str, api_key: str) -> None:
        """Make *api_key* the one key of *username*."""
        table = self.storage.credential
        connection.execute(sa.delete(table).where(table.c.username == username))
        connection.execute(sa.insert(table).values(username=username, api_key=api_key))
        self._keys.pop(username, None)

    # -- requests ------------------------------------------------------------------

    def authenticate(self, username: str, api_key: str) -> None:
        """Raise :class:`AuthenticationError` unless *api_key* belongs to *username*."""
        if not username or not api_key:
            raise AuthenticationError("The supplied API key is not valid: the ftrack-user and "
                                      "ftrack-api-key headers are required.")
        known = self._keys.get(username)
        if known is None:
            with self.storage.engine.connect() as connection:
                known = self._stored_key(connection, username)
            if known is not None:
                self._keys[username] = known
        if known is None or not secrets.compare_digest(known, api_key):
            raise AuthenticationError("The supplied API key is not valid.")

    def call(self, operations: List[Any], username: str) -> List[Any]:
        """Run *operations* for *username* in one transaction and return their results."""
        with self._lock, self.storage.engine.connect() as connection:
            transaction = connection.begin()
            try:
                user_id = self._user_id(connection, username)
                request = Request(
                    backend=self, storage=self.storage, connection=connection,
                    writer=Writer(self.storage, connection, user_id=user_id, username=username),
                    loader=Loader(self.storage, connection, self.server_url, username,
                                  self._keys.get(username, "")),
                    username=username, user_id=user_id)
                results = run(request, operations)
            except ApiError:
                transaction.rollback()
                raise
            except sa.exc.IntegrityError as error:
                transaction.rollback()
                raise ApiError("The change conflicts with existing data: {0}".format(
                    str(error.orig).splitlines()[0]), exception="DuplicateEntryError", status=409) from None
            except sa.exc.OperationalError as error:
                transaction.rollback()
                reason = str(error.orig).splitlines()[0]
                if not _TOO_COMPLEX.search(reason):
                    raise
                # The database's own limits (nesting, terms): the query's fault.
                raise ValidationError(
                    "The query is too complex for the database: {0}".format(reason)) from None
            except BaseException:
                transaction.rollback()
                raise
            transaction.commit()
            changes = request.writer.changes
            if changes and self.commit_listeners:
                self._notify(changes, connection, username, user_id)
            for callback in request.after_commit:
                try:
                    callback()
                except Exception:  # noqa: BLE001 - the request has succeeded regardless
                    log.exception("An after-commit callback failed")
            return results

    def _notify(self, changes: List[Any], connection: sa.Connection, username: str,
                user_id: Optional[str]) -> None:
        for listener in list(self.commit_listeners):
            try:
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

    def _user_id(self, connection: sa.Connection, username: str) -> Optional[str]:
        user_id = self._user_ids.get(username)
        if user_id is None:
            users = self.storage.tables["resource"]
            user_id = connection.execute(sa.select(users.c.id).where(
                users.c.username == username, users.c["_entity_type"] == "User")).scalar()
            if user_id is not None:
                self._user_ids[username] = user_id
        return user_id

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
