"""Exceptions raised by the API.

Every exception derives from :class:`Error`. Each class carries a
``default_message`` template which is used when no explicit message is
given; placeholders in the template are filled from the ``details`` mapping
when the exception is converted to text. Errors about particular things
(an entity type, a collection, components...) take them as constructor
arguments and keep each one in ``details`` under its parameter name, so
their templates refer to them as ``{entity_type}``, ``{collection}``...
"""

from __future__ import annotations

import collections.abc
import string
import traceback
from typing import Any, Iterator, Mapping, Optional

import requests.exceptions


_FORMATTER = string.Formatter()


def _render_placeholder(field_name: str, conversion: Optional[str], format_spec: Optional[str]) -> str:
    """Return the original text of a placeholder that could not be filled."""
    text = "{" + field_name
    if conversion:
        text += "!" + conversion
    if format_spec:
        text += ":" + format_spec
    return text + "}"


try:
    from _string import formatter_field_name_split as _split_field_name
except ImportError:  # pragma: no cover - interpreters without _string.

    def _split_field_name(field_name: str) -> tuple[Any, Iterator[tuple[bool, str]]]:
        """Split *field_name* handling dotted attribute access only."""
        parts = field_name.split(".")
        first = parts[0]
        if first.isdigit():
            first = int(first)
        return first, iter([(True, part) for part in parts[1:]])


def _resolve_field(field_name: str, details: Mapping[str, Any]) -> Any:
    """Return value for *field_name* (e.g. ``attribute.name``) from *details*.

    Raise :exc:`LookupError` when the value cannot be found. When only a
    trailing attribute or index lookup fails the nearest resolvable value is
    returned instead, so that ``{attribute.name}`` still shows something useful
    when *attribute* is a plain string.
    """
    first, rest = _split_field_name(field_name)
    if isinstance(first, int) or first not in details:
        raise LookupError(field_name)

    value = details[first]
    for is_attribute, key in rest:
        try:
            if is_attribute:
                value = getattr(value, key)
            else:
                value = value[key]
        except Exception:
            break

    return value


def _safe_format(template: str, details: Mapping[str, Any]) -> str:
    """Return *template* filled from *details*, never raising.

    Placeholders that cannot be filled are kept verbatim. If the template is
    not a valid format string at all it is returned unchanged.
    """
    try:
        parsed = list(_FORMATTER.parse(template))
    except (ValueError, TypeError):
        return template

    pieces = []
    for literal_text, field_name, format_spec, conversion in parsed:
        pieces.append(literal_text)
        if field_name is None:
            continue

        try:
            value = _resolve_field(field_name, details)
        except Exception:
            pieces.append(
                _render_placeholder(field_name, conversion, format_spec)
            )
            continue

        try:
            if conversion == "r":
                value = repr(value)
            elif conversion == "a":
                value = ascii(value)
            elif conversion == "s":
                value = str(value)
            pieces.append(format(value, format_spec or ""))
        except Exception:
            try:
                pieces.append(str(value))
            except Exception:
                pieces.append(
                    _render_placeholder(field_name, conversion, format_spec)
                )

    return "".join(pieces)


def _restore_error(cls: type, state: dict) -> Error:
    """Rebuild an error of *cls* from its pickled *state*."""
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message"))
    error.__dict__.update(state)
    return error


class Error(Exception):
    """Base class for all errors raised by the API."""

    #: Message used when no explicit message is supplied.
    default_message = "Unspecified error occurred."

    def __init__(self, message: Any = None, details: Any = None) -> None:
        """Initialise error with *message* and extra *details*.

        When *message* is None the class :attr:`default_message` is used.
        *details* is an optional mapping giving context about the failure;
        its keys can be referenced as ``{name}`` placeholders in the message.
        """
        if message is None:
            message = self.default_message

        if details is None:
            details = {}
        elif isinstance(details, collections.abc.Mapping):
            details = dict(details)

        self.message = message
        self.details = details
        self.traceback = traceback.format_exc()
        # ``args`` stay what the error was created with, as Python sets them.

    def _init_with_fields(self, kw: dict, **fields: Any) -> None:
        """Initialise from the constructor keywords *kw* plus named *fields*.

        The fields are stored in :attr:`details` (over any details given in
        *kw*) so that the message template can refer to them by name.
        """
        Error.__init__(self, details=_merged_details(kw, **fields), **kw)

    def __str__(self) -> str:
        """Return message with placeholders filled from the details."""
        message = self.message
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        elif not isinstance(message, str):
            try:
                message = str(message)
            except Exception:
                message = object.__repr__(message)

        if not self.details or not isinstance(
            self.details, collections.abc.Mapping
        ):
            return message

        details = {}
        for key, value in self.details.items():
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            details[key] = value

        return _safe_format(message, details)

    def __reduce__(self) -> tuple:
        """Support pickling whatever the constructor signature is."""
        return (_restore_error, (type(self), dict(self.__dict__)))


