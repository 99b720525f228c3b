"""Turn parsed queries (:mod:`ftrack_local.query.ast`) into SQLAlchemy statements.

Public API
----------
:func:`compile_select` builds the SELECT answering a whole query;
:func:`compile_criteria` builds the boolean condition of a ``where`` part on
any alias of a type's table, for use inside other statements.

How conditions become SQL
-------------------------
A condition names a *path* of attributes. Every hop but the last follows a
relation; the last attribute is compared. One mechanism walks every path
(:meth:`_Compiler.walk`): each relation hop becomes a sub-query over a fresh
alias of the target's table, restricted to the relation's target type:

* reference (``many_to_one``): ``EXISTS (target.id = owner.<local_column> …)``
  — a path ending in the target's key (``project.id``) compares
  ``owner.<local_column>`` directly;
* collection (``one_to_many``): ``EXISTS (target.<remote_column> = owner.id``
  plus the relation's fixed column values ``…)``;
* collection (``many_to_many``): ``EXISTS`` over the link rows (an entity
  type's table or the private ``_link`` table rows of the relation's name)
  joined to the target rows;
* ``custom_attributes``: ``EXISTS`` over the stored value rows whose
  ``entity_id`` is the owner's id;
* ``ancestors`` / ``descendants``: ``owner.id IN (…)`` over a recursive
  walk of ``parent_id`` that starts from the matching rows (down from them
  for ancestors, up from them for descendants), so its cost follows the
  matches, not the size of the table;
* a reference with a one-column key: ``local IS NOT NULL AND local IN
  (SELECT id …)``, which lets the database start from the local column's
  index when few targets match.

A path through a collection therefore matches when at least one member
matches; that also holds for negative operators (``children.name != "x"``
means "some child is not named x"), while ``not children.name is "x"`` means
"no child is named x". ``has`` and ``any`` both mean "a related row matches
the criteria" (an empty criteria: "a related row exists") and are accepted on
references and collections alike.

Attributes are looked up on the type each hop reaches (the relation's
target type, e.g. ``Context`` for ``children``), or on the subtypes stored
with it when they agree on the attribute; unknown names raise
:class:`UnknownAttributeError`, collections used as values and computed
attributes without a SQL form raise :class:`ValidationError`.

Casts: any relation step may name a type, ``parent[Shot].name`` or
``resource[User] has (…)``. The related rows are then restricted to that
type (and its subtypes) and the attributes after the step are that type's.
The type must be the relation's target or one of its subtypes; an unknown
type raises :class:`UnknownEntityTypeError`, an unfitting one
:class:`ValidationError`. A cast must be followed by an attribute or by
``has``/``any``. In projections (``select parent[Shot].name``) a cast only
makes the type's attributes selectable; the compiler checks it there.

Computed attributes with a SQL form (the same values the loader computes):
``latest_version`` (a reference: the asset's version with the highest
number, the last created of equal ones), ``is_latest_version``,
``time_logged`` (sum of the timelogs' durations, 0 without any),
``bid_time_logged_difference`` (``bid`` minus ``time_logged``) and
``is_open`` (no end date or one in the future).

Comparisons follow SQL: ``is None`` / ``is_not None`` test for NULL, and a
NULL value matches no other operator (``name != "x"`` does not return rows
without a name). ``like`` / ``not_like`` are case-insensitive and only ``%``
is a wildcard (``_`` matches itself). Literals are converted to the type of
the compared attribute with :func:`ftrack_local.values.from_text`; date-times
become naive UTC.

JSON values (``variable``/``object`` attributes such as a custom attribute's
``value``) are compared through their scalar text (``true``/``false`` for
booleans, the ``value`` member of tagged date-times) and, for numeric
literals, numerically; a JSON ``null`` counts as NULL. Lists (enumerator
values) only compare as their JSON text (use ``like``).

Custom attributes are matched against stored value rows only: a
configuration's default does not count as a value of owners that never
stored one. The ``key`` of a value row is its stored key, or else its
configuration's key.

Ordering follows the ``order by`` items (paths through references are
compared through correlated scalar sub-queries; NULLs sort last ascending
and first descending, as on PostgreSQL; text sorts by the database's
collation, code points on SQLite) and always ends with ``_seq``, the
insertion order, which is also the whole order when nothing else is asked:
the same expression always returns rows in the same order.

Not supported: the computed attributes whose value is built outside the
database (``link``, ``_link``, ``thumbnail_url``, ``url``, a review
session's ``thumbnail_id``) in conditions or ordering; collections in
ordering and sub-query projections, and sub-query projections and ordering
through anything but references and ``latest_version``.
"""

from __future__ import annotations

import operator
import re
from typing import Callable, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import functions

