"""Create, update and delete of API operations, applied inside one transaction.

:class:`Writer` turns the ``entity_data`` of ``create``/``update`` operations
into rows of the family tables of :mod:`ftrack_local.storage` and removes
rows for ``delete``, doing what a real ftrack server does implicitly
(doc/protocol.rst, "Batches", "Server-side behaviour"):

* coercion and validation of wire values (``values.to_storage``), refusal of
  unknown, restricted and derived attributes;
* keys taken from ``entity_key``/``entity_data`` or generated;
* defaults: schema literal defaults, server defaults (:data:`SERVER_DEFAULTS`),
  discriminators (:data:`DISCRIMINATORS`) and values derived from related
  rows (:data:`DERIVATIONS`: project and workflow of typed contexts, version
  numbers, note authors and recipients, timers…);
* collections written as complete memberships;
* custom attribute values written by upsert and checked against their
  configuration's type;
* cascading deletes driven by the declarative :data:`CASCADES` table;
* required attributes checked once, in :meth:`Writer.finish`, at the end of
  the batch;
* a change log, :attr:`Writer.changes`, of every row added, updated or
  removed (cascades included), for the ``ftrack.update`` events.

The writer never commits: the caller owns the transaction.
"""

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

import sqlalchemy as sa

from .. import families
from ..components import jobs
from ..errors import (DuplicateEntryError, ImmutableAttributeError, IntegrityError, NotFoundError,
                      UnknownAttributeError, UnknownEntityTypeError, ValidationError)
from ..schema import Attribute, EntityType
from ..storage import SEQ, TYPE, Storage, chunks, now, type_filter
from ..values import is_encoded_datetime, parse_datetime, format_datetime, to_storage

Row = Dict[str, Any]
#: One entry of :attr:`Writer.changes`: (action, entity type name, key, {column: (old, new)}).
Change = Tuple[str, str, Dict[str, Any], Dict[str, Tuple[Any, Any]]]
#: Storage columns that are not attributes.
_PRIVATE_COLUMNS = frozenset((SEQ, TYPE))

#: Types that cannot be created: only their subtypes exist as rows.
ABSTRACT_TYPES = {"Context"}

#: Custom attribute value types (all keyed by ``[configuration_id, entity_id]``).
CUSTOM_VALUE_TYPES = set(families.CUSTOM_ATTRIBUTE_OWNERS) | {"CustomAttributeValue"}

#: (base type, discriminator column, value -> subtype). A create of the base
#: with a known value becomes the subtype; a create of a subtype gets its
#: value filled in (``context_type``, ``resource_type``, ``system_type``…).
#: The typed context entry is completed from the schema defaults of each
#: subtype's ``object_type_id`` when the writer is built.
DISCRIMINATORS: Tuple[Tuple[str, str, Dict[Any, str]], ...] = (
    ("Context", "context_type", {"show": "Project", "task": "TypedContext"}),
    ("TypedContext", "object_type_id", {}),
    ("Resource", "resource_type", {"user": "User", "group": "Group"}),
    ("Component", "system_type", {"file": "FileComponent", "sequence": "SequenceComponent",
                                  "container": "ContainerComponent"}),
    ("List", "system_type", {"task": "TypedContextList", "assetversion": "AssetVersionList"}),
)

#: Discriminator values of rows created under a base type itself: a
#: ``Component`` created without a ``system_type`` is a file component, as on
#: a real server (whose component table defaults the column).
BASE_DISCRIMINATOR_DEFAULTS: Dict[str, Tuple[str, Any]] = {
    "Component": ("system_type", "file"),
}

#: Values the server gives required (or commonly read) attributes a client
#: may leave out, per base type.
SERVER_DEFAULTS: Dict[str, Dict[str, Any]] = {
    # The priority is the schema default of every typed context subtype.
    # (doc/protocol.rst, "Seed data")
    "TypedContext": {"bid": 0, "sort": 0, "priority_id": "9661b320-3a0c-11e2-81c1-0800200c9a66"},
    "Project": {"status": "active", "is_global": False, "is_private": False},
    "User": {"is_active": True, "is_otp_enabled": False, "is_totp_enabled": False,
             "require_details_update": False},
    "Group": {"local": False},
    "Status": {"is_active": True},
    "ReviewSessionObject": {"sort_order": 0},
}

#: Attribute sets that must be unique among the rows of a type.
UNIQUE: Dict[str, Tuple[Tuple[str, ...], ...]] = {
    "Timer": (("user_id",),),
    "User": (("username",),),
}

# -- cascades ------------------------------------------------------------------------

DELETE = "delete"          # remove the dependent rows (and what depends on them)
REFUSE = "refuse"          # fail while dependent rows exist
REFUSE_DIRECT = "refuse_direct"  # fail for a requested delete; delete when reached by a cascade
DETACH = "detach"          # clear the dependent rows' reference


@dataclass(frozen=True)
class Cascade:
    """What happens to *target* rows whose *column* holds the id of a deleted *owner* row.

    *owner* applies to that type and its subtypes; ``"*"`` applies to every
    type keyed by a text ``id``. *label* names the dependents in refusals.
    """

    owner: str
    target: str
    column: str
    action: str = DELETE
    label: str = ""


