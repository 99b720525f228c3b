"""Tests for :mod:`ftrack_api.exception`."""

import builtins
import inspect
import pickle

import pytest
import requests.exceptions

import ftrack_api.exception as exception


def _error_classes():
    return sorted(
        (
            value
            for value in vars(exception).values()
            if inspect.isclass(value) and issubclass(value, exception.Error)
        ),
        key=lambda cls: cls.__name__,
    )


HIERARCHY = {
    "Error": Exception,
    "AuthenticationError": exception.Error,
    "ServerError": exception.Error,
    "ServerCompatibilityError": exception.ServerError,
    "NotFoundError": exception.Error,
    "NotUniqueError": exception.Error,
    "IncorrectResultError": exception.Error,
    "NoResultFoundError": exception.IncorrectResultError,
    "MultipleResultsFoundError": exception.IncorrectResultError,
    "EntityTypeError": exception.Error,
    "UnrecognisedEntityTypeError": exception.EntityTypeError,
    "OperationError": exception.Error,
    "InvalidStateError": exception.Error,
    "InvalidStateTransitionError": exception.InvalidStateError,
    "AttributeError": exception.Error,
    "ImmutableAttributeError": exception.AttributeError,
    "CollectionError": exception.Error,
    "ImmutableCollectionError": exception.CollectionError,
    "DuplicateItemInCollectionError": exception.CollectionError,
    "ParseError": exception.Error,
    "EventHubError": exception.Error,
    "EventHubConnectionError": exception.EventHubError,
    "EventHubPacketError": exception.EventHubError,
    "PermissionDeniedError": exception.Error,
    "LocationError": exception.Error,
    "ComponentNotInAnyLocationError": exception.LocationError,
    "ComponentNotInLocationError": exception.LocationError,
    "ComponentInLocationError": exception.LocationError,
    "AccessorError": exception.Error,
    "AccessorOperationFailedError": exception.AccessorError,
    "AccessorUnsupportedOperationError": exception.AccessorOperationFailedError,
    "AccessorPermissionDeniedError": exception.AccessorOperationFailedError,
    "AccessorResourceIdentifierError": exception.AccessorError,
    "AccessorFilesystemPathError": exception.AccessorResourceIdentifierError,
    "AccessorResourceError": exception.AccessorError,
    "AccessorResourceNotFoundError": exception.AccessorResourceError,
    "AccessorParentResourceNotFoundError": exception.AccessorResourceError,
    "AccessorResourceInvalidError": exception.AccessorResourceError,
    "AccessorContainerNotEmptyError": exception.AccessorResourceError,
    "StructureError": exception.Error,
    "ConnectionClosedError": exception.Error,
}

#: Errors that are also errors of requests, so either kind of handler works.
REQUESTS_ERRORS = {
    "ServerConnectionError": (exception.ServerError, requests.exceptions.ConnectionError),
    "ServerTimeoutError": (exception.ServerError, requests.exceptions.Timeout),
}


def _instance(cls):
    """Return an instance of *cls* built with minimal arguments."""
    parameters = [
        parameter
        for parameter in inspect.signature(cls.__init__).parameters.values()
        if parameter.name != "self"
        and parameter.default is inspect.Parameter.empty
        and parameter.kind
        not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    ]
    return cls(*["value-{0}".format(parameter.name) for parameter in parameters])


@pytest.mark.parametrize("name", sorted(HIERARCHY))
def test_hierarchy(name):
    cls = getattr(exception, name)
    assert cls.__bases__ == (HIERARCHY[name],)
    assert issubclass(cls, Exception)


@pytest.mark.parametrize("name", sorted(REQUESTS_ERRORS))
def test_errors_shared_with_requests(name):
    cls = getattr(exception, name)
    assert cls.__bases__ == REQUESTS_ERRORS[name]
    error = cls("Could not reach {url}.", details={"url": "http://host"})
    assert str(error) == "Could not reach http://host."
    assert isinstance(error, requests.exceptions.RequestException)


def test_all_error_classes_covered():
    assert {cls.__name__ for cls in _error_classes()} == set(HIERARCHY) | set(
        REQUESTS_ERRORS)


