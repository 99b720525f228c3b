"""Check the seed records against the served schema (data/query_schemas.json)."""

import json
import os
import re
import sys
import uuid

import pytest

try:
    from ftrack_local import seed
except ImportError:  # Package not installed: run from the source tree.
    sys.path.insert(
        0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "source")
    )
    from ftrack_local import seed

SCHEMA_PATH = os.path.join(
    os.path.dirname(seed.__file__), "data", "query_schemas.json"
)
ADMIN_USERNAME = "admin"
ADMIN_ID = "6e4dbf7c-2b0f-4c59-8a8e-0d3b7f0b5a11"
UUID_PATTERN = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
FOREIGN_KEY_PATTERN = re.compile(r"Foreign key\(s\): (\w+)\.(\w+)")
SCALAR_TYPES = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
}


@pytest.fixture(scope="module")
def schemas():
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return {schema["id"]: schema for schema in json.load(handle)}


@pytest.fixture(scope="module")
def records():
    return seed.default_records() + seed.admin_records(ADMIN_USERNAME, ADMIN_ID)


def _primary_key(schema, data):
    return tuple(data[name] for name in schema["primary_key"])


def _by_type(records, entity_type):
    return [data for kind, data in records if kind == entity_type]


def _one(records, entity_type, **criteria):
    matches = [
        data for data in _by_type(records, entity_type)
        if all(data.get(key) == value for key, value in criteria.items())
    ]
    assert len(matches) == 1, (entity_type, criteria, matches)
    return matches[0]


def _foreign_key_target(prop):
    match = FOREIGN_KEY_PATTERN.search(prop.get("description", ""))
    return match.group(1) if match else None


def test_record_types_exist(schemas, records):
    unknown = {kind for kind, _ in records} - set(schemas)
    assert not unknown


def test_keys_are_public_writable_attributes(schemas, records):
    for kind, data in records:
        schema = schemas[kind]
        computed = set(schema.get("computed", []))
        assert data, kind
        for key, value in data.items():
            prop = schema["properties"].get(key)
            assert prop is not None, (kind, key)
            assert key not in computed, (kind, key)
            assert not prop.get("restricted_projection"), (kind, key)
            assert prop.get("type") not in ("array", "mapped_array"), (kind, key)
            if value is None:
                continue
            if "type" not in prop and "$ref" in prop:
                # Reference attribute (only used where no public id exists).
                assert value == {
                    "__entity_type__": prop["$ref"], "id": value.get("id")
                }, (kind, key, value)
            elif prop.get("type") in SCALAR_TYPES:
                assert isinstance(value, SCALAR_TYPES[prop["type"]]), (kind, key)
                if prop["type"] != "boolean":
                    assert not isinstance(value, bool), (kind, key)
            else:
                # No type (e.g. User.user_type_id): must still be a plain value.
                assert isinstance(value, (str, int, float, bool)), (kind, key)


def test_references_only_where_no_foreign_key_exists(schemas, records):
    for kind, data in records:
        properties = schemas[kind]["properties"]
        for key, value in data.items():
            if isinstance(value, dict):
                assert key + "_id" not in properties, (kind, key)


def test_required_attributes_present(schemas, records):
    for kind, data in records:
        schema = schemas[kind]
        computed = set(schema.get("computed", []))
        for name in schema["required"]:
            if name not in schema["properties"] or name in computed:
                continue
            assert data.get(name) is not None, (kind, name, data)


def test_primary_keys_unique_per_type(schemas, records):
    seen = {}
    for kind, data in records:
        key = _primary_key(schemas[kind], data)
        assert key not in seen.setdefault(kind, set()), (kind, key)
        seen[kind].add(key)


def test_ids_are_lowercase_uuids(schemas, records):
    for kind, data in records:
        for key, value in data.items():
            if key == "id" or key.endswith("_id"):
                assert UUID_PATTERN.match(value), (kind, key, value)


def test_foreign_keys_resolve_to_earlier_records(schemas, records):
    seen = {}
    for kind, data in records:
        properties = schemas[kind]["properties"]
        for key, value in data.items():
            prop = properties[key]
            if isinstance(value, dict):
                target, target_id = value["__entity_type__"], value["id"]
            elif key.endswith("_id") or prop.get("format") == "foreign_key":
                target, target_id = _foreign_key_target(prop), value
                assert target is not None, (kind, key)
            else:
                continue
            if target not in schemas:
                # A server-internal table, e.g. SecurityRole.type.
                assert (kind, key) == ("SecurityRole", "type"), (kind, key)
                assert value in seed.SECURITY_ROLE_TYPES
                continue
            assert target_id in seen.get(target, set()), (kind, key, target, value)
        if "id" in data:
            seen.setdefault(kind, set()).add(data["id"])


