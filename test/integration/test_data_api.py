"""The data API over real HTTP: queries, projections, paging, writes and errors."""

import uuid

import pytest

from ftrack_local import seed
from ftrack_local.client import ApiClient, ApiClientError


def ref(entity_type, entity_id):
    return {"__entity_type__": entity_type, "id": entity_id}


def create_op(type_name, **data):
    data.setdefault("id", str(uuid.uuid4()))
    data["__entity_type__"] = type_name
    return {"action": "create", "entity_type": type_name, "entity_key": [data["id"]], "entity_data": data}


@pytest.fixture(scope="module")
def tree(ftrack_server):
    """A project with two sequences, shots and tasks, built in one request."""
    client = ApiClient(ftrack_server.url, ftrack_server.api_user, ftrack_server.api_key)
    project = create_op("Project", name="tree_" + uuid.uuid4().hex[:6], full_name="Tree",
                        project_schema_id=seed.DEFAULT_PROJECT_SCHEMA_ID, status="active")
    project_id = project["entity_key"][0]
    operations = [project]
    ids = {"project": project_id}
    for sequence_name in ("sq010", "sq020"):
        sequence = create_op("Sequence", name=sequence_name, parent=ref("Project", project_id))
        operations.append(sequence)
        ids[sequence_name] = sequence["entity_key"][0]
        for number in range(1, 4):
            shot_name = "{0}_sh{1:03d}".format(sequence_name, number * 10)
            shot = create_op("Shot", name=shot_name, parent=ref("Sequence", ids[sequence_name]),
                             description="shot {0}".format(number), bid=number * 1.5)
            operations.append(shot)
            ids[shot_name] = shot["entity_key"][0]
            for task_name in ("comp", "anim"):
                task = create_op("Task", name=task_name, parent=ref("Shot", ids[shot_name]),
                                 type_id=seed.TYPE_IDS["Compositing" if task_name == "comp" else "Animation"])
                operations.append(task)
    client.call(operations)
    yield client, ids
    client.close()


def names(entities):
    return sorted(entity["name"] for entity in entities)


def test_query_answer_shape_and_system_projections(tree):
    client, ids = tree
    result = client.call([{"action": "query",
                           "expression": 'select name from Task where project_id is "{0}"'.format(ids["project"])}])[0]
    assert result["action"] == "query"
    assert result["metadata"] == {"next": {"offset": None}}
    assert len(result["data"]) == 12
    task = result["data"][0]
    assert task["__entity_type__"] == "Task"
    assert task["context_type"] == "task"
    assert task["project_id"] == ids["project"]
    assert task["object_type_id"] == seed.OBJECT_TYPE_IDS["Task"]


def test_nested_projections(tree):
    client, ids = tree
    data = client.query('select name, status.state.short, parent.parent.name, type.name from Task '
                        'where parent.name is "sq010_sh010"')
    assert names(data) == ["anim", "comp"]
    for task in data:
        assert task["status"]["__entity_type__"] == "Status"
        assert task["status"]["state"]["short"] == "NOT_STARTED"
        assert task["parent"]["__entity_type__"] == "Shot"
        assert task["parent"]["parent"]["name"] == "sq010"
    assert {t["type"]["name"] for t in data} == {"Compositing", "Animation"}


def test_collection_projection_and_derived_attributes(tree):
    client, ids = tree
    [sequence] = client.query('select children.name, link, descendants from Sequence where id is "{0}"'.format(
        ids["sq010"]))
    assert names(sequence["children"]) == ["sq010_sh010", "sq010_sh020", "sq010_sh030"]
    assert [entry["type"] for entry in sequence["link"]] == ["Project", "TypedContext"]
    assert len(sequence["descendants"]) == 9
    [shot] = client.query('select ancestors.name, link from Shot where id is "{0}"'.format(ids["sq020_sh030"]))
    assert [a["name"] for a in shot["ancestors"]] == ["sq020"]
    assert [entry["id"] for entry in shot["link"]] == [ids["project"], ids["sq020"], ids["sq020_sh030"]]


