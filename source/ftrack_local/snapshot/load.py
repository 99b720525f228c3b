"""Loading a snapshot into an ``ftrack-local`` database: fast, whole or not at all.

Rows are written straight to the tables (SQLAlchemy ``executemany`` in
large batches, one transaction), not through the API: a snapshot holds
what a server already accepted, with its ids, dates and defaults, and
loading 100,000 entities must take seconds. Each line is still converted
by the same code that reads a ``create`` (references to keys, date-times
to stored values), so a bad value is a clear error.

A row replaces the row with the same primary key. Two rules keep the
server usable afterwards:

* a user of the snapshot with the user name of another user already in
  the database takes that name over (the other row is removed); the API
  key of that name then signs in as the snapshot's user;
* the server's API user keeps the Administrator role.

Component files go to the server's own storage first (and are removed
again when the rows cannot be written); a file component whose file is
loaded gets a place in the ``ftrack.server`` location when the snapshot
did not give it one.
"""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from .. import seed
from ..api.permissions import cache_for
from ..api.writer import Writer
from ..api.writing.parsing import reference_id
from ..errors import ApiError
from ..api.writing.plans import Plan, Plans
from ..schema import Attribute, EntityType
from ..storage import SEQ, TYPE, Storage, chunks
from ..values import to_storage
from .format import SnapshotError, SnapshotReader, unpacked
from .scope import LINK, REFERENCE, STORED, kept_as

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from ..api.backend import Backend

#: Rows given to one ``executemany``.
BATCH_ROWS = 5000
#: Namespace of the ids of the ``ftrack.server`` places the loader adds.
_PLACE_NAMESPACE = uuid.UUID("0b5d7c57-1d8e-5a4e-9a55-6a7c0f6e1c21")


