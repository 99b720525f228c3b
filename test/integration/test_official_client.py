"""The official ftrack client (``ftrack-python-api`` 3.1.0) against the local
server.

Each scenario is a script in ``official/`` run by an interpreter that has the
official client (see ``conftest.py``); the tests check what it observed.
"""

import hashlib
import json
import logging

import pytest

from ftrack_local.testing import ApiClient, start_server

OBJECT_TYPE_IDS = {
    "Task": "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c",
    "Shot": "bad911de-3bd6-47b9-8b46-3476e237cb36",
    "Sequence": "e5139355-61da-4c8f-9db4-3abc870166bc",
}
SERVER_ERROR = "ServerError"


def served_schemas(server):
    client = ApiClient(server.url, server.api_user, server.api_key)
    try:
        return client.call([{"action": "query_schemas"}])[0]
    finally:
        client.close()


def assert_server_error(observed, *fragments):
    """*observed* is a ServerError whose message holds every fragment."""
    assert observed["class"] == SERVER_ERROR, observed
    for fragment in fragments:
        assert fragment in observed["message"], observed


# -- connecting -----------------------------------------------------------------

def test_connect(reference_python, ftrack_fresh_server, run_reference,
                 tmp_path):
    observed = run_reference(reference_python, ftrack_fresh_server, "connect",
                             schema_cache_path=str(tmp_path))
    schemas = served_schemas(ftrack_fresh_server)

    assert observed["client_version"] == "3.1.0"
    assert observed["type_count"] == 116
    assert set(observed["types"]) >= {"Task", "Shot", "Project",
                                      "AssetVersion", "TypedContext"}
    assert observed["types"] == sorted(schema["id"] for schema in schemas)

    information = observed["server_information"]
    assert information["schema_hash"] == hashlib.md5(
        json.dumps(schemas, sort_keys=True).encode()).hexdigest()
    assert "version" in information
    assert information["storage_scenario"]["scenario"] == "ftrack.automatic"

    # The second session found the cache up to date and did not rewrite it.
    assert observed["cache_before_second"] is not None
    assert observed["cache_after_second"] == observed["cache_before_second"]
    assert observed["second_type_count"] == 116
    assert observed["second_user_count"] >= 1


# -- building a project tree ----------------------------------------------------

def test_project_tree(reference_python, ftrack_server, run_reference):
    observed = run_reference(reference_python, ftrack_server, "build_tree")
    ids = observed["ids"]
    project = observed["project"]
    entities = observed["entities"]

    assert project["entity_type"] == "Project"
    assert project["full_name"] == project["name"] + "_full"
    assert project["context_type"] == "show"
    assert project["status"] == "active"
    assert project["project_schema_id"] == project["expected_schema_id"]
    assert project["children"] == [ids["sq010"]]
    project_link = {"id": ids["project"], "name": project["name"],
                    "type": "Project"}
    assert project["link"] == [project_link]

    def link(*keys):
        return [project_link] + [
            {"id": ids[key], "name": key.split("/")[-1],
             "type": "TypedContext"} for key in keys]

    shots = ("sh010", "sh020")
    tasks = [shot + "/" + task for shot in shots for task in ("comp", "light")]
    expected = {"sq010": dict(
        entity_type="Sequence", name="sq010", parent_id=ids["project"],
        parent_type="Project", link=link("sq010"), ancestors=[],
        descendants=sorted(ids[key] for key in shots + tuple(tasks)),
        status=observed["statuses"]["shot"], type=None)}
    for shot in shots:
        expected[shot] = dict(
            entity_type="Shot", name=shot, parent_id=ids["sq010"],
            parent_type="Sequence", link=link("sq010", shot),
            ancestors=[ids["sq010"]],
            descendants=sorted([ids[shot + "/comp"], ids[shot + "/light"]]),
            status=observed["statuses"]["shot"], type=None)
    for task in tasks:
        shot, name = task.split("/")
        expected[task] = dict(
            entity_type="Task", name=name, parent_id=ids[shot],
            parent_type="Shot", link=link("sq010", shot, task),
            ancestors=sorted([ids["sq010"], ids[shot]]), descendants=[],
            status=observed["statuses"]["task"], type="Compositing")
    for key, values in expected.items():
        values.update(project_id=ids["project"], context_type="task",
                      object_type=values["entity_type"],
                      object_type_id=OBJECT_TYPE_IDS[values["entity_type"]])
        assert entities[key] == values, key

    assert observed["get_typed_context"] == {
        "entity_type": "Shot", "is_shot": True, "name": "sh010"}
    assert observed["shots_in_sequence"] == ["sh010", "sh020"]


