"""Collections written as complete memberships (doc/protocol.rst, "Batches").

A one-to-many collection points every member's foreign key at the owner; a
many-to-many collection adds the missing links and removes the others.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import sqlalchemy as sa

from ...errors import NotFoundError, ValidationError
from ...schema import Attribute, EntityType
from ...storage import SEQ, TYPE, type_filter
from .batch import Batch
from .defaults import fill_creation_stamp, fill_literal_defaults
from .hierarchy import reparent
from .parsing import coerce_key, same, show_key
from .removal import remove
from .rows import Row

#: A member as (its type, its coerced key).
Member = Tuple[EntityType, Dict[str, Any]]


def write_collection(batch: Batch, owner: EntityType, owner_name: str, row: Row, attribute: Attribute,
                     members: List[Any]) -> None:
    """Make *members* the complete content of the collection *attribute* of *row*."""
    relation = attribute.relation
    owner_id = row.get("id")
    if owner_id is None:
        raise ValidationError('Collection "{0}" of "{1}" cannot be written.'.format(attribute.name, owner.name))
    target = batch.schema.types[relation.target]
    refs = [_member(batch, owner, attribute, target, member) for member in members]
    if relation.kind == "one_to_many":
        _write_one_to_many(batch, owner_name, owner_id, attribute, target, refs)
    elif relation.kind == "many_to_many":
        _write_many_to_many(batch, owner_id, attribute, refs)


def _member(batch: Batch, owner: EntityType, attribute: Attribute, target: EntityType, member: Any) -> Member:
    if isinstance(member, str) and target.primary_key == ("id",):
        return target, {"id": member}
    if not isinstance(member, dict):
        raise ValidationError('Members of "{0}" of "{1}" must be entity references.'.format(
            attribute.name, owner.name))
    sent = member.get("__entity_type__")
    member_type = batch.schema.types.get(sent) if isinstance(sent, str) else None
    if member_type is None or member_type.table != target.table:
        member_type = target
    try:
        key = coerce_key(member_type, [member.get(name) for name in member_type.primary_key])
    except ValidationError:
        raise ValidationError('A member of "{0}" of "{1}" lacks its key ({2}).'.format(
            attribute.name, owner.name, ", ".join(member_type.primary_key))) from None
    return member_type, key


def _write_one_to_many(batch: Batch, owner_name: str, owner_id: Any, attribute: Attribute,
                       target: EntityType, refs: List[Member]) -> None:
    relation = attribute.relation
    table = batch.storage.table(target)
    changes: Dict[str, Any] = {relation.remote_column: owner_id}
    for column, value in relation.where:
        if column in table.c:
            changes[column] = value
    if relation.remote_column == "parent_id" and "parent_type" in table.c:
        changes["parent_type"] = owner_name
    moved_contexts = []
    for member_type, key in refs:
        row = batch.rows.find(batch.plans.get(member_type), key)
        if row is None:
            raise NotFoundError('{0} with key "{1}" does not exist (member of "{2}").'.format(
                member_type.name, show_key(key.values()), attribute.name))
        update = {c: v for c, v in changes.items() if not same(row.get(c), v)}
        if not update:
            continue
        known = row[TYPE] in batch.schema.types
        batch.rows.update(table, row, update, batch.rows.type(row[TYPE]) if known else None)
        batch.rows.touched.setdefault((table.name, row[SEQ]), row[TYPE])
        if target.is_a("Context") and "parent_id" in update:
            moved_contexts.append(row)
    for row in moved_contexts:
        moved = {"parent_id": owner_id}
        reparent(batch, row, moved)
        del moved["parent_id"]
        if moved:
            batch.connection.execute(table.update().where(table.c[SEQ] == row[SEQ]).values(**moved))
    if moved_contexts:
        batch.related.forget_contexts()


def _write_many_to_many(batch: Batch, owner_id: Any, attribute: Attribute, refs: List[Member]) -> None:
    relation = attribute.relation
    wanted: List[Any] = []
    for _, key in refs:
        if key.get("id") not in wanted:
            wanted.append(key.get("id"))
    if relation.link_type:
        link_type = batch.schema.types[relation.link_type]
        table = batch.plans.get(link_type).table
        condition = type_filter(table, link_type)
        extra = [condition] if condition is not None else []
    else:
        link_type = None
        table = batch.storage.link
        extra = [table.c["name"] == relation.link_name]
    existing = [dict(r) for r in batch.connection.execute(
        sa.select(table).where(table.c[relation.owner_column] == owner_id, *extra)
        .order_by(table.c[SEQ])).mappings()]
    present = {r[relation.target_column] for r in existing}
    obsolete = [r for r in existing if r[relation.target_column] not in set(wanted)]
    missing = [member_id for member_id in wanted if member_id not in present]
    if link_type is None:
        _relink_plain(batch, table, attribute, owner_id, obsolete, missing)
    else:
        if obsolete:
            remove(batch, table, obsolete, direct=False)
        for member_id in missing:
            _add_link(batch, link_type, {relation.owner_column: owner_id, relation.target_column: member_id})


def _relink_plain(batch: Batch, table: sa.Table, attribute: Attribute, owner_id: Any,
                  obsolete: List[Row], missing: List[Any]) -> None:
    """Update links kept in the storage's plain link table (no entity type of their own)."""
    relation = attribute.relation
    if obsolete:
        batch.connection.execute(table.delete().where(table.c[SEQ].in_([r[SEQ] for r in obsolete])))
    for member_id in missing:
        batch.connection.execute(table.insert(), {
            "name": relation.link_name, relation.owner_column: owner_id, relation.target_column: member_id})


def _add_link(batch: Batch, link_type: EntityType, values: Dict[str, Any]) -> None:
    """Create one link entity between an owner and a member."""
    plan = batch.plans.get(link_type)
    batch.rows.fill_key(plan, values, None)
    fill_literal_defaults(plan, values)
    fill_creation_stamp(plan, values, batch.user_id)
    values[TYPE] = link_type.name
    batch.rows.add(plan, values, link_type)
