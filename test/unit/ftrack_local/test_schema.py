"""The server's entity model derived from the shipped schema."""

import pytest

from ftrack_local import schema as schema_module
from ftrack_local.errors import UnknownEntityTypeError
from ftrack_local.storage import Storage


@pytest.fixture(scope="module")
def schema():
    return schema_module.load()


def relation(schema, type_name, attribute):
    return schema.types[type_name].attributes[attribute].relation


def test_every_schema_type_is_modelled(schema):
    assert len(schema.types) == 116
    assert schema.get("Task").primary_key == ("id",)
    assert schema.get("Metadata").primary_key == ("parent_id", "key")
    with pytest.raises(UnknownEntityTypeError) as error:
        schema.get("NoSuchType")
    assert "NoSuchType" in error.value.content


def test_families_share_tables(schema):
    assert {schema.types[name].table for name in ("Context", "Project", "TypedContext", "Shot", "Task")} == {"context"}
    assert schema.types["FileComponent"].table == schema.types["Component"].table
    assert schema.types["User"].table == schema.types["Group"].table == "resource"
    assert schema.types["NoteLabel"].table == schema.types["NoteCategory"].table


def test_polymorphic_types(schema):
    typed = schema.types["TypedContext"]
    assert set(typed.stored_types) >= {"TypedContext", "Task", "Shot", "Sequence", "Milestone"}
    assert "Project" not in typed.stored_types
    assert "Project" in schema.types["Context"].stored_types
    assert schema.types["Shot"].stored_types == ("Shot",)
    assert schema.types["Shot"].is_a("Context")
    assert schema.types["NoteCategory"].report_as_self


def test_references_resolve_to_foreign_keys(schema):
    assert relation(schema, "Task", "status").local_column == "status_id"
    assert relation(schema, "Task", "parent").local_column == "parent_id"
    assert relation(schema, "Note", "author").local_column == "user_id"
    assert relation(schema, "Asset", "parent").local_column == "context_id"
    # No public foreign key: a private column holds it.
    assert relation(schema, "Status", "state").local_column == "state_id"
    assert relation(schema, "ProjectSchema", "_task_workflow").local_column == "task_workflow_schema_id"


def test_collections_resolve(schema):
    children = relation(schema, "Project", "children")
    assert (children.kind, children.target, children.remote_column) == ("one_to_many", "Context", "parent_id")
    versions = relation(schema, "Asset", "versions")
    assert (versions.kind, versions.remote_column) == ("one_to_many", "asset_id")
    statuses = relation(schema, "ProjectSchema", "object_types")
    assert (statuses.kind, statuses.link_type) == ("many_to_many", "ProjectSchemaObjectType")
    scopes = relation(schema, "Task", "scopes")
    assert scopes.kind == "many_to_many" and scopes.link_name == "context.scopes"
    assignments = relation(schema, "Task", "assignments")
    assert assignments.where == (("type", "assignment"),)
    assert relation(schema, "Shot", "custom_attributes").derived == "custom_attributes"
    assert relation(schema, "Shot", "metadata").remote_column == "parent_id"
    uses = relation(schema, "AssetVersion", "uses_versions")
    used = relation(schema, "AssetVersion", "used_in_versions")
    assert uses.link_type == used.link_type == "AssetVersionLink"
    assert (uses.owner_column, used.owner_column) == ("to_id", "from_id")


def test_derived_attributes(schema):
    task = schema.types["Task"]
    assert task.attributes["link"].column is None
    assert task.attributes["thumbnail_url"].computed
    assert relation(schema, "Task", "ancestors").derived == "ancestors"


def test_system_projections_use_public_names(schema):
    assert schema.types["Task"].system_projections == ("project_id", "context_type")
    assert schema.types["AssetVersion"].system_projections == ("asset_id",)
    assert "value" in schema.types["ContextCustomAttributeValue"].system_projections


def test_tables_create_on_sqlite(schema, tmp_path):
    storage = Storage(schema, "sqlite:///" + str(tmp_path / "db.sqlite"))
    assert storage.create_all() is True
    assert storage.create_all() is False
    columns = set(storage.tables["context"].c.keys())
    assert {"_seq", "_entity_type", "id", "name", "parent_id", "status_id", "project_schema_id"} <= columns
    assert "link" not in columns
    storage.dispose()
