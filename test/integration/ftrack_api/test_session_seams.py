"""The private seams of Session that plugins and users' own tests rely on.

Code written for the official client replaces ``Session.call`` with a mock,
looks entities up in ``Session._local_cache``, builds detached entities with
``Session._create`` and drives the schema cache through
``_read_schemas_from_cache``/``_write_schemas_to_cache``/``_load_schemas``.
Each test here checks one of those seams against the real local server.
"""

import json
import os
from unittest import mock

import pytest

import ftrack_api
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.session
import ftrack_api.symbol

from client_helpers import unique_name


def _watch_call(session):
    """Wrap ``session.call`` so every batch it is given is kept (and still sent)."""
    return mock.patch.object(session, "call", wraps=session.call)


# -- one route to the server ----------------------------------------------------

def test_query_pages_each_pass_through_call(ftrack_session):
    for index in range(7):
        ftrack_session.create("User", {"username": unique_name("page{0}".format(index))})
    ftrack_session.commit()

    with _watch_call(ftrack_session) as call:
        records = ftrack_session.query("User limit 7", page_size=3).all()

    assert len(records) == 7
    assert call.call_count == 3
    expressions = [batch[0][0][0]["expression"] for batch in call.call_args_list]
    assert expressions == [
        "select id from User offset 0 limit 3",
        "select id from User offset 3 limit 3",
        "select id from User offset 6 limit 3",
    ]


def test_commit_payloads_reach_a_replaced_call(ftrack_session):
    with mock.patch.object(ftrack_session, "call") as call:
        user = ftrack_session.create("User", {"username": unique_name("mocked")})
        user["email"] = "first@example.com"
        user["email"] = ftrack_api.symbol.NOT_SET
        user["first_name"] = "Ada"
        ftrack_session.commit()

    payloads = call.call_args[0][0]
    assert len(payloads) == 1
    assert payloads[0]["action"] == "create"
    assert set(payloads[0]["entity_data"]) == {
        "__entity_type__", "id", "resource_type", "username", "first_name"}
    assert ftrack_session.recorded_operations.__len__() == 0


def test_get_populate_and_ensure_use_call(ftrack_session, new_user):
    username = new_user["username"]
    ftrack_session.cache.remove(
        ftrack_session.cache_key_maker.key(ftrack_api.inspection.identity(new_user)))

    with _watch_call(ftrack_session) as call:
        fetched = ftrack_session.get("User", new_user["id"])
        ftrack_session.populate([fetched], "email")
        ensured = ftrack_session.ensure("User", {"username": username})

    assert fetched is not new_user and fetched == new_user
    assert ensured is fetched
    actions = [operation["action"] for batch in call.call_args_list
               for operation in batch[0][0]]
    assert len(actions) >= 3
    assert set(actions) == {"query"}


def test_replaced_call_answers_are_merged(ftrack_session, new_user):
    """Entities a replacement ``call`` returns become the session's entities."""
    detached = ftrack_session._create(
        "User", {"id": new_user["id"], "username": "renamed-by-mock"},
        reconstructing=True)
    answer = [{"action": "query", "data": [detached],
               "metadata": {"next": {"offset": None}}}]

    with mock.patch.object(ftrack_session, "call", return_value=answer):
        records = ftrack_session.query(
            'User where id is "{0}"'.format(new_user["id"])).all()

    assert records == [new_user]
    assert records[0] is new_user
    assert new_user["username"] == "renamed-by-mock"


# -- identity map ------------------------------------------------------------------

def test_local_cache_is_the_identity_map(ftrack_session, new_user):
    key = ftrack_session.cache_key_maker.key(ftrack_api.inspection.identity(new_user))
    assert ftrack_session._local_cache is ftrack_session.cache.caches[0]
    assert ftrack_session._local_cache.get(key) is new_user
    assert new_user in ftrack_session._local_cache.values()

    ftrack_session.cache.remove(key)
    fresh = ftrack_session.get("User", new_user["id"])
    assert fresh is not new_user
    assert fresh == new_user
    assert ftrack_session._local_cache.get(key) is fresh


def test_rollback_forgets_new_entities_and_keeps_others(ftrack_session, new_user):
    created = ftrack_session.create("User", {"username": unique_name("rolled")})
    ftrack_session.delete(new_user)
    ftrack_session.rollback()

    values = ftrack_session._local_cache.values()
    assert created not in values
    assert new_user in values
    assert not ftrack_session.recorded_operations


