"""``ftrack.update`` events from the change log of a committed request.
(doc/protocol.rst, "Update events")

One event per request that changed data (several for a very large one, see
below)::

    {"topic": "ftrack.update",
     "source": {"id": <hub id>, "user": {"id": <user id>, "username": <name>}},
     "data": {"entities": [<entity>, …], "parents": [<id>, …],
              "user": {"userid": <user id>, "name": <full name>}}}

Each ``<entity>``:

* ``entityId`` — the id (for types keyed by several attributes, the list of
  key values); ``entity_type`` — the schema id (``Task``, ``Project`` …);
  ``entityType`` — the legacy lower-case name: ``task`` for every typed
  context, ``show`` for projects, ``assetversion`` … (see
  :func:`ftrack_local.families.legacy_name`), else the lower-cased type name;
* ``action`` — ``add``, ``update`` or ``remove`` (cascaded removals are
  reported too);
* ``keys`` and ``changes`` — the changed storage attributes (``status_id``,
  ``parent_id`` …) and ``{name: {"old", "new"}}`` with JSON values (date-times
  as ISO text, UTC). An added entity reports its stored values as new, a
  removed one its last values as old. A custom attribute value shows as an
  update of the entity owning it, keyed by the attribute's ``key``;
* ``parentId`` — the id of the entity's parent (a context's parent, an asset's
  context, a version's asset, a component's version, a note's parent …);
  ``objectTypeId`` — the object type of a typed context, else null;
* ``parents`` — the entity itself followed by its ancestors, nearest first and
  the root (usually the project) last, each ``{"entityId", "entityType",
  "entity_type", "parentId"}``.

Several log entries for one entity in one request are merged: an added then
updated entity is one ``add`` with its final values; an entity added and
removed in the same request is not reported. A request changing more than
:data:`MAX_ENTITIES_PER_EVENT` entities is reported in several events, in
order, each with the ``parents`` of its own entities.

The event is built inside the request's transaction (see
:class:`UpdatePublisher`), so it describes that request's state even while
other requests commit, and published after the commit.
"""

import datetime
import decimal
import functools
import logging
import math
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa

from .. import families
from ..families import legacy_name
from ..storage import TYPE, Storage, chunks
from .hub import EventHub

log = logging.getLogger(__name__)

TOPIC = "ftrack.update"

#: base type -> (column holding the parent's id, the parent's base type, or
#: None when the row's ``parent_type`` names it).
PARENT_LINKS: Dict[str, Tuple[str, Optional[str]]] = {
    "Context": ("parent_id", "Context"),
    "Asset": ("context_id", "Context"),
    "AssetVersion": ("asset_id", "Asset"),
    "Component": ("version_id", "AssetVersion"),
    "Note": ("parent_id", None),
    "Metadata": ("parent_id", None),
    "ListObject": ("list_id", "List"),
    "List": ("project_id", "Context"),
    "ReviewSession": ("project_id", "Context"),
    "ReviewSessionObject": ("review_session_id", "ReviewSession"),
    "Timelog": ("context_id", "Context"),
    "Appointment": ("context_id", "Context"),
}
#: Longest parent chain followed (guards against cycles in bad data).
MAX_DEPTH = 64
#: Most entities in one event: a request changing more is reported in
#: several events, in order. Encoding one event is one uninterrupted step
#: for the interpreter; bounded events keep it short for every other
#: request the server is answering meanwhile.
MAX_ENTITIES_PER_EVENT = 250


class UpdatePublisher:
    """A backend commit listener publishing ``ftrack.update`` on *hub*.

    The event is built by :meth:`prepare`, inside the writing transaction:
    its reads (parents, current values, the user's name) see the request's
    own state, never a later request's, and the event is published once the
    transaction has committed.
    """

    def __init__(self, hub: EventHub, storage: Storage) -> None:
        self.hub = hub
        self.storage = storage

    def prepare(self, changes: List[Any], connection: sa.Connection, username: str,
                user_id: Optional[str]) -> Optional[Callable[[], None]]:
        """Build the events of *changes*; return what publishes them (None: nothing to publish)."""
        if not self.hub.may_deliver(TOPIC):
            return None
        data = build(self.storage, connection, changes, user_id)
        if data is None:
            return None
        source = {"id": self.hub.id, "user": {"id": user_id, "username": username}}
        return functools.partial(self._publish, split(data), source)

    def _publish(self, parts: List[Dict[str, Any]], source: Dict[str, Any]) -> None:
        for data in parts:
            self.hub.publish_from_server(TOPIC, data, source=source)

    def __call__(self, changes: List[Any], connection: sa.Connection, username: str,
                 user_id: Optional[str]) -> None:
        """Build and publish at once (the caller guarantees what *connection* reads)."""
        publish = self.prepare(changes, connection, username, user_id)
        if publish is not None:
            publish()


