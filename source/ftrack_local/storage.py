"""Database tables derived from the schema model, on any SQLAlchemy engine.

One table per family (see :mod:`ftrack_local.families`): its columns are the
union of the family's stored scalars and reference keys, plus

* ``_seq`` — an increasing surrogate key giving a stable insertion order,
* ``_entity_type`` — the most specific entity type of the row.

Two private tables complete it: ``_link`` for many-to-many relations the
schema names no entity type for, and ``_credential`` for API keys.

Indexes: the key, every reference column (``…_id``), the discriminator and
``name`` (contexts, assets, … are looked up by name). Databases created by
older versions get the indexes they lack when they are opened again
(:meth:`Storage.create_all`). SQLite keeps planner statistics up to date
with a bounded ``ANALYZE`` (see :func:`create_engine`): without them it
prefers the low-selectivity discriminator index to the key or ``parent_id``
index, which scans a whole subtype for a handful of rows.
"""

from __future__ import annotations

import datetime
import threading
import time
import weakref
from typing import Any, Dict, Iterable, Iterator, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .families import BASES
from .schema import EntityType, Schema

SEQ = "_seq"
TYPE = "_entity_type"

#: Columns indexed besides the key and the reference columns.
INDEXED_COLUMNS = ("name",)
#: Least seconds between two statistics refreshes of a SQLite database in use.
SQLITE_ANALYZE_INTERVAL = 30.0
#: Rows SQLite's ``ANALYZE`` reads per index (bounds the cost on big tables).
SQLITE_ANALYSIS_LIMIT = 1000
_STATISTICS = "ftrack_local_statistics"
#: Seconds a SQLite connection waits for the write lock another connection
#: (of this or another server process) holds before the request fails.
SQLITE_BUSY_TIMEOUT = 30.0
#: ``PRAGMA synchronous`` of SQLite files. In WAL mode ``NORMAL`` writes each
#: commit to the log without waiting for the disk; the log is synced at
#: checkpoints. A commit survives the server process crashing; a power cut or
#: operating system crash may lose the last commits but never corrupts the
#: file. ``FULL`` would sync every commit, several times slower for the many
#: small writes a pipeline makes.
SQLITE_SYNCHRONOUS = "NORMAL"
#: Database connections an engine keeps open, and how many more it may open
#: under load: the server runs up to 16 requests at once and each holds one
#: connection (authentication takes another briefly).
POOL_SIZE = 16
POOL_OVERFLOW = 16
#: Execution option marking a connection whose transactions write (see
#: :meth:`Storage.connect`).
WRITES_OPTION = "ftrack_local_writes"
#: SQLSTATEs of PostgreSQL failures a whole transaction may be retried after:
#: serialization failure and deadlock.
RETRYABLE_STATES = frozenset(("40001", "40P01"))
#: engine -> {"at": last ANALYZE (monotonic), "generation": ANALYZE count}
_STATISTICS_OF: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

_COLUMN_TYPES = {
    "string": sa.Text,
    "integer": sa.BigInteger,
    "number": sa.Float,
    "boolean": sa.Boolean,
    "datetime": sa.DateTime,
    "json": sa.Text,
    "variable": sa.JSON,
    "object": sa.JSON,
}


