"""Tests of :mod:`ftrack_local.api.writer` on a real SQLite database."""

import contextlib
import datetime
import os
import shutil
import sys
import time
import uuid

import pytest
import sqlalchemy as sa

try:
    import ftrack_local  # noqa: F401
except ImportError:  # Package not installed: run from the source tree.
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "source"))

from ftrack_local import schema as schema_module
from ftrack_local import seed
from ftrack_local.api.writer import Writer
from ftrack_local.errors import (DuplicateEntryError, ImmutableAttributeError, IntegrityError,
                                 NotFoundError, UnknownAttributeError, UnknownEntityTypeError,
                                 ValidationError)
from ftrack_local.storage import SEQ, TYPE, Storage

ADMIN_ID = "6e4dbf7c-2b0f-4c59-8a8e-0d3b7f0b5a11"
OT = seed.OBJECT_TYPE_IDS


@pytest.fixture(scope="module")
def schema():
    return schema_module.load()


@pytest.fixture(scope="module")
def seeded_file(schema, tmp_path_factory):
    """A database seeded through the writer (as the backend does), copied by each test."""
    path = tmp_path_factory.mktemp("writer-template") / "seeded.sqlite"
    storage = Storage(schema, "sqlite:///" + str(path))
    storage.create_all()
    with storage.engine.begin() as connection:
        writer = Writer(storage, connection)
        for type_name, data in seed.default_records() + seed.admin_records("admin", ADMIN_ID):
            writer.create(type_name, dict(data, __entity_type__=type_name))
        writer.finish()
    storage.dispose()
    return path


@pytest.fixture()
def storage(schema, seeded_file, tmp_path):
    path = tmp_path / "writer.sqlite"
    shutil.copyfile(str(seeded_file), str(path))
    storage = Storage(schema, "sqlite:///" + str(path))
    storage.create_all()
    yield storage
    storage.dispose()


@contextlib.contextmanager
def batch(storage, user_id=ADMIN_ID):
    """One request: a transaction committed after ``finish`` (rolled back on error)."""
    with storage.engine.connect() as connection:
        transaction = connection.begin()
        try:
            writer = Writer(storage, connection, user_id=user_id, username="admin")
            yield writer
            writer.finish()
        except BaseException:
            transaction.rollback()
            raise
        transaction.commit()


def rows(storage, type_name, **where):
    entity_type = storage.schema.types[type_name]
    table = storage.table(entity_type)
    clauses = [table.c[k] == v for k, v in where.items()]
    if not entity_type.report_as_self:
        clauses.append(table.c[TYPE].in_(entity_type.stored_types))
    with storage.engine.connect() as connection:
        return [dict(r) for r in connection.execute(
            sa.select(table).where(*clauses).order_by(table.c[SEQ])).mappings()]


def one(storage, type_name, **where):
    found = rows(storage, type_name, **where)
    assert len(found) == 1, (type_name, where, found)
    return found[0]


def ref(type_name, entity_id):
    return {"__entity_type__": type_name, "id": entity_id}


def new_id():
    return str(uuid.uuid4())


def make_project(writer, name="proj", schema_id=seed.DEFAULT_PROJECT_SCHEMA_ID):
    _, project = writer.create("Project", {
        "__entity_type__": "Project", "id": new_id(), "name": name, "full_name": name.upper(),
        "project_schema_id": schema_id})
    return project


def make_context(writer, type_name, parent, name, **extra):
    data = {"__entity_type__": type_name, "id": new_id(), "name": name,
            "parent": ref(parent[TYPE], parent["id"])}
    if type_name in OT:
        data["object_type_id"] = OT[type_name]
    data.update(extra)
    return writer.create(type_name, data)[1]


@pytest.fixture()
def tree(storage):
    """project / sq010 / sh010 / compositing in one committed batch."""
    with batch(storage) as writer:
        project = make_project(writer)
        sequence = make_context(writer, "Sequence", project, "sq010")
        shot = make_context(writer, "Shot", sequence, "sh010")
        task = make_context(writer, "Task", shot, "compositing")
    return {"project": project, "sequence": sequence, "shot": shot, "task": task}


# -- seeding -------------------------------------------------------------------------------


def test_seed_records_load(storage):
    assert len(rows(storage, "Location")) == 5
    assert len(rows(storage, "ObjectType")) == 7
    status = one(storage, "Status", id=seed.STATUS_IDS["Approved"])
    assert status["state_id"] == seed.STATE_IDS["DONE"]
    assert {r[TYPE] for r in rows(storage, "NoteLabel")} == {"NoteLabel"}
    user = one(storage, "User", id=ADMIN_ID)
    assert user["username"] == "admin" and user["resource_type"] == "user"
    setting = one(storage, "Setting", name="storage_scenario")
    assert setting["group"] == "STORAGE"


# -- refusals ------------------------------------------------------------------------------


def test_unknown_type(storage):
    with pytest.raises(UnknownEntityTypeError):
        with batch(storage) as writer:
            writer.create("Tsk", {"name": "x"})


def test_unknown_attribute(storage, tree):
    with pytest.raises(UnknownAttributeError) as info:
        with batch(storage) as writer:
            writer.update("Task", [tree["task"]["id"]], {"nme": "x"})
    assert info.value.content == 'Attribute "nme" does not exist on type "Task".'


def test_computed_attributes_are_ignored_on_create(storage, tree):
    with batch(storage) as writer:
        reported, row = writer.create("Task", {
            "name": "echo", "parent_id": tree["shot"]["id"], "object_type_id": OT["Task"],
            "link": [{"id": "x", "name": "y", "type": "Project"}], "thumbnail_url": {"url": "u"},
            "time_logged": 3.0})
    assert reported.name == "Task"
    assert one(storage, "Task", id=row["id"])["name"] == "echo"


@pytest.mark.parametrize("name, value", [
    ("ancestors", [{"__entity_type__": "Shot", "id": "x"}]),
    ("custom_attributes", [{"__entity_type__": "ContextCustomAttributeValue",
                            "configuration_id": "a", "entity_id": "b"}]),
    ("custom_attribute_links", []),
])
def test_derived_and_restricted_collections_are_refused(storage, tree, name, value):
    with pytest.raises(ValidationError) as info:
        with batch(storage) as writer:
            writer.update("Task", [tree["task"]["id"]], {name: value})
    assert name in info.value.content and "{" not in info.value.content