CASCADES: Tuple[Cascade, ...] = (
    # Refusals (checked before anything is removed).
    Cascade("Location", "ComponentLocation", "location_id", REFUSE, "component locations"),
    # Whatever any entity owns.
    Cascade("*", "Metadata", "parent_id"),
    Cascade("*", "CustomAttributeValue", "entity_id"),
    Cascade("*", "Note", "parent_id"),
    Cascade("*", "EntitySetting", "parent_id"),
    Cascade("*", "StatusChange", "parent_id"),
    Cascade("*", "ListObject", "entity_id"),
    Cascade("*", "CustomAttributeLink", "from_id"),
    Cascade("*", "CustomAttributeLink", "to_id"),
    Cascade("*", "CustomAttributeLinkFrom", "from_id"),
    Cascade("*", "CustomAttributeLinkFrom", "to_id"),
    # The project hierarchy.
    Cascade("Context", "Context", "parent_id"),
    Cascade("Context", "Asset", "context_id"),
    Cascade("Context", "Appointment", "context_id"),
    Cascade("Context", "Timelog", "context_id"),
    Cascade("Context", "Manager", "context_id"),
    Cascade("Context", "Timer", "context_id", DETACH),
    Cascade("TypedContext", "TypedContextLink", "from_id"),
    Cascade("TypedContext", "TypedContextLink", "to_id"),
    Cascade("Project", "List", "project_id"),
    Cascade("Project", "ReviewSession", "project_id"),
    Cascade("Project", "UserSecurityRoleProject", "project_id"),
    Cascade("Project", "CalendarEvent", "project_id", DETACH),
    # Assets, versions and components.
    Cascade("Asset", "AssetVersion", "asset_id"),
    Cascade("AssetVersion", "AssetVersionLink", "from_id"),
    Cascade("AssetVersion", "AssetVersionLink", "to_id"),
    Cascade("AssetVersion", "ReviewSessionObject", "version_id"),
    # A version's components (its encoded review media among them) go with it.
    Cascade("AssetVersion", "Component", "version_id"),
    Cascade("Component", "ComponentLocation", "component_id"),
    Cascade("Component", "Component", "container_id"),
    Cascade("Component", "NoteComponent", "component_id"),
    Cascade("Component", "JobComponent", "component_id"),
    Cascade("Component", "SettingComponent", "component_id"),
    Cascade("Component", "Context", "thumbnail_id", DETACH),
    Cascade("Component", "AssetVersion", "thumbnail_id", DETACH),
    Cascade("Component", "User", "thumbnail_id", DETACH),
    # Notes.
    Cascade("Note", "Note", "in_reply_to_id"),
    Cascade("Note", "Recipient", "note_id"),
    Cascade("Note", "NoteComponent", "note_id"),
    Cascade("Note", "NoteLabelLink", "note_id"),
    # Users and groups.
    Cascade("User", "Timer", "user_id"),
    Cascade("User", "Timelog", "user_id"),
    Cascade("User", "Membership", "user_id"),
    Cascade("User", "UserSecurityRole", "user_id"),
    Cascade("User", "UserApplicationState", "user_id"),
    Cascade("User", "AssetVersion", "user_id", DETACH),
    Cascade("User", "List", "user_id", DETACH),
    Cascade("User", "Job", "user_id", DETACH),
    Cascade("Resource", "Appointment", "resource_id"),
    Cascade("Resource", "Recipient", "resource_id"),
    Cascade("Resource", "DashboardResource", "resource_id"),
    Cascade("Resource", "CalendarEventResource", "resource_id"),
    Cascade("Resource", "Participant", "resource_id"),
    Cascade("Group", "Membership", "group_id"),
    Cascade("Group", "Group", "parent_id"),
    Cascade("UserSecurityRole", "UserSecurityRoleProject", "user_security_role_id"),
    # Lists, jobs, review sessions, conversations, calendars.
    Cascade("List", "ListObject", "list_id"),
    Cascade("Job", "JobComponent", "job_id"),
    Cascade("ReviewSession", "ReviewSessionObject", "review_session_id"),
    Cascade("ReviewSession", "ReviewSessionInvitee", "review_session_id"),
    Cascade("ReviewSessionObject", "ReviewSessionObjectStatus", "review_session_object_id"),
    Cascade("Conversation", "Message", "conversation_id"),
    Cascade("Conversation", "Participant", "conversation_id"),
    Cascade("CalendarEvent", "CalendarEventResource", "calendar_event_id"),
    # Configuration.
    Cascade("CustomConfigurationBase", "CustomAttributeValue", "configuration_id"),
    Cascade("WorkflowSchema", "WorkflowSchemaStatus", "workflow_schema_id"),
    Cascade("TaskTypeSchema", "TaskTypeSchemaType", "task_type_schema_id"),
    Cascade("ProjectSchema", "ProjectSchemaObjectType", "project_schema_id"),
    Cascade("ProjectSchema", "Schema", "project_schema_id"),
    Cascade("ProjectSchema", "ProjectSchemaOverride", "project_schema_id"),
    Cascade("ProjectSchema", "TaskTemplate", "project_schema_id"),
    Cascade("TaskTemplate", "TaskTemplateItem", "template_id"),
    Cascade("Schema", "SchemaStatus", "schema_id"),
    Cascade("Schema", "SchemaType", "schema_id"),
)

_ACTION_ORDER = {REFUSE: 0, REFUSE_DIRECT: 0, DETACH: 1, DELETE: 2}

#: Custom attribute type name -> (check, description used in errors).
_CUSTOM_CHECKS: Dict[str, Tuple[Callable[[Any], bool], str]] = {
    "number": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    "text": (lambda v: isinstance(v, str), "text"),
    "url": (lambda v: isinstance(v, str), "text"),
    "expression": (lambda v: isinstance(v, str), "text"),
    "boolean": (lambda v: isinstance(v, bool), "a boolean"),
    "enumerator": (lambda v: isinstance(v, str) or (
        isinstance(v, list) and all(isinstance(i, str) for i in v)), "a list of strings"),
    "dynamic enumerator": (lambda v: isinstance(v, str) or (
        isinstance(v, list) and all(isinstance(i, str) for i in v)), "a list of strings"),
}