def test_aliased_public_names_agree(schemas, records):
    """Public attributes that share one internal column carry one value."""
    for kind, data in records:
        columns = {}
        for key, value in data.items():
            alias = schemas[kind]["properties"][key].get("alias_for")
            if isinstance(alias, str):
                columns.setdefault(alias, set()).add(json.dumps(value, sort_keys=True))
        for alias, values in columns.items():
            assert len(values) == 1, (kind, alias, values)


def test_uuid_defaults_resolve_to_seeded_rows(schemas, records):
    defaults = []
    for schema in schemas.values():
        for name, prop in schema["properties"].items():
            value = prop.get("default")
            if isinstance(value, str) and UUID_PATTERN.match(value):
                defaults.append((schema["id"], name, value, _foreign_key_target(prop)))
    assert defaults  # priority_id and object_type_id of the typed contexts
    for kind, name, value, target in defaults:
        assert target in schemas, (kind, name)
        ids = {data["id"] for data in _by_type(records, target)}
        assert value in ids, (kind, name, value)


def test_recorded_user_type_resolves(records):
    # user_type_id a real server assigned to a new user (samples/create_user.json).
    assert _one(records, "UserType", id="ac9fa5aa-4361-11e0-b7cc-0019bb4983d8")


def test_locations_exact(records):
    expected = {
        "ftrack.origin": "ce9b348f-8809-11e3-821c-20c9d081909b",
        "ftrack.unmanaged": "cb268ecc-8809-11e3-a7e2-20c9d081909b",
        "ftrack.review": "cd41be70-8809-11e3-b98a-20c9d081909b",
        "ftrack.server": "3a372bde-05bc-11e4-8908-20c9d081909b",
        "ftrack.connect": "07b82a97-8cf9-11e3-9383-20c9d081909b",
    }
    locations = {data["name"]: data["id"] for data in _by_type(records, "Location")}
    assert locations == expected
    assert seed.ORIGIN_LOCATION_ID == expected["ftrack.origin"]
    assert seed.UNMANAGED_LOCATION_ID == expected["ftrack.unmanaged"]
    assert seed.REVIEW_LOCATION_ID == expected["ftrack.review"]
    assert seed.SERVER_LOCATION_ID == expected["ftrack.server"]
    assert seed.CONNECT_LOCATION_ID == expected["ftrack.connect"]


def test_object_type_ids_exact(schemas, records):
    expected = {
        "Task": "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c",
        "Shot": "bad911de-3bd6-47b9-8b46-3476e237cb36",
        "Sequence": "e5139355-61da-4c8f-9db4-3abc870166bc",
        "Episode": "22139355-61da-4c8f-9db4-3abc870166bc",
        "Folder": "3c133785-51cb-11e3-980a-20c9d0831e59",
        "AssetBuild": "4be63b64-5010-42fb-bf1f-428af9d638f0",
        "Milestone": "01decdd1-51cb-11e3-9d5b-20c9d0831e59",
    }
    assert seed.OBJECT_TYPE_IDS == expected
    assert {data["id"] for data in _by_type(records, "ObjectType")} == set(
        expected.values()
    )
    for schema_id, object_type_id in expected.items():
        properties = schemas[schema_id]["properties"]
        assert properties["object_type_id"]["default"] == object_type_id
        alias = schemas[schema_id]["alias_for"]
        assert alias["classifiers"]["object_typeid"] == object_type_id


def test_object_type_flags(records):
    def flags(schema_id):
        return _one(records, "ObjectType", id=seed.OBJECT_TYPE_IDS[schema_id])

    task = flags("Task")
    for name in ("is_leaf", "is_typeable", "is_statusable",
                 "is_time_reportable", "is_schedulable"):
        assert task[name] is True, name
    milestone = flags("Milestone")
    assert milestone["is_schedulable"] and milestone["is_statusable"]
    asset_build = flags("AssetBuild")
    assert asset_build["is_statusable"] and asset_build["is_typeable"]
    assert flags("Shot")["is_statusable"]
    folder = flags("Folder")
    assert not (folder["is_statusable"] or folder["is_typeable"]
                or folder["is_schedulable"] or folder["is_time_reportable"])


def test_default_priority(records):
    default = _one(records, "Priority", id="9661b320-3a0c-11e2-81c1-0800200c9a66")
    assert default["name"] == "None" and default["value"] == 0
    assert seed.DEFAULT_PRIORITY_ID == default["id"]
    names = [data["name"] for data in _by_type(records, "Priority")]
    assert names == ["None", "Low", "Medium", "High", "Urgent"]