def test_derived_reference_is_refused(storage, tree):
    with batch(storage) as writer:
        _, asset = writer.create("Asset", {"name": "a", "context_id": tree["shot"]["id"]})
        _, version = writer.create("AssetVersion", {"asset_id": asset["id"]})
    with pytest.raises(ValidationError) as info:
        with batch(storage) as writer:
            writer.update("Asset", [asset["id"]], {"latest_version": ref("AssetVersion", version["id"])})
    assert '"latest_version"' in info.value.content


def test_empty_derived_collection_is_accepted(storage, tree):
    with batch(storage) as writer:
        writer.update("Task", [tree["task"]["id"]], {"custom_attributes": [], "descendants": []})


def test_wrong_value_type(storage, tree):
    with pytest.raises(ValidationError) as info:
        with batch(storage) as writer:
            writer.update("Task", [tree["task"]["id"]], {"bid": "lots"})
    assert '"bid"' in info.value.content


def test_context_is_abstract(storage):
    with pytest.raises(ValidationError):
        with batch(storage) as writer:
            writer.create("Context", {"name": "x", "context_type": "show"})


def test_error_messages_have_no_braces(storage, tree):
    with pytest.raises(ValidationError) as info:
        with batch(storage) as writer:
            writer.update("Task", [tree["task"]["id"]], {"parent": {"no": "key"}})
    assert "{" not in info.value.content and "}" not in info.value.content


# -- types and keys ----------------------------------------------------------------------------


def test_typed_context_subtype_from_object_type(storage, tree):
    with batch(storage) as writer:
        reported, row = writer.create("TypedContext", {
            "name": "sh020", "parent": ref("Sequence", tree["sequence"]["id"]),
            "object_type_id": OT["Shot"]})
    assert reported.name == "Shot"
    assert row[TYPE] == "Shot"
    assert one(storage, "Shot", id=row["id"])["context_type"] == "task"


def test_typed_context_with_unknown_object_type_stays_typed_context(storage, tree):
    custom = new_id()
    with batch(storage) as writer:
        writer.create("ObjectType", {"id": custom, "name": "Custom", "is_statusable": False,
                                     "is_typeable": False})
        reported, row = writer.create("TypedContext", {
            "name": "c", "parent_id": tree["project"]["id"], "object_type_id": custom})
    assert reported.name == "TypedContext" and row[TYPE] == "TypedContext"


def test_subtype_with_another_object_type_is_refused(storage, tree):
    with pytest.raises(ValidationError):
        with batch(storage) as writer:
            writer.create("Task", {"name": "x", "parent_id": tree["shot"]["id"],
                                   "object_type_id": OT["Shot"]})


def test_object_type_change_retypes_row(storage, tree):
    with batch(storage) as writer:
        reported, row = writer.update("TypedContext", [tree["shot"]["id"]],
                                      {"object_type_id": OT["Folder"]})
    assert reported.name == "Folder"
    assert one(storage, "Folder", id=tree["shot"]["id"])[TYPE] == "Folder"


def test_keys_taken_from_entity_key_data_or_generated(storage, tree):
    key = new_id()
    with batch(storage) as writer:
        _, from_key = writer.create("Scope", {"name": "a"}, [key])
        _, generated = writer.create("Scope", {"name": "b"})
        _, from_data = writer.create("Scope", {"name": "c", "id": "fixed-id"}, ["fixed-id"])
    assert from_key["id"] == key
    assert uuid.UUID(generated["id"])
    assert from_data["id"] == "fixed-id"
    with pytest.raises(ValidationError):
        with batch(storage) as writer:
            writer.create("Scope", {"name": "d", "id": new_id()}, [new_id()])


def test_event_ids_are_integers(storage):
    with batch(storage) as writer:
        _, first = writer.create("Event", {"action": "a"})
        _, second = writer.create("Event", {"action": "b"})
        _, keyed = writer.create("Event", {"action": "c"}, ["50"])
    assert isinstance(first["id"], int) and second["id"] == first["id"] + 1
    assert keyed["id"] == 50
    with batch(storage) as writer:
        _, later = writer.create("Event", {"action": "d"})
        writer.update("Event", ["50"], {"action": "e"})
    assert later["id"] == 51
    assert one(storage, "Event", id=50)["action"] == "e"


def test_duplicate_primary_key(storage, tree):
    with pytest.raises(DuplicateEntryError):
        with batch(storage) as writer:
            writer.create("Task", {"id": tree["task"]["id"], "name": "again",
                                   "parent_id": tree["shot"]["id"], "object_type_id": OT["Task"]})
    with pytest.raises(DuplicateEntryError):
        with batch(storage) as writer:
            writer.create("Metadata", {"parent_id": "p", "parent_type": "Task", "key": "k", "value": "1"})
            writer.create("Metadata", {"parent_id": "p", "parent_type": "Task", "key": "k", "value": "2"})


def test_second_timer_for_user_is_duplicate(storage, tree):
    with batch(storage) as writer:
        _, timer = writer.create("Timer", {"user": ref("User", ADMIN_ID),
                                           "context": ref("Task", tree["task"]["id"]), "name": "t"})
    assert isinstance(timer["start"], datetime.datetime)
    with pytest.raises(DuplicateEntryError) as info:
        with batch(storage) as writer:
            writer.create("Timer", {"user_id": ADMIN_ID, "context": None})
    assert "DuplicateEntryError" in info.value.content or info.value.exception == "DuplicateEntryError"
    assert "DuplicateEntryError" in info.value.content
    # Once stopped (deleted), a new timer may start; the user defaults to the request user.
    with batch(storage) as writer:
        writer.delete("Timer", [timer["id"]])
        _, again = writer.create("Timer", {"context": None})
    assert again["user_id"] == ADMIN_ID


# -- references ------------------------------------------------------------------------------


def test_references_set_foreign_keys(storage, tree):
    status = seed.STATUS_IDS["In progress"]
    with batch(storage) as writer:
        writer.update("Task", [tree["task"]["id"]], {"status": ref("Status", status)})
    assert one(storage, "Task", id=tree["task"]["id"])["status_id"] == status
    with batch(storage) as writer:
        writer.update("Task", [tree["task"]["id"]], {"thumbnail": None})
    assert one(storage, "Task", id=tree["task"]["id"])["thumbnail_id"] is None


