"""Values a new row derives from related rows and from the request (doc/protocol.rst, "Derived values").

:data:`DERIVATIONS` lists, per base type, the functions completing the
column values of a new row of that type or a subtype, in order. Each takes
the batch, the row's plan and its values, and fills in what is missing.
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Set, Tuple

import sqlalchemy as sa

from ... import seed
from ...components import jobs
from ...schema import EntityType
from ...storage import now

if TYPE_CHECKING:
    from .batch import Batch
    from .plans import Plan

Values = Dict[str, Any]
Derivation = Callable[["Batch", "Plan", Values], None]


def derive_typed_context(batch: Batch, plan: Plan, values: Values) -> None:
    """``project_id`` from the parent chain; ``status_id``/``type_id`` from the project's workflows."""
    related = batch.related
    parent_id = values.get("parent_id")
    if parent_id is not None:
        project_id = related.project_of_context(parent_id)
        if project_id is not None:
            values["project_id"] = project_id
    project = related.project(values.get("project_id"))
    if project is None or (values.get("status_id") is not None and values.get("type_id") is not None):
        return
    object_type = related.object_type(values.get("object_type_id"))
    statusable = object_type is None or bool(object_type.get("is_statusable"))
    typeable = object_type is None or bool(object_type.get("is_typeable"))
    if not statusable and not typeable:
        return
    status_id, type_id = batch.workflows.typed_context_defaults(
        project.get("project_schema_id"), values.get("object_type_id"), values.get("type_id"))
    if typeable and values.get("type_id") is None:
        values["type_id"] = type_id
    if statusable and values.get("status_id") is None:
        values["status_id"] = status_id


def derive_asset_version(batch: Batch, plan: Plan, values: Values) -> None:
    """Next version number and the version workflow's first status."""
    asset_id = values.get("asset_id")
    if asset_id is None:
        return
    if values.get("version") is None:
        table = plan.table
        highest = batch.connection.execute(
            sa.select(sa.func.max(table.c.version)).where(table.c.asset_id == asset_id)).scalar()
        values["version"] = int(highest or 0) + 1
    if values.get("status_id") is None:
        asset = batch.rows.find(batch.plans.named("Asset"), {"id": asset_id})
        if asset is not None:
            project_id = batch.related.project_of_context(asset.get("context_id"))
            values["status_id"] = batch.workflows.version_status(project_id)


def derive_author(batch: Batch, plan: Plan, values: Values) -> None:
    """The request user owns what it creates (versions, notes, timers, jobs)."""
    if values.get("user_id") is None:
        values["user_id"] = batch.user_id


def derive_date(batch: Batch, plan: Plan, values: Values) -> None:
    """Versions and notes are dated when they are created."""
    if values.get("date") is None:
        values["date"] = now()


def derive_thread_activity(batch: Batch, plan: Plan, values: Values) -> None:
    """A new note's thread was last active when the note was written."""
    if values.get("thread_activity") is None:
        values["thread_activity"] = values["date"]


def derive_timer_start(batch: Batch, plan: Plan, values: Values) -> None:
    """A timer starts when it is created."""
    if values.get("start") is None:
        values["start"] = now()


def derive_user(batch: Batch, plan: Plan, values: Values) -> None:
    """A user gets a generated username and the default user type."""
    if not values.get("username"):
        values["username"] = "user-" + uuid.uuid4().hex[:12]
    if values.get("user_type_id") is None:
        values["user_type_id"] = seed.DEFAULT_USER_TYPE_ID


def check_job(batch: Batch, plan: Plan, values: Values) -> None:
    """A new job must be valid as created (see :func:`ftrack_local.components.jobs.check_new_job`)."""
    jobs.check_new_job(values)


def derive_review_session(batch: Batch, plan: Plan, values: Values) -> None:
    """A review session runs from now for a day unless its dates are given."""
    if values.get("start_date") is None:
        values["start_date"] = now()
    if values.get("end_date") is None:
        start = values["start_date"]
        if isinstance(start, datetime.datetime):
            values["end_date"] = start + datetime.timedelta(days=1)
        else:
            values["end_date"] = start


def derive_configuration(batch: Batch, plan: Plan, values: Values) -> None:
    """Custom attribute types that need no options get an empty JSON configuration."""
    if values.get("config") is None:
        values["config"] = "{}"


#: (base type, derivations) applied in order to new rows of the type and its subtypes.
DERIVATIONS: Tuple[Tuple[str, Tuple[Derivation, ...]], ...] = (
    ("TypedContext", (derive_typed_context,)),
    ("AssetVersion", (derive_asset_version, derive_author, derive_date)),
    ("Note", (derive_author, derive_date, derive_thread_activity)),
    ("Timer", (derive_timer_start, derive_author)),
    ("User", (derive_user,)),
    ("Job", (derive_author, check_job)),
    ("ReviewSession", (derive_review_session,)),
    ("CustomAttributeConfiguration", (derive_configuration,)),
)


def derivations_for(entity_type: EntityType) -> List[Derivation]:
    """The derivations of new rows of *entity_type*, in the order they run."""
    return [derive for base, derivations in DERIVATIONS if entity_type.is_a(base) for derive in derivations]


def exemptions(batch: Batch, entity_type: EntityType, row: Values) -> Set[str]:
    """Required attributes a row may leave empty (status/type of object types without them)."""
    if not entity_type.is_a("TypedContext"):
        return set()
    object_type = batch.related.object_type(row.get("object_type_id"))
    if object_type is None:
        return set()
    exempt = set()
    if not object_type.get("is_statusable"):
        exempt.add("status_id")
    if not object_type.get("is_typeable"):
        exempt.add("type_id")
    return exempt
