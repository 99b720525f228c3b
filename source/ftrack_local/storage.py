"""Database tables derived from the schema model, on any SQLAlchemy engine.

One table per family (see :mod:`ftrack_local.families`): its columns are the
union of the family's stored scalars and reference keys, plus

* ``_seq`` — an increasing surrogate key giving a stable insertion order,
* ``_entity_type`` — the most specific entity type of the row.

Two private tables complete it: ``_link`` for many-to-many relations the
schema names no entity type for, and ``_credential`` for API keys.
"""

import datetime
from typing import Dict, Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .schema import EntityType, Schema

SEQ = "_seq"
TYPE = "_entity_type"

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

    def __init__(self, schema: Schema, url: str):
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
        """Create missing tables; return whether the database was empty."""
        inspector = sa.inspect(self.engine)
        new = not inspector.has_table("_info")
        self.metadata.create_all(self.engine)
        return new

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
            if name.endswith("_id") or name in ("parent_id", "entity_id"):
                indexed.add(name)
        args = list(columns)
        args.append(sa.UniqueConstraint(*primary_key, name="uq_{0}_key".format(table_name)))
        for name in sorted(indexed - set(primary_key[:1])):
            args.append(sa.Index("ix_{0}_{1}".format(table_name, name), name))
        args.append(sa.Index("ix_{0}__type".format(table_name), TYPE))
        return sa.Table(table_name, self.metadata, *args)


def _depth(name: str) -> int:
    from .families import BASES

    depth = 0
    while name in BASES:
        name = BASES[name]
        depth += 1
    return depth


def create_engine(url: str) -> Engine:
    """An engine for *url*; SQLite files get WAL mode and foreign-key friendly settings."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # pragma: no cover - driver hook
            cursor = dbapi_connection.cursor()
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def sqlite_url(path: str) -> str:
    """The SQLAlchemy URL of the SQLite file at *path*."""
    return "sqlite:///" + path


def now() -> datetime.datetime:
    """The current time as naive UTC to the second, as ftrack servers stamp rows."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def chunks(values: Iterable, size: int = 500):
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
