"""Decoding server answers into entities and encoding values to JSON."""

import datetime
import json

import arrow
import pytest

import ftrack_api.inspection
import ftrack_api.collection
import ftrack_api.exception
import ftrack_api.session
import ftrack_api.symbol

NOT_SET = ftrack_api.symbol.NOT_SET
USER_ID = "5c6060d1-0000-4000-8000-000000000001"
STATUS_ID = "014a40a6-4e65-11e1-b8af-f23c91df25eb"


@pytest.fixture
def session(offline_session):
    return offline_session


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2022-10-10T10:12:09", arrow.Arrow(2022, 10, 10, 10, 12, 9, tzinfo="utc")),
        (
            "2022-10-10T10:12:09.123456",
            arrow.Arrow(2022, 10, 10, 10, 12, 9, 123456, tzinfo="utc"),
        ),
        (
            "2022-10-10T10:12:09+02:00",
            arrow.Arrow(2022, 10, 10, 8, 12, 9, tzinfo="utc"),
        ),
        ("2022-10-10T10:12:09Z", arrow.Arrow(2022, 10, 10, 10, 12, 9, tzinfo="utc")),
        ("2023-10-10", arrow.Arrow(2023, 10, 10, tzinfo="utc")),
    ],
)
def test_decode_datetime(text, expected):
    value = ftrack_api.session._decode_datetime(text)
    assert isinstance(value, arrow.Arrow)
    assert value == expected
    assert value.tzinfo is not None


def test_decode_datetime_keeps_offset():
    value = ftrack_api.session._decode_datetime("2022-10-10T10:12:09+02:00")
    assert value.utcoffset() == datetime.timedelta(hours=2)


def test_merge_builds_entities(session):
    answer = json.dumps(
        [
            {
                "action": "query",
                "data": [
                    {
                        "__entity_type__": "User",
                        "id": USER_ID,
                        "username": "martin",
                        "user_type_id": "not-an-attribute",
                        "timelogs": None,
                        "created": {"__type__": "datetime", "value": "2022-10-10T10:12:09"},
                    }
                ],
                "metadata": {"next": {"offset": None}},
            }
        ]
    )
    result = session.feed(answer)
    (user,) = result[0]["data"]
    assert isinstance(user, session.types["User"])
    assert user["username"] == "martin"
    assert "user_type_id" not in ftrack_api.inspection.entity_state(user).remote
    assert isinstance(user["timelogs"], ftrack_api.collection.Collection)
    assert len(user["timelogs"]) == 0
    assert user["first_name"] is NOT_SET

    # Same identity: same instance, later values win, local values win.
    user["email"] = "local@example.com"
    again = session.feed(
        json.dumps(
            {"__entity_type__": "User", "id": USER_ID, "username": "bjorn", "email": "remote"}
        )
    )
    assert again is user
    assert user["username"] == "bjorn"
    assert user["email"] == "local@example.com"
    assert ftrack_api.inspection.entity_state(user).remote["email"] == "remote"


def test_merge_nested_and_shared(session):
    answer = json.dumps(
        {
            "data": [
                {
                    "__entity_type__": "Task",
                    "id": "t1",
                    "status": {"__entity_type__": "Status", "id": STATUS_ID, "name": "Done"},
                },
                {
                    "__entity_type__": "Task",
                    "id": "t2",
                    "status": {"__entity_type__": "Status", "id": STATUS_ID},
                },
            ]
        }
    )
    first, second = session.feed(answer)["data"]
    assert first["status"] is second["status"]
    assert second["status"]["name"] == "Done"


def test_merge_date_type_and_other_types(session):
    value = session.feed('{"__type__": "date", "value": "2023-10-10"}')
    assert value == arrow.Arrow(2023, 10, 10, tzinfo="utc")
    other = session.feed('{"__type__": "other", "value": 1}')
    assert other == {"__type__": "other", "value": 1}


def test_merge_unknown_entity_type(session):
    with pytest.raises(ftrack_api.exception.UnrecognisedEntityTypeError):
        session.feed('{"__entity_type__": "NoSuchType", "id": "1"}')