# -- queries --------------------------------------------------------------------

@pytest.fixture(scope="module")
def queried(reference_python, ftrack_server, run_reference):
    """What the query scenario observed (its data: see official/queries.py)."""
    return run_reference(reference_python, ftrack_server, "queries")


def test_query_projections(queried):
    # Read with auto-population off: the values came with the query.
    assert queried["projection"] == [
        ["sh010", "anim", "Approved"], ["sh010", "comp", "In progress"],
        ["sh010", "layout", "Not started"], ["sh010", "light", "Not started"],
        ["sh020", "comp", "Approved"], ["sh020", "fx", "On Hold"],
        ["sh020", "roto", "In progress"]]
    assert queried["nested_projection"] == [["anim", "Done"], ["comp", "Done"]]
    assert queried["start_dates"] == {
        "sh010/anim": "2024-03-10T00:00:00+00:00",
        "sh010/comp": "2024-01-10T00:00:00+00:00",
        "sh010/layout": "2024-05-01T00:00:00+00:00",
        "sh010/light": "2024-02-10T00:00:00+00:00",
        "sh020/comp": "2024-01-20T00:00:00+00:00",
        "sh020/fx": None,
        "sh020/roto": "2024-04-01T00:00:00+00:00"}


ALL_TASKS = ["sh010/anim", "sh010/comp", "sh010/layout", "sh010/light",
             "sh020/comp", "sh020/fx", "sh020/roto"]


@pytest.mark.parametrize("key, expected", [
    ("is", ["sh010/comp", "sh020/comp"]),
    ("equals_sign", ["sh010/comp", "sh020/comp"]),
    ("is_not", ["sh010/anim", "sh010/layout", "sh010/light", "sh020/fx",
                "sh020/roto"]),
    ("not_equals_sign", ["sh010/anim", "sh010/layout", "sh010/light",
                         "sh020/fx", "sh020/roto"]),
    ("like", ["sh010/comp", "sh010/layout", "sh020/comp", "sh020/roto"]),
    ("not_like", ["sh010/anim", "sh010/light", "sh020/fx"]),
    ("in", ["sh010/anim", "sh020/fx"]),
    ("not_in", ["sh010/layout", "sh010/light", "sh020/roto"]),
    ("bid_greater", ["sh010/anim", "sh010/comp", "sh020/roto"]),
    ("bid_less_equal", ["sh010/layout", "sh010/light", "sh020/comp",
                        "sh020/fx"]),
    ("bid_greater_equal", ["sh010/anim", "sh010/comp", "sh020/roto"]),
    ("bid_less", ["sh010/layout", "sh020/fx"]),
    ("date_after", ["sh010/anim", "sh010/layout", "sh010/light",
                    "sh020/roto"]),
    ("date_before", ["sh010/comp", "sh020/comp"]),
    ("date_after_word", ["sh010/layout", "sh020/roto"]),
    ("date_before_word", ["sh010/comp"]),
    ("nested_path", ["sh010/comp", "sh020/roto"]),
    ("and_binds_tighter", ["sh010/anim", "sh020/fx"]),
    ("parentheses", ["sh010/anim"]),
    ("not_parentheses", ["sh010/anim", "sh010/light"]),
    ("or_of_and", ["sh010/layout", "sh020/roto"]),
])
def test_query_conditions(queried, key, expected):
    assert queried[key] == expected


@pytest.mark.parametrize("key, expected", [
    ("has", ["sh020/comp", "sh020/fx", "sh020/roto"]),
    ("has_two_conditions", ["sh010/anim", "sh020/comp"]),
    ("any", ["sh020"]),
    # One member must match both conditions...
    ("any_two_conditions", ["sh010"]),
    # ...whereas dotted paths may be matched by different members.
    ("dotted_collection", ["sh010", "sh020"]),
    ("not_any_empty", ["sh030"]),
    ("any_empty", ["sh010", "sh020"]),
    ("polymorphic", ["sh010", "sh020", "sq010"]),
    ("context_parent_like", ["sh010", "sh020", "sh030"]),
])
def test_query_relations(queried, key, expected):
    assert queried[key] == expected


