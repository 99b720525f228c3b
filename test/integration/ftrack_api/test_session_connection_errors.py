"""A server that goes away or stops answering gives clear, catchable errors."""

import socket

import pytest
import requests

import ftrack_api
import ftrack_api.exception
from ftrack_local.testing import running_server


def test_dropped_connection(tmp_path, ftrack_schema_cache_path):
    with running_server(str(tmp_path / "server")) as server:
        session = ftrack_api.Session(
            server_url=server.url, api_user=server.api_user, api_key=server.api_key,
            schema_cache_path=ftrack_schema_cache_path)
        user = session.query("User").first()
        user["first_name"] = "Kept"
    # The server is gone now.
    with pytest.raises(ftrack_api.exception.ServerConnectionError) as error:
        session.commit()
    message = str(error.value)
    assert "Could not reach the ftrack server at {0}".format(server.url) in message
    # Code catching the errors of requests still works.
    assert isinstance(error.value, requests.exceptions.ConnectionError)
    assert isinstance(error.value, ftrack_api.exception.ServerError)
    # Nothing was lost: the change is still pending.
    assert len(session.recorded_operations) == 1
    assert user["first_name"] == "Kept"
    session.close()


def test_unreachable_server_at_start(ftrack_schema_cache_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ftrack_api.exception.ServerConnectionError) as error:
        ftrack_api.Session(
            server_url="http://127.0.0.1:{0}".format(port), api_user="nobody",
            api_key="key", schema_cache_path=ftrack_schema_cache_path)
    assert "127.0.0.1:{0}".format(port) in str(error.value)


def test_server_that_does_not_answer(ftrack_server, ftrack_schema_cache_path):
    session = ftrack_api.Session(
        server_url=ftrack_server.url, api_user=ftrack_server.api_user,
        api_key=ftrack_server.api_key, schema_cache_path=ftrack_schema_cache_path,
        timeout=0.5)
    # A socket that accepts connections but never replies.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        session._server_url = "http://127.0.0.1:{0}".format(silent.getsockname()[1])
        with pytest.raises(ftrack_api.exception.ServerTimeoutError) as error:
            session.query("User").first()
    assert "did not answer within 0.5 seconds" in str(error.value)
    assert isinstance(error.value, requests.exceptions.Timeout)
    session.close()
