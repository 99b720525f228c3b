"""The HTTP layer, the server runner and the command line, on the wire."""

import gzip
import hashlib
import json
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

import ftrack_local
from ftrack_local.errors import ApiError
from ftrack_local.server import LocalServer
from ftrack_local.testing import ApiClient, ApiClientError

BAD_KEY_TEXT = "The supplied API key is not valid."
SERVER_INFO = [{"action": "query_server_information"}]


def envelope_of(response):
    """The error envelope of *response*, checking its general shape."""
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) >= {"exception", "content", "error_code"}
    assert isinstance(body["content"], str)
    assert "{" not in body["content"] and "}" not in body["content"]
    return body


def assert_still_serving(client):
    info = client.call(SERVER_INFO)[0]
    assert "schema_hash" in info


# -- authentication -----------------------------------------------------------

def test_missing_credentials_are_refused(ftrack_api_client):
    response = ftrack_api_client.post(
        SERVER_INFO, headers={"ftrack-user": None, "ftrack-api-key": None})
    assert response.status_code == 401
    body = envelope_of(response)
    assert body["exception"] == "InvalidCredentialsError"
    assert "ftrack-user" in body["content"]
    assert "ftrack-api-key" in body["content"]


def test_missing_api_key_is_refused(ftrack_api_client):
    response = ftrack_api_client.post(SERVER_INFO,
                                      headers={"ftrack-api-key": None})
    assert response.status_code == 401
    body = envelope_of(response)
    assert body["exception"] == "InvalidCredentialsError"
    assert "ftrack-api-key" in body["content"]


@pytest.mark.parametrize("strict", ["false", "true"])
def test_wrong_api_key_is_refused_with_401(ftrack_api_client, strict):
    response = ftrack_api_client.post(SERVER_INFO, headers={
        "ftrack-api-key": "not-the-key", "ftrack-strict-api": strict})
    assert response.status_code == 401
    body = envelope_of(response)
    assert body["exception"] == "InvalidCredentialsError"
    assert body["content"].startswith(BAD_KEY_TEXT)


def test_wrong_user_is_refused(ftrack_api_client):
    response = ftrack_api_client.post(
        SERVER_INFO, headers={"ftrack-user": "nobody-by-that-name"})
    assert response.status_code == 401
    assert envelope_of(response)["exception"] == "InvalidCredentialsError"


def test_header_names_are_case_insensitive(ftrack_server):
    response = requests.post(ftrack_server.url + "/api", json=SERVER_INFO, headers={
        "FTRACK-USER": ftrack_server.api_user,
        "Ftrack-Api-Key": ftrack_server.api_key,
    }, timeout=30)
    assert response.status_code == 200
    assert response.json()[0]["version"]


def test_query_parameters_authenticate(ftrack_server):
    response = requests.post(ftrack_server.url + "/api", json=SERVER_INFO, params={
        "api_user": ftrack_server.api_user, "api_key": ftrack_server.api_key,
    }, timeout=30)
    assert response.status_code == 200
    assert response.json()[0]["version"]


def test_api_client_raises_on_error_envelope(ftrack_server):
    with ApiClient(ftrack_server.url, ftrack_server.api_user, "wrong") as client:
        with pytest.raises(ApiClientError) as caught:
            client.call(SERVER_INFO)
    assert caught.value.exception == "InvalidCredentialsError"
    assert caught.value.status == 401
    assert caught.value.content.startswith(BAD_KEY_TEXT)


# -- bad requests ---------------------------------------------------------------

