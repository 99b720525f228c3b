"""Defaults of new rows (:mod:`ftrack_local.api.writing.defaults`) on real plans."""

import datetime

import pytest

from ftrack_local import schema as schema_module
from ftrack_local.api.writing import defaults
from ftrack_local.api.writing.plans import Plans
from ftrack_local.storage import Storage


@pytest.fixture(scope="module")
def plans():
    storage = Storage(schema_module.load(), "sqlite://")
    yield Plans(storage)
    storage.dispose()


def test_server_defaults_apply_to_subtypes(plans):
    task = plans.named("Task")
    assert task.server_defaults["bid"] == 0
    assert task.server_defaults["priority_id"] == defaults.SERVER_DEFAULTS["TypedContext"]["priority_id"]
    project = plans.named("Project")
    assert project.server_defaults == {"status": "active", "is_global": False, "is_private": False}
    assert plans.named("Asset").server_defaults == {}


def test_server_defaults_fill_only_empty_columns(plans):
    values = {"is_active": False, "is_otp_enabled": None}
    defaults.fill_server_defaults(plans.named("User"), values)
    assert values["is_active"] is False
    assert values["is_otp_enabled"] is False and values["require_details_update"] is False


def test_unique_column_sets(plans):
    assert defaults.unique_for(plans.schema.types["User"]) == (("username",),)
    assert defaults.unique_for(plans.schema.types["Timer"]) == (("user_id",),)
    assert defaults.unique_for(plans.schema.types["Task"]) == ()
    assert plans.named("User").unique == (("username",),)


def test_literal_defaults_leave_given_values(plans):
    plan = plans.named("Task")
    assert plan.literal_defaults, "the schema gives typed contexts literal defaults"
    column, attribute = plan.literal_defaults[0]
    values = {column: "given"}
    defaults.fill_literal_defaults(plan, values)
    assert values[column] == "given"
    assert set(values) == {c for c, _ in plan.literal_defaults}


def test_creation_stamp(plans):
    stamped = {}
    defaults.fill_creation_stamp(plans.named("Task"), stamped, "user-1")
    assert stamped["created_by_id"] == "user-1"
    assert isinstance(stamped["created_at"], datetime.datetime)
    kept = {"created_at": datetime.datetime(2020, 1, 1), "created_by_id": "user-2"}
    defaults.fill_creation_stamp(plans.named("Task"), kept, "user-1")
    assert kept == {"created_at": datetime.datetime(2020, 1, 1), "created_by_id": "user-2"}
    unstamped = {}
    defaults.fill_creation_stamp(plans.named("Scope"), unstamped, "user-1")
    assert unstamped == {}


def test_abstract_types():
    assert "Context" in defaults.ABSTRACT_TYPES