from .. import values
from ..errors import UnknownAttributeError, UnknownEntityTypeError, ValidationError
from ..schema import Attribute, EntityType
from ..storage import SEQ, Storage, type_filter
from ..storage import now as storage_now
from . import ast
from .parser import MAX_PAGING_VALUE

__all__ = ["compile_select", "compile_criteria"]

#: Comparison operators that map to a plain Python operator on columns.
_SCALAR_OPERATORS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_NULLS = {"none", "null"}
_BOOLEANS = {"true", "false"}
_JSON_TYPES = {"variable", "object"}
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: How deeply a statement may nest: each relation step or sub-query counts 1,
#: each ``not``/``and``/``or`` inside another 1/4. SQLite's parser gives up a
#: little beyond this ("parser stack overflow"); deeper queries are refused.
MAX_NESTING = 8

#: (target type, target alias) -> condition on the target rows, or None.
Inner = Callable[[EntityType, sa.FromClause], Optional[sa.ColumnElement]]
#: (type, table, attribute, cast type or None) -> condition on the last step of a path.
Final = Callable[[EntityType, sa.FromClause, Attribute, Optional[EntityType]],
                 sa.ColumnElement]


def compile_select(storage: Storage, query: ast.Query,
                   restriction: Optional[Callable[[EntityType, sa.FromClause],
                                                  Optional[sa.ColumnElement]]] = None
                   ) -> sa.Select:
    """Return the SELECT of every column of the queried type's table for *query*.

    The statement applies the type filter (a query on a base type returns
    rows of all its subtypes, one on a subtype only its own rows), the
    criteria, the ordering (explicit ``order by`` items, then ``_seq``),
    the offset and the limit. When the query has a limit the statement asks
    for ``limit + 1`` rows: the caller returns at most ``limit`` of them and
    knows more rows exist when it received the extra one.

    *restriction*, when given, returns an extra condition on the queried
    table (rows the asking user may not read are left out; None adds none).

    Raises :class:`UnknownEntityTypeError`, :class:`UnknownAttributeError` or
    :class:`ValidationError` for queries that cannot be answered.
    """
    entity_type = storage.schema.get(query.entity_type)
    table = storage.table(entity_type)
    compiler = _Compiler(storage)
    for path in query.projections:
        for step in path:
            if step[-1] == "]":
                compiler.check_casts(entity_type, path)
                break
    statement = compiler.restrict(sa.select(table), entity_type, table, query)
    extra = restriction(entity_type, table) if restriction is not None else None
    if extra is not None:
        statement = statement.where(extra)
    if query.limit is not None:
        # One more row tells whether a next page exists (within 64 bits).
        statement = statement.limit(min(query.limit + 1, MAX_PAGING_VALUE))
    return statement


def compile_criteria(storage: Storage, entity_type: EntityType, table: sa.FromClause,
                     criteria: Optional[ast.Criteria]) -> sa.ColumnElement:
    """Return a boolean SQL expression for *criteria* on rows of *table*.

    *table* is the table of *entity_type* or an alias of it; the expression
    only refers to it (and to sub-queries of its own), so it can be used
    inside other statements (sub-queries, ``has``/``any``, updates). The type
    filter of *entity_type* is not included. ``None`` criteria give TRUE.
    """
    return _Compiler(storage).criteria(entity_type, table, criteria)


