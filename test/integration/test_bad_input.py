"""Requests that once made the server answer 500 get a clear 400 instead.

Each case goes through the real HTTP API in strict mode, checks the error
envelope and that the server keeps serving (and changed nothing).
"""

import json

import pytest

STRICT = {"ftrack-strict-api": "true"}
LARGEST = 2 ** 63 - 1


def _refused(client, body, exception, *fragments):
    response = client.post(body, headers=STRICT)
    assert response.status_code == 400, response.text
    envelope = response.json()
    assert envelope["exception"] == exception, envelope
    for fragment in fragments:
        assert fragment in envelope["content"], envelope
    assert client.call([{"action": "query_server_information"}])[0]["schema_hash"]


@pytest.mark.parametrize("clause", ["limit", "offset"])
def test_paging_beyond_64_bits_is_a_parse_error(ftrack_api_client, clause):
    expression = "select id from User {0} {1}".format(clause, LARGEST + 1)
    _refused(ftrack_api_client, [{"action": "query", "expression": expression}],
             "ParseError", clause, str(LARGEST))


def test_largest_paging_values_are_answered(ftrack_api_client):
    for expression in ("select id from User limit {0}".format(LARGEST),
                       "select id from User offset {0}".format(LARGEST),
                       "select id from User offset {0} limit {0}".format(LARGEST)):
        (answer,) = ftrack_api_client.call([{"action": "query", "expression": expression}])
        assert answer["metadata"]["next"]["offset"] is None


def test_deeply_nested_json_is_a_validation_error(ftrack_api_client):
    _refused(ftrack_api_client, "[" * 5000 + "]" * 5000, "ValidationError",
             "nested too deeply")


@pytest.mark.parametrize("text", ["\\ud800", "x\\udfffy", "\\ude00\\ud83d"])
def test_lone_surrogates_are_a_validation_error(ftrack_api_client, text):
    username = "surrogate-" + text
    body = ('[{"action": "create", "entity_type": "User", '
            '"entity_data": {"__entity_type__": "User", "username": "' + username + '"}}]')
    _refused(ftrack_api_client, body, "ValidationError", "lone surrogate")
    (answer,) = ftrack_api_client.call([{
        "action": "query", "expression": 'select id from User where username like "surrogate-%"'}])
    assert answer["data"] == []


def test_surrogate_pairs_are_text(ftrack_api_client):
    name = "smile-\U0001F600"
    body = json.dumps([{"action": "create", "entity_type": "User",
                        "entity_data": {"__entity_type__": "User", "username": name}}])
    assert "\\ud83d\\ude00" in body
    (created,) = ftrack_api_client.call(json.loads(body))
    assert created["data"]["username"] == name


@pytest.mark.parametrize("entity_key", [LARGEST + 1, -LARGEST - 2, "no-such-id"])
def test_widget_of_a_missing_entity_is_not_found(ftrack_api_client, entity_key):
    response = ftrack_api_client.post([{"action": "get_widget_url", "name": "info",
                                        "entity_type": "Appointment", "entity_key": entity_key}],
                                      headers=STRICT)
    assert response.status_code == 404, response.text
    assert response.json()["exception"] == "NotFoundError"
    assert str(entity_key) in response.json()["content"]