def test_query_polymorphic_types(queried):
    assert queried["polymorphic_types"] == [
        ["Sequence", "sq010"], ["Shot", "sh010"], ["Shot", "sh020"],
        ["Shot", "sh030"], ["Task", "anim"], ["Task", "comp"],
        ["Task", "comp"], ["Task", "fx"], ["Task", "layout"],
        ["Task", "light"], ["Task", "roto"]]


def test_query_subqueries(queried):
    assert queried["subquery_id"] == ["sh020"]
    assert queried["subquery_parent"] == ["sh020/comp", "sh020/fx",
                                          "sh020/roto"]


BY_BID = ["sh020/fx", "sh010/layout", "sh010/light", "sh020/comp",
          "sh010/comp", "sh020/roto", "sh010/anim"]


def test_query_ordering(queried):
    assert [label.split("/")[1] for label in
            queried["order_name_descending"]] == [
        "roto", "light", "layout", "fx", "comp", "comp", "anim"]
    assert queried["order_bid"] == BY_BID
    assert queried["order_bid_ascending"] == BY_BID


@pytest.mark.parametrize("order", ["by_bid", "default_order"])
def test_query_paging(queried, order):
    everything = queried["all_" + order]
    if order == "by_bid":
        assert everything == BY_BID
    assert sorted(everything) == ALL_TASKS
    assert queried["paged_" + order] == everything
    assert queried["page_size_2_" + order] == everything
    slices = {"limit 3": everything[:3], "offset 2 limit 3": everything[2:5],
              "offset 5": everything[5:], "offset 6 limit 5": everything[6:11],
              "offset 10 limit 5": [], "limit 1": everything[:1]}
    expected = dict(slices)
    expected.update({key + " (page_size 2)": value
                     for key, value in slices.items()})
    assert queried["slices_" + order] == expected


def test_query_first_and_one(queried):
    assert queried["first"] == "sh010/anim"
    assert queried["first_none"] is None
    assert queried["one_single"] == "sh020/fx"
    assert queried["one_several"]["class"] == "MultipleResultsFoundError"
    assert queried["one_none"]["class"] == "NoResultFoundError"


# -- updates ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def updated(reference_python, ftrack_server, run_reference):
    return run_reference(reference_python, ftrack_server, "update")


def test_update_seen_by_new_session(updated):
    assert updated["before"] == {"name": "sh010", "description": None,
                                 "status": "Normal"}
    assert updated["new_session"] == {
        "name": "sh010_renamed", "description": "Hero shot.",
        "status": "Approved", "status_id": updated["approved_id"]}
    assert len(updated["query_new_name"]) == 1
    assert updated["query_old_name"] == []


def test_update_result_refreshes_committing_session(updated):
    # The committing session takes the values from the update results.
    assert updated["same_session"] == {
        "name": "sh010_renamed", "description": "Hero shot.",
        "status": "Approved"}


# -- custom attributes ------------------------------------------------------------

@pytest.fixture(scope="module")
def custom_attributes(reference_python, tmp_path_factory, run_reference):
    # A server of its own: the configuration applies to every shot.
    server = start_server(str(tmp_path_factory.mktemp("custom-attributes")))
    try:
        yield run_reference(reference_python, server, "custom_attributes")
    finally:
        server.stop()


def test_custom_attribute_values(custom_attributes):
    assert custom_attributes["configuration"] == {
        "key": "fstart", "label": "Frame start", "entity_type": "task",
        "object_type_id": OBJECT_TYPE_IDS["Shot"], "default": 1001,
        "config": json.dumps({"isdecimal": False}), "project_id": None}
    assert custom_attributes["shot_type_id"] == OBJECT_TYPE_IDS["Shot"]
    assert custom_attributes["sh010"] == {"fstart": 1010}
    # Never set: the configuration's default.
    assert custom_attributes["sh020"] == {"fstart": 1001}
    # The configuration is for shots only.
    assert custom_attributes["task_keys"] == []


def test_custom_attribute_filter(custom_attributes):
    assert custom_attributes["filter_1010"] == ["sh010"]


