"""Typed contexts moving between parents: their subtree follows them into the new project."""

from __future__ import annotations

from typing import Any, Dict, List, Set

import sqlalchemy as sa

from ...schema import EntityType
from ...storage import TYPE, chunks
from .batch import Batch
from .derivations import derive_typed_context
from .rows import Row

#: Columns a typed context may lack until it knows its project.
_WORKFLOW_COLUMNS = ("status_id", "type_id")


def reparent(batch: Batch, row: Row, changes: Dict[str, Any]) -> None:
    """Keep ``project_id`` of a moved typed context (and its subtree) in line with its parent.

    Adds the new ``project_id`` to *changes*. A status or type the context
    lacks is completed at the end of the batch (see :func:`complete_workflow`).
    """
    if row[TYPE] == "Project":
        return
    project_id = batch.related.project_of_context(changes["parent_id"])
    if project_id is None or project_id == row.get("project_id"):
        return
    changes["project_id"] = project_id
    set_subtree_project(batch, [row["id"]], project_id)


def set_subtree_project(batch: Batch, parent_ids: List[Any], project_id: Any) -> None:
    """Move every context below *parent_ids* into project *project_id*."""
    table = batch.storage.tables[batch.schema.types["Context"].table]
    frontier = list(parent_ids)
    seen: Set[Any] = set(frontier)
    while frontier:
        children: List[Any] = []
        for group in chunks(frontier, 500):
            children.extend(batch.connection.execute(
                sa.select(table.c.id).where(table.c.parent_id.in_(group))).scalars())
        children = [c for c in children if c not in seen]
        seen.update(children)
        for group in chunks(children, 500):
            batch.connection.execute(table.update().where(table.c.id.in_(group)).values(project_id=project_id))
        frontier = children
    batch.related.forget_contexts()


def complete_workflow(batch: Batch, table: sa.Table, row_type: EntityType, row: Row) -> None:
    """Fill a status or type a typed context could not get when it was created.

    A context created before it had a parent (attached later in the batch
    through its parent's ``children``) learns its project only then.
    """
    missing = [c for c in _WORKFLOW_COLUMNS if row.get(c) is None]
    if not missing or row.get("project_id") is None:
        return
    values = dict(row)
    derive_typed_context(batch, batch.plans.get(row_type), values)
    found = {c: values[c] for c in missing if values.get(c) is not None}
    if found:
        batch.rows.update(table, row, found, row_type)