def _merged_details(kw: dict, **values: Any) -> dict:
    """Return details from *kw* (popped) updated with *values*."""
    extra = kw.pop("details", None)
    details = {}
    if isinstance(extra, collections.abc.Mapping):
        details.update(extra)
    elif extra is not None:
        details["details"] = extra
    details.update(values)
    return details


def _as_list(items: Any) -> list:
    """Return *items* as a list, wrapping a single item."""
    if isinstance(items, (str, bytes, collections.abc.Mapping)):
        return [items]

    if isinstance(items, collections.abc.Iterable):
        return list(items)

    return [items]


class AuthenticationError(Error):
    """Raised when authenticating against the server fails."""

    default_message = "Authentication error."


class ServerError(Error):
    """Raised when the server answers a request with an error."""

    default_message = "Server reported error processing request."


class ServerConnectionError(ServerError, requests.exceptions.ConnectionError):
    """Raised when the server cannot be reached or the connection drops.

    It is also a :class:`requests.exceptions.ConnectionError`, so code that
    catches the errors of :mod:`requests` keeps working.
    """

    default_message = "Could not connect to the server."


class ServerTimeoutError(ServerError, requests.exceptions.Timeout):
    """Raised when the server does not answer within the session's timeout.

    It is also a :class:`requests.exceptions.Timeout`.
    """

    default_message = "The server did not answer in time."


class ServerCompatibilityError(ServerError):
    """Raised when the server version is not supported by this client."""

    default_message = "Server incompatible."


class NotFoundError(Error):
    """Raised when something expected to exist cannot be found."""

    default_message = "Not found."


class NotUniqueError(Error):
    """Raised when a value that must be unique is duplicated."""

    default_message = "Non-unique value detected."


class IncorrectResultError(Error):
    """Raised when a result does not have the expected shape."""

    default_message = "Incorrect result detected."


class NoResultFoundError(IncorrectResultError):
    """Raised when a result was expected but none was found."""

    default_message = "Expected result, but no result was found."


class MultipleResultsFoundError(IncorrectResultError):
    """Raised when exactly one result was expected but several were found."""

    default_message = "Expected single result, but received multiple results."


class EntityTypeError(Error):
    """Raised for problems related to entity types."""

    default_message = "Entity type error."


class UnrecognisedEntityTypeError(EntityTypeError):
    """Raised when an entity type name is not known."""

    default_message = 'Entity type "{entity_type}" not recognised.'

    def __init__(self, entity_type: Any, **kw: Any) -> None:
        """Initialise error for unknown *entity_type*."""
        self._init_with_fields(kw, entity_type=entity_type)


class OperationError(Error):
    """Raised for problems related to operations."""

    default_message = "Operation error."


class InvalidStateError(Error):
    """Raised when an object is in a state that forbids the action."""

    default_message = "Invalid state."


class InvalidStateTransitionError(InvalidStateError):
    """Raised when an entity cannot move from one state to another."""

    default_message = (
        "Invalid transition from {current_state!r} to {target_state!r} state "
        "for entity {entity!r}"
    )

    def __init__(self, current_state: Any, target_state: Any, entity: Any, **kw: Any) -> None:
        """Initialise error for the refused change of *entity* state."""
        self._init_with_fields(kw, current_state=current_state, target_state=target_state, entity=entity)


class AttributeError(Error):
    """Raised for problems related to entity attributes."""

    default_message = "Attribute error."


class ImmutableAttributeError(AttributeError):
    """Raised when trying to change the value of an immutable attribute."""

    default_message = "Cannot modify value of immutable {attribute.name!r} attribute."

    def __init__(self, attribute: Any, **kw: Any) -> None:
        """Initialise error for *attribute* that cannot be modified."""
        self._init_with_fields(kw, attribute=attribute)


class CollectionError(Error):
    """Raised for problems related to collections."""

    default_message = "Collection error."

    def __init__(self, collection: Any, **kw: Any) -> None:
        """Initialise error concerning *collection*."""
        self._init_with_fields(kw, collection=collection)


class ImmutableCollectionError(CollectionError):
    """Raised when trying to change an immutable collection."""

    default_message = "Cannot modify value of immutable collection {collection!r}."


class DuplicateItemInCollectionError(CollectionError):
    """Raised when an item is added to a collection that already holds it."""

    default_message = "Item {item!r} already exists in collection {collection!r}."

    def __init__(self, item: Any, collection: Any, **kw: Any) -> None:
        """Initialise error for duplicate *item* in *collection*."""
        self._init_with_fields(kw, item=item, collection=collection)


class ParseError(Error):
    """Raised when text cannot be parsed."""

    default_message = "Failed to parse."