class _Compiler:
    """Compiles the criteria, sub-queries and ordering of one statement."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.schema = storage.schema
        self._level = 0.0  # the current nesting (see MAX_NESTING)

    # -- whole queries -----------------------------------------------------

    def restrict(self, statement: sa.Select, entity_type: EntityType,
                 table: sa.FromClause, query: ast.Query) -> sa.Select:
        """Add the type filter, criteria, ordering and offset of *query* (not its limit)."""
        statement = self.filter(statement, entity_type, table, query.criteria)
        statement = statement.order_by(*self.ordering(entity_type, table, query.order))
        if query.offset:
            statement = statement.offset(query.offset)
        return statement

    def filter(self, statement: sa.Select, entity_type: EntityType, table: sa.FromClause,
               criteria: Optional[ast.Criteria]) -> sa.Select:
        """Keep the rows of *table* that are *entity_type* and match *criteria*."""
        restriction = self.type_filter(table, entity_type)
        if restriction is not None:
            statement = statement.where(restriction)
        if criteria is not None:
            statement = statement.where(self.criteria(entity_type, table, criteria))
        return statement

    def ordering(self, entity_type: EntityType, table: sa.FromClause,
                 order: Sequence[ast.Order]) -> List[sa.ColumnElement]:
        """The ``order by`` items, then ``_seq`` (insertion order) as the last tie-breaker."""
        clauses = []
        for item in order:
            value = self.value(entity_type, table, item.path, "order by")
            if isinstance(value.type, sa.JSON):
                value = _JsonText(value)  # PostgreSQL cannot order json values
            clauses.append(value.desc().nulls_first() if item.descending
                           else value.asc().nulls_last())
        clauses.append(table.c[SEQ].asc())
        return clauses

    def deeper(self, weight: float, build: Callable[[], sa.ColumnElement]) -> sa.ColumnElement:
        """Return ``build()``, built one nesting level (of *weight*) deeper."""
        self._level += weight
        try:
            if self._level > MAX_NESTING:
                raise _too_deep()
            return build()
        finally:
            self._level -= weight

    def subquery(self, query: ast.Query, skip_null: bool = False) -> sa.Select:
        """The SELECT of the single projected value of a sub-query (``in (select id from …)``)."""
        return self.deeper(1, lambda: self._subquery(query, skip_null))

    def _subquery(self, query: ast.Query, skip_null: bool) -> sa.Select:
        entity_type = self.schema.get(query.entity_type)
        if len(query.projections) != 1:
            raise ValidationError(
                'A sub-query must select exactly one attribute of "{0}"; got {1}.'.format(
                    query.entity_type, _show_paths(query.projections) or "none"))
        table = self.alias(entity_type)
        value = self.value(entity_type, table, query.projections[0], "select")
        statement = sa.select(value)
        if skip_null:  # NOT IN over a NULL would match nothing at all.
            statement = statement.where(value.is_not(None))
        if query.limit is None and not query.offset:  # order is irrelevant to IN
            return self.filter(statement, entity_type, table, query.criteria)
        statement = self.restrict(statement, entity_type, table, query)
        return statement if query.limit is None else statement.limit(query.limit)

    # -- criteria ----------------------------------------------------------

    def criteria(self, entity_type: EntityType, table: sa.FromClause,
                 node: Optional[ast.Criteria]) -> sa.ColumnElement:
        if node is None:
            return sa.true()
        if isinstance(node, (ast.And, ast.Or, ast.Not)):
            self._level += 0.25  # a quarter level deeper (see MAX_NESTING)
            try:
                if self._level > MAX_NESTING:
                    raise _too_deep()
                if isinstance(node, ast.Not):
                    return sa.not_(self.criteria(entity_type, table, node.operand))
                parts = [self.criteria(entity_type, table, o) for o in node.operands]
                return sa.and_(*parts) if isinstance(node, ast.And) else sa.or_(*parts)
            finally:
                self._level -= 0.25
        if isinstance(node, ast.Comparison):
            return self.walk(entity_type, table, node.path, lambda owner, rows, attribute, cast:
                             self.compare(owner, rows, attribute, node.operator, node.value,
                                          cast))
        if isinstance(node, ast.Related):
            return self.walk(entity_type, table, node.path, lambda owner, rows, attribute, cast:
                             self.follow(owner, rows, attribute, self.matching(node.criteria),
                                         cast))
        raise ValidationError("Unsupported query condition {0!r}.".format(node))

    def matching(self, criteria: Optional[ast.Criteria]) -> Inner:
        """The condition of ``has``/``any``: *criteria* on the related rows (none: any row)."""
        if criteria is None:
            return lambda target, rows: None
        return lambda target, rows: self.criteria(target, rows, criteria)

    # -- paths -------------------------------------------------------------

    def step(self, entity_type: EntityType,
             text: str) -> Tuple[Attribute, Optional[EntityType]]:
        """The attribute a path step names on *entity_type*, and the type it is cast to."""
        if text[-1] != "]":
            return self.attribute(entity_type, text), None
        name, cast = ast.split_step(text)
        attribute = self.attribute(entity_type, name)
        return attribute, self.cast(entity_type, attribute, cast)

    def cast(self, owner: EntityType, attribute: Attribute, name: str) -> EntityType:
        """The entity type *name* that *owner*'s relation *attribute* is cast to.

        It must be the relation's target type or one of its subtypes.
        """
        relation = attribute.relation
        target = (relation.target or attribute.target) if relation is not None else None
        described = 'Cannot cast "{0}" of type "{1}" to "{2}": '.format(
            attribute.name, owner.name, name)
        if attribute.kind == "scalar" or not target:
            raise ValidationError(described + '"{0}" is not a relation.'.format(attribute.name))
        if name not in self.schema:
            raise UnknownEntityTypeError(
                described + 'entity type "{0}" does not exist.'.format(name))
        cast = self.schema.types[name]
        if not cast.is_a(target):
            raise ValidationError(described + '"{0}" refers to "{1}", and "{2}" is not "{1}" '
                                  'or one of its subtypes.'.format(attribute.name, target, name))
        return cast

    def check_casts(self, entity_type: EntityType, path: ast.Path) -> None:
        """Refuse the casts of a projection path that name no fitting type.

        Attribute names are checked by the loader (which also accepts the
        attributes of subtypes); here each cast must fit its relation.
        """
        current: Optional[EntityType] = entity_type
        for text in path:
            name, cast = ast.split_step(text)
            attribute = current.attributes.get(name)
            for subtype in current.subtypes:
                if attribute is not None:
                    break
                attribute = self.schema.types[subtype].attributes.get(name)
            if attribute is None:
                return
            if cast is not None:
                current = self.cast(current, attribute, cast)
                continue
            target = attribute.relation.target if attribute.relation is not None else None
            current = self.schema.types.get(target or attribute.target or "")
            if current is None:
                return

    def walk(self, entity_type: EntityType, table: sa.FromClause, path: ast.Path,
             final: Final) -> sa.ColumnElement:
        """Follow the relations of *path* and apply *final* to its last step."""
        attribute, cast = self.step(entity_type, path[0])
        if len(path) == 1:
            return final(entity_type, table, attribute, cast)
        rest = path[1:]
        key = self.key_alias(attribute, rest) if cast is None else None
        if key is not None:
            return final(entity_type, table, key, None)
        return self.follow(entity_type, table, attribute,
                           lambda target, alias: self.walk(target, alias, rest, final), cast)

    def follow(self, owner: EntityType, table: sa.FromClause, attribute: Attribute,
               inner: Inner, cast: Optional[EntityType] = None) -> sa.ColumnElement:
        """A condition: some row related to *table* through *attribute* satisfies *inner*.

        With *cast*, only related rows of that type (or its subtypes) count.
        """
        def nested(target_type: EntityType, target: sa.FromClause) -> Optional[sa.ColumnElement]:
            return self.deeper(1, lambda: inner(target_type, target))

        relation = attribute.relation
        if attribute.kind == "scalar" or relation is None:
            raise ValidationError(
                'Attribute "{0}" of type "{1}" is not a relation; it cannot be followed '
                'or used with "has"/"any".'.format(attribute.name, owner.name))
        if relation.kind == "derived":
            if relation.derived == "custom_attributes":
                return self.custom_attributes(owner, table, attribute, nested, cast)
            if relation.derived in ("ancestors", "descendants"):
                return self.lineage(owner, table, attribute, nested, cast)
            if relation.derived == "latest_version" and "id" in table.c:
                target_type = cast or self.schema.get(relation.target)
                target = self.alias(target_type)
                return _exists(self.latest_version(owner, table, target_type, target)
                               + [nested(target_type, target)])
            raise _not_queryable(owner, attribute)
        target_type = cast or self.schema.get(relation.target or attribute.target)
        target = self.alias(target_type)
        if (relation.kind == "many_to_one" and len(target_type.primary_key) == 1
                and relation.local_column in table.c):
            # Uncorrelated: "local IN (SELECT id …)" lets the database drive the
            # outer rows from the local column's index when few targets match.
            local = table.c[relation.local_column]
            conditions = [self.type_filter(target, target_type), nested(target_type, target)]
            matches = sa.select(_key(target_type, target)).where(
                *[c for c in conditions if c is not None])
            return sa.and_(local.is_not(None), local.in_(matches))
        conditions = self.join(owner, table, attribute, target_type, target)
        return _exists(conditions + [self.type_filter(target, target_type),
                                     nested(target_type, target)])

    def join(self, owner: EntityType, table: sa.FromClause, attribute: Attribute,
             target_type: EntityType, target: sa.FromClause) -> List[sa.ColumnElement]:
        """Conditions pairing rows of *table* with related rows of *target*."""
        relation = attribute.relation
        if relation.kind == "many_to_one":
            return [_key(target_type, target) == table.c[relation.local_column]]
        if relation.kind == "one_to_many":
            conditions = [target.c[relation.remote_column] == _key(owner, table)]
            conditions += [target.c[column] == value for column, value in relation.where]
            return conditions
        if relation.kind == "many_to_many":
            if relation.link_type is not None:
                link = self.alias(self.schema.get(relation.link_type))
                conditions = []
            else:
                link = self.storage.link.alias()
                conditions = [link.c.name == relation.link_name]
            return conditions + [link.c[relation.owner_column] == _key(owner, table),
                                 link.c[relation.target_column] == _key(target_type, target)]
        raise _not_queryable(owner, attribute)

    def latest_version(self, owner: EntityType, table: sa.FromClause,
                       target_type: EntityType, target: sa.FromClause) -> List[sa.ColumnElement]:
        """Conditions making *target* the latest version of the asset rows of *table*.

        As the loader computes it: the highest ``version`` (none counts as 0),
        and of equal ones the last created.
        """
        return [target.c.asset_id == _key(owner, table), self.type_filter(target, target_type),
                sa.not_(self.newer_version(target))]

    def newer_version(self, version: sa.FromClause) -> sa.ColumnElement:
        """EXISTS a version of the same asset that is later than the row of *version*."""
        return self.deeper(1, lambda: self._newer_version(version))

    def _newer_version(self, version: sa.FromClause) -> sa.ColumnElement:
        versions = self.schema.get("AssetVersion")
        newer = self.alias(versions)
        mine = sa.func.coalesce(version.c.version, 0)
        theirs = sa.func.coalesce(newer.c.version, 0)
        return _exists([newer.c.asset_id == version.c.asset_id, self.type_filter(newer, versions),
                        sa.or_(theirs > mine, sa.and_(theirs == mine,
                                                      newer.c[SEQ] > version.c[SEQ]))])

    def custom_attributes(self, owner: EntityType, table: sa.FromClause, attribute: Attribute,
                          inner: Inner, cast: Optional[EntityType] = None) -> sa.ColumnElement:
        """EXISTS over the stored value rows of *owner* (ids are unique: no type filter)."""
        value_type = cast or self.schema.get(attribute.relation.target)
        rows = self.alias(value_type)
        restriction = self.type_filter(rows, cast) if cast is not None else None
        return _exists([rows.c.entity_id == _key(owner, table), restriction,
                        inner(value_type, rows)])

    def lineage(self, owner: EntityType, table: sa.FromClause, attribute: Attribute,
                inner: Inner, cast: Optional[EntityType] = None) -> sa.ColumnElement:
        """``ancestors``/``descendants``: the owner's id among the matching rows' relatives.

        The recursion starts from the matching rows (not from every row of
        the table): ``ancestors any (…)`` walks down ``parent_id`` from the
        matches, ``descendants any (…)`` walks up from them.
        """
        base = self.storage.table(owner)
        if "parent_id" not in base.c:
            raise _not_queryable(owner, attribute)
        target_type = cast or self.schema.get(attribute.relation.target)
        target = self.alias(target_type)
        conditions = [self.type_filter(target, target_type), inner(target_type, target)]
        conditions = [c for c in conditions if c is not None]
        step = base.alias()
        if attribute.relation.derived == "ancestors":
            # Strict descendants of the matches: their children, recursively.
            first = base.alias()
            matches = sa.select(_key(target_type, target)).where(*conditions)
            found = sa.select(first.c.id.label("id")).where(
                first.c.parent_id.in_(matches)).cte(recursive=True)
            found = found.union(sa.select(step.c.id).where(step.c.parent_id == found.c.id))
        else:
            # Strict ancestors of the matches: their parents, recursively.
            # The step is a scalar sub-query per found row (an index look-up):
            # as a join, SQLite may build a Bloom filter over the whole table.
            found = sa.select(target.c.parent_id.label("id")).where(
                target.c.parent_id.is_not(None), *conditions).cte(recursive=True)
            parent = sa.select(step.c.parent_id).where(step.c.id == found.c.id).scalar_subquery()
            found = found.union(sa.select(parent).where(found.c.id.is_not(None)))
        return _key(owner, table).in_(sa.select(found.c.id).where(found.c.id.is_not(None)))

    # -- attributes and values ---------------------------------------------

    def attribute(self, entity_type: EntityType, name: str) -> Attribute:
        """*entity_type*'s attribute *name*, or that of its subtypes stored with it.

        ``Appointment where resource.username is "…"`` filters on an attribute
        only users have: rows of other subtypes simply do not match.
        """
        attribute = entity_type.attributes.get(name)
        if attribute is None:
            attribute = self.subtype_attribute(entity_type, name)
        if attribute is None:
            raise UnknownAttributeError('Attribute "{0}" does not exist on type "{1}".'.format(
                name, entity_type.name))
        return attribute

    def subtype_attribute(self, entity_type: EntityType, name: str) -> Optional[Attribute]:
        """The attribute *name* that the subtypes sharing *entity_type*'s table agree on."""
        found = []
        for subtype_name in entity_type.subtypes:
            subtype = self.schema.get(subtype_name)
            candidate = subtype.attributes.get(name)
            if candidate is not None and subtype.table == entity_type.table:
                found.append(candidate)
        if not found:
            return None
        first = found[0]
        if any((item.kind, item.column, item.relation) != (first.kind, first.column, first.relation)
               for item in found[1:]):
            return None
        return first

    def key_alias(self, attribute: Attribute, rest: ast.Path) -> Optional[Attribute]:
        """For ``<reference>.id``: the owner's key column as a string attribute, else None."""
        relation = attribute.relation
        if attribute.kind != "reference" or relation is None or relation.kind != "many_to_one":
            return None
        target = self.schema.get(relation.target)
        if tuple(rest) != target.primary_key[:1] or len(target.primary_key) != 1:
            return None
        return Attribute(name="{0}.{1}".format(attribute.name, rest[0]), kind="scalar",
                         value_type="string", column=relation.local_column)

    def column(self, entity_type: EntityType, table: sa.FromClause,
               attribute: Attribute, purpose: str = "a query condition") -> sa.ColumnElement:
        """The SQL value of a scalar (or of a reference's key column)."""
        if attribute.kind == "reference":
            relation = attribute.relation
            if relation is None or relation.kind != "many_to_one":
                raise _not_queryable(entity_type, attribute, purpose)
            return table.c[relation.local_column]
        if attribute.kind != "scalar":
            raise ValidationError(
                'Attribute "{0}" of type "{1}" is a collection and cannot be used in {2} '
                'by itself; use "{0} any (…)" or a path such as "{0}.id".'.format(
                    attribute.name, entity_type.name, purpose))
        if attribute.relation is not None and attribute.relation.kind == "derived":
            value = self.deeper(1, lambda: self.derived(table, attribute))
            if value is None:
                raise _not_queryable(entity_type, attribute, purpose)
            return value
        if attribute.column is None or attribute.column not in table.c:
            raise _not_queryable(entity_type, attribute, purpose)
        column = table.c[attribute.column]
        if attribute.name == "key" and entity_type.is_a("CustomAttributeValue"):
            self.deeper(1, lambda: None)  # the configuration's key is one level deeper
            configurations = self.alias(self.schema.get("CustomConfigurationBase"))
            configured = sa.select(configurations.c.key).where(
                configurations.c.id == table.c.configuration_id).scalar_subquery()
            return sa.func.coalesce(column, configured)
        return column

    def derived(self, table: sa.FromClause, attribute: Attribute) -> Optional[sa.ColumnElement]:
        """The SQL value of a computed scalar, as :mod:`ftrack_local.api.derived` computes it.

        None for those that have no SQL form (``link``, ``thumbnail_url`` …).
        """
        name = attribute.relation.derived
        if name in ("time_logged", "bid_time_logged_difference") and "id" in table.c:
            timelogs = self.storage.tables["timelog"].alias()
            total = sa.select(sa.func.sum(timelogs.c.duration)).where(
                timelogs.c.context_id == table.c.id).scalar_subquery()
            logged = sa.func.coalesce(total, 0.0)
            if name == "time_logged":
                return logged
            if "bid" in table.c:
                return sa.func.coalesce(table.c.bid, 0.0) - logged
        if name == "is_latest_version" and "asset_id" in table.c:
            return _boolean(sa.and_(table.c.asset_id.is_not(None),
                                    sa.not_(self.newer_version(table))))
        if name == "is_open" and "end_date" in table.c:
            return _boolean(sa.or_(table.c.end_date.is_(None), table.c.end_date > storage_now()))
        return None

    def value(self, entity_type: EntityType, table: sa.FromClause, path: ast.Path,
              purpose: str) -> sa.ColumnElement:
        """A single SQL value for *path* (ordering, sub-query projections): references only."""
        attribute, cast = self.step(entity_type, path[0])
        if len(path) == 1:
            if cast is not None:
                raise _cast_at_end(entity_type, attribute, purpose)
            return self.column(entity_type, table, attribute, purpose)
        rest = path[1:]
        key = self.key_alias(attribute, rest) if cast is None else None
        if key is not None:
            return self.column(entity_type, table, key, purpose)
        relation = attribute.relation
        if relation is not None and relation.derived == "latest_version" and "id" in table.c:
            target_type = cast or self.schema.get(relation.target)
            target = self.alias(target_type)
            conditions = self.latest_version(entity_type, table, target_type, target)
        elif attribute.kind == "reference" and relation is not None \
                and relation.kind == "many_to_one":
            target_type = cast or self.schema.get(relation.target)
            target = self.alias(target_type)
            conditions = [_key(target_type, target) == table.c[relation.local_column],
                          self.type_filter(target, target_type)]
        else:
            raise ValidationError(
                'Attribute "{0}" of type "{1}" cannot be followed in {2}: only paths through '
                'references are supported there.'.format(attribute.name, entity_type.name, purpose))
        inner = self.deeper(1, lambda: self.value(target_type, target, rest, purpose))
        return sa.select(inner).where(*[c for c in conditions if c is not None]).scalar_subquery()

    def alias(self, entity_type: EntityType) -> sa.FromClause:
        return self.storage.table(entity_type).alias()

    def type_filter(self, table: sa.FromClause,
                    entity_type: EntityType) -> Optional[sa.ColumnElement]:
        """The rows of *table* that are *entity_type*; None when every row of the table is."""
        family = self.schema.tables.get(entity_type.table, ())
        if set(family) <= set(entity_type.stored_types):
            return None
        return type_filter(table, entity_type)

    # -- comparisons -------------------------------------------------------

    def compare(self, entity_type: EntityType, table: sa.FromClause, attribute: Attribute,
                op: str, value, cast: Optional[EntityType] = None) -> sa.ColumnElement:
        """The condition ``<attribute> <op> <value>`` on rows of *table*."""
        if cast is not None:
            raise _cast_at_end(entity_type, attribute)
        column = self.column(entity_type, table, attribute)
        if attribute.kind == "scalar" and attribute.value_type in _JSON_TYPES:
            return self.compare_json(column, op, value)
        if op in ("in", "not_in"):
            if isinstance(value, ast.Query):
                return self.compare_subquery(column, op, value)
            converted = [_convert(attribute, literal) for literal in value]
            return _in(column, op == "in", converted)
        if isinstance(value, ast.Query) or not isinstance(value, ast.Literal):
            raise ValidationError('Operator "{0}" on "{1}" needs a single value.'.format(
                op, attribute.name))
        if op in ("like", "not_like"):
            return _like(column, attribute, value.value, op == "like")
        if op not in _SCALAR_OPERATORS:
            raise ValidationError('Unknown operator "{0}".'.format(op))
        converted = _convert(attribute, value)
        if converted is None:
            if op == "=":
                return column.is_(None)
            if op == "!=":
                return column.is_not(None)
            return sa.false()  # nothing is ordered relative to null
        if isinstance(converted, bool):  # SQLAlchemy only compares True/False with = and !=
            converted = sa.literal(converted, sa.Boolean())
        return _SCALAR_OPERATORS[op](column, converted)

    def compare_subquery(self, column: sa.ColumnElement, op: str,
                         query: ast.Query) -> sa.ColumnElement:
        if op == "in":
            return column.in_(self.subquery(query))
        return column.not_in(self.subquery(query, skip_null=True))

    def compare_json(self, column: sa.ColumnElement, op: str, value) -> sa.ColumnElement:
        """Compare a JSON column's scalar with literals (see the module documentation)."""
        json = _JsonValue(column)
        if op in ("in", "not_in"):
            if isinstance(value, ast.Query):
                return self.compare_subquery(json.text, op, value)
            match = sa.or_(sa.false(), *(json.equals(literal) for literal in value))
            return match if op == "in" else sa.and_(json.is_set, sa.not_(match))
        if op == "=":
            return json.equals(value)
        if op == "!=":
            if _is_null(value):
                return json.is_set
            return sa.and_(json.is_set, sa.not_(json.equals(value)))
        if op in ("like", "not_like"):
            match = json.text.ilike(_pattern(value.value), escape="\\")
            return match if op == "like" else sa.not_(match)
        if _is_null(value):
            return sa.false()
        compare = _SCALAR_OPERATORS[op]
        number = _number(value.value)
        if number is not None:
            return compare(json.number, number)
        return compare(json.text, _date_text(value.value) or value.value)