class Storage:
    """The SQLAlchemy tables of a schema and the engine they live on."""

    def __init__(self, schema: Schema, url: str) -> None:
        self.schema = schema
        self.url = url
        self.engine = create_engine(url)
        self.metadata = sa.MetaData()
        self.tables: Dict[str, sa.Table] = {}
        for table_name in sorted(schema.tables):
            self.tables[table_name] = self._family_table(table_name)
        self.link = sa.Table(
            "_link", self.metadata,
            sa.Column(SEQ, sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("from_id", sa.Text, nullable=False),
            sa.Column("to_id", sa.Text, nullable=False),
            sa.Index("ix__link_from", "name", "from_id"),
            sa.Index("ix__link_to", "name", "to_id"),
        )
        self.credential = sa.Table(
            "_credential", self.metadata,
            sa.Column("username", sa.Text, primary_key=True),
            sa.Column("api_key", sa.Text, nullable=False),
        )
        self.info = sa.Table(
            "_info", self.metadata,
            sa.Column("name", sa.Text, primary_key=True),
            sa.Column("value", sa.Text),
        )

    def table(self, entity_type: EntityType) -> sa.Table:
        """The table holding rows of *entity_type*."""
        return self.tables[entity_type.table]

    def create_all(self) -> bool:
        """Create missing tables and indexes; return whether the database was empty.

        Idempotent: a database made by an older version gets the tables and
        indexes added since (``create_all`` alone only indexes new tables).
        """
        inspector = sa.inspect(self.engine)
        new = not inspector.has_table("_info")
        self.metadata.create_all(self.engine)
        if not new:
            self.create_missing_indexes()
        self.analyze()
        return new

    def missing_indexes(self) -> List[sa.Index]:
        """Indexes of the model the database does not have (by name)."""
        inspector = sa.inspect(self.engine)
        existing = set(inspector.get_table_names())
        present = set()
        for (_, table_name), indexes in inspector.get_multi_indexes().items():
            present.update((table_name, index["name"]) for index in indexes)
        return [index for table in self.metadata.sorted_tables if table.name in existing
                for index in sorted(table.indexes, key=lambda i: i.name)
                if (table.name, index.name) not in present]

    def create_missing_indexes(self) -> List[str]:
        """Create the indexes :meth:`missing_indexes` lists; return their names."""
        missing = self.missing_indexes()
        for index in missing:
            index.create(self.engine, checkfirst=True)
        return [index.name for index in missing]

    def analyze(self) -> None:
        """Refresh the planner statistics (SQLite, bounded: see
        :func:`_sqlite_analyze`; a no-op elsewhere: PostgreSQL's autovacuum
        analyses by itself)."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                _sqlite_analyze(connection.connection.dbapi_connection)
                statistics = _STATISTICS_OF.get(self.engine)
                if statistics is not None:
                    statistics["generation"] += 1
                    connection.connection.info[_STATISTICS] = statistics["generation"]

    def connect(self, writes: bool) -> sa.Connection:
        """A connection for one request's transaction; *writes* tells whether it may write.

        SQLite: a writing transaction starts with ``BEGIN IMMEDIATE``, taking
        the file's write lock at once (waiting for another process's writer
        up to :data:`SQLITE_BUSY_TIMEOUT`); a reading one with a deferred
        ``BEGIN``: it reads one snapshot, the last commit before its first
        read, and never waits for a writer (WAL mode).

        PostgreSQL: a writing transaction is ``SERIALIZABLE``: requests run in
        parallel and one that conflicts with another fails with a
        serialization failure, to be run again (:func:`retryable`). A
        reading one is ``REPEATABLE READ READ ONLY``: one snapshot for the
        whole request, and it never fails because of writers.
        """
        connection = self.engine.connect()
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            connection.execution_options(**{WRITES_OPTION: writes})
        elif dialect == "postgresql":
            if writes:
                connection.execution_options(isolation_level="SERIALIZABLE")
            else:
                connection.execution_options(isolation_level="REPEATABLE READ",
                                             postgresql_readonly=True)
        return connection

    def dispose(self) -> None:
        """Close every database connection of the storage."""
        self.engine.dispose()

    def _family_table(self, table_name: str) -> sa.Table:
        members = [self.schema.types[name] for name in self.schema.tables[table_name]]
        root = min(members, key=lambda t: _depth(t.name))
        primary_key = list(root.primary_key)
        columns = [
            sa.Column(SEQ, sa.Integer, primary_key=True, autoincrement=True),
            sa.Column(TYPE, sa.Text, nullable=False),
        ]
        indexed = set(primary_key)
        for name, value_type in sorted(self.schema.table_columns(table_name).items()):
            columns.append(sa.Column(name, _COLUMN_TYPES.get(value_type, sa.Text)(), nullable=True))
            if name.endswith("_id") or name in INDEXED_COLUMNS:
                indexed.add(name)
        args = list(columns)
        args.append(sa.UniqueConstraint(*primary_key, name="uq_{0}_key".format(table_name)))
        for name in sorted(indexed - set(primary_key[:1])):
            args.append(sa.Index("ix_{0}_{1}".format(table_name, name), name))
        args.append(sa.Index("ix_{0}__type".format(table_name), TYPE))
        if {"parent_id", "project_id"} <= indexed:
            # Children of many parents within one project ("the tasks of the
            # shots of sequence X in project Y") without reading other projects'.
            args.append(sa.Index("ix_{0}_parent_project".format(table_name),
                                 "parent_id", "project_id"))
        return sa.Table(table_name, self.metadata, *args)


def _depth(name: str) -> int:
    depth = 0
    while name in BASES:
        name = BASES[name]
        depth += 1
    return depth


def create_engine(url: str) -> Engine:
    """An engine for *url*; SQLite files get WAL mode and foreign-key friendly settings.

    SQLite transactions begin explicitly, ``BEGIN IMMEDIATE`` on connections
    marked as writing and a deferred ``BEGIN`` otherwise (see
    :meth:`Storage.connect`), with :data:`SQLITE_BUSY_TIMEOUT` and
    :data:`SQLITE_SYNCHRONOUS`; pools hold :data:`POOL_SIZE` connections.

    SQLite connections also keep the planner statistics fresh: when a
    connection goes back to the pool and the last ``ANALYZE`` is older than
    :data:`SQLITE_ANALYZE_INTERVAL`, it runs again, reading at most
    :data:`SQLITE_ANALYSIS_LIMIT` rows per index.
    """
    if url.startswith("sqlite"):
        return _create_sqlite_engine(url)
    engine = sa.create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE,
                              max_overflow=POOL_OVERFLOW)
    if engine.dialect.name == "postgresql":
        sa.event.listen(engine, "connect", _on_postgresql_connect)
    return engine


def _on_postgresql_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
    # Index look-ups cost little more than sequential reads on the
    # solid-state storage databases run on today; with the default
    # (4), PostgreSQL scans whole tables to join a few thousand rows.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET random_page_cost = 1.1")
    finally:
        cursor.close()
    dbapi_connection.commit()


def _create_sqlite_engine(url: str) -> Engine:
    """A SQLite engine with explicit transactions and fresh planner statistics."""
    memory = ":memory:" in url or url.rstrip("/") == "sqlite:"
    pool = {} if memory else {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
    engine = sa.create_engine(url, connect_args={"check_same_thread": False,
                                                 "timeout": SQLITE_BUSY_TIMEOUT}, **pool)
    last = {"at": time.monotonic(), "generation": 0}
    _listen_sqlite_transactions(engine, memory, last)
    _listen_sqlite_statistics(engine, last)
    _STATISTICS_OF[engine] = last
    return engine


def _listen_sqlite_transactions(engine: Engine, memory: bool, last: dict) -> None:
    """Connection settings and explicit ``BEGIN`` statements of a SQLite *engine*."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record):  # pragma: no cover - driver hook
        # Transactions start where SQLAlchemy begins them (see _on_begin),
        # not where the driver would guess: reads included, so a request
        # reads one snapshot.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous={0}".format(SQLITE_SYNCHRONOUS))
        cursor.execute("PRAGMA busy_timeout={0:d}".format(int(SQLITE_BUSY_TIMEOUT * 1000)))
        cursor.close()
        # A new connection reads the current statistics when it opens.
        record.info[_STATISTICS] = last["generation"]

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):  # pragma: no cover - driver hook
        writes = connection.get_execution_options().get(WRITES_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _listen_sqlite_statistics(engine: Engine, last: dict) -> None:
    """Refresh the planner statistics of a SQLite *engine* now and then.

    *last* holds when the last ``ANALYZE`` ran and its generation number.
    """
    lock = threading.Lock()

    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, record):  # pragma: no cover - driver hook
        if dbapi_connection is None or time.monotonic() - last["at"] < SQLITE_ANALYZE_INTERVAL:
            return
        if not lock.acquire(blocking=False):
            return
        try:
            last["at"] = time.monotonic()
            _sqlite_analyze(dbapi_connection, wait=False)
            last["generation"] += 1
            record.info[_STATISTICS] = last["generation"]
        except Exception:  # noqa: BLE001 - statistics are an optimisation only
            pass
        finally:
            lock.release()

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):  # pragma: no cover - driver hook
        # Connections opened before the last ANALYZE keep the statistics
        # they read until told to reload them. The reload takes the write
        # lock: when a writer holds it, try again at a later checkout
        # rather than wait for the writer (a read must never wait).
        generation = last["generation"]
        if record.info.get(_STATISTICS, 0) != generation:
            if _sqlite_reload_statistics(dbapi_connection):
                record.info[_STATISTICS] = generation