class EventHubError(Error):
    """Raised for problems related to the event hub."""

    default_message = "Event hub error occurred."


class EventHubConnectionError(EventHubError):
    """Raised when the event hub is not connected or cannot connect."""

    default_message = "Event hub is not connected."


class EventHubPacketError(EventHubError):
    """Raised when a packet exchanged with the event server is invalid."""

    default_message = "Invalid packet."


class PermissionDeniedError(Error):
    """Raised when the user is not allowed to perform an action."""

    default_message = "Permission denied."


class LocationError(Error):
    """Base class for errors related to locations."""

    default_message = "Unspecified location error"


class ComponentNotInAnyLocationError(LocationError):
    """Raised when a component is not available in any location."""

    default_message = "Component not available in any location."


def _format_components(components: list) -> str:
    """Return text listing *components* by identifier where possible."""
    names = []
    for component in components:
        try:
            names.append(str(component["id"]))
        except Exception:
            names.append(str(component))
    return ", ".join(names)


def _component_fields(components: Any, location: Any) -> dict:
    """Return the detail fields naming *components* and their *location*.

    *components* can be a single component or a sequence of components.
    """
    components = _as_list(components)
    return {
        "components": components,
        "formatted_components": _format_components(components),
        "location": location,
    }


class ComponentNotInLocationError(LocationError):
    """Raised when one or more components are missing from a location."""

    default_message = "Component(s) {formatted_components} not found in location {location}."

    def __init__(self, components: Any, location: Any, **kw: Any) -> None:
        """Initialise error for *components* missing from *location*."""
        self._init_with_fields(kw, **_component_fields(components, location))


class ComponentInLocationError(LocationError):
    """Raised when one or more components already exist in a location."""

    default_message = "Component(s) {formatted_components} already exist in location {location}."

    def __init__(self, components: Any, location: Any, **kw: Any) -> None:
        """Initialise error for *components* already present in *location*."""
        self._init_with_fields(kw, **_component_fields(components, location))


class AccessorError(Error):
    """Base class for errors raised by accessors."""

    default_message = "Unspecified accessor error"


def _init_accessor_error(
    self: AccessorError, operation: str = "", resource_identifier: Optional[str] = None, error: Any = None, **kw: Any
) -> None:
    """Initialise an accessor error about *operation* on *resource_identifier*.

    *error* can hold the underlying exception or a description of it.
    """
    self._init_with_fields(kw, operation=operation, resource_identifier=resource_identifier, error=error)


class AccessorOperationFailedError(AccessorError):
    """Base class for accessor operations that failed."""

    default_message = "Operation {operation} failed: {error}"

    __init__ = _init_accessor_error


class AccessorUnsupportedOperationError(AccessorOperationFailedError):
    """Raised when an accessor does not support an operation."""

    default_message = "Operation {operation} unsupported."


class AccessorPermissionDeniedError(AccessorOperationFailedError):
    """Raised when an accessor is refused access to a resource."""

    default_message = "Cannot {operation} {resource_identifier}. Permission denied."


class AccessorResourceIdentifierError(AccessorError):
    """Raised when a resource identifier is not usable."""

    default_message = "Resource identifier is invalid: {resource_identifier}."

    def __init__(self, resource_identifier: Any, **kw: Any) -> None:
        """Initialise error for invalid *resource_identifier*."""
        self._init_with_fields(kw, resource_identifier=resource_identifier)


class AccessorFilesystemPathError(AccessorResourceIdentifierError):
    """Raised when no filesystem path can be derived from an identifier."""

    default_message = (
        "Could not determine filesystem path from resource identifier: "
        "{resource_identifier}."
    )


class AccessorResourceError(AccessorError):
    """Base class for accessor errors about one specific resource."""

    default_message = "Unspecified resource error: {resource_identifier}"

    __init__ = _init_accessor_error


class AccessorResourceNotFoundError(AccessorResourceError):
    """Raised when a required resource does not exist."""

    default_message = "Resource not found: {resource_identifier}"


class AccessorParentResourceNotFoundError(AccessorResourceError):
    """Raised when the parent of a resource (e.g. a directory) is missing."""

    default_message = "Parent resource is missing: {resource_identifier}"


class AccessorResourceInvalidError(AccessorResourceError):
    """Raised when a resource is not of the expected kind."""

    default_message = "Resource invalid: {resource_identifier}"


class AccessorContainerNotEmptyError(AccessorResourceError):
    """Raised when a container resource is unexpectedly not empty."""

    default_message = "Container is not empty: {resource_identifier}"


class StructureError(Error):
    """Base class for errors raised by structures."""

    default_message = "Unspecified structure error"


class ConnectionClosedError(Error):
    """Raised when a closed connection or session is used."""

    default_message = "Connection closed."