def test_polymorphic_queries_report_specific_types(tree):
    client, ids = tree
    data = client.query('select name from TypedContext where project_id is "{0}"'.format(ids["project"]))
    kinds = {entity["__entity_type__"] for entity in data}
    assert kinds == {"Sequence", "Shot", "Task"}
    context = client.query('select name from Context where id in ({0},{1})'.format(ids["project"], ids["sq010"]))
    assert {c["__entity_type__"] for c in context} == {"Project", "Sequence"}
    assert client.query('select id from Shot where id is "{0}"'.format(ids["sq010"])) == []


@pytest.mark.parametrize("criteria, expected", [
    ('name is "sq010_sh010"', ["sq010_sh010"]),
    ('name is_not "sq010_sh010" and parent.name is "sq010"', ["sq010_sh020", "sq010_sh030"]),
    ('name like "sq020%"', ["sq020_sh010", "sq020_sh020", "sq020_sh030"]),
    ('name not_like "%sh0%" ', []),
    ('name in ("sq010_sh010", "sq020_sh020")', ["sq010_sh010", "sq020_sh020"]),
    ('name not_in ("sq010_sh010") and parent.name is "sq010"', ["sq010_sh020", "sq010_sh030"]),
    ('bid > 3 and parent.name is "sq010"', ["sq010_sh030"]),
    ('bid <= 1.5', ["sq010_sh010", "sq020_sh010"]),
    ('(name is "sq010_sh010" or name is "sq020_sh010") and not bid > 2', ["sq010_sh010", "sq020_sh010"]),
    ('parent has (name is "sq020") and children any (name is "comp")',
     ["sq020_sh010", "sq020_sh020", "sq020_sh030"]),
    ('children.name is "anim" and parent.name is "sq010"', ["sq010_sh010", "sq010_sh020", "sq010_sh030"]),
    ('not children any () ', []),
    ('id in (select parent_id from Task where name is "comp" and parent.name like "%sh020")',
     ["sq010_sh020", "sq020_sh020"]),
    ('created_at after "2000-01-01T00:00:00+02:00" and name is "sq010_sh010"', ["sq010_sh010"]),
    ('created_at before "2000-01-01" ', []),
])
def test_conditions(tree, criteria, expected):
    client, ids = tree
    data = client.query('select name from Shot where project_id is "{0}" and ({1})'.format(ids["project"], criteria))
    assert names(data) == expected


def test_order_by_and_paging(tree):
    client, ids = tree
    base = 'select name from Shot where project_id is "{0}"'.format(ids["project"])
    descending = client.query(base + " order by name descending")
    assert [s["name"] for s in descending] == sorted((s["name"] for s in descending), reverse=True)
    everything = client.query(base)
    pages, offset = [], 0
    while offset is not None:
        result = client.call([{"action": "query", "expression": "{0} offset {1} limit 4".format(base, offset)}])[0]
        pages.append(result["data"])
        offset = result["metadata"]["next"]["offset"]
    assert [len(page) for page in pages] == [4, 2]
    assert [s["id"] for page in pages for s in page] == [s["id"] for s in everything]
    exact = client.call([{"action": "query", "expression": base + " offset 0 limit 6"}])[0]
    assert exact["metadata"]["next"]["offset"] is None
    assert client.call([{"action": "query", "expression": base + " offset 2 limit 3"}])[0]["metadata"] == {
        "next": {"offset": 5}}


def test_queries_without_select_use_default_projections(tree):
    client, ids = tree
    [shot] = client.query('Shot where id is "{0}"'.format(ids["sq010_sh010"]))
    assert {"id", "name", "context_type"} <= set(shot)


def test_update_and_read_back(tree):
    client, ids = tree
    approved = seed.STATUS_IDS["Approved"]
    answer = client.update("Shot", ids["sq020_sh020"], {"status": ref("Status", approved), "description": "final"})
    assert answer["status_id"] == approved
    [shot] = client.query('select status.name, description from Shot where id is "{0}"'.format(ids["sq020_sh020"]))
    assert shot["status"]["name"] == "Approved" and shot["description"] == "final"