# -- helpers -----------------------------------------------------------------

def _key(entity_type: EntityType, table: sa.FromClause) -> sa.ColumnElement:
    """The id column of rows of *entity_type* (the single primary key, else ``id``)."""
    key = entity_type.primary_key
    return table.c[key[0]] if len(key) == 1 else table.c.id


def _exists(conditions: List[Optional[sa.ColumnElement]]) -> sa.ColumnElement:
    present = [condition for condition in conditions if condition is not None]
    return sa.select(sa.literal_column("1")).where(*present).exists()


def _not_queryable(entity_type: EntityType, attribute: Attribute,
                   purpose: str = "a query condition") -> ValidationError:
    return ValidationError('Attribute "{0}" of type "{1}" is computed and cannot be used in '
                           '{2}.'.format(attribute.name, entity_type.name, purpose))


def _too_deep() -> ValidationError:
    return ValidationError(
        "The query nests too deeply: at most {0} levels of related entities and "
        "sub-queries (fewer with nested not/and/or) fit in one statement; "
        "simplify the criteria or split the query.".format(MAX_NESTING))


def _cast_at_end(entity_type: EntityType, attribute: Attribute,
                 purpose: str = "a query condition") -> ValidationError:
    return ValidationError(
        'A cast of "{0}" of type "{1}" must be followed by one of its attributes in {2} '
        '(such as "{0}[…].id") or, in a condition, by "has"/"any".'.format(
            attribute.name, entity_type.name, purpose))