def test_create_without_merge(ftrack_session):
    user = ftrack_session._create("User", {}, reconstructing=True)
    with ftrack_session.auto_populating(False):
        assert user["id"] is ftrack_api.symbol.NOT_SET
    for attribute in user.attributes:
        assert attribute.get_local_value(user) is ftrack_api.symbol.NOT_SET
        assert attribute.get_remote_value(user) is ftrack_api.symbol.NOT_SET
    with pytest.raises(ftrack_api.exception.UnrecognisedEntityTypeError):
        ftrack_session._create("NoSuchType", {}, reconstructing=False)


def test_get_accepts_any_key_sequence_and_unknown_types_are_key_errors(
        ftrack_session, new_project, new_session):
    metadata = ftrack_session.create("Metadata", {
        "key": "frame", "value": "101", "parent_type": "Project",
        "parent_id": new_project["id"]})
    ftrack_session.commit()

    other = new_session()
    key = ftrack_api.inspection.primary_key(metadata)
    for entity_key in (key.values(), list(key.values()), tuple(key.values()), key):
        fetched = other.get("Metadata", entity_key)
        assert fetched == metadata
        assert fetched["value"] == "101"

    with pytest.raises(ValueError):
        other.get("Metadata", list(key.values())[0])
    with pytest.raises(KeyError):
        other.get("NoSuchType", "id")
    with pytest.raises(ftrack_api.exception.UnrecognisedEntityTypeError):
        other.query("NoSuchType")


def test_entity_reference_reads_the_key_without_populating(ftrack_session, new_user):
    with mock.patch.object(ftrack_session, "auto_populating",
                           wraps=ftrack_session.auto_populating) as populating:
        reference = ftrack_session.entity_reference(new_user)
    assert reference == {"__entity_type__": "User", "id": new_user["id"]}
    populating.assert_called_once_with(False)


def test_recorded_operations_can_be_replaced(ftrack_session):
    log = ftrack_api.operation.Operations()
    original = ftrack_session.recorded_operations
    ftrack_session.recorded_operations = log
    try:
        ftrack_session.create("User", {"username": unique_name("log")})
        assert len(log) == 1
        assert len(original) == 0
    finally:
        ftrack_session.recorded_operations = original


def test_requests_after_close_are_refused(new_session):
    session = new_session()
    assert session._request is session._transport.http
    session.close()
    with pytest.raises(ftrack_api.exception.ConnectionClosedError):
        session._request
    with pytest.raises(ftrack_api.exception.ConnectionClosedError):
        session.query("User").first()


def test_operation_payload_sends_entities_as_references(ftrack_session, new_user):
    payload = ftrack_api.session.OperationPayload({
        "action": "update", "entity_type": "User", "entity_key": [new_user["id"]],
        "entity_data": {"__entity_type__": "User", "manager": new_user}})
    encoded = json.loads(ftrack_session.encode([payload]))
    assert encoded[0]["entity_data"]["manager"] == {
        "__entity_type__": "User", "id": new_user["id"]}


# -- schema cache --------------------------------------------------------------------

def test_schema_cache_seams(ftrack_session, tmp_path):
    path = str(tmp_path / "schemas.json")
    assert ftrack_session._read_schemas_from_cache(path) == ([], None)

    with _watch_call(ftrack_session) as call:
        schemas = ftrack_session._load_schemas(path)
        assert call.call_count == 1
        cached, cached_hash = ftrack_session._read_schemas_from_cache(path)
        assert cached == schemas
        assert cached_hash == ftrack_session.server_information["schema_hash"]

        # A current cache answers without the server; False bypasses it.
        assert ftrack_session._load_schemas(path) == schemas
        assert call.call_count == 1
        ftrack_session._load_schemas(False)
        assert call.call_count == 2

        # An outdated cache is refreshed.
        ftrack_session._write_schemas_to_cache(schemas[:2], path)
        ftrack_session._load_schemas(path)
        assert call.call_count == 3
        assert ftrack_session._read_schemas_from_cache(path)[0] == schemas