def test_metadata_and_custom_attributes(ftrack_fresh_server):
    client = ApiClient(ftrack_fresh_server.url, ftrack_fresh_server.api_user, ftrack_fresh_server.api_key)
    project = create_op("Project", name="meta", full_name="Meta", status="active",
                        project_schema_id=seed.DEFAULT_PROJECT_SCHEMA_ID)
    project_id = project["entity_key"][0]
    [number_type] = client.query('select id from CustomAttributeType where name is "number"')
    configuration = create_op("CustomAttributeConfiguration", key="fstart", label="Frame start",
                              entity_type="show", type_id=number_type["id"], config='{"isdecimal": false}',
                              default=1001, core=False)
    metadata = {"action": "create", "entity_type": "Metadata", "entity_key": [project_id, "padding"],
                "entity_data": {"__entity_type__": "Metadata", "parent_id": project_id, "key": "padding",
                                "value": "4", "parent_type": "Project"}}
    client.call([project, configuration, metadata])
    [read] = client.query('select metadata, custom_attributes from Project where id is "{0}"'.format(project_id))
    assert [(m["key"], m["value"], m["parent_type"]) for m in read["metadata"]] == [("padding", "4", "Project")]
    values = {v["key"]: v["value"] for v in read["custom_attributes"]}
    assert values == {"fstart": 1001}
    value_key = [configuration["entity_key"][0], project_id]
    client.call([{"action": "update", "entity_type": "ContextCustomAttributeValue", "entity_key": value_key,
                  "entity_data": {"__entity_type__": "ContextCustomAttributeValue", "value": 1010}}])
    [read] = client.query('select custom_attributes from Project where id is "{0}"'.format(project_id))
    assert [v["value"] for v in read["custom_attributes"]] == [1010]
    matches = client.query('select id from Project where custom_attributes any (key is "fstart" and value is 1010)'
                           ' and metadata any (key is "padding" and value is "4")')
    assert [m["id"] for m in matches] == [project_id]
    with pytest.raises(ApiClientError) as error:
        client.call([{"action": "update", "entity_type": "ContextCustomAttributeValue", "entity_key": value_key,
                      "entity_data": {"__entity_type__": "ContextCustomAttributeValue", "value": "abc"}}])
    assert "fstart" in error.value.content
    client.close()


def test_failed_batch_stores_nothing(ftrack_api_client):
    first = create_op("Scope", name="kept_" + uuid.uuid4().hex[:6])
    broken = create_op("Scope", name="broken", no_such_attribute=1)
    with pytest.raises(ApiClientError) as error:
        ftrack_api_client.call([first, broken])
    assert "no_such_attribute" in error.value.content
    assert "operation 2" in error.value.content
    assert ftrack_api_client.query('select id from Scope where id is "{0}"'.format(first["entity_key"][0])) == []


def test_required_attributes_checked_at_end_of_batch(ftrack_api_client):
    scope = create_op("Scope")
    scope_id = scope["entity_key"][0]
    fill = {"action": "update", "entity_type": "Scope", "entity_key": [scope_id],
            "entity_data": {"__entity_type__": "Scope", "name": "late_" + scope_id[:6]}}
    ftrack_api_client.call([scope, fill])
    assert len(ftrack_api_client.query('select id from Scope where id is "{0}"'.format(scope_id))) == 1
    with pytest.raises(ApiClientError) as error:
        ftrack_api_client.call([create_op("Scope")])
    assert error.value.exception == "ValidationError" and '"name"' in error.value.content