def test_custom_attribute_wrong_type(custom_attributes):
    assert_server_error(custom_attributes["wrong_type"], "fstart")
    assert custom_attributes["still_answering"] is True
    assert custom_attributes["sh020_after_error"] == 1001


# -- metadata -----------------------------------------------------------------------

def test_metadata(reference_python, ftrack_server, run_reference):
    observed = run_reference(reference_python, ftrack_server, "metadata")
    shot, other = observed["ids"]["sh010"], observed["ids"]["sh020"]
    assert observed["initial"] == {}
    assert observed["written"] == {"frame_padding": "4", "focal_length": "70"}
    # sh020 has a value "4" but under another key.
    assert observed["filter_4"] == [shot]
    assert observed["filter_key_dotted"] == sorted([shot, other])
    assert observed["updated"] == {"frame_padding": "5", "focal_length": "70"}
    assert observed["filter_4_after_update"] == []
    assert observed["filter_5"] == [shot]
    assert observed["deleted"] == {"frame_padding": "5"}
    assert observed["rows"] == [["frame_padding", "5"]]
    assert observed["replaced"] == {"camera": "A"}


def test_metadata_update_in_same_session(reference_python, ftrack_server,
                                         run_reference):
    observed = run_reference(reference_python, ftrack_server,
                             "metadata_same_session")
    assert observed["keys_after_commit"] == ["frame_padding"]
    assert observed["update"] == {"result": True}
    assert observed["stored"] == {"frame_padding": "5"}


# -- deletes ------------------------------------------------------------------------

def test_deletes(reference_python, ftrack_server, run_reference):
    observed = run_reference(reference_python, ftrack_server, "deletes")
    everything = {"project": True, "sequence": True, "sh010": True,
                  "sh010/comp": True, "sh010/light": True, "sh020": True,
                  "sh020/comp": True}
    assert observed["created"] == {
        "tasks": ["sh010/comp", "sh010/light", "sh020/comp"],
        "typed_contexts": 6, "projects": 1, "get": everything}
    assert observed["task_deleted"] == {
        "tasks": ["sh010/comp", "sh020/comp"], "typed_contexts": 5,
        "projects": 1, "get": dict(everything, **{"sh010/light": False})}
    assert observed["project_deleted"] == {
        "tasks": [], "typed_contexts": 0, "projects": 0,
        "get": {key: False for key in everything}}


# -- bad input --------------------------------------------------------------------

def test_wrong_api_key(reference_python, ftrack_server, run_reference):
    observed = run_reference(reference_python, ftrack_server,
                             "bad_credentials")
    assert_server_error(observed["wrong_key"]["error"],
                        "The supplied API key is not valid.")
    assert observed["right_key"] == {"result": True}


def test_unknown_entity_type(reference_python, ftrack_server, run_reference):
    observed = run_reference(reference_python, ftrack_server, "unknown_type")
    # The client refuses a type missing from the schemas before asking.
    assert observed["client_query"] == {
        "error": {"class": "KeyError", "message": "'NoSuchType'"}}
    assert_server_error(observed["raw_call"]["error"], "NoSuchType")
    assert observed["still_answering"] is True


UPDATE_TASK = {"action": "update", "entity_type": "Task",
               "entity_key": ["$TASK_ID"]}


@pytest.mark.parametrize("operation, fragments", [
    pytest.param({"action": "query",
                  "expression": "select id from Task where name is"},
                 ["select id from Task where name is"], id="syntax-no-value"),
    pytest.param({"action": "query",
                  "expression": 'select id from Task where (name is "x"'},
                 ['select id from Task where (name is "x"'],
                 id="syntax-parenthesis"),
    pytest.param({"action": "query",
                  "expression": "select id, no_such_attribute from Task"},
                 ["no_such_attribute"], id="unknown-projection"),
    pytest.param(dict(UPDATE_TASK, entity_data={
        "__entity_type__": "Task", "bid": "abc"}), ["bid"], id="wrong-type"),
    pytest.param(dict(UPDATE_TASK, entity_data={
        "__entity_type__": "Task", "created_at": {
            "__type__": "datetime", "value": "2001-01-01T00:00:00"}}),
        ["created_at"], id="immutable"),
    pytest.param({"action": "no_such_action"},
                 ["Invalid action u'no_such_action'"], id="unknown-action"),
])
def test_bad_call(reference_python, ftrack_server, run_reference, operation,
                  fragments):
    with_task = operation.get("entity_key") == ["$TASK_ID"]
    observed = run_reference(reference_python, ftrack_server, "bad_call",
                             operations=[operation], with_task=with_task)
    assert "error" in observed["call"], observed
    assert_server_error(observed["call"]["error"], *fragments)
    assert observed["still_answering"] is True
    if with_task:
        # Nothing changed.
        assert observed["task_after"]["bid"] == 0
        assert not observed["task_after"]["created_at"].startswith("2001")