def _boolean(condition: sa.ColumnElement) -> sa.ColumnElement:
    """A boolean value (never NULL) from a SQL condition."""
    return sa.case((condition, sa.true()), else_=sa.false())


def _show_paths(paths) -> str:
    return ", ".join(".".join(path) for path in paths)


def _convert(attribute: Attribute, literal: ast.Literal):
    if not isinstance(literal, ast.Literal):
        raise ValidationError('Invalid value {0!r} for "{1}".'.format(literal, attribute.name))
    return values.from_text(attribute, literal.value, literal.quoted)


def _in(column: sa.ColumnElement, positive: bool, items: list) -> sa.ColumnElement:
    present = [item for item in items if item is not None]
    has_null = len(present) != len(items)
    if positive:
        match = column.in_(present)
        return sa.or_(match, column.is_(None)) if has_null else match
    match = column.not_in(present)
    return sa.and_(match, column.is_not(None)) if has_null else match


_LIKE_ESCAPES = {"\\%": "\\%", "\\": "\\\\", "_": "\\_"}
_LIKE_SPECIAL = re.compile(r"\\%|\\|_")


def _pattern(text: str) -> str:
    """A LIKE pattern where only ``%`` is a wildcard and ``\\%`` a literal ``%``."""
    return _LIKE_SPECIAL.sub(lambda match: _LIKE_ESCAPES[match.group()], text)