@pytest.mark.parametrize("operation, exception, fragment", [
    ({"action": "query", "expression": "select id from NoSuchType"}, "UnknownEntityTypeError", "NoSuchType"),
    ({"action": "query", "expression": "select nme from Task"}, "UnknownAttributeError", "nme"),
    ({"action": "query", "expression": "select id from Task where name is"}, "ParseError", "Could not parse"),
    ({"action": "query", "expression": "select id from Task where bid > abc"}, "ValidationError", "bid"),
    ({"action": "create", "entity_type": "Nope", "entity_data": {}}, "UnknownEntityTypeError", "Nope"),
    ({"action": "update", "entity_type": "Task", "entity_key": ["missing-id"],
      "entity_data": {"name": "x"}}, "NotFoundError", "missing-id"),
    ({"action": "delete", "entity_type": "Task", "entity_key": ["missing-id"]}, "NotFoundError", "missing-id"),
    ({"action": "update", "entity_type": "Location", "entity_key": [seed.SERVER_LOCATION_ID],
      "entity_data": {"id": "other"}}, "ImmutableAttributeError", "id"),
    ({"action": "create", "entity_type": "Priority", "entity_data": {"name": "x", "value": "high", "sort": 1,
                                                                    "color": "#fff"}},
     "ValidationError", "value"),
])
def test_bad_operations_get_clear_errors(ftrack_api_client, operation, exception, fragment):
    with pytest.raises(ApiClientError) as error:
        ftrack_api_client.call([operation])
    assert error.value.exception == exception
    assert fragment in error.value.content
    # The server keeps answering.
    assert ftrack_api_client.query("select id from Location where name is \"ftrack.server\"")


def test_delete_cascades_through_project(ftrack_fresh_server):
    client = ApiClient(ftrack_fresh_server.url, ftrack_fresh_server.api_user, ftrack_fresh_server.api_key)
    project = create_op("Project", name="gone", full_name="Gone", status="active",
                        project_schema_id=seed.DEFAULT_PROJECT_SCHEMA_ID)
    project_id = project["entity_key"][0]
    shot = create_op("Shot", name="sh010", parent=ref("Project", project_id))
    task = create_op("Task", name="comp", parent=ref("Shot", shot["entity_key"][0]))
    client.call([project, shot, task])
    assert len(client.query('select id from TypedContext where project_id is "{0}"'.format(project_id))) == 2
    client.delete("Project", project_id)
    assert client.query('select id from Context where id in ({0}, {1}, {2})'.format(
        project_id, shot["entity_key"][0], task["entity_key"][0])) == []
    client.close()


def test_reset_api_key(ftrack_fresh_server):
    client = ApiClient(ftrack_fresh_server.url, ftrack_fresh_server.api_user, ftrack_fresh_server.api_key)
    [user] = client.query('select id from User where username is "{0}"'.format(ftrack_fresh_server.api_user))
    first = client.call([{"action": "reset_remote", "reset_type": "api_key", "entity_type": "User",
                          "entity_key": user["id"]}])[0]["data"]["api_key"]
    client.close()
    with pytest.raises(ApiClientError) as error:
        ApiClient(ftrack_fresh_server.url, ftrack_fresh_server.api_user, ftrack_fresh_server.api_key).call(
            [{"action": "query_server_information"}])
    assert error.value.status == 401
    renewed = ApiClient(ftrack_fresh_server.url, ftrack_fresh_server.api_user, first)
    second = renewed.call([{"action": "reset_remote", "reset_type": "api_key", "entity_type": "User",
                            "entity_key": user["id"]}])[0]["data"]["api_key"]
    assert second != first
    renewed.close()


def test_context_attached_through_children_gets_project_and_workflow(ftrack_api_client):
    """The tutorial's ``sequence['children'].append(shot)``: the shot has no parent when created."""
    project = create_op("Project", name="attach_" + uuid.uuid4().hex[:6], full_name="Attach", status="active",
                        project_schema_id=seed.DEFAULT_PROJECT_SCHEMA_ID)
    project_id = project["entity_key"][0]
    sequence = create_op("Sequence", name="sq010", parent=ref("Project", project_id))
    shot = create_op("Shot", name="sh010")
    task = create_op("Task", name="comp", parent=ref("Shot", shot["entity_key"][0]))
    attach = {"action": "update", "entity_type": "Sequence", "entity_key": sequence["entity_key"],
              "entity_data": {"__entity_type__": "Sequence", "children": [ref("Shot", shot["entity_key"][0])]}}
    ftrack_api_client.call([project, sequence, shot, task, attach])
    data = ftrack_api_client.query('select project_id, status.name, parent.name from TypedContext '
                                   'where id in ({0}, {1})'.format(shot["entity_key"][0], task["entity_key"][0]))
    assert {d["__entity_type__"]: d["project_id"] for d in data} == {"Shot": project_id, "Task": project_id}
    assert all(d["status"] is not None for d in data)