def split(data: Dict[str, Any], size: Optional[int] = None) -> List[Dict[str, Any]]:
    """The event *data* of one request as events of at most *size* entities
    (default :data:`MAX_ENTITIES_PER_EVENT`), each naming the parents of its own entities."""
    size = size or MAX_ENTITIES_PER_EVENT
    entities = data["entities"]
    if len(entities) <= size:
        return [data]
    parts = []
    for start in range(0, len(entities), size):
        part = entities[start:start + size]
        parents: Dict[Any, None] = {}
        for entity in part:
            for item in entity["parents"]:
                if not isinstance(item["entityId"], list):
                    parents[item["entityId"]] = None
        parts.append({"entities": part, "parents": list(parents), "user": data["user"]})
    return parts


_PLAIN = frozenset((str, int, bool, type(None)))


def json_value(value: Any) -> Any:
    """*value* made JSON-safe (date-times as ISO text)."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        if value.get("__type__") in ("datetime", "date") and "value" in value:
            return json_value(value["value"])
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)


# -- building ----------------------------------------------------------------------

class _Entry:
    __slots__ = ("action", "type_name", "key", "changes")

    def __init__(self, action: str, type_name: str, key: Dict[str, Any],
                 changes: Dict[str, Tuple[Any, Any]]):
        self.action = action
        self.type_name = type_name
        self.key = key
        self.changes = dict(changes)

    @property
    def entity_id(self) -> Any:
        if "id" in self.key:
            return self.key["id"]
        values = list(self.key.values())
        return values[0] if len(values) == 1 else values

    def values(self) -> Dict[str, Any]:
        """The row as the log knows it (new values, or old ones for a removal)."""
        side = 0 if self.action == "remove" else 1
        return {c: pair[side] for c, pair in self.changes.items()}


def build(storage: Storage, connection: sa.Connection, changes: Iterable[Any],
          user_id: Optional[str]) -> Optional[Dict[str, Any]]:
    """The ``data`` of the ``ftrack.update`` event for *changes* (None if nothing shows)."""
    schema = storage.schema
    entries = _merge(schema, changes)
    entries = _fold_custom_values(storage, connection, entries)
    if not entries:
        return None
    rows = _Rows(storage, connection)
    for entry in entries:
        if entry.action != "update" and "id" in entry.key:
            rows.remember(entry.type_name, entry.values())
    for entry in entries:
        if entry.action == "update" and "id" in entry.key:
            rows.want(entry.type_name, entry.key["id"])
    rows.load()
    found = []
    for entry in entries:
        row = rows.get(entry.type_name, entry.key.get("id")) if "id" in entry.key else None
        found.append(row if row is not None else entry.values())
    rows.preload(list(zip((e.type_name for e in entries), found)))

    entities = []
    all_parents: Dict[Any, None] = {}
    for entry, row in zip(entries, found):
        chain = rows.chain(entry.type_name, row, json_value(entry.entity_id))
        for item in chain:
            if not isinstance(item["entityId"], list):
                all_parents[item["entityId"]] = None
        entity_type = schema.types.get(entry.type_name)
        typed_context = entity_type is not None and entity_type.is_a("TypedContext")
        keys = sorted(entry.changes)
        entities.append({
            "entityId": json_value(entry.entity_id),
            "entityType": legacy_name(entry.type_name),
            "entity_type": entry.type_name,
            "action": entry.action,
            "keys": keys,
            "changes": {k: {"old": json_value(entry.changes[k][0]),
                            "new": json_value(entry.changes[k][1])} for k in keys},
            "parentId": chain[0]["parentId"] if chain else None,
            "objectTypeId": row.get("object_type_id") if typed_context else None,
            "parents": chain,
        })
    return {"entities": entities, "parents": list(all_parents),
            "user": {"userid": user_id, "name": _user_name(storage, connection, user_id)}}


def _merge(schema: Any, changes: Iterable[Any]) -> List[_Entry]:
    """One entry per entity, in order of first change."""
    merged: Dict[Tuple[str, Tuple[Any, ...]], _Entry] = {}
    for action, type_name, key, values in changes:
        entity_type = schema.types.get(type_name)
        table = entity_type.table if entity_type is not None else type_name
        identity = (table, tuple(sorted(key.items(), key=lambda item: item[0])))
        entry = merged.get(identity)
        if entry is None:
            merged[identity] = _Entry(action, type_name, key, values)
            continue
        entry.type_name = type_name
        if action == "update":
            for column, (old, new) in values.items():
                previous = entry.changes.get(column)
                entry.changes[column] = (previous[0] if previous else old, new)
        elif action == "remove":
            if entry.action == "add":
                entry.action = "gone"
            else:
                originals = {c: pair[0] for c, pair in entry.changes.items()}
                entry.action = "remove"
                entry.changes = {c: (originals.get(c, old), None) for c, (old, _) in values.items()}
        elif action == "add":
            if entry.action in ("remove", "gone"):
                previous = {c: pair[0] for c, pair in entry.changes.items()} \
                    if entry.action == "remove" else {}
                entry.action = "update" if entry.action == "remove" else "add"
                current = {c: pair[1] for c, pair in values.items()}
                entry.changes = {c: (previous.get(c), current.get(c))
                                 for c in list(previous) + [c for c in current if c not in previous]}
            else:
                entry.changes.update(values)
    result = []
    for entry in merged.values():
        if entry.action == "gone":
            continue
        if entry.action == "update":
            entry.changes = {c: pair for c, pair in entry.changes.items() if not _same(*pair)}
            if not entry.changes:
                continue
        result.append(entry)
    return result


def _same(old: Any, new: Any) -> bool:
    return type(old) is type(new) and old == new


def _fold_custom_values(storage: Storage, connection: sa.Connection,
                        entries: List[_Entry]) -> List[_Entry]:
    """Report custom attribute values as updates of the entities owning them."""
    schema = storage.schema
    values = [e for e in entries if _is_custom_value(schema, e.type_name)]
    if not values:
        return entries
    others = [e for e in entries if not _is_custom_value(schema, e.type_name)]
    # Entities with composite keys (ComponentLocation, …) never own custom
    # attributes; their keys are lists, so only single ids are indexed.
    single = [e for e in others if not isinstance(e.entity_id, list)]
    removed = {e.entity_id for e in single if e.action == "remove"}
    by_owner = {e.entity_id: e for e in single if e.action != "remove"}
    configuration_keys = _configuration_keys(storage, connection, {
        e.key.get("configuration_id") for e in values})
    owners = _owner_types(storage, connection, values)
    for entry in values:
        owner_id = entry.key.get("entity_id")
        attribute = configuration_keys.get(entry.key.get("configuration_id"))
        if owner_id in removed or attribute is None:
            continue
        old, new = entry.changes.get("value", (None, None))
        if entry.action == "remove":
            new = None
        owner = by_owner.get(owner_id)
        if owner is None:
            owner_type = owners.get(owner_id)
            if owner_type is None:
                continue
            owner = _Entry("update", owner_type, {"id": owner_id}, {})
            by_owner[owner_id] = owner
            others.append(owner)
        owner.changes[attribute] = (old, new)
    return [e for e in others if e.action != "update" or e.changes]


def _is_custom_value(schema: Any, type_name: str) -> bool:
    entity_type = schema.types.get(type_name)
    return entity_type is not None and entity_type.is_a("CustomAttributeValue")


def _configuration_keys(storage: Storage, connection: sa.Connection, ids: Iterable[Any]
                        ) -> Dict[Any, str]:
    table = storage.table(storage.schema.types["CustomConfigurationBase"])
    found: Dict[Any, str] = {}
    for batch in chunks([i for i in ids if i is not None], 400):
        for row in connection.execute(sa.select(table.c.id, table.c.key).where(table.c.id.in_(batch))):
            found[row[0]] = row[1]
    return found


def _owner_types(storage: Storage, connection: sa.Connection, values: List[_Entry]) -> Dict[Any, str]:
    """owner id -> entity type name, for the owners of custom attribute values."""
    schema = storage.schema
    wanted: Dict[str, set] = {}
    for entry in values:
        owner = families.CUSTOM_ATTRIBUTE_OWNERS.get(entry.type_name)
        if owner is not None and owner in schema.types:
            wanted.setdefault(schema.types[owner].table, set()).add(entry.key.get("entity_id"))
    found: Dict[Any, str] = {}
    for table_name, ids in wanted.items():
        table = storage.tables[table_name]
        for batch in chunks([i for i in ids if i is not None], 400):
            for row in connection.execute(
                    sa.select(table.c.id, table.c[TYPE]).where(table.c.id.in_(batch))):
                found[row[0]] = row[1]
    return found


def _user_name(storage: Storage, connection: sa.Connection, user_id: Optional[str]) -> Optional[str]:
    if user_id is None:
        return None
    table = storage.table(storage.schema.types["User"])
    row = connection.execute(sa.select(table.c.first_name, table.c.last_name, table.c.username)
                             .where(table.c.id == user_id)).first()
    if row is None:
        return None
    name = " ".join(part for part in (row[0], row[1]) if part)
    return name or row[2]


class _Rows:
    """Rows by (table, id): logged values first, the database for the rest."""

    def __init__(self, storage: Storage, connection: sa.Connection):
        self.storage = storage
        self.schema = storage.schema
        self.connection = connection
        self._rows: Dict[Tuple[str, Any], Dict[str, Any]] = {}
        self._wanted: Dict[str, set] = {}
        self._links: Dict[str, Optional[Tuple[str, Optional[str]]]] = {}

    def _table(self, type_name: Optional[str]) -> Optional[str]:
        entity_type = self.schema.types.get(type_name) if type_name else None
        return entity_type.table if entity_type is not None else None

    def remember(self, type_name: str, row: Dict[str, Any]) -> None:
        table = self._table(type_name)
        if table is not None and row.get("id") is not None:
            stored = dict(row)
            stored.setdefault(TYPE, type_name)
            self._rows[(table, row["id"])] = stored

    def want(self, type_name: Optional[str], row_id: Any) -> None:
        table = self._table(type_name)
        if table is not None and row_id is not None and (table, row_id) not in self._rows:
            self._wanted.setdefault(table, set()).add(row_id)

    def load(self) -> None:
        wanted, self._wanted = self._wanted, {}
        for table_name, ids in wanted.items():
            table = self.storage.tables[table_name]
            if "id" not in table.c:
                continue
            for batch in chunks(sorted(ids, key=str), 400):
                for row in self.connection.execute(sa.select(table).where(table.c.id.in_(batch))).mappings():
                    self._rows[(table_name, row["id"])] = dict(row)

    def get(self, type_name: str, row_id: Any) -> Optional[Dict[str, Any]]:
        table = self._table(type_name)
        return self._rows.get((table, row_id)) if table is not None else None

    def link(self, type_name: str) -> Optional[Tuple[str, Optional[str]]]:
        """(parent column, parent base type) for *type_name*, or None."""
        if type_name not in self._links:
            found = None
            entity_type = self.schema.types.get(type_name)
            for base, link in PARENT_LINKS.items():
                if entity_type is not None and entity_type.is_a(base):
                    found = link
                    break
            self._links[type_name] = found
        return self._links[type_name]

    def _parent_of(self, type_name: str, row: Dict[str, Any]) -> Tuple[Any, Optional[str]]:
        """(parent id, parent type name or base) of *row*."""
        link = self.link(type_name)
        if link is None:
            return row.get("parent_id"), None
        column, parent_base = link
        if parent_base is None:
            parent_base = row.get("parent_type")
        return row.get(column), parent_base

    def preload(self, starts: List[Tuple[str, Dict[str, Any]]]) -> None:
        """Load the ancestors of the rows *starts*, one query per table and level."""
        frontier = starts
        visited = set()
        for _ in range(MAX_DEPTH):
            parents = []
            for type_name, row in frontier:
                parent_id, parent_type = self._parent_of(type_name, row)
                table = self._table(parent_type)
                if parent_id is None or table is None or (table, parent_id) in visited:
                    continue
                visited.add((table, parent_id))
                parents.append((parent_type, parent_id))
                self.want(parent_type, parent_id)
            if not parents:
                return
            self.load()
            frontier = []
            for parent_type, parent_id in parents:
                parent = self.get(parent_type, parent_id)
                if parent is not None:
                    frontier.append((parent.get(TYPE) or parent_type, parent))

    def chain(self, type_name: str, row: Dict[str, Any], entity_id: Any) -> List[Dict[str, Any]]:
        """The entity then its ancestors (root last), loading ancestors as needed."""
        items = []
        seen = set()
        current_type, current = type_name, row
        for _ in range(MAX_DEPTH):
            parent_id, parent_type = self._parent_of(current_type, current)
            items.append({"entityId": entity_id if not items else current.get("id"),
                          "entityType": legacy_name(current_type),
                          "entity_type": current_type, "parentId": json_value(parent_id)})
            if parent_id is None or parent_type is None or parent_id in seen:
                break
            seen.add(current.get("id"))
            parent = self.get(parent_type, parent_id)
            if parent is None:
                self.want(parent_type, parent_id)
                self.load()
                parent = self.get(parent_type, parent_id)
            if parent is None:
                break
            current_type, current = parent.get(TYPE) or parent_type, parent
        return items
