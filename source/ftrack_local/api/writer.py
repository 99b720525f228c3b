"""Create, update and delete of API operations, applied inside one transaction.

:class:`Writer` turns the ``entity_data`` of ``create``/``update`` operations
into rows of the family tables of :mod:`ftrack_local.storage` and removes
rows for ``delete``, doing what a real ftrack server does implicitly
(doc/protocol.rst, "Batches", "Server-side behaviour"):

* coercion and validation of wire values (:mod:`ftrack_local.api.writing.parsing`), refusal
  of unknown, restricted and derived attributes;
* keys taken from ``entity_key``/``entity_data`` or generated;
* defaults: schema literal defaults, server defaults
  (:data:`ftrack_local.api.writing.defaults.SERVER_DEFAULTS`), discriminators
  (:data:`ftrack_local.api.writing.discriminators.DISCRIMINATORS`) and values derived from
  related rows (:data:`ftrack_local.api.writing.derivations.DERIVATIONS`: project and
  workflow of typed contexts, version numbers, note authors, timers…);
* collections written as complete memberships (:mod:`ftrack_local.api.writing.memberships`);
* custom attribute values written by upsert and checked against their
  configuration's type (:mod:`ftrack_local.api.writing.custom_values`);
* cascading deletes driven by the declarative
  :data:`ftrack_local.api.writing.cascades.CASCADES` table;
* required attributes checked once, in :meth:`Writer.finish`, at the end of
  the batch;
* a change log, :attr:`Writer.changes`, of every row added, updated or
  removed (cascades included), for the ``ftrack.update`` events.

The writer never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Optional, Set, Tuple

import sqlalchemy as sa

from ..components import jobs
from ..errors import ImmutableAttributeError, ValidationError
from ..schema import EntityType
from ..storage import SEQ, TYPE, Storage, chunks
from .writing.batch import Batch
from .writing.cascades import CASCADES, DELETE, DETACH, REFUSE, REFUSE_DIRECT, Cascade
from .writing.custom_values import CUSTOM_VALUE_TYPES, write_custom_value
from .writing.defaults import (ABSTRACT_TYPES, SERVER_DEFAULTS, UNIQUE, fill_creation_stamp,
                               fill_literal_defaults, fill_server_defaults)
from .writing.derivations import DERIVATIONS, exemptions
from .writing.discriminators import BASE_DISCRIMINATOR_DEFAULTS, DISCRIMINATORS, fill_base_default
from .writing.hierarchy import complete_workflow, reparent
from .writing.memberships import write_collection
from .writing.notes import add_author_recipient, categorise_note, claim_auto_recipient
from .writing.parsing import CollectionWrite, parse, same, show_key
from .writing.plans import Plan
from .writing.removal import remove
from .writing.rows import PRIVATE_COLUMNS, Change, Row

__all__ = [
    "ABSTRACT_TYPES", "BASE_DISCRIMINATOR_DEFAULTS", "CASCADES", "CUSTOM_VALUE_TYPES", "Cascade", "Change",
    "DELETE", "DERIVATIONS", "DETACH", "DISCRIMINATORS", "REFUSE", "REFUSE_DIRECT", "Row", "SERVER_DEFAULTS",
    "UNIQUE", "Writer",
]


class Writer:
    """Applies create/update/delete operations of one request inside one transaction."""

    def __init__(self, storage: Storage, connection: sa.Connection,
                 user_id: Optional[str] = None, username: Optional[str] = None) -> None:
        #: The state the pieces of :mod:`.writing` share for this batch.
        self.batch = Batch(storage, connection, user_id=user_id, username=username)
        self._rows = self.batch.rows
        #: Columns the last :meth:`update` changed (side effects included).
        self.updated_columns: Set[str] = set()

    @property
    def changes(self) -> List[Change]:
        """What the batch changed, in order (see :data:`ftrack_local.api.writing.rows.Change`).

        "add", "update" or "remove" entries; "remove" entries hold the
        removed row's values.
        """
        return self._rows.changes

    # ================================================================== create

    def create(self, type_name: str, data: dict,
               entity_key: Optional[list] = None) -> Tuple[EntityType, dict]:
        """Create one entity; return (reported type, stored row)."""
        requested = self._rows.type(type_name)
        if requested.name in ABSTRACT_TYPES:
            raise ValidationError('Cannot create "{0}": it is an abstract type; create one of its '
                                  'subtypes instead.'.format(requested.name))
        if requested.name in CUSTOM_VALUE_TYPES:
            return write_custom_value(self.batch, requested, entity_key, data, creating=True)
        plan = self.batch.plans.get(requested)
        values, collections = parse(self.batch.schema, plan, data)
        self._rows.fill_key(plan, values, entity_key)
        if requested.name == "Recipient":
            pair = claim_auto_recipient(self.batch, values)
            if pair is not None:
                # The server added this recipient itself; the client's create merges into it.
                return self.update(type_name, list(pair), data)
        row_type, row_plan = self._complete_new_row(requested, plan, values)
        reported = requested if requested.report_as_self else row_type
        values[TYPE] = reported.name
        row = self._rows.insert(row_plan, values)
        self._rows.record_row("add", reported, row)
        self._after_create(row_type, row)
        self._write_collections(row_type, requested, row, collections)
        place = (row_plan.table.name, row[SEQ])
        self._rows.touched[place] = reported.name
        self._rows.created.add(place)
        return reported, row

    def _complete_new_row(self, requested: EntityType, plan: Plan,
                          values: Dict[str, Any]) -> Tuple[EntityType, Plan]:
        """Fill defaults, discriminators and derived values; return the row's type and plan."""
        discriminators = self.batch.discriminators
        fill_literal_defaults(plan, values)
        fill_base_default(requested, values)
        row_type = discriminators.resolve(requested, values)
        row_plan = self.batch.plans.get(row_type)
        discriminators.fill(row_type, row_plan.columns, values)
        fill_literal_defaults(row_plan, values)
        fill_server_defaults(row_plan, values)
        fill_creation_stamp(row_plan, values, self.batch.user_id)
        for derive in row_plan.derivations:
            derive(self.batch, row_plan, values)
        self._rows.check_unique(row_plan, values)
        return row_type, row_plan

    def _after_create(self, row_type: EntityType, row: Row) -> None:
        """What a new row changes around it: cached contexts, note recipients and categories."""
        self.batch.related.remember(row_type, row)
        if row_type.is_a("Note"):
            add_author_recipient(self.batch, row)
        if row_type.is_a("NoteLabelLink"):
            categorise_note(self.batch, row["note_id"])

    def _write_collections(self, row_type: EntityType, requested: EntityType, row: Row,
                           collections: List[CollectionWrite]) -> None:
        for attribute, members in collections:
            write_collection(self.batch, row_type, requested.name, row, attribute, members)

    # ================================================================== update

    def update(self, type_name: str, entity_key: list, data: dict) -> Tuple[EntityType, dict]:
        """Update one entity; return (reported type, stored row after the update)."""
        requested = self._rows.type(type_name)
        self.updated_columns = set()
        if requested.name in CUSTOM_VALUE_TYPES:
            return write_custom_value(self.batch, requested, entity_key, data, creating=False)
        plan = self.batch.plans.get(requested)
        row = self._rows.get(plan, entity_key)
        row_type = requested if requested.report_as_self else self._rows.type(row[TYPE])
        values, collections = parse(self.batch.schema, plan, data)
        changes = self._changes(plan, row, values)
        if row_type.is_a("Job"):
            jobs.check_job_changes(row, changes)
        new_type = self.batch.discriminators.retype(row_type, changes)
        if new_type is not row_type:
            changes[TYPE] = new_type.name
            row_type = new_type
        row_plan = self.batch.plans.get(row_type)
        if "parent_id" in changes and row_type.is_a("Context"):
            reparent(self.batch, row, changes)
        if any(column in changes for group in row_plan.unique for column in group):
            self._rows.check_unique(row_plan, dict(row, **changes), exclude_seq=row[SEQ])
        self.updated_columns = set(changes) - PRIVATE_COLUMNS
        reported = requested if requested.report_as_self else row_type
        if changes:
            self._rows.update(row_plan.table, row, changes, reported)
            if row_type.is_a("Context"):
                self.batch.related.forget_context(row["id"])
        self._write_collections(row_type, requested, row, collections)
        self._rows.touched[(row_plan.table.name, row[SEQ])] = reported.name
        return reported, row

    def _changes(self, plan: Plan, row: Row, values: Dict[str, Any]) -> Dict[str, Any]:
        """The *values* that differ from *row*; refuses changes of immutable attributes.

        A row created earlier in the batch may still get its immutable
        attributes (not its key) set.
        """
        requested = plan.entity_type
        created_here = (plan.table.name, row[SEQ]) in self._rows.created
        changes: Dict[str, Any] = {}
        for column, value in values.items():
            current = row.get(column)
            if same(current, value):
                continue
            if column in plan.immutable and current is not None and (
                    not created_here or column in requested.primary_key):
                raise ImmutableAttributeError('Attribute "{0}" of "{1}" is immutable and cannot be '
                                              'changed.'.format(plan.immutable[column], requested.name))
            changes[column] = value
        return changes

    # ================================================================== delete

    def delete(self, type_name: str, entity_key: list) -> None:
        """Delete one entity and what depends on it (see :data:`ftrack_local.api.writing.cascades.CASCADES`)."""
        requested = self._rows.type(type_name)
        plan = self.batch.plans.get(requested)
        row = self._rows.get(plan, entity_key)
        self.batch.related.forget_contexts()
        remove(self.batch, plan.table, [row], direct=True)
        if requested.is_a("NoteLabelLink"):
            categorise_note(self.batch, row["note_id"], removed_label=row["label_id"])

    # ================================================================== finish

    def finish(self) -> None:
        """Check required attributes of every row created or updated in the batch."""
        touched, self._rows.touched = self._rows.touched, {}
        by_table: Dict[str, Dict[int, str]] = defaultdict(dict)
        for (table_name, seq), type_name in touched.items():
            by_table[table_name][seq] = type_name
        for table_name, seqs in by_table.items():
            table = self.batch.storage.tables[table_name]
            for group in chunks(sorted(seqs), 500):
                statement = sa.select(table).where(table.c[SEQ].in_(group)).order_by(table.c[SEQ])
                for found in self.batch.connection.execute(statement).mappings():
                    self._finish_row(table, seqs[found[SEQ]], dict(found))

    def _finish_row(self, table: sa.Table, reported_name: str, row: Row) -> None:
        """Complete a new typed context's workflow, then check the row's required attributes."""
        reported = self._rows.type(reported_name)
        row_type = reported if reported.report_as_self else self._rows.type(row[TYPE])
        if row_type.is_a("TypedContext") and (table.name, row[SEQ]) in self._rows.created:
            complete_workflow(self.batch, table, row_type, row)
        plan = self.batch.plans.get(row_type)
        exempt = exemptions(self.batch, row_type, row)
        for name, column in plan.required:
            if row.get(column) is None and name not in exempt:
                key = show_key(row.get(k) for k in row_type.primary_key)
                raise ValidationError('Missing required attribute "{0}" on {1} "{2}".'.format(
                    name, row_type.name, key))
