"""How the backend reports database failures that are the request's fault."""

import pytest
import sqlalchemy as sa

pytest.importorskip("aiohttp")

from ftrack_local.api import backend as backend_module  # noqa: E402
from ftrack_local.api.backend import Backend  # noqa: E402
from ftrack_local.errors import ValidationError  # noqa: E402


@pytest.fixture
def backend(tmp_path):
    return Backend.open(str(tmp_path), api_user="admin", api_key="key")


def _failing_run(message):
    def run(request, operations):
        raise sa.exc.OperationalError("SELECT …", {}, Exception(message))
    return run


def test_database_limits_are_a_validation_error(backend, monkeypatch):
    monkeypatch.setattr(backend_module, "run", _failing_run("parser stack overflow"))
    with pytest.raises(ValidationError, match="too complex for the database"):
        backend.call([{"action": "query", "expression": "Task"}], "admin")
    # Nothing was held back: the next request is answered normally.
    monkeypatch.undo()
    (answer,) = backend.call([{"action": "query", "expression": "select id from User"}], "admin")
    assert answer["data"]


def test_other_database_failures_are_not_disguised(backend, monkeypatch):
    monkeypatch.setattr(backend_module, "run", _failing_run("disk I/O error"))
    with pytest.raises(sa.exc.OperationalError):
        backend.call([{"action": "query", "expression": "Task"}], "admin")