# -- what create and update answer ----------------------------------------------------

def test_create_answer_holds_what_was_sent_and_what_the_server_filled(ftrack_api_client):
    client = ftrack_api_client
    user = create_op("User", username="answer_" + uuid.uuid4().hex[:8], first_name="Ann")
    [answer] = client.call([user])
    data = answer["data"]
    assert data["__entity_type__"] == "User" and data["id"] == user["entity_key"][0]
    assert data["username"] == user["entity_data"]["username"] and data["first_name"] == "Ann"
    # Filled by the server.
    assert data["resource_type"] == "user" and data["is_active"] is True
    assert data["user_type_id"] == seed.DEFAULT_USER_TYPE_ID
    # Empty and not sent: left out, for the client to fetch when needed.
    for name in ("email", "last_name", "thumbnail_id"):
        assert name not in data, name
    [stored] = client.query('select email, last_name from User where id is "{0}"'.format(data["id"]))
    assert stored["email"] is None and stored["last_name"] is None


def test_update_answer_holds_the_change_and_the_key(ftrack_api_client):
    client = ftrack_api_client
    user = create_op("User", username="upd_" + uuid.uuid4().hex[:8], first_name="Before")
    client.call([user])
    user_id = user["entity_key"][0]
    data = client.update("User", user_id, {"first_name": "After"})
    assert data == {"__entity_type__": "User", "id": user_id, "first_name": "After",
                    "resource_type": "user"}


def test_update_answer_of_a_reference_carries_its_foreign_key(tree):
    client, ids = tree
    status = seed.STATUS_IDS["Omitted"]
    data = client.update("Shot", ids["sq010_sh030"], {"status": ref("Status", status)})
    assert data["status_id"] == status and data["status"]["id"] == status
    assert "description" not in data and "name" not in data


def test_component_created_under_its_base_type_is_a_file(ftrack_api_client):
    client = ftrack_api_client
    component = create_op("Component", name="plain_" + uuid.uuid4().hex[:6])
    [answer] = client.call([component])
    component_id = component["entity_key"][0]
    # The answer names the type written; the row is a file component.
    assert answer["data"]["__entity_type__"] == "Component"
    assert answer["data"]["system_type"] == "file"
    [stored] = client.query('select system_type from Component where id is "{0}"'.format(component_id))
    assert stored["__entity_type__"] == "FileComponent" and stored["system_type"] == "file"
    assert client.query('select id from FileComponent where id is "{0}"'.format(component_id))
    client.delete("Component", component_id)
    assert client.query('select id from Component where id is "{0}"'.format(component_id)) == []


def test_a_component_of_another_kind_keeps_its_kind(ftrack_api_client):
    component = create_op("Component", name="box", system_type="container")
    [answer] = ftrack_api_client.call([component])
    assert answer["data"]["system_type"] == "container"
    [stored] = ftrack_api_client.query('select system_type from Component where id is "{0}"'.format(
        component["entity_key"][0]))
    assert stored["__entity_type__"] == "ContainerComponent"


# -- notes: category and labels -------------------------------------------------------

def _note(client, tree_ids):
    note = create_op("Note", content="labelled", parent_id=tree_ids["sq010_sh010"], parent_type="Shot")
    client.call([note])
    return note["entity_key"][0]