def test_a_reference_wins_over_its_foreign_key(storage, tree):
    # Clients fill ``priority_id`` from its schema default and also send the
    # ``priority`` the user chose: the reference is what was meant.
    low = seed.PRIORITY_IDS["Low"]
    with batch(storage) as writer:
        writer.create("Task", {"name": "same", "parent": ref("Shot", tree["shot"]["id"]),
                               "parent_id": tree["shot"]["id"], "object_type_id": OT["Task"]})
        writer.create("Task", {"name": "chosen", "priority_id": seed.DEFAULT_PRIORITY_ID,
                               "priority": ref("Priority", low), "parent_id": tree["sequence"]["id"],
                               "parent": ref("Shot", tree["shot"]["id"]), "object_type_id": OT["Task"]})
    chosen = one(storage, "Task", name="chosen")
    assert chosen["priority_id"] == low
    assert chosen["parent_id"] == tree["shot"]["id"]


def test_two_references_to_one_key_must_agree(storage, tree):
    # ``Recipient.recipient`` and ``Recipient.user`` both keep ``resource_id``.
    with pytest.raises(ValidationError) as info:
        with batch(storage) as writer:
            writer.create("Recipient", {"note_id": new_id(), "recipient": ref("User", ADMIN_ID),
                                        "user": ref("User", new_id())})
    assert '"recipient"' in info.value.content and '"user"' in info.value.content


def test_reference_of_wrong_family_is_refused(storage, tree):
    with pytest.raises(ValidationError):
        with batch(storage) as writer:
            writer.update("Task", [tree["task"]["id"]], {"status": ref("Priority", seed.DEFAULT_PRIORITY_ID)})


# -- derived values ----------------------------------------------------------------------------


def test_context_derived_values(storage, tree):
    project = one(storage, "Project", id=tree["project"]["id"])
    assert project["context_type"] == "show"
    assert project["created_by_id"] == ADMIN_ID and project["created_at"] is not None
    assert project["status"] == "active"
    sequence = one(storage, "Sequence", id=tree["sequence"]["id"])
    shot = one(storage, "Shot", id=tree["shot"]["id"])
    task = one(storage, "Task", id=tree["task"]["id"])
    for row in (sequence, shot, task):
        assert row["context_type"] == "task"
        assert row["project_id"] == project["id"]
        assert row["bid"] == 0 and row["sort"] == 0
        assert row["created_by_id"] == ADMIN_ID
    # Shot: statuses of the project schema's Shot schema; not typeable.
    assert shot["status_id"] == seed.STATUS_IDS["Normal"]
    assert shot["type_id"] is None
    # Task: the task workflow and task type schema.
    assert task["status_id"] == seed.STATUS_IDS["Not started"]
    assert task["type_id"] == seed.TYPE_IDS["Generic"]


def test_object_type_schema_overrides_and_non_statusable_types(storage, tree):
    with batch(storage) as writer:
        build = make_context(writer, "AssetBuild", tree["project"], "hero")
        folder = make_context(writer, "Folder", tree["project"], "assets")
        milestone = make_context(writer, "Milestone", tree["project"], "delivery")
    build = one(storage, "AssetBuild", id=build["id"])
    assert build["type_id"] == seed.TYPE_IDS["Character"]
    assert build["status_id"] == seed.STATUS_IDS["Normal"]
    folder = one(storage, "Folder", id=folder["id"])
    assert folder["status_id"] is None and folder["type_id"] is None
    milestone = one(storage, "Milestone", id=milestone["id"])
    assert milestone["status_id"] == seed.STATUS_IDS["Not started"] and milestone["type_id"] is None


def test_schema_status_order_and_workflow_override(storage):
    with batch(storage) as writer:
        workflow = new_id()
        writer.create("WorkflowSchema", {"id": workflow, "name": "anim"})
        writer.create("WorkflowSchemaStatus", {"workflow_schema_id": workflow,
                                               "status_id": seed.STATUS_IDS["In progress"]})
        writer.create("ProjectSchemaOverride", {"project_schema_id": seed.DEFAULT_PROJECT_SCHEMA_ID,
                                                "type_id": seed.TYPE_IDS["Animation"],
                                                "workflow_schema_id": workflow})
        project = make_project(writer)
        animation = make_context(writer, "Task", project, "anim", type_id=seed.TYPE_IDS["Animation"])
        generic = make_context(writer, "Task", project, "generic")
    assert one(storage, "Task", id=animation["id"])["status_id"] == seed.STATUS_IDS["In progress"]
    assert one(storage, "Task", id=generic["id"])["status_id"] == seed.STATUS_IDS["Not started"]


def test_project_id_follows_parent_chain_created_in_same_batch(storage):
    with batch(storage) as writer:
        project = make_project(writer)
        episode = make_context(writer, "Episode", project, "ep")
        sequence = make_context(writer, "Sequence", episode, "sq")
        _, shot = writer.create("Shot", {"name": "sh", "parent_id": sequence["id"],
                                         "object_type_id": OT["Shot"]})
    assert shot["project_id"] == project["id"]
    assert one(storage, "Shot", id=shot["id"])["project_id"] == project["id"]


def test_moving_a_context_updates_project_of_subtree(storage, tree):
    with batch(storage) as writer:
        other = make_project(writer, "other")
        writer.update("Shot", [tree["shot"]["id"]], {"parent": ref("Project", other["id"])})
    assert one(storage, "Shot", id=tree["shot"]["id"])["project_id"] == other["id"]
    assert one(storage, "Task", id=tree["task"]["id"])["project_id"] == other["id"]


def test_asset_version_defaults(storage, tree):
    with batch(storage) as writer:
        _, asset = writer.create("Asset", {"name": "plate", "parent": ref("Shot", tree["shot"]["id"]),
                                           "type_id": seed.ASSET_TYPE_IDS["Plate"]})
        _, first = writer.create("AssetVersion", {"asset_id": asset["id"]})
        _, second = writer.create("AssetVersion", {"asset": ref("Asset", asset["id"])})
        _, explicit = writer.create("AssetVersion", {"asset_id": asset["id"], "version": 10})
    assert (first["version"], second["version"], explicit["version"]) == (1, 2, 10)
    assert first["status_id"] == seed.STATUS_IDS["Pending"]
    assert first["user_id"] == ADMIN_ID and first["date"] is not None
    assert first["is_published"] is True
    with batch(storage) as writer:
        _, fourth = writer.create("AssetVersion", {"asset_id": asset["id"]})
    assert fourth["version"] == 11