def test_merge_composite_key(session):
    metadata = session.feed(
        '{"__entity_type__": "Metadata", "parent_id": "p", "key": "k", "value": "v"}'
    )
    assert session.get("Metadata", ["p", "k"]) is metadata
    assert session.get("Metadata", {"parent_id": "p", "key": "k"}) is metadata


def test_encode_values(session):
    naive = datetime.datetime(2015, 11, 18, 15, 24, 9)
    aware = arrow.Arrow(2015, 11, 18, 15, 24, 9, tzinfo="+02:00")
    encoded = json.loads(
        session.encode(
            {
                "naive": naive,
                "arrow": aware,
                "micro": arrow.Arrow(2015, 11, 18, 15, 24, 9, 5, tzinfo="utc"),
                "date": datetime.date(2015, 11, 18),
            }
        )
    )
    assert encoded == {
        "naive": {"__type__": "datetime", "value": "2015-11-18T15:24:09"},
        "arrow": {"__type__": "datetime", "value": "2015-11-18T15:24:09+02:00"},
        "micro": {"__type__": "datetime", "value": "2015-11-18T15:24:09.000005+00:00"},
        "date": {"__type__": "datetime", "value": "2015-11-18"},
    }


def test_encode_is_sorted_and_ascii(session):
    text = session.encode({"b": "é", "a": {"d": 1, "c": 2}})
    assert text == '{"a": {"c": 2, "d": 1}, "b": "\\u00e9"}'


def test_encode_entity_strategies(session):
    user = session.feed(
        json.dumps(
            {"__entity_type__": "User", "id": USER_ID, "username": "martin",
             "thumbnail_url": {"url": "x"}}
        )
    )
    user["email"] = "me@example.com"

    set_only = json.loads(session.encode(user))
    assert set_only == {
        "__entity_type__": "User",
        "id": USER_ID,
        "username": "martin",
        "email": "me@example.com",
        "thumbnail_url": {"url": "x"},
    }

    modified = json.loads(session.encode(user, entity_attribute_strategy="modified_only"))
    assert modified == {"__entity_type__": "User", "id": USER_ID, "email": "me@example.com"}

    persisted = json.loads(session.encode(user, entity_attribute_strategy="persisted_only"))
    assert persisted == {"__entity_type__": "User", "id": USER_ID, "username": "martin"}

    with pytest.raises(ValueError):
        session.encode(user, entity_attribute_strategy="unknown")


def test_encode_references_and_collections(session):
    task = session.feed(
        json.dumps(
            {
                "__entity_type__": "Task",
                "id": "t1",
                "status": {"__entity_type__": "Status", "id": STATUS_ID, "name": "Done"},
                "timelogs": [{"__entity_type__": "Timelog", "id": "l1"}],
            }
        )
    )
    encoded = json.loads(session.encode(task))
    assert encoded["status"] == {"__entity_type__": "Status", "id": STATUS_ID}
    assert encoded["timelogs"] == [{"__entity_type__": "Timelog", "id": "l1"}]
    assert json.loads(session.encode(task["timelogs"])) == encoded["timelogs"]


def test_decode_is_detached(session):
    user = session.feed(
        json.dumps({"__entity_type__": "User", "id": USER_ID, "username": "martin"})
    )
    decoded = session.decode(session.encode([user, {"when": arrow.Arrow(2020, 1, 1)}]))
    detached, other = decoded
    assert detached is not user
    assert detached == user
    assert detached["username"] == "martin"
    assert session.get("User", USER_ID) is user
    assert other["when"] == arrow.Arrow(2020, 1, 1)

    # Merging brings the detached values into the attached instance.
    ftrack_api.inspection.entity_state(detached).remote["first_name"] = "Martin"
    assert session.merge(detached) is user
    assert user["first_name"] == "Martin"


def test_entity_reference(session):
    metadata = session.feed(
        '{"__entity_type__": "Metadata", "parent_id": "p", "key": "k"}'
    )
    assert session.entity_reference(metadata) == {
        "__entity_type__": "Metadata",
        "parent_id": "p",
        "key": "k",
    }
