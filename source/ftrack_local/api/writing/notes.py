"""Note recipients and categories the server keeps in line by itself (doc/protocol.rst, "Derived values").

* The request user becomes a recipient of every note it writes; a client
  creating that same recipient afterwards updates it instead of failing.
* A note's category and its labels are two names of one idea: a note
  labelled while it has no category takes its first label as category; a
  note losing the label that was its category takes its next label, or none.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import sqlalchemy as sa

from ...storage import SEQ, TYPE
from .batch import Batch
from .rows import Row


def add_author_recipient(batch: Batch, note: Row) -> None:
    """Make the request user a recipient of the new *note*."""
    if batch.user_id is None:
        return
    plan = batch.plans.named("Recipient")
    pair = (note["id"], batch.user_id)
    if batch.rows.find(plan, {"note_id": pair[0], "resource_id": pair[1]}) is not None:
        return
    values = {"note_id": pair[0], "resource_id": pair[1], TYPE: plan.entity_type.name}
    batch.rows.record_row("add", plan.entity_type, batch.rows.insert(plan, values))
    batch.auto_recipients.add(pair)


def claim_auto_recipient(batch: Batch, values: Dict[str, Any]) -> Optional[Tuple[Any, Any]]:
    """The key of the recipient the server added for these *values*, once (None when there is none)."""
    pair = (values.get("note_id"), values.get("resource_id"))
    if pair not in batch.auto_recipients:
        return None
    batch.auto_recipients.discard(pair)
    return pair


def categorise_note(batch: Batch, note_id: Any, removed_label: Any = None) -> None:
    """Keep the category of note *note_id* in line with its labels."""
    note_plan = batch.plans.named("Note")
    note = batch.rows.find(note_plan, {"id": note_id})
    if note is None:
        return
    current = note.get("category_id")
    if current is not None and current != removed_label:
        return
    table = batch.plans.named("NoteLabelLink").table
    category = batch.connection.execute(
        sa.select(table.c.label_id).where(table.c.note_id == note_id)
        .order_by(table.c[SEQ]).limit(1)).scalar()
    if category != current:
        batch.rows.update(note_plan.table, note, {"category_id": category}, batch.rows.type(note[TYPE]))
