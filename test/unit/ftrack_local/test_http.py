"""The shared HTTP helpers: credentials, the error envelope and its status."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import make_mocked_request

from ftrack_local import http
from ftrack_local.api.backend import Backend
from ftrack_local.errors import ApiError, AuthenticationError, NotFoundError, ValidationError


@pytest.fixture
def backend(tmp_path):
    opened = Backend.open(str(tmp_path), api_user="admin", api_key="the-key")
    yield opened
    opened.close()


def _body(answer):
    status, payload = answer
    return status, json.loads(payload)


def test_error_answer_uses_the_status_only_in_strict_mode():
    error = NotFoundError('No "Task" with id "x".')
    assert _body(http.error_answer(error, strict=True)) == (404, {
        "exception": "NotFoundError", "content": 'No "Task" with id "x".', "error_code": None})
    assert http.error_answer(error, strict=False)[0] == 200


def test_authentication_failures_are_always_401():
    status, body = _body(http.error_answer(AuthenticationError("no"), strict=False))
    assert (status, body["exception"]) == (401, "InvalidCredentialsError")


def test_error_response_carries_the_envelope_and_status():
    response = http.error_response(ValidationError("size {bad}", status=413))
    assert response.status == 413
    assert response.content_type == http.JSON_CONTENT_TYPE
    assert json.loads(response.body)["content"] == "size (bad)"


def test_internal_error_names_the_failure():
    error = http.internal_error(RuntimeError("disk gone"))
    assert isinstance(error, ApiError)
    assert (error.exception, error.status) == ("ServerError", 500)
    assert "disk gone" in error.content


@pytest.mark.parametrize("path, headers, expected", [
    ("/api", {"ftrack-user": "anna", "ftrack-api-key": "k1"}, ("anna", "k1")),
    ("/api?api_user=bob&api_key=k2", {}, ("bob", "k2")),
    ("/api?api_user=bob&api_key=k2", {"ftrack-user": "anna"}, ("anna", None)),
    ("/api", {"ftrack-user": ""}, (None, None)),
])
def test_credentials_come_from_headers_else_the_query(path, headers, expected):
    assert http.credentials(make_mocked_request("POST", path, headers=headers)) == expected


def test_check_credentials_accepts_the_key_of_the_user(backend):
    assert http.check_credentials(backend, "admin", "the-key") is None


@pytest.mark.parametrize("user, key, text", [
    (None, None, http.MISSING_CREDENTIALS),
    ("admin", None, http.MISSING_HEADER.format("ftrack-api-key")),
    (None, "the-key", http.MISSING_HEADER.format("ftrack-user")),
    ("admin", "another-key", "The supplied API key is not valid."),
    ("nobody", "the-key", "The supplied API key is not valid."),
])
def test_check_credentials_refuses_with_401(backend, user, key, text):
    status, body = _body(http.check_credentials(backend, user, key))
    assert (status, body["exception"], body["content"]) == (401, "InvalidCredentialsError", text)