@dataclasses.dataclass
class LoadReport:
    """What a load wrote."""

    entities: int = 0
    types: int = 0
    files: int = 0
    seconds: float = 0.0
    #: Types of the snapshot this server does not know (their rows are not loaded).
    unknown_types: List[str] = dataclasses.field(default_factory=list)
    #: Type -> attributes of the snapshot this server does not know (left out).
    unknown_attributes: Dict[str, List[str]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class _Rows:
    """The rows of one table to write, with their primary keys."""

    rows: List[Dict[str, Any]] = dataclasses.field(default_factory=list)
    keys: List[Tuple[Any, ...]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Links:
    """The members of link-table collections: the owners listed and their link rows."""

    owners: Dict[str, set] = dataclasses.field(default_factory=dict)
    rows: List[Dict[str, Any]] = dataclasses.field(default_factory=list)

    def add(self, name: str, owner: Any, members: Sequence[Any]) -> None:
        """Record that *owner*'s collection *name* holds *members* (references) and nothing else."""
        self.owners.setdefault(name, set()).add(owner)
        self.rows.extend({"name": name, "from_id": owner, "to_id": member.get("id")}
                         for member in members if isinstance(member, dict) and member.get("id") is not None)


def load(backend: "Backend", snapshot: str, progress: Optional[Callable[..., None]] = None,
         verify: bool = True) -> LoadReport:
    """Load the snapshot *snapshot* (a folder or an archive) into *backend*'s database and file store.

    *verify* checks every entity file against the manifest first.
    """
    with unpacked(snapshot) as folder:
        return _load(backend, SnapshotReader(folder), progress or (lambda event, **details: None), verify)


def _load(backend: "Backend", reader: SnapshotReader, progress: Callable[..., None], verify: bool) -> LoadReport:
    started = time.monotonic()
    if verify:
        reader.verify()
    report = LoadReport()
    component_ids = _blob_ids(reader)
    added_files = _load_files(backend, reader, component_ids, report, progress)
    try:
        storage = backend.storage
        with storage.connect(writes=True) as connection:
            with connection.begin():
                _load_rows(storage, connection, reader, report, progress)
                _keep_usable(backend, connection, reader)
                _place_files(storage, connection, component_ids)
    except BaseException:
        for component_id in added_files:
            backend.components.store.remove(component_id)
        raise
    backend.forget_cached()
    cache_for(backend.storage).invalidate()
    report.seconds = time.monotonic() - started
    progress("loaded", entities=report.entities, types=report.types, files=report.files,
             seconds=report.seconds)
    return report


# -- rows ---------------------------------------------------------------------------

def _load_rows(storage: Storage, connection: sa.Connection, reader: SnapshotReader,
               report: LoadReport, progress: Callable[..., None]) -> None:
    plans = Plans(storage)
    links = _Links()
    #: table -> whether it held no row before this load (then nothing is replaced, only added)
    was_empty: Dict[str, bool] = {}
    for type_name in reader.type_names:
        entity_type = storage.schema.types.get(type_name)
        if entity_type is None:
            report.unknown_types.append(type_name)
            continue
        plan = plans.get(entity_type)
        prepared = _prepare_rows(storage, plan, reader.entities(type_name), links, report)
        if entity_type.is_a("User"):
            _release_user_names(storage, connection, prepared.rows)
        if plan.table.name not in was_empty:
            was_empty[plan.table.name] = connection.execute(sa.select(sa.literal(1)).select_from(
                plan.table).limit(1)).first() is None
        _replace(connection, plan.table, entity_type, prepared, was_empty[plan.table.name])
        report.entities += len(prepared.rows)
        report.types += 1
        progress("type", type=type_name, entities=len(prepared.rows))
    _replace_links(storage, connection, links)


class _Converter:
    """Turns the snapshot lines of one type into table rows.

    Worked out once per type: for each attribute, the column its value goes
    to and how it is stored (:func:`~ftrack_local.values.to_storage`, which
    also refuses a value of the wrong type), the key a reference sets, or the
    link table a collection fills. Attributes this server does not store
    (computed ones) are skipped; names it does not know are reported.
    """

    def __init__(self, storage: Storage, plan: Plan) -> None:
        self.schema = storage.schema
        self.plan = plan
        self.type_name = plan.entity_type.name
        self.blank = {column.name: None for column in plan.table.columns if column.name != SEQ}
        self.blank[TYPE] = self.type_name
        self.scalars: Dict[str, Tuple[str, Attribute]] = {}
        self.references: Dict[str, Attribute] = {}
        self.links: Dict[str, str] = {}
        for name, attribute in plan.attributes.items():
            kept = kept_as(attribute)
            if kept == STORED:
                self.scalars[name] = (str(attribute.column), attribute)
            elif kept == REFERENCE:
                self.references[name] = attribute
            elif kept == LINK:
                self.links[name] = str(attribute.relation.link_name)
        self.key_columns = [self.scalars[name][0] for name in plan.entity_type.primary_key]

    def row(self, entity: Dict[str, Any], links: _Links, unknown: set) -> Dict[str, Any]:
        """The row of one snapshot line; its link-table collections go to *links*."""
        row = dict(self.blank)
        members = []
        for name, value in entity.items():
            stored = self.scalars.get(name)
            if stored is not None:
                row[stored[0]] = None if value is None else to_storage(stored[1], value, self.type_name)
            elif name in self.references:
                attribute = self.references[name]
                row[str(attribute.relation.local_column)] = reference_id(self.schema, self.plan, attribute, value)
            elif name in self.links:
                members.append((self.links[name], value))
            elif name != "__entity_type__" and name not in self.plan.attributes:
                unknown.add(name)
        for link_name, value in members:
            links.add(link_name, row[self.key_columns[0]], value if isinstance(value, list) else [])
        return row


def _prepare_rows(storage: Storage, plan: Plan, entities: Any, links: _Links, report: LoadReport) -> _Rows:
    converter = _Converter(storage, plan)
    key_columns = converter.key_columns
    unknown: set = set()
    prepared = _Rows()
    for number, entity in enumerate(entities, 1):
        try:
            row = converter.row(entity, links, unknown)
        except ApiError as error:
            raise SnapshotError("entities/{0}.jsonl line {1}: {2}".format(
                converter.type_name, number, error.content)) from None
        prepared.rows.append(row)
        prepared.keys.append(tuple(row[name] for name in key_columns))
    if unknown:
        report.unknown_attributes[converter.type_name] = sorted(unknown)
    return prepared


def _replace(connection: sa.Connection, table: sa.Table, entity_type: EntityType, prepared: _Rows,
             was_empty: bool) -> None:
    """Write *prepared* rows, removing the rows they replace first (none when the table *was_empty*)."""
    key_names = list(entity_type.primary_key)
    if not was_empty and len(key_names) == 1:
        column = table.c[key_names[0]]
        for group in chunks([key[0] for key in prepared.keys], 500):
            connection.execute(sa.delete(table).where(column.in_(group)))
    elif not was_empty:
        columns = sa.tuple_(*(table.c[name] for name in key_names))
        for group in chunks(prepared.keys, 300):
            connection.execute(sa.delete(table).where(columns.in_(group)))
    for group in chunks(prepared.rows, BATCH_ROWS):
        connection.execute(sa.insert(table), group)


def _replace_links(storage: Storage, connection: sa.Connection, links: _Links) -> None:
    """Replace the link-table members of every collection the snapshot lists."""
    table = storage.link
    for name, owners in links.owners.items():
        for group in chunks(sorted(owners), 500):
            connection.execute(sa.delete(table).where(table.c.name == name, table.c.from_id.in_(group)))
    for group in chunks(links.rows, BATCH_ROWS):
        connection.execute(sa.insert(table), group)


def _release_user_names(storage: Storage, connection: sa.Connection, rows: Sequence[Dict[str, Any]]) -> None:
    """Remove users whose name a snapshot user with another id takes over (with their roles)."""
    users = storage.tables[storage.schema.types["User"].table]
    roles = storage.tables[storage.schema.types["UserSecurityRole"].table]
    wanted = {row["username"]: row["id"] for row in rows if row.get("username")}
    for group in chunks(sorted(wanted), 500):
        clashing = [user_id for user_id, username in connection.execute(
            sa.select(users.c.id, users.c.username).where(users.c.username.in_(group), users.c[TYPE] == "User"))
            if wanted[username] != user_id]
        if clashing:
            connection.execute(sa.delete(roles).where(roles.c.user_id.in_(clashing)))
            connection.execute(sa.delete(users).where(users.c.id.in_(clashing)))


def _keep_usable(backend: "Backend", connection: sa.Connection, reader: SnapshotReader) -> None:
    """Give the server's API user the Administrator role if the load took it away."""
    storage = backend.storage
    users = storage.tables[storage.schema.types["User"].table]
    roles = storage.tables[storage.schema.types["UserSecurityRole"].table]
    user_id = connection.execute(sa.select(users.c.id).where(
        users.c.username == backend.api_user, users.c[TYPE] == "User")).scalar()
    if user_id is None:
        writer = Writer(storage, connection)
        user_id = str(uuid.uuid4())
        records = seed.admin_records(backend.api_user, user_id)
    else:
        held = connection.execute(sa.select(roles.c.id).where(
            roles.c.user_id == user_id, roles.c.security_role_id == seed.ADMINISTRATOR_ROLE_ID)).first()
        if held is not None:
            return
        writer = Writer(storage, connection)
        records = seed.admin_records(backend.api_user, user_id)[1:]
    for type_name, data in records:
        writer.create(type_name, dict(data, __entity_type__=type_name))
    writer.finish()


# -- files --------------------------------------------------------------------------

def _blob_ids(reader: SnapshotReader) -> List[str]:
    root = os.path.join(reader.path, "blobs")
    if not os.path.isdir(root):
        return []
    return sorted(name for folder in os.listdir(root) if os.path.isdir(os.path.join(root, folder))
                  for name in os.listdir(os.path.join(root, folder)) if not name.endswith(".part"))


def _load_files(backend: "Backend", reader: SnapshotReader, component_ids: List[str], report: LoadReport,
                progress: Callable[..., None]) -> List[str]:
    """Store the files of *component_ids* from the snapshot; return the ids that had no data before."""
    if not component_ids:
        return []
    store = backend.components.store
    added = []
    for number, component_id in enumerate(component_ids, 1):
        if not store.exists(component_id):
            added.append(component_id)
        with reader.open_blob(component_id) as handle:
            store.put(component_id, iter(lambda: handle.read(1 << 20), b""))
        report.files += 1
        if number % 100 == 0 or number == len(component_ids):
            progress("files", done=number, files=len(component_ids))
    return added


def _place_files(storage: Storage, connection: sa.Connection, component_ids: List[str]) -> None:
    """Put each loaded file (of *component_ids*) in the ``ftrack.server`` location when the snapshot did not."""
    if not component_ids:
        return
    table = storage.tables[storage.schema.types["ComponentLocation"].table]
    placed = set()
    for group in chunks(component_ids, 500):
        placed.update(connection.execute(sa.select(table.c.component_id).where(
            table.c.component_id.in_(group), table.c.location_id == seed.SERVER_LOCATION_ID)).scalars())
    writer = Writer(storage, connection)
    for component_id in component_ids:
        if component_id in placed:
            continue
        writer.create("ComponentLocation", {
            "__entity_type__": "ComponentLocation",
            "id": str(uuid.uuid5(_PLACE_NAMESPACE, component_id)),
            "component_id": component_id, "location_id": seed.SERVER_LOCATION_ID,
            "resource_identifier": component_id})
    writer.finish()