def test_attribute_error_shadows_builtin_only_in_module():
    assert exception.AttributeError is not builtins.AttributeError
    assert not issubclass(exception.AttributeError, builtins.AttributeError)


def test_default_message_used():
    error = exception.Error()
    assert error.message == "Unspecified error occurred."
    assert str(error) == "Unspecified error occurred."
    assert error.details == {}


def test_explicit_message_and_details():
    error = exception.Error("Failed for {name}.", details={"name": "bob"})
    assert str(error) == "Failed for bob."
    assert error.details == {"name": "bob"}


def test_details_are_copied():
    details = {"a": 1}
    error = exception.Error(details=details)
    details["b"] = 2
    assert error.details == {"a": 1}


def test_traceback_attribute():
    try:
        raise ValueError("inner problem")
    except ValueError:
        error = exception.ServerError("outer")

    assert "inner problem" in error.traceback
    assert isinstance(exception.Error().traceback, str)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Error", "Unspecified error occurred."),
        ("AuthenticationError", "Authentication error."),
        ("ServerError", "Server reported error processing request."),
        ("ServerCompatibilityError", "Server incompatible."),
        ("NotFoundError", "Not found."),
        ("NotUniqueError", "Non-unique value detected."),
        ("IncorrectResultError", "Incorrect result detected."),
        ("NoResultFoundError", "Expected result, but no result was found."),
        (
            "MultipleResultsFoundError",
            "Expected single result, but received multiple results.",
        ),
        ("EntityTypeError", "Entity type error."),
        ("OperationError", "Operation error."),
        ("InvalidStateError", "Invalid state."),
        ("AttributeError", "Attribute error."),
        ("ParseError", "Failed to parse."),
        ("EventHubError", "Event hub error occurred."),
        ("EventHubConnectionError", "Event hub is not connected."),
        ("EventHubPacketError", "Invalid packet."),
        ("PermissionDeniedError", "Permission denied."),
        ("LocationError", "Unspecified location error"),
        ("ComponentNotInAnyLocationError", "Component not available in any location."),
        ("AccessorError", "Unspecified accessor error"),
        ("StructureError", "Unspecified structure error"),
        ("ConnectionClosedError", "Connection closed."),
    ],
)
def test_plain_default_messages(name, expected):
    cls = getattr(exception, name)
    assert cls.default_message == expected
    assert str(cls()) == expected


def test_unrecognised_entity_type():
    error = exception.UnrecognisedEntityTypeError("Foo")
    assert str(error) == 'Entity type "Foo" not recognised.'
    assert error.details["entity_type"] == "Foo"


def test_unrecognised_entity_type_custom_message():
    error = exception.UnrecognisedEntityTypeError("Foo", message="No {entity_type}!")
    assert str(error) == "No Foo!"


def test_extra_details_are_merged():
    error = exception.UnrecognisedEntityTypeError("Foo", details={"hint": "check"})
    assert error.details == {"hint": "check", "entity_type": "Foo"}


def test_invalid_state_transition():
    error = exception.InvalidStateTransitionError("created", "modified", "entity")
    assert str(error) == (
        "Invalid transition from 'created' to 'modified' state for entity 'entity'"
    )


class _Attribute(object):
    name = "username"


def test_immutable_attribute():
    error = exception.ImmutableAttributeError(_Attribute())
    assert str(error) == "Cannot modify value of immutable 'username' attribute."


def test_immutable_attribute_with_plain_name():
    error = exception.ImmutableAttributeError("username")
    assert str(error) == "Cannot modify value of immutable 'username' attribute."


def test_collection_errors():
    assert str(exception.CollectionError([1])) == "Collection error."
    assert exception.CollectionError([1]).details == {"collection": [1]}
    assert str(exception.ImmutableCollectionError([1])) == (
        "Cannot modify value of immutable collection [1]."
    )
    error = exception.DuplicateItemInCollectionError("a", ["a"])
    assert str(error) == "Item 'a' already exists in collection ['a']."
    assert error.details == {"item": "a", "collection": ["a"]}