def test_states(records):
    states = {data["short"]: data["name"] for data in _by_type(records, "State")}
    assert states == {
        "NOT_STARTED": "Not started", "IN_PROGRESS": "In progress",
        "BLOCKED": "Blocked", "DONE": "Done",
    }
    # Id recorded from a real server's query answer.
    assert _one(records, "State", short="NOT_STARTED")["id"] == (
        "6c59abf8-4dbf-11e1-9902-f23c91df25eb"
    )


@pytest.mark.parametrize(
    "entity_type, criteria",
    [
        # Names the documentation's examples query.
        ("Status", {"name": "Pending"}),
        ("NoteLabel", {"name": "External Note"}),
        ("SecurityRole", {"name": "Project Manager"}),
        ("AssetType", {"name": "Geometry", "short": "geo"}),
        ("ObjectType", {"name": "Folder"}),
        ("CustomAttributeType", {"name": "text"}),
        ("CustomAttributeType", {"name": "number"}),
        ("CustomAttributeType", {"name": "boolean"}),
        ("CustomAttributeType", {"name": "date"}),
        ("CustomAttributeType", {"name": "enumerator"}),
        ("CustomAttributeType", {"name": "dynamic enumerator"}),
        ("Type", {"name": "Compositing"}),
        ("Type", {"name": "Animation"}),
        ("ListCategory", {"name": "Default"}),
        ("ProjectSchema", {"name": "VFX Scheme"}),
        ("Setting", {"name": "storage_scenario", "group": "STORAGE"}),
    ],
)
def test_documented_names_exist(records, entity_type, criteria):
    assert _one(records, entity_type, **criteria)


def test_project_security_roles_exist(records):
    project_roles = {
        data["name"] for data in _by_type(records, "SecurityRole")
        if data["type"] == "PROJECT"
    }
    assert {"Administrator", "Project Manager"} <= project_roles


def test_names_unique_within_lookup_tables(records):
    for kind in ("State", "Status", "Type", "Priority", "AssetType", "NoteLabel",
                 "ListCategory", "CustomAttributeType", "SecurityRole",
                 "ObjectType", "ProjectSchema", "WorkflowSchema",
                 "TaskTypeSchema", "Location", "UserType", "Disk"):
        names = [data["name"] for data in _by_type(records, kind)]
        assert len(names) == len(set(names)), kind


def test_storage_scenario_setting(records):
    setting = _one(records, "Setting", name="storage_scenario", group="STORAGE")
    assert json.loads(setting["value"]) == {"scenario": "ftrack.automatic", "data": {}}


def test_project_schemas_are_complete(records):
    """Every project schema can answer get_statuses / get_types."""
    object_types = {data["id"]: data for data in _by_type(records, "ObjectType")}
    for project_schema in _by_type(records, "ProjectSchema"):
        project_schema_id = project_schema["id"]
        for key in ("task_workflow_schema_id", "asset_version_workflow_schema_id"):
            statuses = [
                link for link in _by_type(records, "WorkflowSchemaStatus")
                if link["workflow_schema_id"] == project_schema[key]
            ]
            assert statuses, (project_schema["name"], key)
        task_types = {
            link["type_id"] for link in _by_type(records, "TaskTypeSchemaType")
            if link["task_type_schema_id"] == project_schema["task_type_schema_id"]
        }
        assert task_types
        members = {
            link["object_type_id"]
            for link in _by_type(records, "ProjectSchemaObjectType")
            if link["project_schema_id"] == project_schema_id
        }
        assert {seed.OBJECT_TYPE_IDS[name] for name in ("Task", "Shot", "Sequence")} <= members
        schemas = {
            data["type_id"]: data["id"] for data in _by_type(records, "Schema")
            if data["project_schema_id"] == project_schema_id
        }
        assert set(schemas) <= members
        for object_type_id in members:
            flags = object_types[object_type_id]
            if object_type_id == seed.OBJECT_TYPE_IDS["Task"]:
                continue
            schema_id = schemas.get(object_type_id)
            statuses = [
                link for link in _by_type(records, "SchemaStatus")
                if link["schema_id"] == schema_id
            ]
            types = [
                link for link in _by_type(records, "SchemaType")
                if link["schema_id"] == schema_id
            ]
            assert bool(statuses) == flags["is_statusable"], flags["name"]
            assert bool(types) == flags["is_typeable"], flags["name"]
        templates = {
            data["id"] for data in _by_type(records, "TaskTemplate")
            if data["project_schema_id"] == project_schema_id
        }
        assert templates
        for item in _by_type(records, "TaskTemplateItem"):
            if item["template_id"] in templates:
                assert item["task_type_id"] in task_types


