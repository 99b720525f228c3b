"""Errors the server reports to clients in the ftrack error envelope."""

from typing import Any, Dict, Optional


class ApiError(Exception):
    """A failure reported to the client as ``{"exception", "content", "error_code"}``.

    *exception* is the ftrack exception name the client sees, *content* the
    human readable text and *status* the HTTP status used in strict mode
    (non-strict requests always answer 200).
    """

    exception = "ServerError"
    status = 500

    def __init__(self, content: str, exception: Optional[str] = None,
                 status: Optional[int] = None, error_code: Optional[str] = None):
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


class ValidationError(ApiError):
    """A request whose data does not fit the schema."""
    exception = "ValidationError"
    status = 400


class ParseError(ValidationError):
    """A query expression that cannot be parsed."""

    exception = "ParseError"


class UnknownEntityTypeError(ApiError):
    """A request naming an entity type the schema does not have."""
    exception = "UnknownEntityTypeError"
    status = 404


class UnknownAttributeError(ValidationError):
    """A request naming an attribute the entity type does not have."""
    exception = "UnknownAttributeError"


class ImmutableAttributeError(ValidationError):
    """A request changing an attribute that cannot be changed."""
    exception = "ImmutableAttributeError"


class NotFoundError(ApiError):
    """A request about an entity that does not exist."""
    exception = "NotFoundError"
    status = 404


class DuplicateEntryError(ApiError):
    """A request that would create a second entity with the same key."""
    exception = "DuplicateEntryError"
    status = 409


class IntegrityError(ApiError):
    """A request that would leave references pointing nowhere."""
    exception = "IntegrityError"
    status = 409


class InvalidActionError(ApiError):
    """A request with an action the server does not know or badly formed."""
    exception = "InvalidActionError"
    status = 400

    def __init__(self, action: Any):
        # The reference client recognises exactly this wording.
        super().__init__("Invalid action u'{0}'".format(action))


class AuthenticationError(ApiError):
    """A request without valid credentials."""
    exception = "InvalidCredentialsError"
    status = 401


class PermissionError(ApiError):  # noqa: A001 - the ftrack name
    """A request the authenticated user may not make."""
    exception = "PermissionError"
    status = 403