def _like(column: sa.ColumnElement, attribute: Attribute, text: str,
          positive: bool) -> sa.ColumnElement:
    if attribute.value_type not in ("string", "json"):
        column = sa.cast(column, sa.Text)
    match = column.ilike(_pattern(text), escape="\\")
    return match if positive else sa.not_(match)


def _is_null(literal) -> bool:
    return (isinstance(literal, ast.Literal) and not literal.quoted
            and literal.value.lower() in _NULLS)


def _number(text: str) -> Optional[float]:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _date_text(text: str) -> Optional[str]:
    """Stored (naive UTC ISO) text of a date-time literal, or None."""
    if not _DATE_LIKE.match(text):
        return None
    try:
        return values.format_datetime(values.parse_datetime(text))
    except ValidationError:
        return None


class _JsonValue:
    """Portable views of a JSON column holding a scalar value."""

    def __init__(self, column: sa.ColumnElement) -> None:
        self.column = column
        self.text = _JsonText(column)
        self.number = _JsonNumber(column)
        self.is_set = sa.and_(column.is_not(None), _JsonType(column) != "null")

    def equals(self, literal: ast.Literal) -> sa.ColumnElement:
        if _is_null(literal):
            return sa.not_(self.is_set)
        text = literal.value
        options = [self.text == text]
        number = _number(text)
        if number is not None:
            options.append(sa.and_(self.number.is_not(None), self.number == number))
        if not literal.quoted and text.lower() in _BOOLEANS and text != text.lower():
            options.append(self.text == text.lower())
        date = _date_text(text)
        if date is not None and date != text:
            options.append(self.text == date)
        return sa.or_(*options)