def _label_link(action, note_id, label_id):
    operation = {"action": action, "entity_type": "NoteLabelLink", "entity_key": [note_id, label_id]}
    if action == "create":
        operation["entity_data"] = {"__entity_type__": "NoteLabelLink", "note_id": note_id,
                                    "label_id": label_id}
    return operation


def _category(client, note_id):
    [note] = client.query('select category.name, category_id from Note where id is "{0}"'.format(note_id))
    return note["category_id"], (note["category"] or {}).get("name")


def test_first_label_of_a_note_is_its_category(tree):
    client, ids = tree
    note_id = _note(client, ids)
    internal, client_feedback = seed.NOTE_LABEL_IDS["Internal"], seed.NOTE_LABEL_IDS["Client feedback"]
    assert _category(client, note_id) == (None, None)
    client.call([_label_link("create", note_id, internal)])
    assert _category(client, note_id) == (internal, "Internal")
    client.call([_label_link("create", note_id, client_feedback)])
    assert _category(client, note_id) == (internal, "Internal")
    # Losing the label that is its category: the next label takes over, then none.
    client.call([_label_link("delete", note_id, internal)])
    assert _category(client, note_id) == (client_feedback, "Client feedback")
    client.call([_label_link("delete", note_id, client_feedback)])
    assert _category(client, note_id) == (None, None)


def test_a_note_created_with_its_category_and_label_in_one_batch(tree):
    client, ids = tree
    label = seed.NOTE_LABEL_IDS["For approval"]
    note = create_op("Note", content="both", parent_id=ids["sq010_sh020"], parent_type="Shot",
                     category_id=label)
    client.call([note, _label_link("create", note["entity_key"][0], label)])
    assert _category(client, note["entity_key"][0]) == (label, "For approval")


def test_a_category_set_directly_stays_when_labels_come_and_go(tree):
    client, ids = tree
    default, internal = seed.NOTE_LABEL_IDS["Default"], seed.NOTE_LABEL_IDS["Internal"]
    note = create_op("Note", content="kept", parent_id=ids["sq010_sh020"], parent_type="Shot",
                     category_id=default)
    note_id = note["entity_key"][0]
    client.call([note, _label_link("create", note_id, internal)])
    client.call([_label_link("delete", note_id, internal)])
    assert _category(client, note_id) == (default, "Default")


# -- versions and their components ------------------------------------------------------

def test_deleting_a_version_deletes_its_components(tree):
    client, ids = tree
    asset = create_op("Asset", name="plate", context_id=ids["sq010_sh010"],
                      type_id=seed.ASSET_TYPE_IDS["Upload"])
    version = create_op("AssetVersion", asset_id=asset["entity_key"][0])
    version_id = version["entity_key"][0]
    component = create_op("FileComponent", name="main", version_id=version_id)
    client.call([asset, version, component])
    client.delete("AssetVersion", version_id)
    assert client.query('select id from Component where id is "{0}"'.format(component["entity_key"][0])) == []
    assert client.query('select id from Asset where id is "{0}"'.format(asset["entity_key"][0]))


# -- the default project schema -------------------------------------------------------

def test_default_scheme_has_the_workflows_of_a_new_site(ftrack_api_client):
    client = ftrack_api_client
    [scheme] = client.query(
        'select _task_workflow.statuses.name, _version_workflow.statuses.name, '
        '_task_type_schema.types.name from ProjectSchema where name is "VFX Scheme"')
    assert sorted(s["name"] for s in scheme["_task_workflow"]["statuses"]) == [
        "Approved", "Awaiting approval", "In progress", "Not started"]
    assert sorted(s["name"] for s in scheme["_version_workflow"]["statuses"]) == ["Approved", "Pending"]
    assert "Hair" in {t["name"] for t in scheme["_task_type_schema"]["types"]}
    shots = client.query('select task_status.name from SchemaStatus where schema_id is "{0}"'.format(
        seed.object_type_schema_id("VFX Scheme", "Shot")))
    assert sorted(s["task_status"]["name"] for s in shots) == ["Normal", "Omitted", "On Hold"]