def test_user_defaults(storage):
    with batch(storage) as writer:
        reported, user = writer.create("User", {"first_name": "Jane"})
        _, named = writer.create("User", {"username": "jane"})
    assert reported.name == "User"
    assert user["username"] and user["resource_type"] == "user" and user["is_active"] is True
    assert user["user_type_id"] == seed.DEFAULT_USER_TYPE_ID
    assert user["username"] != named["username"]
    with pytest.raises(DuplicateEntryError):
        with batch(storage) as writer:
            writer.create("User", {"username": "jane"})
    with batch(storage) as writer:
        _, group = writer.create("Group", {"name": "anim"})
    assert group["resource_type"] == "group" and group["local"] is False


@pytest.mark.parametrize("type_name, system_type", [
    ("FileComponent", "file"), ("SequenceComponent", "sequence"), ("ContainerComponent", "container")])
def test_component_system_type(storage, type_name, system_type):
    with batch(storage) as writer:
        reported, row = writer.create(type_name, {"name": "main"})
    assert reported.name == type_name and row["system_type"] == system_type


def test_base_types_resolve_to_subtypes(storage, tree):
    with batch(storage) as writer:
        component_type, _ = writer.create("Component", {"name": "main", "system_type": "sequence",
                                                        "padding": 4})
        list_type, listed = writer.create("List", {
            "name": "l", "system_type": "assetversion", "project_id": tree["project"]["id"],
            "category_id": seed.LIST_CATEGORY_IDS["Default"]})
    assert component_type.name == "SequenceComponent"
    assert list_type.name == "AssetVersionList"
    with batch(storage) as writer:
        # Without a system type the base's schema default ("task") decides.
        list_type, _ = writer.create("List", {"project_id": tree["project"]["id"],
                                              "category_id": seed.LIST_CATEGORY_IDS["Default"]})
    assert list_type.name == "TypedContextList"


def test_list_system_type(storage, tree):
    with batch(storage) as writer:
        _, tasks = writer.create("TypedContextList", {
            "name": "l", "project": ref("Project", tree["project"]["id"]),
            "category": ref("ListCategory", seed.LIST_CATEGORY_IDS["Default"]),
            "owner": ref("User", ADMIN_ID)})
        _, versions = writer.create("AssetVersionList", {
            "name": "v", "project_id": tree["project"]["id"],
            "category_id": seed.LIST_CATEGORY_IDS["Dailies"]})
    assert tasks["system_type"] == "task" and versions["system_type"] == "assetversion"
    assert tasks["is_open"] is True


def test_job_defaults(storage):
    with batch(storage) as writer:
        _, job = writer.create("Job", {"data": '{"description": "x"}'})
    assert job["type"] == "api_job" and job["status"] == "queued"
    assert job["created_at"] is not None and job["user_id"] == ADMIN_ID


def test_note_defaults_recipients_and_parent(storage, tree):
    with batch(storage) as writer:
        _, other = writer.create("User", {"username": "john"})
    with batch(storage) as writer:
        _, note = writer.create("Note", {"content": "hello"})
        writer.create("Recipient", {"note_id": note["id"], "resource_id": other["id"]})
        writer.update("Task", [tree["task"]["id"]], {"notes": [ref("Note", note["id"])]})
    stored = one(storage, "Note", id=note["id"])
    assert stored["user_id"] == ADMIN_ID and stored["date"] is not None
    assert stored["parent_id"] == tree["task"]["id"] and stored["parent_type"] == "Task"
    recipients = {r["resource_id"] for r in rows(storage, "Recipient", note_id=note["id"])}
    assert recipients == {ADMIN_ID, other["id"]}


def test_note_explicit_recipient_equal_to_request_user(storage, tree):
    with batch(storage) as writer:
        _, note = writer.create("Note", {"content": "x", "author": ref("User", ADMIN_ID)})
        writer.create("Recipient", {"note_id": note["id"], "resource_id": ADMIN_ID,
                                    "text_mentioned": "@admin"})
    recipients = rows(storage, "Recipient", note_id=note["id"])
    assert [(r["resource_id"], r["text_mentioned"]) for r in recipients] == [(ADMIN_ID, "@admin")]


def test_note_without_request_user_needs_author(storage):
    with pytest.raises(ValidationError) as info:
        with batch(storage, user_id=None) as writer:
            _, note = writer.create("Note", {"content": "x"})
    assert 'Missing required attribute "user_id" on Note' in info.value.content


# -- updates ---------------------------------------------------------------------------------


def test_update_returns_row(storage, tree):
    with batch(storage) as writer:
        reported, row = writer.update("Task", [tree["task"]["id"]], {
            "bid": 8, "start_date": {"__type__": "datetime", "value": "2024-01-02T03:04:05+02:00"}})
    assert reported.name == "Task"
    assert row["bid"] == 8 and row["name"] == "compositing"
    assert row["start_date"] == datetime.datetime(2024, 1, 2, 1, 4, 5)


def test_update_missing_row(storage):
    missing = new_id()
    with pytest.raises(NotFoundError) as info:
        with batch(storage) as writer:
            writer.update("Task", [missing], {"name": "x"})
    assert info.value.content == 'Task with key "{0}" does not exist.'.format(missing)


def test_update_of_other_subtype_is_not_found(storage, tree):
    with pytest.raises(NotFoundError):
        with batch(storage) as writer:
            writer.update("Shot", [tree["task"]["id"]], {"name": "x"})
    with batch(storage) as writer:
        reported, _ = writer.update("TypedContext", [tree["task"]["id"]], {"name": "x"})
    assert reported.name == "Task"


def test_immutable_attributes(storage, tree):
    task_id = tree["task"]["id"]
    with pytest.raises(ImmutableAttributeError) as info:
        with batch(storage) as writer:
            writer.update("Task", [task_id], {"id": new_id()})
    assert info.value.content == 'Attribute "id" of "Task" is immutable and cannot be changed.'
    with pytest.raises(ImmutableAttributeError):
        with batch(storage) as writer:
            writer.update("Task", [task_id], {"created_by": ref("User", new_id())})
    with batch(storage) as writer:  # same value is fine
        writer.update("Task", [task_id], {"id": task_id, "object_type_id": OT["Task"]})
    with batch(storage) as writer:  # an immutable attribute may be set once
        _, user = writer.create("UserType", {})
        writer.update("UserType", [user["id"]], {"name": "first"})
    with pytest.raises(ImmutableAttributeError):
        with batch(storage) as writer:
            writer.update("UserType", [user["id"]], {"name": "second"})