BAD_BODIES = {
    "malformed-json": (b'[{"action": "query_server_information"', "Request body is not valid JSON: "),
    "empty-body": (b"", "Request body is not valid JSON: "),
    "not-utf8": (b"[\xff\xfe]", "Request body is not valid JSON: "),
    "object": (b'{"action": "query_server_information"}', "Request body must be a JSON list of operations."),
    "string": (b'"query_server_information"', "Request body must be a JSON list of operations."),
    "null": (b"null", "Request body must be a JSON list of operations."),
    "list-with-string": (b'[{"action": "query_server_information"}, "x"]',
                         "Request body must be a JSON list of operations"),
    "list-with-list": (b"[[]]", "Request body must be a JSON list of operations"),
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_bad_body_is_a_validation_error(ftrack_api_client, name):
    body, expected = BAD_BODIES[name]
    response = ftrack_api_client.post(body)
    assert response.status_code == 200
    envelope = envelope_of(response)
    assert envelope["exception"] == "ValidationError"
    assert envelope["content"].startswith(expected)
    assert_still_serving(ftrack_api_client)


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_bad_body_in_strict_mode_is_400(ftrack_api_client, name):
    body, expected = BAD_BODIES[name]
    response = ftrack_api_client.post(body, headers={"ftrack-strict-api": "true"})
    assert response.status_code == 400
    assert envelope_of(response)["content"].startswith(expected)
    assert_still_serving(ftrack_api_client)


def test_unknown_action(ftrack_api_client):
    response = ftrack_api_client.post([{"action": "no_such_action"}])
    assert response.status_code == 200
    envelope = envelope_of(response)
    assert "Invalid action u'no_such_action'" in envelope["content"]
    assert_still_serving(ftrack_api_client)


def test_unknown_action_in_strict_mode(ftrack_server):
    with ApiClient(ftrack_server.url, ftrack_server.api_user,
                   ftrack_server.api_key, strict=True) as client:
        with pytest.raises(ApiClientError) as caught:
            client.call([{"action": "no_such_action"}])
        assert 400 <= caught.value.status < 500
        assert "Invalid action u'no_such_action'" in caught.value.content
        assert_still_serving(client)


def test_failed_batch_answers_one_envelope(ftrack_api_client):
    response = ftrack_api_client.post(
        SERVER_INFO + [{"action": "no_such_action"}] + SERVER_INFO)
    assert response.status_code == 200
    assert "Invalid action u'no_such_action'" in envelope_of(response)["content"]


@pytest.mark.timeout(60)
def test_unexpected_failure_becomes_server_error(ftrack_fresh_server, monkeypatch):
    def explode(operations, username):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(ftrack_fresh_server.backend, "call", explode)
    with ApiClient(ftrack_fresh_server.url, ftrack_fresh_server.api_user,
                   ftrack_fresh_server.api_key) as client:
        response = client.post(SERVER_INFO)
        assert response.status_code == 200
        envelope = envelope_of(response)
        assert envelope["exception"] == "ServerError"
        assert envelope["content"] == "Internal server error: the disk is on fire"
        response = client.post(SERVER_INFO, headers={"ftrack-strict-api": "true"})
        assert response.status_code == 500
        monkeypatch.undo()
        assert_still_serving(client)


def test_api_error_status_is_used_in_strict_mode_only(ftrack_fresh_server, monkeypatch):
    def conflict(operations, username):
        raise ApiError("Already there.", exception="DuplicateEntryError", status=409)

    monkeypatch.setattr(ftrack_fresh_server.backend, "call", conflict)
    with ApiClient(ftrack_fresh_server.url, ftrack_fresh_server.api_user,
                   ftrack_fresh_server.api_key) as client:
        assert client.post(SERVER_INFO).status_code == 200
        response = client.post(SERVER_INFO, headers={"ftrack-strict-api": "true"})
        assert response.status_code == 409
        assert envelope_of(response) == {"exception": "DuplicateEntryError",
                                         "content": "Already there.",
                                         "error_code": None}


def test_get_on_api_is_not_allowed(ftrack_server):
    response = requests.get(ftrack_server.url + "/api", timeout=30)
    assert response.status_code == 405


# -- successful requests ---------------------------------------------------------

def test_server_information(ftrack_api_client):
    response = ftrack_api_client.post(SERVER_INFO)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    info = response.json()[0]
    assert isinstance(info["version"], str) and info["version"]
    assert len(info["schema_hash"]) == 32
    assert info["is_timezone_support_enabled"] is True
    assert info["storage_scenario"]["scenario"] == "ftrack.automatic"
    assert isinstance(info["storage_scenario"]["data"], dict)


def test_schemas_match_schema_hash(ftrack_api_client):
    info, schemas = ftrack_api_client.call(
        SERVER_INFO + [{"action": "query_schemas"}])
    assert isinstance(schemas, list)
    assert len(schemas) == 116
    assert all(isinstance(schema, dict) and schema["id"] for schema in schemas)
    digest = hashlib.md5(json.dumps(schemas, sort_keys=True).encode("ascii"))
    assert digest.hexdigest() == info["schema_hash"]


def test_one_result_per_operation_in_order(ftrack_api_client):
    results = ftrack_api_client.call(
        [{"action": "query_schemas"}] + SERVER_INFO + [{"action": "query_schemas"}])
    assert len(results) == 3
    assert isinstance(results[0], list) and isinstance(results[2], list)
    assert isinstance(results[1], dict) and "schema_hash" in results[1]


def test_empty_batch(ftrack_api_client):
    assert ftrack_api_client.call([]) == []


def test_answers_are_ascii(ftrack_api_client):
    response = ftrack_api_client.post([{"action": "query_schemas"}])
    response.content.decode("ascii")


def test_unknown_headers_are_ignored(ftrack_api_client):
    response = ftrack_api_client.post(SERVER_INFO, headers={
        "ftrack-Clienttoken": "abc", "ftrack-pushtoken": "def",
        "X-Anything": "1", "Cookie": "a=b"})
    assert response.status_code == 200
    assert response.json()[0]["schema_hash"]


def test_gzip_body(ftrack_api_client):
    body = gzip.compress(json.dumps(SERVER_INFO).encode("ascii"))
    response = ftrack_api_client.post(body, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.json()[0]["schema_hash"]


def test_broken_gzip_body(ftrack_api_client):
    response = ftrack_api_client.post(b"\x1f\x8b not gzip at all",
                                      headers={"Content-Encoding": "gzip"})
    assert envelope_of(response)["exception"] == "ValidationError"
    assert_still_serving(ftrack_api_client)


def test_index_page(ftrack_server):
    response = requests.get(ftrack_server.url + "/", timeout=30)
    assert response.status_code == 200
    assert "ftrack_local" in response.text
    assert ftrack_local.__version__ in response.text
    assert ftrack_server.url in response.text
    assert ftrack_server.api_key not in response.text


# -- LocalServer -------------------------------------------------------------------

def _server_information(server):
    with ApiClient(server.url, server.api_user, server.api_key) as client:
        return client.call(SERVER_INFO)[0]


@pytest.mark.timeout(120)
def test_restart_on_same_data_dir_keeps_api_key(tmp_path):
    data_dir = str(tmp_path / "data")
    server = LocalServer(data_dir=data_dir)
    with server:
        assert server.running
        assert server.url == "http://127.0.0.1:{0}".format(server.port)
        assert server.port > 0
        key = server.api_key
        assert key
        assert server.backend.server_url == server.url
        assert _server_information(server)["schema_hash"]
        url = server.url
    assert not server.running
    server.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        requests.post(url + "/api", json=SERVER_INFO, timeout=5)

    with LocalServer(data_dir=data_dir) as again:
        assert again.api_key == key
        assert _server_information(again)["schema_hash"]

    server.start()  # the same object can serve again
    try:
        assert server.api_key == key
        assert _server_information(server)["schema_hash"]
    finally:
        server.stop()


@pytest.mark.timeout(60)
def test_given_api_key_and_user(tmp_path):
    with LocalServer(data_dir=str(tmp_path / "data"), api_key="secret-key") as server:
        assert server.api_key == "secret-key"
        assert server.api_user == "admin"
        assert _server_information(server)["version"]


@pytest.mark.timeout(60)
def test_temporary_data_dir_is_removed():
    server = LocalServer(database_url=os.environ.get("FTRACK_LOCAL_DATABASE_URL"))
    with server:
        data_dir = server.data_dir
        assert os.path.isdir(data_dir)
        assert _server_information(server)["version"]
    assert not os.path.exists(data_dir)


@pytest.mark.timeout(60)
def test_busy_port_fails_to_start(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        server = LocalServer(data_dir=str(tmp_path / "data"),
                             port=busy.getsockname()[1])
        with pytest.raises(OSError):
            server.start()
        assert not server.running
        server.stop()


def test_fresh_server_is_separate(ftrack_server, ftrack_fresh_server):
    assert ftrack_fresh_server.url != ftrack_server.url
    assert ftrack_fresh_server.data_dir != ftrack_server.data_dir
    assert _server_information(ftrack_fresh_server)["version"]


# -- command line -----------------------------------------------------------------

def _cli_environment():
    env = dict(os.environ)
    env.pop("FTRACK_API_KEY", None)
    source = os.path.dirname(os.path.dirname(os.path.abspath(ftrack_local.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(
        [source] + [p for p in [env.get("PYTHONPATH")] if p])
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _cli_command(*arguments):
    command = [sys.executable, "-m", "ftrack_local"] + list(arguments)
    database = os.environ.get("FTRACK_LOCAL_DATABASE_URL")
    if database and arguments and arguments[0] == "serve":
        command += ["--database", database]
    return command


def _read_lines(stream, lines):
    for line in iter(stream.readline, ""):
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _next_line(lines, deadline, seen, stderr_path):
    """The CLI's next output line, failing clearly when it ends or stalls."""
    try:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
    except queue.Empty:
        line = None
    assert line is not None, "The CLI ended or stalled after printing {0}; stderr:\n{1}".format(
        seen, stderr_path.read_text())
    seen.append(line)
    return line


def _hear_ctrl_c():
    """Give the child the default Ctrl-C handling.

    A shell starts background jobs with SIGINT ignored, children inherit
    that, and Python then leaves SIGINT ignored: run from such a job (as CI
    may be), the CLI would never see the Ctrl-C this test sends.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _assert_stops(process, stderr_path):
    """Wait for *process* to exit cleanly; if it hangs, fail with every thread's stack.

    The child runs with faulthandler enabled, so SIGABRT makes it print the
    traceback of each of its threads to standard error before it dies.
    """
    try:
        assert process.wait(timeout=CLI_STOP_TIMEOUT) == 0
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        process.wait(timeout=CLI_STOP_TIMEOUT)
        pytest.fail("The CLI did not stop within {0} s of Ctrl-C; its threads:\n{1}".format(
            CLI_STOP_TIMEOUT, stderr_path.read_text()))


# Hang guards only: on a loaded machine starting the server can take a
# while, and every wait ends as soon as its event happens.
CLI_READY_TIMEOUT = 120
CLI_STOP_TIMEOUT = 60


@pytest.mark.timeout(CLI_READY_TIMEOUT + CLI_STOP_TIMEOUT + 60)
def test_cli_serve(tmp_path):
    # Port 0: the server picks a free port itself, so no other process can
    # take it between choosing and binding (the printed URL names it). The
    # CLI prints its "export" lines only once the socket is listening, so
    # reading them is the readiness signal.
    stderr_path = tmp_path / "stderr.txt"
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen(
            _cli_command("serve", "--port", "0", "--data-dir",
                         str(tmp_path / "data"), "--log-level", "warning"),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True,
            env=dict(_cli_environment(), PYTHONFAULTHANDLER="1"),
            preexec_fn=_hear_ctrl_c if os.name == "posix" else None)
    lines = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines),
                              daemon=True)
    reader.start()
    try:
        exports = {}
        seen = []
        deadline = time.monotonic() + CLI_READY_TIMEOUT
        while "FTRACK_API_KEY" not in exports:
            line = _next_line(lines, deadline, seen, stderr_path)
            if line.startswith("export "):
                name, _, value = line[len("export "):].partition("=")
                exports[name] = shlex.split(value)[0]
        assert re.fullmatch(r"http://127\.0\.0\.1:[1-9][0-9]*", exports["FTRACK_SERVER"])
        assert exports["FTRACK_API_USER"] == "admin"
        assert exports["FTRACK_API_KEY"]
        assert _next_line(lines, deadline, seen, stderr_path) == "Press Ctrl-C to stop."

        response = requests.post(exports["FTRACK_SERVER"] + "/api", json=SERVER_INFO,
                                 headers={"ftrack-user": exports["FTRACK_API_USER"],
                                          "ftrack-api-key": exports["FTRACK_API_KEY"]},
                                 timeout=30)
        assert response.status_code == 200
        assert response.json()[0]["schema_hash"]

        process.send_signal(signal.SIGINT)
        _assert_stops(process, stderr_path)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=CLI_STOP_TIMEOUT)
        reader.join(10)
        process.stdout.close()


@pytest.mark.timeout(60)
def test_cli_port_in_use(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        result = subprocess.run(
            _cli_command("serve", "--port", str(busy.getsockname()[1]),
                         "--data-dir", str(tmp_path / "data")),
            capture_output=True, text=True, env=_cli_environment(), timeout=50)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1
    assert "already in use" in errors[0]
    assert "export FTRACK_API_KEY" not in result.stdout


@pytest.mark.timeout(60)
def test_cli_without_command_prints_usage():
    result = subprocess.run(_cli_command(), capture_output=True, text=True,
                            env=_cli_environment(), timeout=50)
    assert result.returncode == 2
    assert "serve" in result.stderr
