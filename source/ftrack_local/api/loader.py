"""Turning stored rows into entity objects with their projections, in batches.

A projection list (``name, status.state.short, parent.name``) becomes a
tree. Rows of one level are serialised together: each relation at that
level is loaded with one query for all rows (chunked for long id lists),
never one query per row.
"""

from collections import defaultdict
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from ..errors import UnknownAttributeError, ValidationError
from ..schema import Attribute, EntityType, Relation
from ..storage import SEQ, TYPE, Storage, chunks, type_filter
from ..values import to_wire
from . import derived

Tree = Dict[str, "Tree"]
Row = Dict[str, Any]
#: ``component_url(purpose, component_id)``: the URL reading (``get``) or
#: showing (``thumbnail``) a component's data as the asking user.
ComponentUrl = Callable[[str, str], str]

#: Extra attributes always sent with an entity (discriminators the client
#: relies on), besides the schema's system projections.
_ALWAYS = {"TypedContext": ("object_type_id", "project_id", "context_type"),
           "Project": ("context_type",)}


def projection_tree(paths: Iterable[Sequence[str]]) -> Tree:
    """``[("status", "state", "short"), ("name",)]`` -> nested dict.

    Casts (``parent[Shot]``) only make the type's attributes selectable (the
    query compiler checks them); the tree holds the plain attribute names.
    """
    tree: Tree = {}
    for path in paths:
        node = tree
        for name in path:
            if name.endswith("]"):
                name = name.partition("[")[0]
            node = node.setdefault(name, {})
    return tree