def test_immutable_attributes_of_rows_created_in_the_batch_may_change(storage):
    with batch(storage) as writer:
        _, user_type = writer.create("UserType", {"name": "draft"})
        writer.update("UserType", [user_type["id"]], {"name": "final"})
        with pytest.raises(ImmutableAttributeError):
            writer.update("UserType", [user_type["id"]], {"id": new_id()})
    assert one(storage, "UserType", id=user_type["id"])["name"] == "final"


def test_view_types_report_as_requested(storage):
    label_id = seed.NOTE_LABEL_IDS["Internal"]
    with batch(storage) as writer:
        reported, row = writer.update("NoteCategory", [label_id], {"color": "#000000"})
    assert reported.name == "NoteCategory"
    with batch(storage) as writer:
        reported, _ = writer.create("NoteCategory", {"name": "c"})
    assert reported.name == "NoteCategory"


# -- batches ---------------------------------------------------------------------------------


def test_required_attributes_checked_at_finish(storage):
    with batch(storage) as writer:
        _, first = writer.create("Scope", {})
        writer.create("Scope", {"name": "b"})
        writer.update("Scope", [first["id"]], {"name": "a"})
    assert one(storage, "Scope", id=first["id"])["name"] == "a"
    with pytest.raises(ValidationError) as info:
        with batch(storage) as writer:
            _, scope = writer.create("Scope", {})
    assert info.value.content == 'Missing required attribute "name" on Scope "{0}".'.format(scope["id"])
    assert not rows(storage, "Scope", id=scope["id"])


def test_clearing_a_required_value_fails_at_finish(storage, tree):
    with pytest.raises(ValidationError) as info:
        with batch(storage) as writer:
            writer.update("Task", [tree["task"]["id"]], {"status": None})
    assert 'Missing required attribute "status_id" on Task' in info.value.content


def test_failed_batch_leaves_nothing(storage):
    with storage.engine.connect() as connection:
        transaction = connection.begin()
        writer = Writer(storage, connection, user_id=ADMIN_ID)
        project = make_project(writer, "doomed")
        make_context(writer, "Sequence", project, "sq")
        with pytest.raises(NotFoundError):
            writer.update("Task", [new_id()], {"name": "x"})
        transaction.rollback()
    assert not rows(storage, "Project", name="doomed")
    assert not rows(storage, "Sequence", name="sq")


def test_deleted_rows_are_not_validated(storage):
    with batch(storage) as writer:
        _, scope = writer.create("Scope", {})
        writer.delete("Scope", [scope["id"]])


def test_thousand_creates_are_fast(storage, tree):
    started = time.perf_counter()
    with batch(storage) as writer:
        for index in range(1000):
            writer.create("Task", {
                "__entity_type__": "Task", "id": new_id(), "name": "task%04d" % index,
                "parent": ref("Shot", tree["shot"]["id"]), "object_type_id": OT["Task"],
                "priority_id": seed.DEFAULT_PRIORITY_ID})
    elapsed = time.perf_counter() - started
    assert len(rows(storage, "Task", parent_id=tree["shot"]["id"])) == 1001
    assert elapsed < 5.0, elapsed


# -- custom attributes -------------------------------------------------------------------------


def make_configuration(writer, key, type_name, entity_type="task", object_type=None, default=None):
    data = {"key": key, "label": key, "entity_type": entity_type, "config": "{}",
            "type_id": seed.CUSTOM_ATTRIBUTE_TYPE_IDS[type_name], "default": default}
    if object_type:
        data["object_type_id"] = OT[object_type]
    return writer.create("CustomAttributeConfiguration", data)[1]


def test_custom_attribute_values_upsert(storage, tree):
    shot_id = tree["shot"]["id"]
    with batch(storage) as writer:
        fstart = make_configuration(writer, "fstart", "number", object_type="Shot", default=1001)
        reported, row = writer.update("ContextCustomAttributeValue", [fstart["id"], shot_id], {"value": 1001})
    assert reported.name == "ContextCustomAttributeValue"
    stored = one(storage, "ContextCustomAttributeValue", entity_id=shot_id)
    assert stored["value"] == 1001 and stored["key"] == "fstart"
    assert stored[TYPE] == "ContextCustomAttributeValue"
    with batch(storage) as writer:
        writer.update("ContextCustomAttributeValue", [fstart["id"], shot_id], {"value": 1010.5})
    assert [r["value"] for r in rows(storage, "CustomAttributeValue", entity_id=shot_id)] == [1010.5]


def test_custom_attribute_for_owner_created_in_same_batch(storage, tree):
    with batch(storage) as writer:
        configuration = make_configuration(writer, "notes_text", "text", entity_type="show")
        project = make_project(writer, "fresh")
        writer.update("ContextCustomAttributeValue", [configuration["id"], project["id"]],
                      {"value": "hello"})
    assert one(storage, "CustomAttributeValue", entity_id=project["id"])["value"] == "hello"


@pytest.mark.parametrize("type_name, good, bad, words", [
    ("number", 5, "test", "a number"),
    ("text", "x", 5, "text"),
    ("boolean", True, "yes", "a boolean"),
    ("enumerator", ["a", "b"], [1], "a list of strings"),
    ("date", {"__type__": "datetime", "value": "2024-05-06T07:08:09"}, "tomorrow", "a date and time"),
])
def test_custom_attribute_validation(storage, tree, type_name, good, bad, words):
    with batch(storage) as writer:
        configuration = make_configuration(writer, "attr", type_name, object_type="Task")
        writer.update("ContextCustomAttributeValue", [configuration["id"], tree["task"]["id"]],
                      {"value": good})
    with pytest.raises(ValidationError) as info:
        with batch(storage) as writer:
            writer.update("ContextCustomAttributeValue", [configuration["id"], tree["task"]["id"]],
                          {"value": bad})
    assert info.value.content == 'Value of custom attribute "attr" must be {0}.'.format(words)