def test_component_not_in_location_many():
    components = [{"id": "c1"}, {"id": "c2"}]
    error = exception.ComponentNotInLocationError(components, "studio")
    assert str(error) == "Component(s) c1, c2 not found in location studio."
    assert error.details["components"] == components
    assert error.details["location"] == "studio"


def test_component_in_location_single():
    component = {"id": "c1"}
    error = exception.ComponentInLocationError(component, "studio")
    assert str(error) == "Component(s) c1 already exist in location studio."
    assert error.details["components"] == [component]


def test_component_without_id_uses_text():
    error = exception.ComponentInLocationError(["plain"], "studio")
    assert "plain" in str(error)


def test_accessor_operation_errors():
    error = exception.AccessorOperationFailedError(
        operation="read", resource_identifier="a/b", error=ValueError("boom")
    )
    assert str(error) == "Operation read failed: boom"
    assert error.details["resource_identifier"] == "a/b"

    assert str(exception.AccessorUnsupportedOperationError("seek")) == (
        "Operation seek unsupported."
    )
    assert str(
        exception.AccessorPermissionDeniedError("write", resource_identifier="x")
    ) == "Cannot write x. Permission denied."


def test_accessor_resource_errors():
    assert str(exception.AccessorResourceIdentifierError("a")) == (
        "Resource identifier is invalid: a."
    )
    assert str(exception.AccessorFilesystemPathError("a")) == (
        "Could not determine filesystem path from resource identifier: a."
    )
    assert str(exception.AccessorResourceError(resource_identifier="a")) == (
        "Unspecified resource error: a"
    )
    assert str(exception.AccessorResourceNotFoundError(resource_identifier="a")) == (
        "Resource not found: a"
    )
    assert str(
        exception.AccessorParentResourceNotFoundError(resource_identifier="a")
    ) == "Parent resource is missing: a"
    assert str(exception.AccessorResourceInvalidError(resource_identifier="a")) == (
        "Resource invalid: a"
    )
    assert str(exception.AccessorContainerNotEmptyError(resource_identifier="a")) == (
        "Container is not empty: a"
    )


def test_accessor_error_custom_message():
    error = exception.AccessorResourceNotFoundError(
        resource_identifier="a", message="Gone: {resource_identifier}"
    )
    assert str(error) == "Gone: a"


@pytest.mark.parametrize(
    "message",
    [
        'Server said: {"key": 1}',
        "Unbalanced { brace",
        "Unbalanced } brace",
        "{0} {} {missing}",
        "{value!z}",
    ],
)
def test_str_never_raises_with_braces_in_message(message):
    assert str(exception.ServerError(message)) == message
    text = str(exception.ServerError(message, details={"other": 1}))
    assert isinstance(text, str)


def test_braces_in_detail_values():
    error = exception.Error("Got {value}", details={"value": "{not-a-field}"})
    assert str(error) == "Got {not-a-field}"


def test_unfillable_placeholders_kept():
    error = exception.Error("{known} {unknown} {0}", details={"known": "k"})
    assert str(error) == "k {unknown} {0}"


def test_bad_format_spec_falls_back_to_text():
    error = exception.Error("{value:d}", details={"value": "text"})
    assert str(error) == "text"


def test_bytes_details_and_message():
    assert str(exception.Error(b"raw {a}", details={"a": b"b"})) == "raw b"


def test_non_string_message():
    assert str(exception.Error(ValueError("inner"))) == "inner"


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_renders_and_raises(cls):
    error = _instance(cls)
    assert isinstance(str(error), str)
    with pytest.raises(exception.Error):
        raise error


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_pickles(cls):
    error = _instance(cls)
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is cls
    assert str(restored) == str(error)
    assert restored.details == error.details


def test_catch_by_base_class():
    with pytest.raises(exception.IncorrectResultError):
        raise exception.NoResultFoundError()

    with pytest.raises(exception.LocationError):
        raise exception.ComponentNotInLocationError([], "loc")


def test_non_mapping_details_do_not_break():
    error = exception.Error("Message {x}", details=["not", "a", "mapping"])
    assert error.details == ["not", "a", "mapping"]
    assert str(error) == "Message {x}"

    error = exception.UnrecognisedEntityTypeError("Foo", details=["extra"])
    assert str(error) == 'Entity type "Foo" not recognised.'