def test_schema_cache_errors_keep_the_file(ftrack_session, tmp_path):
    path = tmp_path / "schemas.json"
    ftrack_session._write_schemas_to_cache([{"id": "Thing"}], str(path))
    with pytest.raises(TypeError):
        ftrack_session._write_schemas_to_cache(object(), str(path))
    assert json.loads(path.read_text()) == [{"id": "Thing"}]
    assert [name for name in os.listdir(str(tmp_path))] == ["schemas.json"]

    path.write_text("{not json")
    with pytest.raises(ValueError):
        ftrack_session._read_schemas_from_cache(str(path))
    # Loading through a broken cache still works (and repairs it).
    schemas = ftrack_session._load_schemas(str(path))
    assert ftrack_session._read_schemas_from_cache(str(path))[0] == schemas


# -- custom attribute configuration helpers -----------------------------------------

def test_custom_attribute_configuration_helpers(ftrack_session, new_project):
    import ftrack_api.entity.factory as factory

    custom_type = ftrack_session.query(
        'CustomAttributeType where name is "text"').one()
    key = unique_name("seam").replace("-", "_")
    for entity_type, name in (("show", key + "_show"), ("user", key + "_user")):
        ftrack_session.create("CustomAttributeConfiguration", {
            "entity_type": entity_type, "type": custom_type, "label": name,
            "key": name, "default": "", "config": json.dumps({"markdown": False}),
            "is_hierarchical": False})
    ftrack_session.commit()
    ftrack_session._custom_attribute_configurations_cache = None

    every = factory._get_custom_attribute_configurations(ftrack_session)
    keys = set(configuration["key"] for configuration in every)
    assert {key + "_show", key + "_user"} <= keys

    applying = set(configuration["key"]
                   for configuration in factory._get_entity_configurations(new_project))
    assert key + "_show" in applying
    assert key + "_user" not in applying


def test_call_answers_with_detached_entities(ftrack_session, new_user):
    new_user["first_name"] = "Changed locally"
    answer = ftrack_session.call([{
        "action": "query",
        "expression": 'select first_name from User where id is "{0}"'.format(new_user["id"])}])
    (record,) = answer[0]["data"]
    # A raw call gives the server's values in a new, detached instance.
    assert record is not new_user
    assert record == new_user
    assert record["first_name"] == "First"
    assert new_user["first_name"] == "Changed locally"
    ftrack_session.rollback()


def test_single_result_helpers_do_not_reenter_query(ftrack_server, ftrack_schema_cache_path):
    seen = []

    class LoggingSession(ftrack_api.Session):
        def query(self, expression, page_size=500):
            seen.append(expression)
            return super(LoggingSession, self).query(expression, page_size=page_size)

    session = LoggingSession(
        server_url=ftrack_server.url, api_user=ftrack_server.api_user,
        api_key=ftrack_server.api_key, schema_cache_path=ftrack_schema_cache_path)
    try:
        seen[:] = []
        session.query("User").first()
        session.query('User where username is "{0}"'.format(ftrack_server.api_user)).one()
        assert seen == ["User", 'User where username is "{0}"'.format(ftrack_server.api_user)]
    finally:
        session.close()


# -- merging newer answers ---------------------------------------------------------

def _asset_with_a_version(session, project):
    """A committed asset of *project* with one version."""
    asset_type = session.query("AssetType").first()
    asset = session.create("Asset", {
        "name": unique_name("asset"), "type": asset_type, "parent": project})
    session.create("AssetVersion", {"asset": asset})
    session.commit()
    return asset


def test_requery_shows_collection_members_added_elsewhere(ftrack_session, new_session,
                                                          new_project):
    asset = _asset_with_a_version(ftrack_session, new_project)

    query = 'select versions from Asset where id is "{0}"'.format(asset["id"])
    reader = new_session()
    seen = reader.query(query).one()
    assert len(seen["versions"]) == 1
    untouched = reader.query(query).one()
    assert untouched is seen and len(seen["versions"]) == 1

    writer = new_session()
    writer.create("AssetVersion", {"asset_id": asset["id"]})
    writer.commit()

    assert len(reader.query(query).one()["versions"]) == 2


def test_requery_keeps_collections_changed_locally(ftrack_session, new_session,
                                                   new_project):
    query = 'select children from Project where id is "{0}"'.format(new_project["id"])
    reader = new_session()
    project = reader.query(query).one()
    children = project["children"]
    added = reader.create("Folder", {"name": unique_name("folder"), "parent": project})
    children.append(added)

    writer = new_session()
    writer.create("Folder", {"name": unique_name("other"), "parent_id": new_project["id"]})
    writer.commit()

    again = reader.query(query).one()
    # The local change is kept until it is committed or rolled back.
    assert added in again["children"]
    reader.rollback()