def test_custom_attribute_date_round_trips_tagged(storage, tree):
    with batch(storage) as writer:
        configuration = make_configuration(writer, "due", "date", entity_type="assetversion")
        _, asset = writer.create("Asset", {"name": "a", "context_id": tree["shot"]["id"]})
        _, version = writer.create("AssetVersion", {"asset_id": asset["id"]})
        writer.update("AssetVersionCustomAttributeValue", [configuration["id"], version["id"]], {
            "value": {"__type__": "datetime", "value": "2024-05-06T07:08:09.250000+01:00"}})
    stored = one(storage, "AssetVersionCustomAttributeValue", entity_id=version["id"])
    assert stored["value"] == {"__type__": "datetime", "value": "2024-05-06T06:08:09.250000"}


def test_custom_attribute_legacy_type_and_missing_configuration(storage, tree):
    with batch(storage) as writer:
        configuration = make_configuration(writer, "flag", "boolean", entity_type="task", object_type="Task")
        reported, row = writer.update("CustomAttributeValue", [configuration["id"], tree["task"]["id"]],
                                      {"value": False})
    assert reported.name == "ContextCustomAttributeValue"
    assert one(storage, "CustomAttributeValue", entity_id=tree["task"]["id"])[TYPE] == \
        "ContextCustomAttributeValue"
    with pytest.raises(NotFoundError):
        with batch(storage) as writer:
            writer.update("ContextCustomAttributeValue", [new_id(), tree["task"]["id"]], {"value": 1})
    with pytest.raises(DuplicateEntryError):
        with batch(storage) as writer:
            writer.create("ContextCustomAttributeValue", {
                "configuration_id": configuration["id"], "entity_id": tree["task"]["id"], "value": True})


# -- collections -------------------------------------------------------------------------------


def test_metadata_create_then_collection_update(storage, tree):
    project_id = tree["project"]["id"]
    with batch(storage) as writer:
        for key, value in (("frame_padding", "4"), ("fps", "24")):
            writer.create("Metadata", {"parent_id": project_id, "parent_type": "Project",
                                       "key": key, "value": value})
        writer.update("Project", [project_id], {"metadata": [
            {"__entity_type__": "Metadata", "parent_id": project_id, "key": "frame_padding"},
            {"__entity_type__": "Metadata", "parent_id": project_id, "key": "fps"}]})
    stored = rows(storage, "Metadata", parent_id=project_id)
    assert [(r["key"], r["value"], r["parent_type"]) for r in stored] == [
        ("frame_padding", "4", "Project"), ("fps", "24", "Project")]
    with batch(storage) as writer:
        writer.update("Metadata", [project_id, "fps"], {"value": "25"})
        writer.delete("Metadata", [project_id, "frame_padding"])
    assert [(r["key"], r["value"]) for r in rows(storage, "Metadata", parent_id=project_id)] == [("fps", "25")]


def test_metadata_on_new_entity_in_one_batch(storage, tree):
    with batch(storage) as writer:
        shot = make_context(writer, "Shot", tree["sequence"], "sh099")
        writer.create("Metadata", {"parent_id": shot["id"], "parent_type": "Shot", "key": "k", "value": "v"})
        writer.update("Shot", [shot["id"]], {"metadata": [
            {"__entity_type__": "Metadata", "parent_id": shot["id"], "key": "k"}]})
    assert one(storage, "Metadata", parent_id=shot["id"])["parent_type"] == "Shot"


def test_one_to_many_sets_owner_and_keeps_missing_members(storage, tree):
    with batch(storage) as writer:
        _, asset = writer.create("Asset", {"name": "a", "context_id": tree["shot"]["id"]})
        _, version = writer.create("AssetVersion", {"asset_id": asset["id"]})
        _, first = writer.create("FileComponent", {"name": "a"})
        _, second = writer.create("FileComponent", {"name": "b"})
        writer.update("AssetVersion", [version["id"]], {"components": [
            ref("FileComponent", first["id"]), ref("FileComponent", second["id"])]})
    with batch(storage) as writer:
        writer.update("AssetVersion", [version["id"]], {"components": [ref("FileComponent", first["id"])]})
    assert one(storage, "Component", id=first["id"])["version_id"] == version["id"]
    assert one(storage, "Component", id=second["id"])["version_id"] == version["id"]
    with pytest.raises(NotFoundError):
        with batch(storage) as writer:
            writer.update("AssetVersion", [version["id"]], {"components": [ref("FileComponent", new_id())]})


def test_assignments_collection_sets_type(storage, tree):
    with batch(storage) as writer:
        _, appointment = writer.create("Appointment", {
            "context_id": tree["task"]["id"], "resource_id": ADMIN_ID, "type": "allocation"})
        writer.update("Task", [tree["task"]["id"]], {"assignments": [ref("Appointment", appointment["id"])]})
    assert one(storage, "Appointment", id=appointment["id"])["type"] == "assignment"


def _link_rows(storage, name):
    link = storage.link
    with storage.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(
            sa.select(link.c.from_id, link.c.to_id).where(link.c.name == name).order_by(link.c[SEQ]))]


def test_many_to_many_private_links_are_replaced(storage, tree):
    task_id = tree["task"]["id"]
    with batch(storage) as writer:
        scopes = [writer.create("Scope", {"name": n})[1]["id"] for n in "abc"]
        writer.update("Task", [task_id], {"scopes": [ref("Scope", scopes[0]), ref("Scope", scopes[1])]})
    assert _link_rows(storage, "context.scopes") == [(task_id, scopes[0]), (task_id, scopes[1])]
    with batch(storage) as writer:
        writer.update("Task", [task_id], {"scopes": [ref("Scope", scopes[1]), ref("Scope", scopes[2])]})
    assert _link_rows(storage, "context.scopes") == [(task_id, scopes[1]), (task_id, scopes[2])]
    with batch(storage) as writer:
        writer.update("Task", [task_id], {"scopes": []})
    assert _link_rows(storage, "context.scopes") == []


def test_scopes_on_create(storage, tree):
    with batch(storage) as writer:
        _, scope = writer.create("Scope", {"name": "s"})
        _, task = writer.create("Task", {"name": "t", "parent_id": tree["shot"]["id"],
                                         "object_type_id": OT["Task"], "scopes": [ref("Scope", scope["id"])]})
    assert _link_rows(storage, "context.scopes") == [(task["id"], scope["id"])]


