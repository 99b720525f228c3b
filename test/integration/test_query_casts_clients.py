"""Casts, computed relations and escaped quotes through both clients.

The scenario ``official/query_casts.py`` runs once with the official client
(``ftrack-python-api`` 3.1.0) and once with ours (this interpreter); both
must observe the same. A few more checks use our client in process.
"""

import sys

import pytest

import ftrack_api.exception

EXPECTED = {
    "cast_has": ["assets/model"],
    "cast_path": ["sh010/anim"],
    "no_cast_path": ["sh010/anim", "sh010/paint"],
    "ancestors_cast": ["sh010/anim"],
    "ancestors_any_cast": ["sh010/anim", 'sh020/a "quoted" thing', "sh020/comp",
                           "sh020/it's", "sq010/edit"],
    "appointment_user": ["User/anim"],
    "appointment_group": ["Group/model"],
    "allocations_group": ["assets/model"],
    "assignments_user": ["sh010/anim"],
    "assignments_group": [],
    "subquery_cast": ["sq010/edit"],
    "latest_version": ["forest"],
    "latest_version_path": ["forest"],
    "latest_version_project": ["forest", "rock"],
    "latest_version_none": ["empty"],
    "asset_latest_version": ["forest v1", "forest v2", "forest v3"],
    "is_latest_version": ["forest v3", "rock v1"],
    "time_logged": ["sh010/anim"],
    "escaped_double": ['sh020/a "quoted" thing'],
    "escaped_single": ["sh020/it's"],
    "escaped_in_list": ['sh020/a "quoted" thing', "sh020/it's"],
    # Parents that are no shots first (descending puts missing values first).
    "order_cast": ["sq010/edit", "assets/model", "sh010/paint", 'sh020/a "quoted" thing',
                   "sh020/comp", "sh020/it's", "sh010/anim"],
    "projection_cast": ["sh010/anim", 'sh020/a "quoted" thing', "sh020/comp", "sh020/it's"],
    "still_answering": True,
}
ERRORS = {
    "error_unknown_cast": ['"Nothing"', "does not exist"],
    "error_unrelated_cast": ['"User"', '"Context"'],
    "error_cast_projection": ['"Nothing"'],
    "error_computed_link": ['"link"', "cannot be used"],
}


@pytest.fixture(scope="module", params=["official", "ours"])
def observed(request, reference_python, ftrack_server, run_reference):
    python = reference_python if request.param == "official" else sys.executable
    return run_reference(python, ftrack_server, "query_casts")


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_observed(observed, key):
    assert observed[key] == EXPECTED[key]


@pytest.mark.parametrize("key", sorted(ERRORS))
def test_refused_with_a_clear_error(observed, key):
    found = observed[key]
    assert isinstance(found, dict) and found["class"] == "ServerError", found
    for fragment in ERRORS[key]:
        assert fragment in found["message"], found


# -- our client, in process ------------------------------------------------------

@pytest.fixture(scope="module")
def tree(ftrack_server):
    import ftrack_api
    import uuid

    session = ftrack_api.Session(
        server_url=ftrack_server.url, api_user=ftrack_server.api_user,
        api_key=ftrack_server.api_key, auto_connect_event_hub=False)
    project = session.create("Project", {
        "name": "casts_" + uuid.uuid4().hex[:10], "full_name": "Casts",
        "project_schema": session.query("ProjectSchema").first()})
    shot = session.create("Shot", {"name": "sh010", "parent": project})
    folder = session.create("Folder", {"name": "sh010", "parent": project})
    for parent, name in ((shot, "anim"), (folder, "paint")):
        session.create("Task", {"name": name, "parent": parent})
    asset = session.create("Asset", {"name": "tree", "parent": shot,
                                     "type": session.query("AssetType").first()})
    for number in (1, 4, 2):
        session.create("AssetVersion", {"asset": asset, "version": number})
    session.commit()
    yield project
    session.close()


def test_casts_with_our_client(ftrack_session, tree):
    where = 'project.id is "{0}"'.format(tree["id"])
    shots = ftrack_session.query('Task where {0} and parent[Shot].name is "sh010"'.format(where))
    assert [task["name"] for task in shots] == ["anim"]
    folders = ftrack_session.query('Task where {0} and parent[Folder] has (name is "sh010")'
                                   .format(where))
    assert [task["name"] for task in folders] == ["paint"]
    ordered = ftrack_session.query('Task where {0} order by parent[Folder].name'.format(where))
    assert [task["name"] for task in ordered] == ["paint", "anim"]


def test_latest_version_with_our_client(ftrack_session, tree):
    assets = ftrack_session.query(
        'Asset where parent.project_id is "{0}" and latest_version.version is 4'.format(
            tree["id"])).all()
    assert [asset["name"] for asset in assets] == ["tree"]
    versions = ftrack_session.query(
        'select version from AssetVersion where asset.parent.project_id is "{0}" '
        'and asset.latest_version.version > 3 order by version'.format(tree["id"]))
    assert [version["version"] for version in versions] == [1, 2, 4]


def test_bad_cast_with_our_client(ftrack_session):
    with pytest.raises(ftrack_api.exception.ServerError) as raised:
        ftrack_session.query('Task where parent[Nothing].name is "x"').all()
    assert '"Nothing"' in str(raised.value)
    # The session and the server carry on.
    assert ftrack_session.query("select username from User").first() is not None


# -- the HTTP API ------------------------------------------------------------------------

@pytest.mark.parametrize("expression, exception, status", [
    ('Task where parent[Nothing].name is "x"', "UnknownEntityTypeError", 404),
    ('Task where parent[User].name is "x"', "ValidationError", 400),
    ('select parent[Group].name from Task', "ValidationError", 400),
    ('Task where link is "x"', "ValidationError", 400),
    ('Task where ' + 'parent.' * 12 + 'name is "x"', "ValidationError", 400),
    (r'Task where name is "unclosed\"', "ParseError", 400),
])
def test_api_answers_refusals_with_an_error_envelope(ftrack_server, expression, exception,
                                                     status):
    from ftrack_local.testing import ApiClient, ApiClientError

    client = ApiClient(ftrack_server.url, ftrack_server.api_user, ftrack_server.api_key,
                       strict=True)
    try:
        with pytest.raises(ApiClientError) as raised:
            client.call([{"action": "query", "expression": expression}])
        assert raised.value.exception == exception
        assert raised.value.status == status
        # Nothing is lost: the server answers the next request.
        answer = client.call([{"action": "query", "expression": "select id from User limit 1"}])
        assert len(answer[0]["data"]) == 1
    finally:
        client.close()
