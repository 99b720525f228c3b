"""Custom attributes (dense model): read, write, new entities, filtering."""

import json

import pytest

import ftrack_api.exception

from client_helpers import RequestCounter, unique_name


@pytest.fixture
def text_configuration(ftrack_session):
    """A global text custom attribute configuration for sequences."""
    attribute_type = ftrack_session.query(
        'CustomAttributeType where name is "text"'
    ).one()
    object_type = ftrack_session.query('ObjectType where name is "Sequence"').one()
    configuration = ftrack_session.create(
        "CustomAttributeConfiguration",
        {
            "entity_type": "task",
            "object_type_id": object_type["id"],
            "type": attribute_type,
            "label": "Text",
            "key": unique_name("text"),
            "default": "bar",
            "config": json.dumps({"markdown": False}),
        },
    )
    ftrack_session.commit()
    return configuration


@pytest.fixture
def sequence(ftrack_session, new_project):
    sequence = ftrack_session.create(
        "Sequence", {"name": unique_name("seq"), "parent": new_project}
    )
    ftrack_session.commit()
    return sequence


def test_read_default(ftrack_session, sequence, text_configuration, new_session):
    key = text_configuration["key"]
    loaded = new_session().get("Sequence", sequence["id"])
    custom_attributes = loaded["custom_attributes"]
    assert key in custom_attributes.keys()
    assert custom_attributes[key] == "bar"
    assert (key, "bar") in list(custom_attributes.items())


def test_write(ftrack_session, sequence, text_configuration, new_session):
    key = text_configuration["key"]
    counter = RequestCounter(ftrack_session)
    sequence["custom_attributes"][key] = "foo"
    ftrack_session.commit()

    operations = json.loads(counter.bodies[-1])
    assert operations == [
        {
            "action": "update",
            "entity_type": "ContextCustomAttributeValue",
            "entity_key": [text_configuration["id"], sequence["id"]],
            "entity_data": {
                "__entity_type__": "ContextCustomAttributeValue",
                "value": "foo",
            },
        }
    ]

    loaded = new_session().get("Sequence", sequence["id"])
    assert loaded["custom_attributes"][key] == "foo"


def test_unknown_key(sequence):
    with pytest.raises(KeyError):
        sequence["custom_attributes"]["no_such_key_" + unique_name()] = "x"


def test_whole_mapping_assignment_refused(ftrack_session, sequence, text_configuration):
    with pytest.raises(ftrack_api.exception.ImmutableAttributeError):
        sequence["custom_attributes"] = {text_configuration["key"]: "baz"}


def test_new_entity(ftrack_session, new_project, text_configuration, new_session):
    key = text_configuration["key"]
    sequence = ftrack_session.create(
        "Sequence", {"name": unique_name("seq"), "parent": new_project}
    )
    counter = RequestCounter(ftrack_session)
    sequence["custom_attributes"][key] = "on creation"
    assert sequence["custom_attributes"][key] == "on creation"
    assert counter.expressions() == [
        "select key, project_id, id, object_type_id, entity_type, is_hierarchical "
        "from CustomAttributeConfiguration offset 0 limit 500"
    ]
    ftrack_session.commit()
    operations = json.loads(counter.bodies[-1])
    assert [operation["action"] for operation in operations] == ["create", "update"]
    assert operations[1]["entity_key"] == [text_configuration["id"], sequence["id"]]

    loaded = new_session().get("Sequence", sequence["id"])
    assert loaded["custom_attributes"][key] == "on creation"


def test_filter(ftrack_session, sequence, text_configuration):
    key = text_configuration["key"]
    value = unique_name("value")
    sequence["custom_attributes"][key] = value
    ftrack_session.commit()
    result = ftrack_session.query(
        'Sequence where custom_attributes any (key is "{0}" and value is "{1}")'.format(
            key, value
        )
    ).all()
    assert result == [sequence]


def test_validation_error(ftrack_session, sequence):
    attribute_type = ftrack_session.query(
        'CustomAttributeType where name is "number"'
    ).one()
    object_type = ftrack_session.query('ObjectType where name is "Sequence"').one()
    configuration = ftrack_session.create(
        "CustomAttributeConfiguration",
        {
            "entity_type": "task",
            "object_type_id": object_type["id"],
            "type": attribute_type,
            "label": "Number",
            "key": unique_name("number"),
            "default": 0,
            "config": json.dumps({"isdecimal": False}),
        },
    )
    ftrack_session.commit()
    ftrack_session.reset()
    sequence = ftrack_session.get("Sequence", sequence["id"])
    sequence["custom_attributes"][configuration["key"]] = "not a number"
    with pytest.raises(ftrack_api.exception.ServerError):
        ftrack_session.commit()
    ftrack_session.rollback()


def test_configuration_added_later(ftrack_session, new_project, text_configuration):
    # Load the configurations once.
    first = ftrack_session.create(
        "Sequence", {"name": unique_name("seq"), "parent": new_project}
    )
    first["custom_attributes"][text_configuration["key"]] = "one"
    ftrack_session.commit()

    attribute_type = ftrack_session.query('CustomAttributeType where name is "text"').one()
    object_type = ftrack_session.query('ObjectType where name is "Sequence"').one()
    later = ftrack_session.create(
        "CustomAttributeConfiguration",
        {
            "entity_type": "task",
            "object_type_id": object_type["id"],
            "type": attribute_type,
            "label": "Later",
            "key": unique_name("later"),
            "default": "",
            "config": json.dumps({"markdown": False}),
        },
    )
    ftrack_session.commit()

    second = ftrack_session.create(
        "Sequence", {"name": unique_name("seq"), "parent": new_project}
    )
    second["custom_attributes"][later["key"]] = "two"
    ftrack_session.commit()
    ftrack_session.reset()
    assert ftrack_session.get("Sequence", second["id"])["custom_attributes"][
        later["key"]
    ] == "two"


def test_project_specific_configuration_preferred(
    ftrack_session, new_project, text_configuration
):
    attribute_type = ftrack_session.query('CustomAttributeType where name is "text"').one()
    object_type = ftrack_session.query('ObjectType where name is "Sequence"').one()
    key = unique_name("scoped")
    configurations = {}
    for scope, project_id in (("global", None), ("project", new_project["id"])):
        configurations[scope] = ftrack_session.create(
            "CustomAttributeConfiguration",
            {
                "entity_type": "task",
                "object_type_id": object_type["id"],
                "type": attribute_type,
                "label": scope,
                "key": key,
                "default": "",
                "project_id": project_id,
                "config": json.dumps({"markdown": False}),
            },
        )
        try:
            ftrack_session.commit()
        except ftrack_api.exception.ServerError:
            ftrack_session.rollback()
            pytest.skip("server refuses two configurations with one key")

    sequence = ftrack_session.create(
        "Sequence", {"name": unique_name("seq"), "parent": new_project}
    )
    resolved = ftrack_session._resolve_custom_attribute_configuration(sequence, key)
    assert resolved["id"] == configurations["project"]["id"]
    ftrack_session.rollback()