def _sqlite_analyze(dbapi_connection, wait: bool = True) -> None:
    """``ANALYZE`` of every table, bounded by ``analysis_limit`` (a few
    milliseconds, whatever the size of the database), then the estimate of
    the discriminator indexes corrected (see :func:`_discriminator_stats`).
    ``PRAGMA optimize`` is not enough before SQLite 3.46: it only analyses
    tables the same connection's queries used. Without *wait* it gives up at
    once when another connection holds the write lock (it runs again later)."""
    cursor = dbapi_connection.cursor()
    try:
        if not wait:
            timeout = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
            cursor.execute("PRAGMA busy_timeout=0")
        try:
            cursor.execute("PRAGMA analysis_limit={0:d}".format(SQLITE_ANALYSIS_LIMIT))
            cursor.execute("ANALYZE")
            _discriminator_stats(cursor)
        finally:
            if not wait:
                cursor.execute("PRAGMA busy_timeout={0:d}".format(int(timeout)))
    finally:
        cursor.close()
    if getattr(dbapi_connection, "in_transaction", False):
        dbapi_connection.commit()


def _sqlite_reload_statistics(dbapi_connection) -> bool:
    """Make *dbapi_connection* read the statistics again, unless that would
    wait for another connection's write lock; return whether it did."""
    cursor = dbapi_connection.cursor()
    try:
        timeout = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        cursor.execute("PRAGMA busy_timeout=0")
        try:
            cursor.execute("ANALYZE sqlite_schema")
            return True
        except Exception:  # noqa: BLE001 - statistics are an optimisation only
            return False
        finally:
            cursor.execute("PRAGMA busy_timeout={0:d}".format(int(timeout)))
    finally:
        cursor.close()


