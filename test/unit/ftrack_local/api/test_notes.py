"""Note recipients and categories (:mod:`ftrack_local.api.writing.notes`) on a real SQLite database."""

import uuid

import sqlalchemy as sa

from ftrack_local.api.writing import notes
from ftrack_local.storage import TYPE


def insert(batch, type_name, **values):
    plan = batch.plans.named(type_name)
    return batch.rows.insert(plan, dict(values, **{TYPE: type_name}))


def recipients(batch, note_id):
    table = batch.plans.named("Recipient").table
    return batch.connection.execute(sa.select(table.c.resource_id).where(table.c.note_id == note_id)).scalars().all()


def test_the_author_becomes_a_recipient_once(write_batch):
    note = insert(write_batch, "Note", id=str(uuid.uuid4()), content="hello")
    notes.add_author_recipient(write_batch, note)
    notes.add_author_recipient(write_batch, note)
    assert recipients(write_batch, note["id"]) == [write_batch.user_id]
    assert [c[:2] for c in write_batch.rows.changes] == [("add", "Recipient")]
    claimed = notes.claim_auto_recipient(write_batch, {"note_id": note["id"], "resource_id": write_batch.user_id})
    assert claimed == (note["id"], write_batch.user_id)
    assert notes.claim_auto_recipient(write_batch, {"note_id": note["id"], "resource_id": write_batch.user_id}) \
        is None


def test_no_request_user_no_recipient(write_batch):
    write_batch.user_id = None
    note = insert(write_batch, "Note", id=str(uuid.uuid4()), content="hello")
    notes.add_author_recipient(write_batch, note)
    assert write_batch.rows.changes == []


def test_category_follows_the_first_label(write_batch):
    note = insert(write_batch, "Note", id=str(uuid.uuid4()), content="hello")
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    insert(write_batch, "NoteLabelLink", note_id=note["id"], label_id=first)
    notes.categorise_note(write_batch, note["id"])
    find = write_batch.rows.find
    assert find(write_batch.plans.named("Note"), {"id": note["id"]})["category_id"] == first
    insert(write_batch, "NoteLabelLink", note_id=note["id"], label_id=second)
    notes.categorise_note(write_batch, note["id"])
    assert find(write_batch.plans.named("Note"), {"id": note["id"]})["category_id"] == first
    table = write_batch.plans.named("NoteLabelLink").table
    write_batch.connection.execute(table.delete().where(table.c.label_id == first))
    notes.categorise_note(write_batch, note["id"], removed_label=first)
    assert find(write_batch.plans.named("Note"), {"id": note["id"]})["category_id"] == second
    updates = [c[3]["category_id"] for c in write_batch.rows.changes if c[0] == "update"]
    assert updates == [(None, first), (first, second)]


def test_a_category_set_directly_stays(write_batch):
    category = str(uuid.uuid4())
    note = insert(write_batch, "Note", id=str(uuid.uuid4()), content="hello", category_id=category)
    insert(write_batch, "NoteLabelLink", note_id=note["id"], label_id=str(uuid.uuid4()))
    notes.categorise_note(write_batch, note["id"])
    assert write_batch.rows.find(write_batch.plans.named("Note"), {"id": note["id"]})["category_id"] == category
    assert write_batch.rows.changes == []