class Loader:
    """Serialises rows of a request; holds the connection and request context.

    *component_url* makes the URLs of component data the asking user
    *username* reads (``url`` and ``thumbnail_url``); without one they point
    at *server_url* with no credentials.
    """

    def __init__(self, storage: Storage, connection: sa.Connection, server_url: str = "",
                 username: str = "", component_url: Optional[ComponentUrl] = None) -> None:
        self.storage = storage
        self.schema = storage.schema
        self.connection = connection
        self.server_url = server_url
        self.username = username
        self.component_url: ComponentUrl = component_url or self._anonymous_url
        #: An extra condition on the rows relations load: ``restriction(type,
        #: table)`` leaves out rows the asking user may not read (None: all rows).
        self.restriction: Optional[Callable[[EntityType, sa.FromClause],
                                            Optional[sa.ColumnElement]]] = None
        self._always: Dict[str, Tuple[str, ...]] = {}

    def _anonymous_url(self, purpose: str, component_id: str) -> str:
        return "{0}/component/{1}?id={2}".format(self.server_url.rstrip("/"), purpose, component_id)

    # -- entry points -------------------------------------------------------

    def validate_tree(self, entity_type: EntityType, tree: Tree) -> None:
        """Refuse projections naming attributes no type of the family has."""
        for name, subtree in tree.items():
            attribute = self._find_attribute(entity_type, name)
            if attribute is None:
                if name in entity_type.raw.get("default_projections", ()) or name in entity_type.raw.get(
                        "required", ()):
                    continue
                raise UnknownAttributeError('Attribute "{0}" does not exist on type "{1}".'.format(
                    name, entity_type.name))
            if subtree:
                if attribute.kind == "scalar":
                    raise ValidationError('Cannot select "{0}.{1}": "{0}" of "{2}" is not a relation.'.format(
                        name, next(iter(subtree)), entity_type.name))
                target = self.schema.types.get(attribute.target or "")
                if target is not None:
                    self.validate_tree(target, subtree)

    def serialize(self, rows: List[Row], tree: Tree, entity_type: Optional[EntityType] = None) -> List[dict]:
        """Entity objects for *rows* (each tagged with its own most specific type)."""
        if not rows:
            return []
        out = [self._base(row, entity_type) for row in rows]
        if tree:
            self._fill(rows, out, tree, entity_type)
        return out

    def serialize_full(self, entity_type: EntityType, row: Row, sent: Iterable[str] = ()) -> dict:
        """Every stored scalar of *row* plus the attributes *sent* (a job's full answer)."""
        row_type = self.row_type(row, entity_type)
        tree: Tree = {a.name: {} for a in row_type.attributes.values() if a.stored}
        for name in sent:
            attribute = row_type.attributes.get(name)
            if attribute is not None and not attribute.restricted and name not in tree:
                tree[name] = {}
        return self.serialize([row], tree, entity_type)[0]

    def serialize_written(self, requested: EntityType, row: Row, sent: Iterable[str],
                          created: bool, changed: Iterable[str] = ()) -> dict:
        """The answer to ``create`` and ``update``: what a real server sends back.

        Always the primary key and the system projections; then the
        attributes *sent*, as stored (with the foreign key of each reference
        sent), and those of the columns *changed* (an update's side effects,
        such as a job's ``finished_at``); for a *created* row also every
        other stored scalar the server filled with a value (defaults,
        derived values). Attributes that stayed empty and were not sent are
        left out, so a client still sees them as not fetched. The answer
        names the type the client wrote (``Component`` when it created a
        ``Component`` the server stores as a ``FileComponent``).
        """
        row_type = self.row_type(row, requested)
        tree: Tree = {}
        columns = set(changed)
        for name in sent:
            attribute = row_type.attributes.get(name)
            if attribute is not None and not attribute.restricted:
                tree[name] = {}
                relation = attribute.relation
                if attribute.kind == "reference" and relation is not None and relation.kind == "many_to_one":
                    columns.add(relation.local_column)
        if columns:
            # A reference sent is also a change of its foreign key (``status`` and ``status_id``).
            for attribute in row_type.attributes.values():
                if attribute.stored and attribute.column in columns:
                    tree.setdefault(attribute.name, {})
        if created:
            for attribute in row_type.attributes.values():
                if attribute.stored and row.get(attribute.column) is not None:
                    tree.setdefault(attribute.name, {})
        entity = self.serialize([row], tree, requested)[0]
        if row_type is not requested and requested.name in self.schema.types:
            entity = {name: value for name, value in entity.items()
                      if name == "__entity_type__" or name in requested.attributes}
            entity["__entity_type__"] = requested.name
        return entity

    # -- rows -----------------------------------------------------------------

    def row_type(self, row: Row, requested: Optional[EntityType] = None) -> EntityType:
        """The entity type to report for *row*: *requested* when it stands for itself, else the row's own type."""
        if requested is not None and requested.report_as_self:
            return requested
        return self.schema.types[row[TYPE]]

    def fetch(self, entity_type: EntityType, column: str, values: Iterable[Any],
              where: Tuple[Tuple[str, Any], ...] = ()) -> List[Row]:
        """Rows of *entity_type* whose *column* is in *values*, in insertion order."""
        table = self.storage.table(entity_type)
        unique = list(dict.fromkeys(v for v in values if v is not None))
        found: List[Row] = []
        condition = type_filter(table, entity_type)
        extra = [table.c[name] == value for name, value in where if name in table.c]
        if self.restriction is not None:
            allowed = self.restriction(entity_type, table)
            if allowed is not None:
                extra.append(allowed)
        for batch in chunks(unique, 900):
            clauses = [table.c[column].in_(batch)] + extra
            if condition is not None:
                clauses.append(condition)
            statement = sa.select(table).where(*clauses).order_by(table.c[SEQ])
            found.extend(dict(r) for r in self.connection.execute(statement).mappings())
        if len(unique) > 900:
            found.sort(key=lambda r: r[SEQ])
        return found

    # -- serialisation internals ------------------------------------------------

    def _find_attribute(self, entity_type: EntityType, name: str) -> Optional[Attribute]:
        attribute = entity_type.attributes.get(name)
        if attribute is None:
            for subtype in entity_type.subtypes:
                attribute = self.schema.types[subtype].attributes.get(name)
                if attribute is not None:
                    break
        return attribute

    def _always_for(self, row_type: EntityType) -> Tuple[str, ...]:
        names = self._always.get(row_type.name)
        if names is None:
            extra: Tuple[str, ...] = ()
            for base, attrs in _ALWAYS.items():
                if row_type.is_a(base):
                    extra = attrs
            names = tuple(dict.fromkeys(row_type.primary_key + row_type.system_projections + extra))
            names = tuple(n for n in names if n in row_type.attributes and row_type.attributes[n].stored)
            self._always[row_type.name] = names
        return names

    def _base(self, row: Row, requested: Optional[EntityType]) -> dict:
        row_type = self.row_type(row, requested)
        entity = {"__entity_type__": row_type.name}
        for name in self._always_for(row_type):
            entity[name] = _wire(row_type.attributes[name], row.get(name))
        return entity

    def _fill(self, rows: List[Row], out: List[dict], tree: Tree, requested: Optional[EntityType]) -> None:
        # Group rows by their reported type: attributes differ across a family.
        groups: Dict[str, List[int]] = defaultdict(list)
        for index, row in enumerate(rows):
            groups[self.row_type(row, requested).name].append(index)
        for type_name, indexes in groups.items():
            row_type = self.schema.types[type_name]
            group_rows = [rows[i] for i in indexes]
            group_out = [out[i] for i in indexes]
            for name, subtree in tree.items():
                attribute = row_type.attributes.get(name)
                if attribute is None:
                    continue
                self._project(row_type, attribute, group_rows, group_out, subtree)

    def _project(self, owner: EntityType, attribute: Attribute, rows: List[Row], out: List[dict],
                 subtree: Tree) -> None:
        name = attribute.name
        if attribute.stored:
            for row, entity in zip(rows, out):
                entity[name] = _wire(attribute, row.get(attribute.column))
            return
        relation = attribute.relation
        if relation is None:
            return
        if relation.kind == "derived":
            values = derived.compute(self, owner, attribute, rows)
            if attribute.kind == "scalar":
                for entity, value in zip(out, values):
                    entity[name] = value
                return
            self._attach_related(attribute, values, out, subtree)
            return
        related = self._related_rows(owner, attribute, relation, rows)
        self._attach_related(attribute, related, out, subtree)

    def _attach_related(self, attribute: Attribute, related: List[Any], out: List[dict], subtree: Tree) -> None:
        """*related* holds per owner row: a row (references) or a list of rows."""
        target = self.schema.types.get(attribute.target or "")
        if not subtree and target is not None:
            subtree = self._default_tree(target)
        if attribute.kind == "reference":
            present = [r for r in related if r is not None]
            serialised = self._serialize_unique(present, subtree, target)
            for entity, row in zip(out, related):
                entity[attribute.name] = None if row is None else serialised[_identity(row)]
            return
        flat = [r for members in related for r in members]
        serialised = self._serialize_unique(flat, subtree, target)
        for entity, members in zip(out, related):
            entity[attribute.name] = [serialised[_identity(r)] for r in members]

    def _default_tree(self, target: EntityType) -> Tree:
        """What a relation projected without a sub-path carries: the target's stored default projections."""
        return {name: {} for name in target.default_projections
                if name in target.attributes and target.attributes[name].kind == "scalar"}

    def _serialize_unique(self, rows: List[Row], subtree: Tree, target: Optional[EntityType]) -> Dict[Any, dict]:
        unique: Dict[Any, Row] = {}
        for row in rows:
            unique.setdefault(_identity(row), row)
        values = list(unique.values())
        objects = self.serialize(values, subtree, target if target is not None and target.report_as_self else None)
        return {key: obj for key, obj in zip(unique.keys(), objects)}

    def _related_rows(self, owner: EntityType, attribute: Attribute, relation: Relation,
                      rows: List[Row]) -> List[Any]:
        target = self.schema.types[relation.target]
        if relation.kind == "many_to_one":
            keys = [row.get(relation.local_column) for row in rows]
            by_id = {r["id"]: r for r in self.fetch(target, "id", keys)} if "id" in target.primary_key or \
                target.primary_key == ("id",) else {}
            if not by_id and target.primary_key != ("id",):
                by_id = {r[target.primary_key[0]]: r for r in self.fetch(target, target.primary_key[0], keys)}
            return [by_id.get(key) for key in keys]
        owner_key = owner.primary_key[0]
        owner_ids = [row.get(owner_key) for row in rows]
        grouped: Dict[Any, List[Row]] = defaultdict(list)
        if relation.kind == "one_to_many":
            for member in self.fetch(target, relation.remote_column, owner_ids, relation.where):
                grouped[member[relation.remote_column]].append(member)
        elif relation.kind == "many_to_many":
            pairs = self._link_pairs(relation, owner_ids)
            members = {r["id"]: r for r in self.fetch(target, "id", (p[1] for p in pairs))}
            for owner_id, member_id in pairs:
                if member_id in members:
                    grouped[owner_id].append(members[member_id])
        return [grouped.get(owner_id, []) for owner_id in owner_ids]

    def _link_pairs(self, relation: Relation, owner_ids: List[Any]) -> List[Tuple[Any, Any]]:
        if relation.link_type:
            table = self.storage.table(self.schema.types[relation.link_type])
            condition = []
        else:
            table = self.storage.link
            condition = [table.c["name"] == relation.link_name]
        owner_column = table.c[relation.owner_column]
        target_column = table.c[relation.target_column]
        pairs: List[Tuple[Any, Any]] = []
        for batch in chunks([i for i in owner_ids if i is not None], 900):
            statement = sa.select(owner_column, target_column).where(
                owner_column.in_(batch), *condition).order_by(table.c[SEQ])
            pairs.extend((a, b) for a, b in self.connection.execute(statement))
        return pairs


def _identity(row: Row) -> Tuple[Any, ...]:
    return (row.get(TYPE), row.get(SEQ), row.get("id"), row.get("configuration_id"), row.get("entity_id"))


def _wire(attribute: Attribute, value: Any) -> Any:
    """The JSON form of a stored scalar (only date-times need converting)."""
    if value is not None and attribute.value_type == "datetime":
        return to_wire(attribute, value)
    return value
