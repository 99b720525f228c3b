"""Values new rows derive (:mod:`ftrack_local.api.writing.derivations`) on a real SQLite database."""

import datetime
import uuid

import pytest

from ftrack_local import schema as schema_module
from ftrack_local import seed
from ftrack_local.api.writing import derivations
from ftrack_local.storage import TYPE

@pytest.fixture(scope="module")
def schema():
    return schema_module.load()


@pytest.fixture()
def batch(write_batch):
    return write_batch


def derive(batch, type_name, values):
    plan = batch.plans.named(type_name)
    for step in plan.derivations:
        step(batch, plan, values)
    return values


def test_derivations_run_in_table_order(schema):
    steps = derivations.derivations_for(schema.types["AssetVersion"])
    assert steps == [derivations.derive_asset_version, derivations.derive_author, derivations.derive_date]
    assert derivations.derivations_for(schema.types["Shot"]) == [derivations.derive_typed_context]
    assert derivations.derivations_for(schema.types["Scope"]) == []


def test_note_author_date_and_thread(batch):
    values = derive(batch, "Note", {})
    assert values["user_id"] == batch.user_id
    assert isinstance(values["date"], datetime.datetime)
    assert values["thread_activity"] == values["date"]
    given = derive(batch, "Note", {"user_id": "someone"})
    assert given["user_id"] == "someone"


def test_first_version_of_an_asset(batch):
    values = derive(batch, "AssetVersion", {"asset_id": str(uuid.uuid4())})
    assert values["version"] == 1
    assert values.get("status_id") is None  # no such asset: no project, no workflow
    assert values["user_id"] == batch.user_id


def test_versions_count_up_per_asset(batch):
    plan = batch.plans.named("AssetVersion")
    asset_id = str(uuid.uuid4())
    batch.rows.insert(plan, {"id": str(uuid.uuid4()), "asset_id": asset_id, "version": 4, TYPE: "AssetVersion"})
    assert derive(batch, "AssetVersion", {"asset_id": asset_id})["version"] == 5
    assert derive(batch, "AssetVersion", {"asset_id": str(uuid.uuid4())})["version"] == 1


def test_user_gets_a_name_and_the_default_type(batch):
    values = derive(batch, "User", {})
    assert values["username"].startswith("user-")
    assert values["user_type_id"] == seed.DEFAULT_USER_TYPE_ID
    assert derive(batch, "User", {"username": "jane"})["username"] == "jane"


def test_review_session_lasts_a_day(batch):
    start = datetime.datetime(2024, 5, 1, 9, 0)
    values = derive(batch, "ReviewSession", {"start_date": start})
    assert values["end_date"] == start + datetime.timedelta(days=1)


def test_timer_and_configuration(batch):
    timer = derive(batch, "Timer", {})
    assert timer["user_id"] == batch.user_id and isinstance(timer["start"], datetime.datetime)
    assert derive(batch, "CustomAttributeConfiguration", {})["config"] == "{}"


def test_typed_context_takes_its_parent_project(batch):
    contexts = batch.plans.named("Context")
    project_id, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    batch.rows.insert(contexts, {"id": project_id, "name": "p", "context_type": "show", TYPE: "Project"})
    batch.rows.insert(contexts, {"id": parent_id, "name": "sq", "context_type": "task", "project_id": project_id,
                                 "parent_id": project_id, TYPE: "Sequence"})
    values = derive(batch, "Shot", {"parent_id": parent_id})
    assert values["project_id"] == project_id
    assert values.get("status_id") is None  # the project has no schema


def test_object_types_without_status_are_exempt(batch):
    object_types = batch.plans.named("ObjectType")
    plain = str(uuid.uuid4())
    batch.rows.insert(object_types, {"id": plain, "name": "Plain", "is_statusable": False, "is_typeable": True,
                                     TYPE: "ObjectType"})
    task = batch.schema.types["TypedContext"]
    assert derivations.exemptions(batch, task, {"object_type_id": plain}) == {"status_id"}
    assert derivations.exemptions(batch, task, {"object_type_id": str(uuid.uuid4())}) == set()
    assert derivations.exemptions(batch, batch.schema.types["Asset"], {}) == set()