def test_default_project_schema(records):
    default = _one(records, "ProjectSchema", id=seed.DEFAULT_PROJECT_SCHEMA_ID)
    assert default["name"] == "VFX Scheme"


def test_admin_records(schemas):
    user_id = str(uuid.uuid4())
    records = seed.admin_records("jane", user_id)
    user = _one(records, "User", id=user_id)
    assert user["username"] == "jane"
    assert user["is_active"] is True and user["resource_type"] == "user"
    role = _one(records, "UserSecurityRole", user_id=user_id)
    assert role["security_role_id"] == seed.ADMINISTRATOR_ROLE_ID
    assert role["is_all_open_projects"] is True
    assert seed.admin_records("jane", user_id) == records


def test_ids_are_stable():
    assert seed.default_records() == seed.default_records()
    assert seed.stable_id("Status", "Approved") == str(
        uuid.uuid5(seed.NAMESPACE, "Status:Approved")
    )
    assert seed.STATUS_IDS["Approved"] == seed.stable_id("Status", "Approved")


def test_no_orphan_statuses_or_types(records):
    used_statuses = {
        link["status_id"]
        for kind in ("WorkflowSchemaStatus", "SchemaStatus")
        for link in _by_type(records, kind)
    }
    used_types = {
        link["type_id"]
        for kind in ("TaskTypeSchemaType", "SchemaType")
        for link in _by_type(records, kind)
    }
    for status in _by_type(records, "Status"):
        assert status["id"] in used_statuses, status["name"]
    for type_ in _by_type(records, "Type"):
        assert type_["id"] in used_types, type_["name"]


def test_version_workflow_has_documented_statuses(records):
    # The docs create an AssetVersion with status "Pending".
    for project_schema in _by_type(records, "ProjectSchema"):
        statuses = {
            link["status_id"] for link in _by_type(records, "WorkflowSchemaStatus")
            if link["workflow_schema_id"]
            == project_schema["asset_version_workflow_schema_id"]
        }
        for name in ("Pending", "Approved"):
            assert seed.STATUS_IDS[name] in statuses, (project_schema["name"], name)


def _names(records, entity_type, ids):
    by_id = {data["id"]: data["name"] for data in _by_type(records, entity_type)}
    return sorted(by_id[i] for i in ids)


def test_default_scheme_is_the_one_of_a_new_ftrack_site(records):
    scheme = _one(records, "ProjectSchema", name=seed.DEFAULT_PROJECT_SCHEMA_NAME)

    def workflow(workflow_id):
        return _names(records, "Status", [
            link["status_id"] for link in _by_type(records, "WorkflowSchemaStatus")
            if link["workflow_schema_id"] == workflow_id])

    assert workflow(scheme["task_workflow_schema_id"]) == sorted(
        ["Not started", "In progress", "Awaiting approval", "Approved"])
    assert workflow(scheme["asset_version_workflow_schema_id"]) == ["Approved", "Pending"]
    task_types = [link["type_id"] for link in _by_type(records, "TaskTypeSchemaType")
                  if link["task_type_schema_id"] == scheme["task_type_schema_id"]]
    assert task_types[0] == seed.TYPE_IDS["Generic"]
    assert _names(records, "Type", task_types) == sorted([
        "Generic", "Animation", "Modeling", "Previz", "Lookdev", "Hair", "Cloth", "FX",
        "Lighting", "Compositing", "Tracking", "Rigging"])
    for object_type in ("Shot", "Sequence", "Episode", "AssetBuild"):
        schema_id = seed.object_type_schema_id(scheme["name"], object_type)
        statuses = [link["status_id"] for link in _by_type(records, "SchemaStatus")
                    if link["schema_id"] == schema_id]
        assert _names(records, "Status", statuses) == ["Normal", "Omitted", "On Hold"]
    build_types = [link["type_id"] for link in _by_type(records, "SchemaType")
                   if link["schema_id"] == seed.object_type_schema_id(scheme["name"], "AssetBuild")]
    assert _names(records, "Type", build_types) == sorted(
        ["Character", "Prop", "Environment", "Matte Painting"])


def test_review_scheme_has_the_review_steps_the_docs_use(records):
    scheme = _one(records, "ProjectSchema", name="Review Scheme")
    statuses = {link["status_id"] for link in _by_type(records, "WorkflowSchemaStatus")
                if link["workflow_schema_id"] == scheme["asset_version_workflow_schema_id"]}
    assert seed.STATUS_IDS["Pending Review"] in statuses
