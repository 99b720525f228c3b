"""Rows found, inserted and updated inside the batch's transaction, and the change log."""

from __future__ import annotations

import uuid
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

import sqlalchemy as sa

from ...errors import DuplicateEntryError, NotFoundError, UnknownEntityTypeError, ValidationError
from ...schema import EntityType
from ...storage import SEQ, TYPE, Storage, type_filter
from .parsing import coerce_key, same, show_key
from .plans import Plan, Plans

Row = Dict[str, Any]
#: One entry of :attr:`Rows.changes`: (action, entity type name, key, {column: (old, new)}).
Change = Tuple[str, str, Dict[str, Any], Dict[str, Tuple[Any, Any]]]
#: Storage columns that are not attributes.
PRIVATE_COLUMNS = frozenset((SEQ, TYPE))
#: A row's place: (table name, _seq).
Place = Tuple[str, int]


class Rows:
    """Reads and writes rows of one connection; logs every change."""

    def __init__(self, storage: Storage, connection: sa.Connection, plans: Plans) -> None:
        self.storage = storage
        self.schema = storage.schema
        self.connection = connection
        self.plans = plans
        #: What the batch changed, in order: "add", "update" or "remove" entries
        #: (see :data:`Change`); "remove" entries hold the removed row's values.
        self.changes: List[Change] = []
        #: rows created or updated: place -> reported type name
        self.touched: Dict[Place, str] = {}
        #: rows created in this batch: their immutable attributes may still change
        self.created: Set[Place] = set()

    def type(self, name: Any) -> EntityType:
        """The entity type called *name*."""
        if not isinstance(name, str):
            raise UnknownEntityTypeError('Entity type "{0}" does not exist.'.format(name))
        return self.schema.get(name)

    # -- reading ---------------------------------------------------------------

    def find(self, plan: Plan, key: Dict[str, Any]) -> Optional[Row]:
        """The row of the plan's type whose columns match *key*, or None."""
        table = plan.table
        clauses = [table.c[name] == value for name, value in key.items()]
        condition = type_filter(table, plan.entity_type)
        if condition is not None:
            clauses.append(condition)
        found = self.connection.execute(sa.select(table).where(*clauses).limit(1)).mappings().first()
        return dict(found) if found is not None else None

    def get(self, plan: Plan, entity_key: Any) -> Row:
        """The row with the ``entity_key``; NotFoundError when there is none."""
        key = coerce_key(plan.entity_type, entity_key)
        row = self.find(plan, key)
        if row is None:
            raise NotFoundError('{0} with key "{1}" does not exist.'.format(
                plan.entity_type.name, show_key(key.values())))
        return row

    def first(self, type_name: str, column: str, where: Dict[str, Any], order: Iterable[str] = ()) -> Any:
        """*column* of the first row of *type_name* matching *where* (by *order*, then insertion)."""
        table = self.storage.table(self.schema.types[type_name])
        statement = sa.select(table.c[column]).where(*[table.c[k] == v for k, v in where.items()])
        statement = statement.order_by(*[table.c[o] for o in order], table.c[SEQ]).limit(1)
        return self.connection.execute(statement).scalar()

    def check_unique(self, plan: Plan, values: Dict[str, Any], exclude_seq: Optional[int] = None) -> None:
        """Refuse *values* repeating a unique column set of another row (see :data:`.defaults.UNIQUE`)."""
        for group in plan.unique:
            if any(values.get(column) is None for column in group):
                continue
            table = plan.table
            clauses = [table.c[column] == values[column] for column in group]
            condition = type_filter(table, plan.entity_type)
            if condition is not None:
                clauses.append(condition)
            if exclude_seq is not None:
                clauses.append(table.c[SEQ] != exclude_seq)
            if self.connection.execute(sa.select(table.c[SEQ]).where(*clauses).limit(1)).first():
                raise DuplicateEntryError('DuplicateEntryError: a {0} with {1} already exists.'.format(
                    plan.entity_type.name, ", ".join('{0} "{1}"'.format(c, values[c]) for c in group)))

    # -- keys ------------------------------------------------------------------

    def fill_key(self, plan: Plan, values: Dict[str, Any], entity_key: Optional[list]) -> None:
        """Key values of a new row: from ``entity_key`` (agreeing with *values*), else generated."""
        entity_type = plan.entity_type
        if entity_key:
            for name, value in coerce_key(entity_type, entity_key).items():
                if values.get(name) is not None and not same(values[name], value):
                    raise ValidationError('The key of {0} ({1}) does not match its data ("{2}" is {3}).'.format(
                        entity_type.name, show_key(entity_key), name, values[name]))
                values[name] = value
        for name in entity_type.primary_key:
            if values.get(name) is not None:
                continue
            if len(entity_type.primary_key) > 1:
                raise ValidationError('Key attribute "{0}" is missing for {1}.'.format(name, entity_type.name))
            if entity_type.attributes[name].value_type == "integer":
                values[name] = self._next_id(plan, name)
            else:
                values[name] = str(uuid.uuid4())

    def _next_id(self, plan: Plan, column: str) -> int:
        """The next free integer key (``Event.id``); explicit keys may have jumped ahead."""
        highest = self.connection.execute(sa.select(sa.func.max(plan.table.c[column]))).scalar()
        return int(highest or 0) + 1

    # -- writing ---------------------------------------------------------------

    def insert(self, plan: Plan, values: Dict[str, Any]) -> Row:
        """Insert *values* as a row of the plan's table; return the complete row."""
        table = plan.table
        unknown = set(values) - plan.columns
        if unknown:  # pragma: no cover - guarded by parsing
            raise ValidationError('Cannot store {0} on {1}.'.format(", ".join(sorted(unknown)), plan.entity_type.name))
        key = [values.get(name) for name in plan.entity_type.primary_key]
        try:
            result = self.connection.execute(table.insert(), values)
        except sa.exc.IntegrityError:
            raise DuplicateEntryError('{0} with key "{1}" already exists.'.format(
                plan.entity_type.name, show_key(key))) from None
        row = {name: None for name in plan.columns}
        row.update(values)
        row[SEQ] = result.inserted_primary_key[0]
        return row

    def add(self, plan: Plan, values: Dict[str, Any], reported: EntityType) -> Row:
        """Insert a row, log it as added (as *reported*) and mark it touched."""
        row = self.insert(plan, values)
        self.record_row("add", reported, row)
        self.touched[(plan.table.name, row[SEQ])] = reported.name
        return row

    def update(self, table: sa.Table, row: Row, changes: Dict[str, Any],
               entity_type: Optional[EntityType] = None) -> None:
        """Write *changes* to *row* (and into it); log them as an update of *entity_type*, if given."""
        self.connection.execute(table.update().where(table.c[SEQ] == row[SEQ]).values(**changes))
        if entity_type is not None:
            self.record_update(entity_type, row, changes)
        row.update(changes)

    # -- change log ------------------------------------------------------------

    def record_row(self, action: str, entity_type: EntityType, row: Row) -> None:
        """Log an added ("add": values as new) or removed ("remove": values as old) row."""
        new = action == "add"
        values = {c: ((None, v) if new else (v, None)) for c, v in row.items()
                  if v is not None and c not in PRIVATE_COLUMNS}
        key = {name: row.get(name) for name in entity_type.primary_key}
        self.changes.append((action, entity_type.name, key, values))

    def record_update(self, entity_type: EntityType, row: Row, changes: Dict[str, Any]) -> None:
        """Log an update of *row* (before *changes* are applied to it)."""
        values = {c: (row.get(c), v) for c, v in changes.items() if c not in PRIVATE_COLUMNS}
        if values:
            key = {name: row.get(name) for name in entity_type.primary_key}
            self.changes.append(("update", entity_type.name, key, values))