class _JsonText(functions.FunctionElement):
    """The text of a JSON scalar (booleans as true/false; tagged values: their ``value``)."""

    type = sa.Text()
    name = "json_text"
    inherit_cache = True


class _JsonNumber(functions.FunctionElement):
    """The number held by a JSON value, NULL when it holds something else."""

    type = sa.Float()
    name = "json_number"
    inherit_cache = True


class _JsonType(functions.FunctionElement):
    """The JSON type name of a value (``null`` for a JSON null on every dialect)."""

    type = sa.Text()
    name = "json_kind"
    inherit_cache = True


def _argument(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_JsonText)
def _json_text_sqlite(element, compiler, **kw):
    value = _argument(element, compiler, **kw)
    return ("(CASE json_type({0}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
            "WHEN 'object' THEN CAST(json_extract({0}, '$.value') AS TEXT) "
            "ELSE CAST(json_extract({0}, '$') AS TEXT) END)").format(value)


@compiles(_JsonNumber)
def _json_number_sqlite(element, compiler, **kw):
    value = _argument(element, compiler, **kw)
    return ("(CASE WHEN json_type({0}) IN ('integer', 'real') "
            "THEN CAST(json_extract({0}, '$') AS REAL) END)").format(value)


@compiles(_JsonType)
def _json_type_sqlite(element, compiler, **kw):
    return "json_type({0})".format(_argument(element, compiler, **kw))


def _pg_json(element, compiler, **kw) -> str:
    return "CAST({0} AS JSON)".format(_argument(element, compiler, **kw))


@compiles(_JsonText, "postgresql")
def _json_text_postgresql(element, compiler, **kw):
    value = _pg_json(element, compiler, **kw)
    return ("(CASE json_typeof({0}) WHEN 'object' THEN ({0} ->> 'value') "
            "ELSE ({0} #>> '{{}}') END)").format(value)


@compiles(_JsonNumber, "postgresql")
def _json_number_postgresql(element, compiler, **kw):
    value = _pg_json(element, compiler, **kw)
    return ("(CASE WHEN json_typeof({0}) = 'number' "
            "THEN CAST({0} #>> '{{}}' AS DOUBLE PRECISION) END)").format(value)


@compiles(_JsonType, "postgresql")
def _json_type_postgresql(element, compiler, **kw):
    return "json_typeof({0})".format(_pg_json(element, compiler, **kw))