def _show_key(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


@dataclass
class _Plan:
    """Everything the writer needs about one entity type, computed once."""

    entity_type: EntityType
    table: sa.Table
    columns: Set[str]
    #: public attribute -> Attribute, including those only subtypes have.
    attributes: Dict[str, Attribute]
    #: stored scalars with a schema literal default: (column, attribute)
    literal_defaults: List[Tuple[str, Attribute]]
    #: column -> the public scalar attribute stored in it (for coercion)
    column_attribute: Dict[str, Attribute]
    #: column -> name of an immutable attribute writing it
    immutable: Dict[str, str]
    #: required attribute -> column holding it
    required: List[Tuple[str, str]]
    #: the column/attribute pairs of server defaults that apply
    server_defaults: Dict[str, Any] = field(default_factory=dict)
    #: discriminators applying to the type: (base, column, mapping)
    discriminators: List[Tuple[str, str, Dict[Any, str]]] = field(default_factory=list)
    unique: Tuple[Tuple[str, ...], ...] = ()
    cascades: List[Cascade] = field(default_factory=list)
    derivations: List[Callable] = field(default_factory=list)


class Writer:
    """Applies create/update/delete operations of one request inside one transaction."""

    def __init__(self, storage: Storage, connection: sa.Connection,
                 user_id: Optional[str] = None, username: Optional[str] = None):
        self.storage = storage
        self.schema = storage.schema
        self.connection = connection
        self.user_id = user_id
        self.username = username
        self._plans: Dict[str, _Plan] = {}
        self._discriminators = self._build_discriminators()
        #: rows created or updated: (table name, _seq) -> reported type name
        self._touched: Dict[Tuple[str, int], str] = {}
        #: rows created in this batch: their immutable attributes may still change
        self._created: Set[Tuple[str, int]] = set()
        # Lookup caches (valid for this batch).
        self._contexts: Dict[Any, Row] = {}
        self._object_types: Dict[Any, Optional[Row]] = {}
        self._workflow_cache: Dict[Tuple[Any, ...], Tuple[Any, Any]] = {}
        self._version_workflows: Dict[Any, Any] = {}
        self._configurations: Dict[Any, Row] = {}
        self._auto_recipients: Set[Tuple[Any, Any]] = set()
        #: What the batch changed, in order: "add", "update" or "remove" entries
        #: (see :data:`Change`); "remove" entries hold the removed row's values.
        self.changes: List[Change] = []
        #: Columns the last :meth:`update` changed (side effects included).
        self.updated_columns: Set[str] = set()

    # ================================================================== public API

    def create(self, type_name: str, data: dict,
               entity_key: Optional[list] = None) -> Tuple[EntityType, dict]:
        """Create one entity; return (reported type, stored row)."""
        requested = self._type(type_name)
        if requested.name in ABSTRACT_TYPES:
            raise ValidationError('Cannot create "{0}": it is an abstract type; create one of its '
                                  'subtypes instead.'.format(requested.name))
        if requested.name in CUSTOM_VALUE_TYPES:
            return self._write_custom_value(requested, entity_key, data, creating=True)
        plan = self._plan(requested)
        values, collections = self._parse(plan, data)
        self._fill_key(plan, values, entity_key)

        if requested.name == "Recipient":
            pair = (values.get("note_id"), values.get("resource_id"))
            if pair in self._auto_recipients:
                # The server added this recipient itself; the client's create merges into it.
                self._auto_recipients.discard(pair)
                return self.update(type_name, list(pair), data)

        self._fill_literal_defaults(plan, values)
        base_default = BASE_DISCRIMINATOR_DEFAULTS.get(requested.name)
        if base_default is not None and values.get(base_default[0]) is None:
            values[base_default[0]] = base_default[1]
        row_type = self._resolve_type(requested, values)
        row_plan = self._plan(row_type)
        self._fill_discriminators(row_plan, values)
        self._fill_literal_defaults(row_plan, values)
        for column, default in row_plan.server_defaults.items():
            if values.get(column) is None:
                values[column] = default
        self._fill_common(row_plan, values)
        for derive in row_plan.derivations:
            derive(self, row_plan, values)
        self._check_unique(row_plan, values)

        values[TYPE] = requested.name if requested.report_as_self else row_type.name
        row = self._insert(row_plan, values)
        self._record_row("add", requested if requested.report_as_self else row_type, row)
        self._remember(row_type, row)
        if row_type.is_a("Note"):
            self._add_author_recipient(row)
        if row_type.is_a("NoteLabelLink"):
            self._categorise_note(row["note_id"])
        for attribute, members in collections:
            self._write_collection(row_type, requested.name, row, attribute, members)
        reported = requested if requested.report_as_self else row_type
        self._touched[(row_plan.table.name, row[SEQ])] = reported.name
        self._created.add((row_plan.table.name, row[SEQ]))
        return reported, row

    def update(self, type_name: str, entity_key: list, data: dict) -> Tuple[EntityType, dict]:
        """Update one entity; return (reported type, stored row after the update)."""
        requested = self._type(type_name)
        self.updated_columns = set()
        if requested.name in CUSTOM_VALUE_TYPES:
            return self._write_custom_value(requested, entity_key, data, creating=False)
        plan = self._plan(requested)
        row = self._get(plan, entity_key)
        row_type = requested if requested.report_as_self else self._type(row[TYPE])
        row_plan = self._plan(row_type)
        values, collections = self._parse(plan, data)

        changes: Dict[str, Any] = {}
        created_here = (plan.table.name, row[SEQ]) in self._created
        for column, value in values.items():
            current = row.get(column)
            if _same(current, value):
                continue
            if column in plan.immutable and current is not None and (
                    not created_here or column in requested.primary_key):
                raise ImmutableAttributeError('Attribute "{0}" of "{1}" is immutable and cannot be '
                                              'changed.'.format(plan.immutable[column], requested.name))
            changes[column] = value

        if row_type.is_a("Job"):
            jobs.check_job_changes(row, changes)
        new_type = self._retype(row_type, row, changes)
        if new_type is not row_type:
            changes[TYPE] = new_type.name
            row_type, row_plan = new_type, self._plan(new_type)
        if "parent_id" in changes and row_type.is_a("Context"):
            self._reparent(row, changes)
        if any(column in changes for group in row_plan.unique for column in group):
            self._check_unique(row_plan, dict(row, **changes), exclude_seq=row[SEQ])
        self.updated_columns = set(changes) - _PRIVATE_COLUMNS
        if changes:
            table = row_plan.table
            self.connection.execute(table.update().where(table.c[SEQ] == row[SEQ]).values(**changes))
            self._record_update(requested if requested.report_as_self else row_type, row, changes)
            row.update(changes)
            if row_type.is_a("Context"):
                self._contexts.pop(row["id"], None)
        for attribute, members in collections:
            self._write_collection(row_type, requested.name, row, attribute, members)
        reported = requested if requested.report_as_self else row_type
        self._touched[(row_plan.table.name, row[SEQ])] = reported.name
        return reported, row

    def delete(self, type_name: str, entity_key: list) -> None:
        """Delete one entity and what depends on it (see :data:`CASCADES`)."""
        requested = self._type(type_name)
        plan = self._plan(requested)
        row = self._get(plan, entity_key)
        self._contexts.clear()
        self._remove(plan.table, [row], direct=True)
        if requested.is_a("NoteLabelLink"):
            self._categorise_note(row["note_id"], removed_label=row["label_id"])

    def finish(self) -> None:
        """Check required attributes of every row created or updated in the batch."""
        touched, self._touched = self._touched, {}
        by_table: Dict[str, Dict[int, str]] = defaultdict(dict)
        for (table_name, seq), type_name in touched.items():
            by_table[table_name][seq] = type_name
        for table_name, seqs in by_table.items():
            table = self.storage.tables[table_name]
            for batch in chunks(sorted(seqs), 500):
                statement = sa.select(table).where(table.c[SEQ].in_(batch)).order_by(table.c[SEQ])
                for row in self.connection.execute(statement).mappings():
                    reported = self._type(seqs[row[SEQ]])
                    row_type = reported if reported.report_as_self else self._type(row[TYPE])
                    row = dict(row)
                    if row_type.is_a("TypedContext") and (table_name, row[SEQ]) in self._created:
                        self._complete_workflow(table, row_type, row)
                    self._check_required(self._plan(row_type), row)

    def _complete_workflow(self, table: sa.Table, row_type: EntityType, row: Row) -> None:
        """Fill a status or type a typed context could not get when it was created.

        A context created before it had a parent (attached later in the batch
        through its parent's ``children``) learns its project only then.
        """
        missing = [c for c in ("status_id", "type_id") if row.get(c) is None]
        if not missing or row.get("project_id") is None:
            return
        values = dict(row)
        _derive_typed_context(self, self._plan(row_type), values)
        found = {c: values[c] for c in missing if values.get(c) is not None}
        if found:
            self.connection.execute(table.update().where(table.c[SEQ] == row[SEQ]).values(**found))
            self._record_update(row_type, row, found)
            row.update(found)

    # ================================================================== plans

    def _type(self, name: Any) -> EntityType:
        if not isinstance(name, str):
            raise UnknownEntityTypeError('Entity type "{0}" does not exist.'.format(name))
        return self.schema.get(name)

    def _build_discriminators(self) -> List[Tuple[str, str, Dict[Any, str]]]:
        out = []
        for base, column, mapping in DISCRIMINATORS:
            mapping = dict(mapping)
            if base == "TypedContext":
                for name in families.TYPED_CONTEXT_TYPES:
                    attribute = self.schema.types[name].attributes.get("object_type_id")
                    if attribute is not None and attribute.has_default:
                        mapping[attribute.default] = name
            out.append((base, column, mapping))
        return out

    def _plan(self, entity_type: EntityType) -> _Plan:
        plan = self._plans.get(entity_type.name)
        if plan is not None:
            return plan
        table = self.storage.table(entity_type)
        attributes: Dict[str, Attribute] = {}
        for name in entity_type.subtypes:
            attributes.update(self.schema.types[name].attributes)
        attributes.update(entity_type.attributes)
        column_attribute: Dict[str, Attribute] = {}
        immutable: Dict[str, str] = {}
        for attribute in entity_type.attributes.values():
            column = _column_of(attribute)
            if column is None:
                continue
            if attribute.stored:
                column_attribute[column] = attribute
            if attribute.immutable:
                immutable.setdefault(column, attribute.name)
        required = []
        for name in entity_type.required:
            column = _column_of(entity_type.attributes[name])
            if column is not None and column in table.c:
                required.append((name, column))
        plan = _Plan(
            entity_type=entity_type,
            table=table,
            columns=set(table.c.keys()),
            attributes=attributes,
            literal_defaults=[(a.column, a) for a in entity_type.attributes.values()
                              if a.stored and a.has_default and a.name not in entity_type.primary_key],
            column_attribute=column_attribute,
            immutable=immutable,
            required=required,
        )
        for base, defaults in SERVER_DEFAULTS.items():
            if entity_type.is_a(base):
                for name, value in defaults.items():
                    if name in column_attribute:
                        plan.server_defaults[name] = to_storage(column_attribute[name], value)
        plan.discriminators = [d for d in self._discriminators if entity_type.is_a(d[0])]
        plan.unique = tuple(group for base, groups in UNIQUE.items() if entity_type.is_a(base)
                            for group in groups)
        has_text_id = "id" in entity_type.attributes and entity_type.attributes["id"].value_type == "string"
        plan.cascades = sorted(
            (c for c in CASCADES if (c.owner == "*" and has_text_id) or (
                c.owner != "*" and entity_type.is_a(c.owner))),
            key=lambda c: _ACTION_ORDER[c.action])
        plan.derivations = [derive for base, derive in DERIVATIONS if entity_type.is_a(base)]
        self._plans[entity_type.name] = plan
        return plan

    # ================================================================== parsing

    def _parse(self, plan: _Plan, data: Any) -> Tuple[Dict[str, Any], List[Tuple[Attribute, List[Any]]]]:
        """Split wire *data* into column values and collection writes.

        Returns (column -> stored value, [(collection attribute, member references)]).
        A reference and its foreign-key attribute (``parent``/``parent_id``)
        may both be sent but must agree.
        """
        if not isinstance(data, dict):
            raise ValidationError('"entity_data" of {0} must be an object.'.format(plan.entity_type.name))
        type_name = plan.entity_type.name
        values: Dict[str, Any] = {}
        sources: Dict[str, str] = {}
        collections: List[Tuple[Attribute, List[Any]]] = []

        def assign(column: str, value: Any, source: str) -> None:
            if column in values and not _same(values[column], value):
                raise ValidationError('Attributes "{0}" and "{1}" of "{2}" disagree.'.format(
                    sources[column], source, type_name))
            values[column] = value
            sources.setdefault(column, source)

        for name, value in data.items():
            if name == "__entity_type__":
                continue
            attribute = plan.attributes.get(name)
            if attribute is None:
                raise UnknownAttributeError('Attribute "{0}" does not exist on type "{1}".'.format(
                    name, type_name))
            relation = attribute.relation
            if attribute.kind == "scalar":
                if attribute.column is None:
                    continue  # computed on read: clients echo these, ignore
                assign(attribute.column, to_storage(attribute, value, type_name), name)
            elif attribute.kind == "reference":
                if relation is None or relation.kind != "many_to_one":
                    raise ValidationError('Attribute "{0}" of "{1}" is computed by the server and '
                                          'cannot be set.'.format(name, type_name))
                assign(relation.local_column, self._reference_id(plan, attribute, value), name)
            else:
                if relation is None or relation.kind == "derived" or attribute.restricted:
                    if relation is not None and relation.kind == "derived" and value in (None, []):
                        continue
                    hint = "; update the custom attribute value entities instead" \
                        if name == "custom_attributes" else ""
                    raise ValidationError('Attribute "{0}" of "{1}" is computed by the server and '
                                          'cannot be set{2}.'.format(name, type_name, hint))
                if value is None:
                    value = []
                if not isinstance(value, list):
                    raise ValidationError('Attribute "{0}" of "{1}" must be a list of entity '
                                          'references.'.format(name, type_name))
                collections.append((attribute, value))
        return values, collections

    def _reference_id(self, plan: _Plan, attribute: Attribute, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dict):
            sent = value.get("__entity_type__")
            target = self.schema.types.get(sent) if isinstance(sent, str) else None
            expected = self.schema.types.get(attribute.target or "")
            if target is not None and expected is not None and target.table != expected.table:
                raise ValidationError('Attribute "{0}" of "{1}" must refer to a {2}, not a {3}.'.format(
                    attribute.name, plan.entity_type.name, expected.name, target.name))
            key_name = (target or expected).primary_key[0] if (target or expected) else "id"
            if "id" in value:
                key_name = "id"
            identifier = value.get(key_name)
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            identifier = value
        else:
            raise ValidationError('Attribute "{0}" of "{1}" must be an entity reference.'.format(
                attribute.name, plan.entity_type.name))
        if identifier is None:
            raise ValidationError('The reference given for "{0}" of "{1}" has no key.'.format(
                attribute.name, plan.entity_type.name))
        column_attribute = plan.column_attribute.get(attribute.relation.local_column)
        if column_attribute is not None:
            return to_storage(column_attribute, identifier, plan.entity_type.name)
        return str(identifier)

    def _coerce_key(self, entity_type: EntityType, entity_key: Any) -> Dict[str, Any]:
        if not isinstance(entity_key, (list, tuple)):
            entity_key = [entity_key]
        names = entity_type.primary_key
        if len(entity_key) != len(names):
            raise ValidationError('The key of {0} has {1} value(s) ({2}), {3} given.'.format(
                entity_type.name, len(names), ", ".join(names), len(entity_key)))
        key: Dict[str, Any] = {}
        for name, value in zip(names, entity_key):
            if value is None:
                raise ValidationError('Key attribute "{0}" of {1} cannot be null.'.format(name, entity_type.name))
            key[name] = to_storage(entity_type.attributes[name], value, entity_type.name)
        return key

    def _fill_key(self, plan: _Plan, values: Dict[str, Any], entity_key: Optional[list]) -> None:
        entity_type = plan.entity_type
        if entity_key:
            for name, value in self._coerce_key(entity_type, entity_key).items():
                if values.get(name) is not None and not _same(values[name], value):
                    raise ValidationError('The key of {0} ({1}) does not match its data ("{2}" is {3}).'.format(
                        entity_type.name, _show_key(entity_key), name, values[name]))
                values[name] = value
        for name in entity_type.primary_key:
            if values.get(name) is not None:
                continue
            attribute = entity_type.attributes[name]
            if len(entity_type.primary_key) > 1:
                raise ValidationError('Key attribute "{0}" is missing for {1}.'.format(name, entity_type.name))
            if attribute.value_type == "integer":
                values[name] = self._next_id(plan, name)
            else:
                values[name] = str(uuid.uuid4())

    def _next_id(self, plan: _Plan, column: str) -> int:
        """The next free integer key (``Event.id``); explicit keys may have jumped ahead."""
        highest = self.connection.execute(sa.select(sa.func.max(plan.table.c[column]))).scalar()
        return int(highest or 0) + 1

    # ================================================================== create helpers

    def _resolve_type(self, requested: EntityType, values: Dict[str, Any]) -> EntityType:
        """The most specific type of a new row, from the discriminators in *values*."""
        current = requested
        if current.report_as_self:
            return current
        changed = True
        while changed:
            changed = False
            for base, column, mapping in self._discriminators:
                if current.name != base:
                    continue
                subtype = mapping.get(values.get(column))
                if subtype is not None and subtype != current.name and subtype in self.schema.types:
                    current = self.schema.types[subtype]
                    changed = True
        return current

    def _fill_discriminators(self, plan: _Plan, values: Dict[str, Any]) -> None:
        entity_type = plan.entity_type
        for base, column, mapping in plan.discriminators:
            if column not in plan.columns:
                continue
            expected = [value for value, subtype in mapping.items() if subtype == entity_type.name] or [
                value for value, subtype in mapping.items()
                if subtype in self.schema.types and entity_type.is_a(subtype)]
            if len(expected) != 1:
                continue
            current = values.get(column)
            if current is None:
                values[column] = expected[0]
            elif current != expected[0] and current in mapping:
                raise ValidationError('"{0}" {1} does not fit type "{2}" (it means "{3}").'.format(
                    column, current, entity_type.name, mapping[current]))

    def _retype(self, row_type: EntityType, row: Row, changes: Dict[str, Any]) -> EntityType:
        """The row's type after *changes* to a discriminator (typed contexts changing object type)."""
        for base, column, mapping in self._discriminators:
            if column not in changes or not row_type.is_a(base) or row_type.name == base:
                continue
            if base == "Context":
                continue
            subtype = mapping.get(changes[column], base)
            if subtype != row_type.name:
                return self.schema.types[subtype]
        return row_type

    def _fill_literal_defaults(self, plan: _Plan, values: Dict[str, Any]) -> None:
        for column, attribute in plan.literal_defaults:
            if column not in values:
                default = attribute.default
                values[column] = str(uuid.uuid4()) if default == "{uid}" else to_storage(
                    attribute, default, plan.entity_type.name)

    def _fill_common(self, plan: _Plan, values: Dict[str, Any]) -> None:
        """``created_at`` and ``created_by`` of types that have them."""
        if "created_at" in plan.column_attribute and values.get("created_at") is None:
            values["created_at"] = now()
        has_creator = "created_by_id" in plan.column_attribute or "created_by" in plan.entity_type.attributes
        if has_creator and "created_by_id" in plan.columns and values.get("created_by_id") is None:
            values["created_by_id"] = self.user_id

    def _check_unique(self, plan: _Plan, values: Dict[str, Any], exclude_seq: Optional[int] = None) -> None:
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

    def _insert(self, plan: _Plan, values: Dict[str, Any]) -> Row:
        table = plan.table
        unknown = set(values) - plan.columns
        if unknown:  # pragma: no cover - guarded by parsing
            raise ValidationError('Cannot store {0} on {1}.'.format(", ".join(sorted(unknown)), plan.entity_type.name))
        key = [values.get(name) for name in plan.entity_type.primary_key]
        try:
            result = self.connection.execute(table.insert(), values)
        except sa.exc.IntegrityError:
            raise DuplicateEntryError('{0} with key "{1}" already exists.'.format(
                plan.entity_type.name, _show_key(key))) from None
        row = {name: None for name in plan.columns}
        row.update(values)
        row[SEQ] = result.inserted_primary_key[0]
        return row

    def _remember(self, row_type: EntityType, row: Row) -> None:
        if row_type.is_a("Context"):
            self._contexts[row["id"]] = dict(row)

    def _add_author_recipient(self, note: Row) -> None:
        """The request user becomes a recipient of every new note.
        (doc/protocol.rst, "Derived values")"""
        if self.user_id is None:
            return
        recipient = self.schema.types["Recipient"]
        plan = self._plan(recipient)
        pair = (note["id"], self.user_id)
        if self._find(plan, {"note_id": pair[0], "resource_id": pair[1]}) is not None:
            return
        values = {"note_id": pair[0], "resource_id": pair[1], TYPE: recipient.name}
        self._record_row("add", recipient, self._insert(plan, values))
        self._auto_recipients.add(pair)

    def _categorise_note(self, note_id: Any, removed_label: Any = None) -> None:
        """Keep a note's category in line with its labels (two names of one idea).

        A note labelled while it has no category takes its first label as
        category; a note losing the label that was its category takes its
        next label, or none.
        """
        note_type = self.schema.types["Note"]
        note_plan = self._plan(note_type)
        note = self._find(note_plan, {"id": note_id})
        if note is None:
            return
        current = note.get("category_id")
        if current is not None and current != removed_label:
            return
        table = self._plan(self.schema.types["NoteLabelLink"]).table
        category = self.connection.execute(
            sa.select(table.c.label_id).where(table.c.note_id == note_id)
            .order_by(table.c[SEQ]).limit(1)).scalar()
        if category == current:
            return
        note_table = note_plan.table
        self.connection.execute(note_table.update().where(note_table.c[SEQ] == note[SEQ]).values(
            category_id=category))
        self._record_update(self._type(note[TYPE]), note, {"category_id": category})

    # ================================================================== change log

    def _record_row(self, action: str, entity_type: EntityType, row: Row) -> None:
        """Log an added ("add": values as new) or removed ("remove": values as old) row."""
        new = action == "add"
        values = {c: ((None, v) if new else (v, None)) for c, v in row.items()
                  if v is not None and c not in _PRIVATE_COLUMNS}
        key = {name: row.get(name) for name in entity_type.primary_key}
        self.changes.append((action, entity_type.name, key, values))

    def _record_update(self, entity_type: EntityType, row: Row, changes: Dict[str, Any]) -> None:
        """Log an update of *row* (before *changes* are applied to it)."""
        values = {c: (row.get(c), v) for c, v in changes.items() if c not in _PRIVATE_COLUMNS}
        if values:
            key = {name: row.get(name) for name in entity_type.primary_key}
            self.changes.append(("update", entity_type.name, key, values))

    # ================================================================== related rows (cached)

    def _context(self, context_id: Any) -> Optional[Row]:
        if context_id is None:
            return None
        row = self._contexts.get(context_id)
        if row is None:
            table = self.storage.tables[self.schema.types["Context"].table]
            found = self.connection.execute(sa.select(table).where(table.c.id == context_id)).mappings().first()
            if found is None:
                return None
            row = dict(found)
            self._contexts[context_id] = row
        return row

    def _project_of_context(self, context_id: Any) -> Optional[Any]:
        """The project id of the context *context_id* (its own id for a project)."""
        context = self._context(context_id)
        if context is None:
            return None
        if context[TYPE] == "Project":
            return context["id"]
        return context.get("project_id")

    def _project(self, project_id: Any) -> Optional[Row]:
        context = self._context(project_id)
        return context if context is not None and context[TYPE] == "Project" else None

    def _object_type(self, object_type_id: Any) -> Optional[Row]:
        if object_type_id not in self._object_types:
            table = self.storage.tables[self.schema.types["ObjectType"].table]
            found = self.connection.execute(
                sa.select(table).where(table.c.id == object_type_id)).mappings().first()
            self._object_types[object_type_id] = dict(found) if found is not None else None
        return self._object_types[object_type_id]

    def _first(self, type_name: str, column: str, where: Dict[str, Any], order: Iterable[str] = ()) -> Any:
        """*column* of the first row of *type_name* matching *where* (by *order*, then insertion)."""
        entity_type = self.schema.types[type_name]
        table = self.storage.table(entity_type)
        statement = sa.select(table.c[column]).where(*[table.c[k] == v for k, v in where.items()])
        statement = statement.order_by(*[table.c[o] for o in order], table.c[SEQ]).limit(1)
        return self.connection.execute(statement).scalar()

    def _workflow_defaults(self, project_schema_id: Any, object_type_id: Any,
                           type_id: Any) -> Tuple[Any, Any]:
        """(first status id, first type id) for a typed context in a project schema."""
        cache_key = (project_schema_id, object_type_id, type_id)
        if cache_key in self._workflow_cache:
            return self._workflow_cache[cache_key]
        project_schema = self._find(self._plan(self.schema.types["ProjectSchema"]), {"id": project_schema_id})
        status_id = first_type = None
        if project_schema is not None:
            schema_id = self._first("Schema", "id", {"project_schema_id": project_schema_id,
                                                     "type_id": object_type_id})
            if schema_id is None:
                schema_id = self._first("Schema", "id", {"project_schema_id": project_schema_id,
                                                         "object_type_id": object_type_id})
            if schema_id is not None:
                first_type = self._first("SchemaType", "type_id", {"schema_id": schema_id}, ("sort",))
            if first_type is None and project_schema.get("task_type_schema_id"):
                first_type = self._first("TaskTypeSchemaType", "type_id",
                                         {"task_type_schema_id": project_schema["task_type_schema_id"]})
            if schema_id is not None:
                status_id = self._first("SchemaStatus", "status_id", {"schema_id": schema_id}, ("sort",))
            if status_id is None:
                workflow_id = None
                chosen_type = type_id if type_id is not None else first_type
                if chosen_type is not None:
                    workflow_id = self._first("ProjectSchemaOverride", "workflow_schema_id",
                                              {"project_schema_id": project_schema_id, "type_id": chosen_type})
                workflow_id = workflow_id or project_schema.get("task_workflow_schema_id")
                if workflow_id:
                    status_id = self._first("WorkflowSchemaStatus", "status_id",
                                            {"workflow_schema_id": workflow_id})
        self._workflow_cache[cache_key] = (status_id, first_type)
        return status_id, first_type

    def _version_status(self, project_id: Any) -> Any:
        if project_id not in self._version_workflows:
            status_id = None
            project = self._project(project_id)
            if project is not None and project.get("project_schema_id"):
                schema_row = self._find(self._plan(self.schema.types["ProjectSchema"]),
                                        {"id": project["project_schema_id"]})
                workflow_id = schema_row.get("asset_version_workflow_schema_id") if schema_row else None
                if workflow_id:
                    status_id = self._first("WorkflowSchemaStatus", "status_id",
                                            {"workflow_schema_id": workflow_id})
            self._version_workflows[project_id] = status_id
        return self._version_workflows[project_id]

    def _reparent(self, row: Row, changes: Dict[str, Any]) -> None:
        """Keep ``project_id`` of a moved typed context (and its subtree) in line with its parent.

        A status or type it lacks is completed at the end of the batch (see
        :meth:`_complete_workflow`).
        """
        if row[TYPE] == "Project":
            return
        project_id = self._project_of_context(changes["parent_id"])
        if project_id is None or project_id == row.get("project_id"):
            return
        changes["project_id"] = project_id
        self._set_subtree_project([row["id"]], project_id)

    def _set_subtree_project(self, parent_ids: List[Any], project_id: Any) -> None:
        table = self.storage.tables[self.schema.types["Context"].table]
        frontier = list(parent_ids)
        seen: Set[Any] = set(frontier)
        while frontier:
            children: List[Any] = []
            for batch in chunks(frontier, 500):
                children.extend(self.connection.execute(
                    sa.select(table.c.id).where(table.c.parent_id.in_(batch))).scalars())
            children = [c for c in children if c not in seen]
            seen.update(children)
            for batch in chunks(children, 500):
                self.connection.execute(table.update().where(table.c.id.in_(batch)).values(project_id=project_id))
            frontier = children
        self._contexts.clear()

    # ================================================================== rows by key

    def _find(self, plan: _Plan, key: Dict[str, Any]) -> Optional[Row]:
        table = plan.table
        clauses = [table.c[name] == value for name, value in key.items()]
        condition = type_filter(table, plan.entity_type)
        if condition is not None:
            clauses.append(condition)
        found = self.connection.execute(sa.select(table).where(*clauses).limit(1)).mappings().first()
        return dict(found) if found is not None else None

    def _get(self, plan: _Plan, entity_key: Any) -> Row:
        key = self._coerce_key(plan.entity_type, entity_key)
        row = self._find(plan, key)
        if row is None:
            raise NotFoundError('{0} with key "{1}" does not exist.'.format(
                plan.entity_type.name, _show_key(key.values())))
        return row

    # ================================================================== collections

    def _write_collection(self, owner: EntityType, owner_name: str, row: Row, attribute: Attribute,
                          members: List[Any]) -> None:
        relation = attribute.relation
        owner_id = row.get("id")
        if owner_id is None:
            raise ValidationError('Collection "{0}" of "{1}" cannot be written.'.format(attribute.name, owner.name))
        target = self.schema.types[relation.target]
        refs = [self._member_key(owner, attribute, target, member) for member in members]
        if relation.kind == "one_to_many":
            self._write_one_to_many(owner_name, owner_id, attribute, target, refs)
        elif relation.kind == "many_to_many":
            self._write_many_to_many(owner_id, attribute, target, refs)

    def _member_key(self, owner: EntityType, attribute: Attribute, target: EntityType,
                    member: Any) -> Tuple[EntityType, Dict[str, Any]]:
        if isinstance(member, str) and target.primary_key == ("id",):
            return target, {"id": member}
        if not isinstance(member, dict):
            raise ValidationError('Members of "{0}" of "{1}" must be entity references.'.format(
                attribute.name, owner.name))
        sent = member.get("__entity_type__")
        member_type = self.schema.types.get(sent) if isinstance(sent, str) else None
        if member_type is None or member_type.table != target.table:
            member_type = target
        try:
            key = self._coerce_key(member_type, [member.get(name) for name in member_type.primary_key])
        except ValidationError:
            raise ValidationError('A member of "{0}" of "{1}" lacks its key ({2}).'.format(
                attribute.name, owner.name, ", ".join(member_type.primary_key))) from None
        return member_type, key

    def _write_one_to_many(self, owner_name: str, owner_id: Any, attribute: Attribute,
                           target: EntityType, refs: List[Tuple[EntityType, Dict[str, Any]]]) -> None:
        relation = attribute.relation
        table = self.storage.table(target)
        changes: Dict[str, Any] = {relation.remote_column: owner_id}
        for column, value in relation.where:
            if column in table.c:
                changes[column] = value
        if relation.remote_column == "parent_id" and "parent_type" in table.c:
            changes["parent_type"] = owner_name
        moved_contexts = []
        for member_type, key in refs:
            plan = self._plan(member_type)
            row = self._find(plan, key)
            if row is None:
                raise NotFoundError('{0} with key "{1}" does not exist (member of "{2}").'.format(
                    member_type.name, _show_key(key.values()), attribute.name))
            update = {c: v for c, v in changes.items() if not _same(row.get(c), v)}
            if not update:
                continue
            self.connection.execute(table.update().where(table.c[SEQ] == row[SEQ]).values(**update))
            if row[TYPE] in self.schema.types:
                self._record_update(self._type(row[TYPE]), row, update)
            self._touched.setdefault((table.name, row[SEQ]), row[TYPE])
            if target.is_a("Context") and "parent_id" in update:
                moved_contexts.append(row)
        for row in moved_contexts:
            changes_row = {"parent_id": owner_id}
            self._reparent(row, changes_row)
            del changes_row["parent_id"]
            if changes_row:
                self.connection.execute(table.update().where(table.c[SEQ] == row[SEQ]).values(**changes_row))
        if moved_contexts:
            self._contexts.clear()

    def _write_many_to_many(self, owner_id: Any, attribute: Attribute, target: EntityType,
                            refs: List[Tuple[EntityType, Dict[str, Any]]]) -> None:
        relation = attribute.relation
        wanted: List[Any] = []
        for _, key in refs:
            member_id = key.get("id")
            if member_id not in wanted:
                wanted.append(member_id)
        if relation.link_type:
            link_type = self.schema.types[relation.link_type]
            plan = self._plan(link_type)
            table = plan.table
            extra = []
            condition = type_filter(table, link_type)
            if condition is not None:
                extra.append(condition)
        else:
            plan = None
            table = self.storage.link
            extra = [table.c["name"] == relation.link_name]
        owner_column = table.c[relation.owner_column]
        existing = [dict(r) for r in self.connection.execute(
            sa.select(table).where(owner_column == owner_id, *extra).order_by(table.c[SEQ])).mappings()]
        present = {r[relation.target_column] for r in existing}
        obsolete = [r for r in existing if r[relation.target_column] not in set(wanted)]
        if obsolete:
            if plan is not None:
                self._remove(table, obsolete, direct=False)
            else:
                self.connection.execute(table.delete().where(table.c[SEQ].in_([r[SEQ] for r in obsolete])))
        for member_id in wanted:
            if member_id in present:
                continue
            if plan is None:
                self.connection.execute(table.insert(), {
                    "name": relation.link_name, relation.owner_column: owner_id,
                    relation.target_column: member_id})
                continue
            values = {relation.owner_column: owner_id, relation.target_column: member_id}
            self._fill_key(plan, values, None)
            self._fill_literal_defaults(plan, values)
            self._fill_common(plan, values)
            values[TYPE] = link_type.name
            row = self._insert(plan, values)
            self._record_row("add", link_type, row)
            self._touched[(table.name, row[SEQ])] = link_type.name

    # ================================================================== custom attribute values

    def _configuration(self, configuration_id: Any) -> Row:
        configuration = self._configurations.get(configuration_id)
        if configuration is None:
            table = self.storage.tables[self.schema.types["CustomConfigurationBase"].table]
            found = self.connection.execute(
                sa.select(table).where(table.c.id == configuration_id)).mappings().first()
            if found is None:
                raise NotFoundError('Custom attribute configuration "{0}" does not exist.'.format(configuration_id))
            configuration = dict(found)
            type_table = self.storage.tables[self.schema.types["CustomAttributeType"].table]
            configuration["_type_name"] = self.connection.execute(
                sa.select(type_table.c.name).where(type_table.c.id == configuration.get("type_id"))).scalar()
            self._configurations[configuration_id] = configuration
        return configuration

    def _value_type_for(self, requested: EntityType, configuration: Row) -> EntityType:
        """The specific value type for a write through the legacy ``CustomAttributeValue``."""
        if requested.name != "CustomAttributeValue":
            return requested
        legacy = configuration.get("entity_type")
        for value_type, owner in families.CUSTOM_ATTRIBUTE_OWNERS.items():
            for type_name, legacy_name in families.LEGACY_NAMES.items():
                if legacy_name == legacy and type_name in self.schema.types and \
                        self.schema.types[type_name].is_a(owner) and value_type in self.schema.types:
                    return self.schema.types[value_type]
        return requested

    def _write_custom_value(self, requested: EntityType, entity_key: Optional[list], data: dict,
                            creating: bool) -> Tuple[EntityType, dict]:
        plan = self._plan(requested)
        values, collections = self._parse(plan, data)
        if collections:
            raise ValidationError('"{0}" has no collections to write.'.format(requested.name))
        if entity_key is None and not creating:
            raise ValidationError("An update needs the entity key.")
        if creating:
            self._fill_key(plan, values, entity_key)
        else:
            values.update(self._checked_key(plan, entity_key, values))
        configuration = self._configuration(values["configuration_id"])
        if "value" in values:
            values["value"] = _check_custom_value(configuration, values["value"])
        values["key"] = configuration.get("key")
        value_type = self._value_type_for(requested, configuration)
        table = plan.table
        existing = self.connection.execute(sa.select(table).where(
            table.c.configuration_id == values["configuration_id"],
            table.c.entity_id == values["entity_id"])).mappings().first()
        if existing is not None:
            if creating:
                raise DuplicateEntryError('{0} with key "{1}, {2}" already exists.'.format(
                    requested.name, values["configuration_id"], values["entity_id"]))
            row = dict(existing)
            changes = {c: v for c, v in values.items() if not _same(row.get(c), v)}
            row_type = self._type(row[TYPE])
            if changes:
                self.connection.execute(table.update().where(table.c[SEQ] == row[SEQ]).values(**changes))
                self._record_update(row_type, row, changes)
                row.update(changes)
        else:
            if "value" not in values:
                values["value"] = configuration.get("default")
            values[TYPE] = value_type.name
            row = self._insert(self._plan(value_type), values)
            row_type = value_type
            self._record_row("add", row_type, row)
        self._touched[(table.name, row[SEQ])] = row_type.name
        return row_type, row

    def _checked_key(self, plan: _Plan, entity_key: list, values: Dict[str, Any]) -> Dict[str, Any]:
        key = self._coerce_key(plan.entity_type, entity_key)
        for name, value in key.items():
            if values.get(name) is not None and not _same(values[name], value):
                raise ImmutableAttributeError('Attribute "{0}" of "{1}" is immutable and cannot be '
                                              'changed.'.format(name, plan.entity_type.name))
        return key

    # ================================================================== delete

    def _remove(self, table: sa.Table, rows: List[Row], direct: bool,
                removing: Optional[Set[Tuple[str, int]]] = None) -> None:
        """Delete *rows* of *table* after applying the cascade rules of their types."""
        removing = set() if removing is None else removing
        rows = [r for r in rows if (table.name, r[SEQ]) not in removing]
        if not rows:
            return
        removing.update((table.name, r[SEQ]) for r in rows)
        by_type: Dict[str, List[Row]] = defaultdict(list)
        for row in rows:
            by_type[row[TYPE]].append(row)
        for type_name, group in by_type.items():
            entity_type = self.schema.types.get(type_name)
            if entity_type is None:
                continue
            plan = self._plan(entity_type)
            ids = [r.get("id") for r in group if r.get("id") is not None]
            if not ids:
                continue
            for rule in plan.cascades:
                self._apply_cascade(entity_type, rule, ids, direct, removing)
            for batch in chunks(ids, 400):
                link = self.storage.link
                self.connection.execute(link.delete().where(sa.or_(
                    link.c.from_id.in_(batch), link.c.to_id.in_(batch))))
        for batch in chunks([r[SEQ] for r in rows], 500):
            self.connection.execute(table.delete().where(table.c[SEQ].in_(batch)))
        for row in rows:
            self._touched.pop((table.name, row[SEQ]), None)
            removed_type = self.schema.types.get(row[TYPE])
            if removed_type is not None:
                self._record_row("remove", removed_type, row)

    def _apply_cascade(self, owner: EntityType, rule: Cascade, ids: List[Any], direct: bool,
                       removing: Set[Tuple[str, int]]) -> None:
        """Apply one :class:`Cascade` rule to the dependents of the owner rows *ids*."""
        target = self.schema.types.get(rule.target)
        if target is None:
            return
        table = self.storage.table(target)
        if rule.column not in table.c:
            return
        condition = type_filter(table, target)
        for batch in chunks(ids, 400):
            clauses = [table.c[rule.column].in_(batch)]
            if condition is not None:
                clauses.append(condition)
            if rule.action in (REFUSE, REFUSE_DIRECT) and (rule.action == REFUSE or direct):
                found = self.connection.execute(
                    sa.select(table.c[rule.column]).where(*clauses).limit(1)).scalar()
                if found is not None:
                    raise IntegrityError('Cannot delete {0} "{1}": it still has {2}.'.format(
                        owner.name, found, rule.label or rule.target))
            elif rule.action == DETACH:
                self.connection.execute(table.update().where(*clauses).values(**{rule.column: None}))
            else:
                dependents = [dict(r) for r in self.connection.execute(
                    sa.select(table).where(*clauses)).mappings()]
                if dependents:
                    self._remove(table, dependents, direct=False, removing=removing)

    # ================================================================== finish

    def _check_required(self, plan: _Plan, row: Row) -> None:
        exempt = _exemptions(self, plan, row)
        for name, column in plan.required:
            if row.get(column) is None and name not in exempt:
                key = _show_key(row.get(k) for k in plan.entity_type.primary_key)
                raise ValidationError('Missing required attribute "{0}" on {1} "{2}".'.format(
                    name, plan.entity_type.name, key))


# ====================================================================== derivations

def _derive_typed_context(writer: Writer, plan: _Plan, values: Dict[str, Any]) -> None:
    """``project_id`` from the parent chain; ``status_id``/``type_id`` from the project's workflows."""
    parent_id = values.get("parent_id")
    if parent_id is not None:
        project_id = writer._project_of_context(parent_id)
        if project_id is not None:
            values["project_id"] = project_id
    project = writer._project(values.get("project_id"))
    if project is None or (values.get("status_id") is not None and values.get("type_id") is not None):
        return
    object_type = writer._object_type(values.get("object_type_id"))
    statusable = object_type is None or bool(object_type.get("is_statusable"))
    typeable = object_type is None or bool(object_type.get("is_typeable"))
    if not statusable and not typeable:
        return
    status_id, type_id = writer._workflow_defaults(
        project.get("project_schema_id"), values.get("object_type_id"), values.get("type_id"))
    if typeable and values.get("type_id") is None:
        values["type_id"] = type_id
    if statusable and values.get("status_id") is None:
        values["status_id"] = status_id


def _derive_asset_version(writer: Writer, plan: _Plan, values: Dict[str, Any]) -> None:
    """Next version number, version workflow status, author and date."""
    asset_id = values.get("asset_id")
    if asset_id is not None and values.get("version") is None:
        table = plan.table
        highest = writer.connection.execute(
            sa.select(sa.func.max(table.c.version)).where(table.c.asset_id == asset_id)).scalar()
        values["version"] = int(highest or 0) + 1
    if values.get("status_id") is None and asset_id is not None:
        asset = writer._find(writer._plan(writer.schema.types["Asset"]), {"id": asset_id})
        if asset is not None:
            values["status_id"] = writer._version_status(writer._project_of_context(asset.get("context_id")))
    if values.get("user_id") is None:
        values["user_id"] = writer.user_id
    if values.get("date") is None:
        values["date"] = now()


def _derive_note(writer: Writer, plan: _Plan, values: Dict[str, Any]) -> None:
    if values.get("user_id") is None:
        values["user_id"] = writer.user_id
    if values.get("date") is None:
        values["date"] = now()
    if values.get("thread_activity") is None:
        values["thread_activity"] = values["date"]


def _derive_timer(writer: Writer, plan: _Plan, values: Dict[str, Any]) -> None:
    if values.get("start") is None:
        values["start"] = now()
    if values.get("user_id") is None:
        values["user_id"] = writer.user_id


def _derive_user(writer: Writer, plan: _Plan, values: Dict[str, Any]) -> None:
    if not values.get("username"):
        values["username"] = "user-" + uuid.uuid4().hex[:12]
    if values.get("user_type_id") is None:
        from .. import seed

        values["user_type_id"] = seed.DEFAULT_USER_TYPE_ID


def _derive_job(writer: Writer, plan: _Plan, values: Dict[str, Any]) -> None:
    if values.get("user_id") is None:
        values["user_id"] = writer.user_id
    jobs.check_new_job(values)


def _derive_review_session(writer: Writer, plan: _Plan, values: Dict[str, Any]) -> None:
    """A review session runs from now for a day unless its dates are given."""
    if values.get("start_date") is None:
        values["start_date"] = now()
    if values.get("end_date") is None:
        start = values["start_date"]
        if isinstance(start, datetime.datetime):
            values["end_date"] = start + datetime.timedelta(days=1)
        else:
            values["end_date"] = start


def _derive_custom_attribute_configuration(writer: Writer, plan: _Plan,
                                           values: Dict[str, Any]) -> None:
    """Types that need no options get an empty JSON configuration."""
    if values.get("config") is None:
        values["config"] = "{}"


#: (base type, derivation) applied in order to new rows of the type and its subtypes.
DERIVATIONS: Tuple[Tuple[str, Callable], ...] = (
    ("TypedContext", _derive_typed_context),
    ("AssetVersion", _derive_asset_version),
    ("Note", _derive_note),
    ("Timer", _derive_timer),
    ("User", _derive_user),
    ("Job", _derive_job),
    ("ReviewSession", _derive_review_session),
    ("CustomAttributeConfiguration", _derive_custom_attribute_configuration),
)


def _exemptions(writer: Writer, plan: _Plan, row: Row) -> Set[str]:
    """Required attributes a row may leave empty (status/type of object types without them)."""
    if not plan.entity_type.is_a("TypedContext"):
        return set()
    object_type = writer._object_type(row.get("object_type_id"))
    if object_type is None:
        return set()
    exempt = set()
    if not object_type.get("is_statusable"):
        exempt.add("status_id")
    if not object_type.get("is_typeable"):
        exempt.add("type_id")
    return exempt


# ====================================================================== helpers

def _column_of(attribute: Attribute) -> Optional[str]:
    """The column of the owner's table an attribute writes (None when it writes none)."""
    if attribute.stored:
        return attribute.column
    relation = attribute.relation
    if attribute.kind == "reference" and relation is not None and relation.kind == "many_to_one":
        return relation.local_column
    return None


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right or (left == right and type(left) is type(right))
    return left == right


def _check_custom_value(configuration: Row, value: Any) -> Any:
    """Validate *value* against the configuration's type; return its stored form."""
    if value is None:
        return None
    type_name = configuration.get("_type_name")
    key = configuration.get("key")
    if type_name == "date":
        text = value.get("value") if is_encoded_datetime(value) else value
        if isinstance(text, str):
            try:
                parsed = parse_datetime(text)
            except ValidationError:
                parsed = None
            if parsed is not None:
                return {"__type__": "datetime", "value": format_datetime(parsed)}
        raise ValidationError('Value of custom attribute "{0}" must be a date and time.'.format(key))
    check = _CUSTOM_CHECKS.get(type_name or "")
    if check is not None and not check[0](value):
        raise ValidationError('Value of custom attribute "{0}" must be {1}.'.format(key, check[1]))
    return value