def test_list_items_replace_list_objects(storage, tree):
    with batch(storage) as writer:
        second = make_context(writer, "Task", tree["shot"], "lighting")
        _, task_list = writer.create("TypedContextList", {
            "name": "l", "project_id": tree["project"]["id"],
            "category_id": seed.LIST_CATEGORY_IDS["Default"]})
        writer.update("TypedContextList", [task_list["id"]], {"items": [
            ref("Task", tree["task"]["id"]), ref("Task", second["id"])]})
    objects = rows(storage, "ListObject", list_id=task_list["id"])
    assert [o["entity_id"] for o in objects] == [tree["task"]["id"], second["id"]]
    assert all(uuid.UUID(o["id"]) for o in objects)
    removed = objects[0]
    with batch(storage) as writer:
        configuration = make_configuration(writer, "order", "number", entity_type="listobject")
        writer.update("ListObjectCustomAttributeValue", [configuration["id"], removed["id"]], {"value": 1})
    with batch(storage) as writer:
        writer.update("TypedContextList", [task_list["id"]], {"items": [ref("Task", second["id"])]})
    assert [o["id"] for o in rows(storage, "ListObject", list_id=task_list["id"])] == [objects[1]["id"]]
    assert not rows(storage, "CustomAttributeValue", entity_id=removed["id"])


def test_link_entity_collections(storage):
    with batch(storage) as writer:
        _, workflow = writer.create("WorkflowSchema", {"name": "w"})
        statuses = [seed.STATUS_IDS["Ready"], seed.STATUS_IDS["Approved"]]
        writer.update("WorkflowSchema", [workflow["id"]], {"statuses": [ref("Status", s) for s in statuses]})
    assert [r["status_id"] for r in rows(storage, "WorkflowSchemaStatus",
                                         workflow_schema_id=workflow["id"])] == statuses


def test_uses_versions(storage, tree):
    with batch(storage) as writer:
        _, asset = writer.create("Asset", {"name": "a", "context_id": tree["shot"]["id"]})
        _, model = writer.create("AssetVersion", {"asset_id": asset["id"]})
        _, rig = writer.create("AssetVersion", {"asset_id": asset["id"]})
        writer.update("AssetVersion", [rig["id"]], {"uses_versions": [ref("AssetVersion", model["id"])]})
    # The same as creating an AssetVersionLink from the used version to the user.
    assert [(r["from_id"], r["to_id"]) for r in rows(storage, "AssetVersionLink", to_id=rig["id"])] == [
        (model["id"], rig["id"])]


# -- deletes -----------------------------------------------------------------------------------


def test_delete_missing_row(storage):
    with pytest.raises(NotFoundError):
        with batch(storage) as writer:
            writer.delete("Task", [new_id()])


def test_project_delete_removes_everything_below(storage, tree):
    project_id, task_id, shot_id = tree["project"]["id"], tree["task"]["id"], tree["shot"]["id"]
    with batch(storage) as writer:
        _, other = writer.create("User", {"username": "other"})
        configuration = make_configuration(writer, "fstart", "number", object_type="Shot")
        writer.update("ContextCustomAttributeValue", [configuration["id"], shot_id], {"value": 1})
        writer.create("Metadata", {"parent_id": task_id, "parent_type": "Task", "key": "k", "value": "v"})
        _, note = writer.create("Note", {"content": "n", "parent_id": task_id, "parent_type": "Task"})
        _, reply = writer.create("Note", {"content": "r", "in_reply_to_id": note["id"]})
        writer.create("Recipient", {"note_id": note["id"], "resource_id": other["id"]})
        writer.create("NoteLabelLink", {"note_id": note["id"], "label_id": seed.NOTE_LABEL_IDS["Internal"]})
        _, asset = writer.create("Asset", {"name": "a", "context_id": shot_id})
        _, version = writer.create("AssetVersion", {"asset_id": asset["id"], "task_id": task_id})
        _, component = writer.create("FileComponent", {"name": "main", "version_id": version["id"]})
        writer.create("ComponentLocation", {"component_id": component["id"],
                                            "location_id": seed.SERVER_LOCATION_ID})
        writer.create("Appointment", {"context_id": task_id, "resource_id": other["id"], "type": "assignment"})
        writer.create("Timelog", {"context_id": task_id, "user_id": other["id"], "duration": 60,
                                  "start": {"__type__": "datetime", "value": "2024-01-01T10:00:00"}})
        _, task_list = writer.create("TypedContextList", {
            "name": "l", "project_id": project_id, "category_id": seed.LIST_CATEGORY_IDS["Default"]})
        writer.update("TypedContextList", [task_list["id"]], {"items": [ref("Task", task_id)]})
        _, scope = writer.create("Scope", {"name": "s"})
        writer.update("Task", [task_id], {"scopes": [ref("Scope", scope["id"])]})
        _, outside = writer.create("Folder", {"name": "f", "parent_id": make_project(writer, "keep")["id"],
                                              "object_type_id": OT["Folder"]})
        writer.create("TypedContextLink", {"from_id": outside["id"], "to_id": shot_id})
        writer.create("Timer", {"user_id": other["id"], "context_id": task_id})
    with batch(storage) as writer:
        writer.delete("Project", [project_id])
    for type_name, where in (
            ("Context", {"id": project_id}), ("Sequence", {"id": tree["sequence"]["id"]}),
            ("Shot", {"id": shot_id}), ("Task", {"id": task_id}),
            ("Note", {"id": note["id"]}), ("Note", {"id": reply["id"]}),
            ("Recipient", {"note_id": note["id"]}), ("NoteLabelLink", {"note_id": note["id"]}),
            ("Metadata", {"parent_id": task_id}), ("CustomAttributeValue", {"entity_id": shot_id}),
            ("Asset", {"id": asset["id"]}), ("AssetVersion", {"id": version["id"]}),
            ("Component", {"id": component["id"]}), ("ComponentLocation", {"component_id": component["id"]}),
            ("Appointment", {"context_id": task_id}), ("Timelog", {"context_id": task_id}),
            ("List", {"id": task_list["id"]}), ("ListObject", {"list_id": task_list["id"]}),
            ("TypedContextLink", {"to_id": shot_id})):
        assert not rows(storage, type_name, **where), type_name
    assert _link_rows(storage, "context.scopes") == []
    # Unrelated rows survive; references to removed rows are cleared.
    assert one(storage, "Folder", id=outside["id"])
    assert one(storage, "Scope", id=scope["id"])
    assert one(storage, "User", id=other["id"])
    assert one(storage, "Timer", user_id=other["id"])["context_id"] is None
    assert one(storage, "CustomAttributeConfiguration", id=configuration["id"])