def _discriminator_stats(cursor) -> None:
    """Tell SQLite that ``_entity_type`` values are shared by many rows.

    A bounded ``ANALYZE`` samples the first rows of each index and, for a
    column with a handful of values, estimates a few hundred rows per value
    instead of a whole subtype; SQLite then reads every Task through the
    discriminator index rather than the few rows an ``id`` or ``parent_id``
    index finds. The corrected estimate is half the table per value.
    """
    rows = cursor.execute(
        "SELECT tbl, idx, stat FROM sqlite_stat1 WHERE idx LIKE 'ix\\_%\\_\\_type' ESCAPE '\\'"
    ).fetchall()
    for table, index, stat in rows:
        parts = str(stat or "").split()
        if not parts or not parts[0].isdigit():
            continue
        total = int(parts[0])
        parts[1:2] = [str(max(1, total // 2))]
        cursor.execute("UPDATE sqlite_stat1 SET stat = ? WHERE tbl = ? AND idx = ?",
                       (" ".join(parts), table, index))
    cursor.execute("ANALYZE sqlite_schema")  # this connection reloads them now


def retryable(error: BaseException) -> bool:
    """Whether *error* is a conflict with a concurrent transaction that
    running the whole transaction again may resolve (see
    :data:`RETRYABLE_STATES`)."""
    original = getattr(error, "orig", None)
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return state in RETRYABLE_STATES


def sqlite_url(path: str) -> str:
    """The SQLAlchemy URL of the SQLite file at *path*."""
    return "sqlite:///" + path


def now() -> datetime.datetime:
    """The current time as naive UTC to the second, as ftrack servers stamp rows."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def chunks(values: Iterable[Any], size: int = 500) -> Iterator[List[Any]]:
    """Split *values* into lists of at most *size* (bound parameter limits)."""
    batch = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def table_for(storage: Storage, type_name: str) -> sa.Table:
    """The table of the entity type named *type_name* in *storage*."""
    return storage.table(storage.schema.types[type_name])


def type_filter(table: sa.Table, entity_type: EntityType) -> Optional[sa.ColumnElement]:
    """The condition selecting rows of *entity_type* (None when all rows belong)."""
    all_types = set(entity_type.stored_types)
    if entity_type.report_as_self or len(all_types) == 0:
        return None
    return table.c[TYPE].in_(sorted(all_types)) if len(all_types) > 1 else table.c[TYPE] == entity_type.name
