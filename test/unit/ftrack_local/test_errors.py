"""Error classes name their ftrack exception and strict-mode status as class keywords."""

from __future__ import annotations

import pytest

from ftrack_local import errors
from ftrack_local.limits import LimitExceeded


@pytest.mark.parametrize("error_class, exception, status", [
    (errors.ApiError, "ServerError", 500),
    (errors.ValidationError, "ValidationError", 400),
    (errors.ParseError, "ParseError", 400),
    (errors.UnknownEntityTypeError, "UnknownEntityTypeError", 404),
    (errors.NotFoundError, "NotFoundError", 404),
    (errors.DuplicateEntryError, "DuplicateEntryError", 409),
    (errors.AuthenticationError, "InvalidCredentialsError", 401),
    (errors.PermissionError, "PermissionError", 403),
    (LimitExceeded, "ValidationError", 400),
])
def test_each_class_names_its_exception_and_status(error_class, exception, status):
    assert (error_class.exception, error_class.status) == (exception, status)


def test_a_new_class_defaults_to_its_name_and_inherited_status():
    class LockedError(errors.ValidationError):
        """A locked thing."""

    class Gone(errors.NotFoundError, exception="GoneError", status=410):
        """A removed thing."""

    assert (LockedError.exception, LockedError.status) == ("LockedError", 400)
    assert (Gone.exception, Gone.status) == ("GoneError", 410)
    assert errors.NotFoundError.status == 404


def test_an_instance_may_override_name_and_status():
    error = errors.ApiError("Conflict {x}", exception="DuplicateEntryError", status=409)
    assert error.envelope() == {"exception": "DuplicateEntryError", "content": "Conflict (x)",
                                "error_code": None}
    assert error.status == 409


def test_invalid_action_keeps_the_wording_clients_recognise():
    assert errors.InvalidActionError("frobnicate").content == "Invalid action u'frobnicate'"
