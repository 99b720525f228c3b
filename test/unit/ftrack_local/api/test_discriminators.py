"""Subtypes from discriminator values (:mod:`ftrack_local.api.writing.discriminators`)."""

import pytest

from ftrack_local import schema as schema_module
from ftrack_local import seed
from ftrack_local.api.writing.discriminators import Discriminators, fill_base_default
from ftrack_local.errors import ValidationError

OT = seed.OBJECT_TYPE_IDS


@pytest.fixture(scope="module")
def schema():
    return schema_module.load()


@pytest.fixture(scope="module")
def rules(schema):
    return Discriminators(schema)


def columns(schema, type_name):
    return set(schema.table_columns(schema.types[type_name].table))


def test_typed_contexts_are_keyed_by_their_object_type(rules):
    mapping = dict((base, mapping) for base, _, mapping in rules.entries)["TypedContext"]
    assert mapping[OT["Shot"]] == "Shot"
    assert mapping[OT["Task"]] == "Task"


def test_resolve_follows_discriminators_down(schema, rules):
    context = schema.types["Context"]
    assert rules.resolve(context, {"context_type": "show"}).name == "Project"
    task = rules.resolve(context, {"context_type": "task", "object_type_id": OT["Task"]})
    assert task.name == "Task"
    assert rules.resolve(schema.types["Resource"], {"resource_type": "group"}).name == "Group"
    assert rules.resolve(schema.types["Component"], {"system_type": "unknown"}).name == "Component"


def test_a_component_without_system_type_is_a_file(schema, rules):
    values = {}
    fill_base_default(schema.types["Component"], values)
    assert values == {"system_type": "file"}
    assert rules.resolve(schema.types["Component"], values).name == "FileComponent"
    given = {"system_type": "sequence"}
    fill_base_default(schema.types["Component"], given)
    assert given == {"system_type": "sequence"}


def test_fill_writes_the_values_a_subtype_implies(schema, rules):
    values = {}
    rules.fill(schema.types["Shot"], columns(schema, "Shot"), values)
    assert values == {"context_type": "task", "object_type_id": OT["Shot"]}
    user = {}
    rules.fill(schema.types["User"], columns(schema, "User"), user)
    assert user == {"resource_type": "user"}


def test_fill_refuses_a_value_naming_another_subtype(schema, rules):
    with pytest.raises(ValidationError, match="Sequence"):
        rules.fill(schema.types["Shot"], columns(schema, "Shot"), {"object_type_id": OT["Sequence"]})


def test_retype_follows_a_changed_object_type(schema, rules):
    shot = schema.types["Shot"]
    assert rules.retype(shot, {"object_type_id": OT["Task"]}).name == "Task"
    assert rules.retype(shot, {"name": "x"}) is shot
    project = schema.types["Project"]
    assert rules.retype(project, {"context_type": "task"}) is project
