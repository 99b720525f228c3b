"""Errors the server reports to clients in the ftrack error envelope.

Each class names the ftrack exception the client sees (by default the class
name) and the HTTP status of strict mode, as class keywords::

    class NotFoundError(ApiError, status=404): ...
"""

from __future__ import annotations

from typing import Any, Dict, Optional


class ApiError(Exception):
    """A failure reported to the client as ``{"exception", "content", "error_code"}``.

    *exception* is the ftrack exception name the client sees, *content* the
    human readable text and *status* the HTTP status used in strict mode
    (non-strict requests always answer 200).
    """

    exception = "ServerError"
    status = 500

    def __init_subclass__(cls, exception: Optional[str] = None, status: Optional[int] = None,
                          **kwargs: Any) -> None:
        """Set a subclass's *exception* name (default: its class name unless its
        body sets one) and its strict mode *status* (default: inherited)."""
        super().__init_subclass__(**kwargs)
        if exception is not None:
            cls.exception = exception
        elif "exception" not in vars(cls):
            cls.exception = cls.__name__
        if status is not None:
            cls.status = status

    def __init__(self, content: str, exception: Optional[str] = None,
                 status: Optional[int] = None, error_code: Optional[str] = None) -> None:
        # Braces break the reference client's str.format based messages.
        content = str(content).replace("{", "(").replace("}", ")")
        super().__init__(content)
        self.content = content
        if exception is not None:
            self.exception = exception
        if status is not None:
            self.status = status
        self.error_code = error_code

    def envelope(self) -> Dict[str, Any]:
        """Return the JSON body describing this error."""
        return {"exception": self.exception, "content": self.content,
                "error_code": self.error_code}


class ValidationError(ApiError, status=400):
    """A request whose data does not fit the schema."""


class ParseError(ValidationError):
    """A query expression that cannot be parsed."""


class UnknownEntityTypeError(ApiError, status=404):
    """A request naming an entity type the schema does not have."""


class UnknownAttributeError(ValidationError):
    """A request naming an attribute the entity type does not have."""


class ImmutableAttributeError(ValidationError):
    """A request changing an attribute that cannot be changed."""


class NotFoundError(ApiError, status=404):
    """A request about an entity that does not exist."""


class DuplicateEntryError(ApiError, status=409):
    """A request that would create a second entity with the same key."""


class IntegrityError(ApiError, status=409):
    """A request that would leave references pointing nowhere."""


class InvalidActionError(ApiError, status=400):
    """A request with an action the server does not know or badly formed."""

    def __init__(self, action: Any) -> None:
        # The reference client recognises exactly this wording.
        super().__init__("Invalid action u'{0}'".format(action))


class AuthenticationError(ApiError, exception="InvalidCredentialsError", status=401):
    """A request without valid credentials."""


class PermissionError(ApiError, status=403):  # noqa: A001 - the ftrack name
    """A request the authenticated user may not make."""
