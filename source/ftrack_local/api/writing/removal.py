"""Deleting rows together with what depends on them, by the rules of :mod:`.cascades`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Optional, Set

import sqlalchemy as sa

from ...errors import IntegrityError
from ...schema import EntityType
from ...storage import SEQ, TYPE, chunks, type_filter
from .batch import Batch
from .cascades import DETACH, REFUSE, REFUSE_DIRECT, Cascade
from .rows import Place, Row


def remove(batch: Batch, table: sa.Table, rows: List[Row], direct: bool,
           removing: Optional[Set[Place]] = None) -> None:
    """Delete *rows* of *table* after applying the cascade rules of their types.

    *direct* tells a requested delete from one reached by a cascade;
    *removing* holds the rows this delete already covers (cycles stop there).
    """
    removing = set() if removing is None else removing
    rows = [r for r in rows if (table.name, r[SEQ]) not in removing]
    if not rows:
        return
    removing.update((table.name, r[SEQ]) for r in rows)
    by_type: Dict[str, List[Row]] = defaultdict(list)
    for row in rows:
        by_type[row[TYPE]].append(row)
    for type_name, group in by_type.items():
        entity_type = batch.schema.types.get(type_name)
        ids = [r.get("id") for r in group if r.get("id") is not None]
        if entity_type is not None and ids:
            _remove_dependents(batch, entity_type, ids, direct, removing)
    for seqs in chunks([r[SEQ] for r in rows], 500):
        batch.connection.execute(table.delete().where(table.c[SEQ].in_(seqs)))
    for row in rows:
        batch.rows.touched.pop((table.name, row[SEQ]), None)
        removed_type = batch.schema.types.get(row[TYPE])
        if removed_type is not None:
            batch.rows.record_row("remove", removed_type, row)


def _remove_dependents(batch: Batch, entity_type: EntityType, ids: List[Any], direct: bool,
                       removing: Set[Place]) -> None:
    """Apply the cascades of *entity_type* to rows *ids*, then drop their plain links."""
    for rule in batch.plans.get(entity_type).cascades:
        _apply_cascade(batch, entity_type, rule, ids, direct, removing)
    link = batch.storage.link
    for group in chunks(ids, 400):
        batch.connection.execute(link.delete().where(sa.or_(link.c.from_id.in_(group), link.c.to_id.in_(group))))


def _apply_cascade(batch: Batch, owner: EntityType, rule: Cascade, ids: List[Any], direct: bool,
                   removing: Set[Place]) -> None:
    """Apply one :class:`.cascades.Cascade` rule to the dependents of the owner rows *ids*."""
    target = batch.schema.types.get(rule.target)
    if target is None:
        return
    table = batch.storage.table(target)
    if rule.column not in table.c:
        return
    condition = type_filter(table, target)
    for group in chunks(ids, 400):
        clauses = [table.c[rule.column].in_(group)]
        if condition is not None:
            clauses.append(condition)
        if rule.action in (REFUSE, REFUSE_DIRECT) and (rule.action == REFUSE or direct):
            found = batch.connection.execute(sa.select(table.c[rule.column]).where(*clauses).limit(1)).scalar()
            if found is not None:
                raise IntegrityError('Cannot delete {0} "{1}": it still has {2}.'.format(
                    owner.name, found, rule.label or rule.target))
        elif rule.action == DETACH:
            batch.connection.execute(table.update().where(*clauses).values(**{rule.column: None}))
        else:
            dependents = [dict(r) for r in batch.connection.execute(sa.select(table).where(*clauses)).mappings()]
            if dependents:
                remove(batch, table, dependents, direct=False, removing=removing)