def test_delete_task_removes_its_notes(storage, tree):
    with batch(storage) as writer:
        _, note = writer.create("Note", {"content": "n"})
        writer.update("Task", [tree["task"]["id"]], {"notes": [ref("Note", note["id"])]})
    with batch(storage) as writer:
        writer.delete("Task", [tree["task"]["id"]])
    assert not rows(storage, "Note", id=note["id"])
    assert not rows(storage, "Recipient", note_id=note["id"])
    assert one(storage, "Shot", id=tree["shot"]["id"])


def test_version_delete_removes_its_components(storage, tree):
    with batch(storage) as writer:
        _, asset = writer.create("Asset", {"name": "a", "context_id": tree["shot"]["id"]})
        _, version = writer.create("AssetVersion", {"asset_id": asset["id"]})
        _, component = writer.create("FileComponent", {"name": "main", "version_id": version["id"]})
        writer.create("ComponentLocation", {"component_id": component["id"],
                                            "location_id": seed.SERVER_LOCATION_ID,
                                            "resource_identifier": component["id"]})
        _, other = writer.create("FileComponent", {"name": "elsewhere"})
    with batch(storage) as writer:
        writer.delete("AssetVersion", [version["id"]])
        removed = {(c[0], c[1], c[2].get("id")) for c in writer.changes if c[0] == "remove"}
    assert not rows(storage, "AssetVersion", id=version["id"])
    assert not rows(storage, "FileComponent", id=component["id"])
    assert not rows(storage, "ComponentLocation", component_id=component["id"])
    assert ("remove", "FileComponent", component["id"]) in removed
    assert one(storage, "FileComponent", id=other["id"])


def test_location_with_components_cannot_be_deleted(storage):
    with batch(storage) as writer:
        _, location = writer.create("Location", {"name": "studio.disk"})
        _, component = writer.create("FileComponent", {"name": "main"})
        _, placement = writer.create("ComponentLocation", {
            "component_id": component["id"], "location_id": location["id"], "resource_identifier": "/x"})
        writer.create("Metadata", {"parent_id": component["id"], "parent_type": "FileComponent",
                                   "key": "k", "value": "v"})
    with pytest.raises(IntegrityError):
        with batch(storage) as writer:
            writer.delete("Location", [location["id"]])
    with batch(storage) as writer:
        writer.delete("Component", [component["id"]])
    assert not rows(storage, "ComponentLocation", id=placement["id"])
    assert not rows(storage, "Metadata", parent_id=component["id"])
    with batch(storage) as writer:
        writer.delete("Location", [location["id"]])


def test_note_delete_removes_replies_recipients_components(storage):
    with batch(storage) as writer:
        _, note = writer.create("Note", {"content": "n"})
        _, reply = writer.create("Note", {"content": "r"})
        writer.update("Note", [note["id"]], {"replies": [ref("Note", reply["id"])]})
        _, component = writer.create("FileComponent", {"name": "attachment"})
        writer.create("NoteComponent", {"note_id": note["id"], "component_id": component["id"]})
    with batch(storage) as writer:
        writer.delete("Note", [note["id"]])
    assert not rows(storage, "Note", id=reply["id"])
    assert not rows(storage, "Recipient", note_id=reply["id"])
    assert not rows(storage, "NoteComponent", note_id=note["id"])
    assert one(storage, "Component", id=component["id"])


def test_user_delete_removes_timers_timelogs_appointments(storage, tree):
    with batch(storage) as writer:
        _, user = writer.create("User", {"username": "leaving"})
        writer.create("Timer", {"user_id": user["id"], "context_id": tree["task"]["id"]})
        writer.create("Timelog", {"user_id": user["id"], "context_id": tree["task"]["id"], "duration": 5,
                                  "start": {"__type__": "datetime", "value": "2024-01-01"}})
        writer.create("Appointment", {"resource_id": user["id"], "context_id": tree["task"]["id"],
                                      "type": "assignment"})
        configuration = make_configuration(writer, "dept", "text", entity_type="user")
        writer.update("UserCustomAttributeValue", [configuration["id"], user["id"]], {"value": "fx"})
    with batch(storage) as writer:
        writer.delete("User", [user["id"]])
    for type_name, column in (("Timer", "user_id"), ("Timelog", "user_id"), ("Appointment", "resource_id"),
                              ("CustomAttributeValue", "entity_id")):
        assert not rows(storage, type_name, **{column: user["id"]}), type_name
    assert one(storage, "Task", id=tree["task"]["id"])


def test_children_then_parent_in_one_batch(storage, tree):
    with batch(storage) as writer:
        writer.delete("Task", [tree["task"]["id"]])
        writer.delete("Shot", [tree["shot"]["id"]])
        writer.delete("Sequence", [tree["sequence"]["id"]])
        writer.delete("Project", [tree["project"]["id"]])
    assert not rows(storage, "Context")


def test_delete_custom_attribute_value_and_composite_keys(storage, tree):
    with batch(storage) as writer:
        configuration = make_configuration(writer, "x", "text", object_type="Task")
        writer.update("ContextCustomAttributeValue", [configuration["id"], tree["task"]["id"]], {"value": "a"})
    with batch(storage) as writer:
        writer.delete("ContextCustomAttributeValue", [configuration["id"], tree["task"]["id"]])
    assert not rows(storage, "CustomAttributeValue", entity_id=tree["task"]["id"])


def test_delete_configuration_removes_values(storage, tree):
    with batch(storage) as writer:
        configuration = make_configuration(writer, "x", "text", object_type="Task")
        writer.update("ContextCustomAttributeValue", [configuration["id"], tree["task"]["id"]], {"value": "a"})
    with batch(storage) as writer:
        writer.delete("CustomAttributeConfiguration", [configuration["id"]])
    assert not rows(storage, "CustomAttributeValue", configuration_id=configuration["id"])
