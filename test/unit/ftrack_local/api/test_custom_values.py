"""Custom attribute value rules (:mod:`ftrack_local.api.writing.custom_values`)."""

import pytest

from ftrack_local import schema as schema_module
from ftrack_local.api.writing.custom_values import CUSTOM_VALUE_TYPES, check_custom_value, value_type_for
from ftrack_local.errors import ValidationError


def configuration(type_name, **extra):
    return dict({"key": "fstart", "_type_name": type_name}, **extra)


@pytest.fixture(scope="module")
def schema():
    return schema_module.load()


@pytest.mark.parametrize("type_name, good, bad", [
    ("number", 1001.5, True),
    ("number", 7, "7"),
    ("text", "x", 3),
    ("url", "https://example.com", ["x"]),
    ("boolean", False, 0),
    ("enumerator", ["a", "b"], ["a", 1]),
    ("dynamic enumerator", "a", {"a": 1}),
])
def test_values_are_checked_against_their_type(type_name, good, bad):
    assert check_custom_value(configuration(type_name), good) == good
    with pytest.raises(ValidationError, match='custom attribute "fstart"'):
        check_custom_value(configuration(type_name), bad)


def test_null_and_unchecked_types_pass():
    assert check_custom_value(configuration("number"), None) is None
    assert check_custom_value(configuration("unknown"), {"any": "thing"}) == {"any": "thing"}


def test_dates_are_stored_encoded():
    stored = check_custom_value(configuration("date"), "2024-03-01T10:00:00")
    assert stored["__type__"] == "datetime" and stored["value"].startswith("2024-03-01T10:00:00")
    again = check_custom_value(configuration("date"), stored)
    assert again == stored
    with pytest.raises(ValidationError, match="date and time"):
        check_custom_value(configuration("date"), "tomorrow")
    with pytest.raises(ValidationError, match="date and time"):
        check_custom_value(configuration("date"), 5)


def test_legacy_writes_land_on_the_owner_value_type(schema):
    legacy = schema.types["CustomAttributeValue"]
    assert value_type_for(schema, legacy, {"entity_type": "task"}).name == "ContextCustomAttributeValue"
    assert value_type_for(schema, legacy, {"entity_type": "show"}).name == "ContextCustomAttributeValue"
    assert value_type_for(schema, legacy, {"entity_type": "assetversion"}).name == \
        "AssetVersionCustomAttributeValue"
    assert value_type_for(schema, legacy, {"entity_type": "user"}).name == "UserCustomAttributeValue"
    assert value_type_for(schema, legacy, {"entity_type": "nothing"}) is legacy


def test_specific_value_types_stay(schema):
    specific = schema.types["ListCustomAttributeValue"]
    assert value_type_for(schema, specific, {"entity_type": "task"}) is specific
    assert {"CustomAttributeValue", "ContextCustomAttributeValue"} <= CUSTOM_VALUE_TYPES