def test_missing_required_attribute(reference_python, ftrack_server,
                                    run_reference):
    observed = run_reference(reference_python, ftrack_server,
                             "missing_required")
    assert_server_error(observed["commit"], "name", "AssetType")
    assert observed["stored"] == 0
    assert observed["still_answering"] is True


def test_failed_batch_stores_nothing(reference_python, ftrack_server,
                                     run_reference):
    observed = run_reference(reference_python, ftrack_server, "batch")
    assert_server_error(observed["failing"]["error"])
    assert observed["first_stored"] == []
    assert observed["third_stored"] == []
    assert observed["still_answering"] is True
    # Required attributes are checked at the end of a batch.
    assert observed["deferred"] is None
    assert observed["late_stored"] == [observed["late_name"]]


# -- create answers, components, note categories, the default scheme ------------

@pytest.fixture(scope="module")
def written(reference_python, tmp_path_factory, run_reference):
    # A server of its own: the default scheme as a fresh server has it.
    server = start_server(str(tmp_path_factory.mktemp("written")))
    try:
        yield run_reference(reference_python, server, "written")
    finally:
        server.stop()


def test_create_answer_leaves_unsent_attributes_unfetched(written):
    # Only what was sent (and the key) is known after the commit ...
    assert written["unset_after_commit"] == {
        "email": [True, True], "first_name": [True, True],
        "username": [False, False], "id": [False, False]}
    # ... and populating fetches the rest.
    assert written["email_after_populate"] == [None, None]


def test_component_created_as_base_type_is_a_file_component(written):
    assert written["component_seen"] == [{
        "entity_type": "FileComponent", "id": written["component_id"],
        "system_type": "file"}]


def test_note_created_with_a_category_keeps_it(written):
    assert written["note_seen"] == {"category_id": written["category_id"],
                                    "labels": [written["category_id"]]}


def test_formatter_shows_a_users_timelogs_and_their_user(written):
    text = written["formatted_user"]
    assert text.startswith("User\n")
    assert " timelogs: Timelog" in text
    # The timelog's user is the user being formatted, shown once.
    assert " user: User{...}" in text


def test_default_scheme_offers_the_workflows_of_a_new_site(written):
    assert written["statuses"] == {
        "Task": ["Approved", "Awaiting approval", "In progress", "Not started"],
        "Shot": ["Normal", "Omitted", "On Hold"],
        "AssetBuild": ["Normal", "Omitted", "On Hold"],
        "AssetVersion": ["Approved", "Pending"]}
    assert written["types"] == {
        "Task": sorted(["Generic", "Animation", "Modeling", "Previz", "Lookdev",
                        "Hair", "Cloth", "FX", "Lighting", "Compositing",
                        "Tracking", "Rigging"]),
        "AssetBuild": ["Character", "Environment", "Matte Painting", "Prop"]}


# -- the event hub's heartbeats ------------------------------------------------------

@pytest.mark.slow
def test_heartbeat_answers_keep_a_quiet_subscriber_connected(reference_python, ftrack_fresh_server,
                                                             run_reference, caplog):
    # Heartbeats every 0.2 s, a client silent for 1 s is dropped; the
    # publishing takes about four times that.
    settings = ftrack_fresh_server.event_hub.settings
    settings.heartbeat_interval = 0.2
    settings.heartbeat_timeout = 1.0
    with caplog.at_level(logging.INFO, logger="ftrack_local.events.socketio"):
        observed = run_reference(reference_python, ftrack_fresh_server, "event_heartbeat",
                                 count=8, interval=0.5)
    assert observed["publisher_connected"] is True
    assert observed["received"] == list(range(1, 9))
    assert observed["subscriber_connected"] is True
    # No connection was dropped (and silently reconnected) on the way.
    assert not [r for r in caplog.records if "Dropping silent" in r.getMessage()]
