"""Each request limit (``ftrack_local.limits``) is refused with an error naming
the limit and the ``serve`` option that raises it; nothing of a refused
request is applied and the server keeps serving.

Limits are set through ``LocalServer(limits=...)`` for most tests and
through the command line for the ``serve`` process tests. See
``doc/local_server_limits.rst``.
"""

import concurrent.futures
import gzip
import json
import uuid

import pytest
import requests

import ftrack_api
import ftrack_api.exception
from ftrack_local import cli
from ftrack_local.client import ApiClient
from ftrack_local.limits import Limits, parse_size
from ftrack_local.server import LocalServer, return_large_allocations
from ftrack_local.testing import database_url, throwaway_database
from server_process import ServerProcess, memory_measurable

TIMEOUT = 60
LIMITS = Limits(max_body_bytes=64 * 1024, max_operations=20, max_json_depth=8,
                max_query_length=300, max_upload_bytes=1000)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with throwaway_database(database_url()) as database:
        local = LocalServer(str(tmp_path_factory.mktemp("limits")), database_url=database,
                            limits=LIMITS).start()
        try:
            yield local
        finally:
            local.stop()


@pytest.fixture
def client(server):
    with ApiClient(server.url, server.api_user, server.api_key, strict=True) as api:
        yield api


def _user(name):
    return {"action": "create", "entity_type": "User",
            "entity_data": {"__entity_type__": "User", "username": name}}


def _users_named(client, prefix):
    return client.query('select username from User where username like "{0}%"'.format(prefix))


def _assert_refused(response, status, limit, option):
    assert response.status_code == status, response.text
    envelope = response.json()
    assert envelope["exception"] == "ValidationError", envelope
    assert limit in envelope["content"] and option in envelope["content"], envelope
    assert "nothing was done" in envelope["content"]
    return envelope


def _still_serving(client):
    (answer,) = client.call([{"action": "query_server_information"}])
    assert answer["schema_hash"]


# -- request bodies --------------------------------------------------------------------

def test_body_over_the_limit_is_refused_with_413(client):
    prefix = "body-" + uuid.uuid4().hex[:8]
    operations = [_user(prefix), dict(_user(prefix + "-2"), padding="x" * 70000)]
    response = client.post(operations)
    _assert_refused(response, 413, "max_body_bytes", "--max-body-size")
    assert _users_named(client, prefix) == []
    _still_serving(client)


def test_body_without_declared_length_is_cut_at_the_limit(client, server):
    prefix = "chunked-" + uuid.uuid4().hex[:8]
    text = json.dumps([_user(prefix), {"action": "query_server_information",
                                       "padding": "y" * 100000}]).encode("ascii")

    def chunks():
        for start in range(0, len(text), 8192):
            yield text[start:start + 8192]

    response = requests.post(server.url + "/api", data=chunks(), timeout=TIMEOUT,
                             headers=dict(client.headers))
    _assert_refused(response, 413, "max_body_bytes", "--max-body-size")
    assert _users_named(client, prefix) == []
    _still_serving(client)


def test_compressed_body_is_measured_once_decompressed(client):
    prefix = "gzip-" + uuid.uuid4().hex[:8]
    body = gzip.compress(json.dumps([_user(prefix), {
        "action": "query_server_information", "padding": "z" * 200000}]).encode("ascii"))
    assert len(body) < LIMITS.max_body_bytes
    response = client.post(body, headers={"Content-Encoding": "gzip"})
    _assert_refused(response, 413, "max_body_bytes", "--max-body-size")
    assert _users_named(client, prefix) == []
    _still_serving(client)


def test_body_limit_without_strict_mode_still_answers_the_envelope(server):
    with ApiClient(server.url, server.api_user, server.api_key) as lenient:
        response = lenient.post([{"action": "query_server_information", "padding": "x" * 70000}])
        assert response.json()["exception"] == "ValidationError"
        assert "max_body_bytes" in response.json()["content"]
        _still_serving(lenient)


# -- operations, nesting, expressions ---------------------------------------------------

def test_too_many_operations_are_refused(client):
    prefix = "many-" + uuid.uuid4().hex[:8]
    operations = [_user("{0}-{1}".format(prefix, index)) for index in range(21)]
    envelope = _assert_refused(client.post(operations), 400, "max_operations",
                               "--max-operations")
    assert "(21 operations)" in envelope["content"]
    assert _users_named(client, prefix) == []
    # At the limit the batch runs.
    client.call(operations[:20])
    assert len(_users_named(client, prefix)) == 20


def test_json_nested_beyond_the_limit_is_refused(client):
    prefix = "deep-" + uuid.uuid4().hex[:8]
    nested = "leaf"
    for _ in range(8):
        nested = {"next": nested}
    operation = _user(prefix)
    operation["entity_data"]["metadata_extra"] = nested
    _assert_refused(client.post([_user(prefix + "-first"), operation]), 400,
                    "max_json_depth", "--max-json-depth")
    assert _users_named(client, prefix) == []
    _still_serving(client)


def test_long_query_expression_is_refused(client):
    expression = "select id from User where username in ({0})".format(
        ", ".join('"u{0}"'.format(index) for index in range(60)))
    assert len(expression) > LIMITS.max_query_length
    envelope = _assert_refused(client.post([{"action": "query", "expression": expression}]),
                               400, "max_query_length", "--max-query-length")
    assert "characters" in envelope["content"]
    _still_serving(client)


def test_our_client_reports_the_limits(server, tmp_path):
    session = ftrack_api.Session(server_url=server.url, api_user=server.api_user,
                                 api_key=server.api_key, auto_connect_event_hub=False,
                                 schema_cache_path=str(tmp_path))
    try:
        prefix = "session-" + uuid.uuid4().hex[:8]
        for index in range(25):
            session.create("User", {"username": "{0}-{1}".format(prefix, index)})
        with pytest.raises(ftrack_api.exception.ServerError) as caught:
            session.commit()
        assert "max_operations" in str(caught.value)
        session.rollback()
        long_name = "n" * 400
        with pytest.raises(ftrack_api.exception.ServerError) as caught:
            session.query('User where username is "{0}"'.format(long_name)).all()
        assert "max_query_length" in str(caught.value)
        assert session.query('User where username like "{0}%"'.format(prefix)).all() == []
    finally:
        session.close()


# -- uploads --------------------------------------------------------------------------

def test_upload_metadata_for_a_file_over_the_limit_is_refused(client):
    component_id = str(uuid.uuid4())
    response = client.post([{"action": "get_upload_metadata", "component_id": component_id,
                             "file_name": "big.bin", "file_size": 1001, "checksum": None}])
    _assert_refused(response, 413, "max_upload_bytes", "--max-upload-size")
    _still_serving(client)


# -- the command line -------------------------------------------------------------------

def test_sizes_accept_suffixes():
    assert parse_size("1024") == 1024
    assert parse_size("64M") == 64 * 1024 ** 2
    assert parse_size("2G") == 2 * 1024 ** 3
    assert parse_size("512KiB") == 512 * 1024
    for bad in ("", "12X", "-1", "0", "1.5G"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_serve_options_build_the_limits_and_hub_settings():
    args = cli.build_parser().parse_args([
        "serve", "--max-body-size", "2M", "--max-operations", "7", "--max-json-depth", "9",
        "--max-query-length", "100", "--max-upload-size", "3G", "--hub-queue-limit", "64M",
        "--allow-origin", "https://a.example", "--allow-origin", "https://b.example"])
    assert cli.limits_from_arguments(args) == Limits(
        max_body_bytes=2 * 1024 ** 2, max_operations=7, max_json_depth=9, max_query_length=100,
        max_upload_bytes=3 * 1024 ** 3)
    settings = cli.hub_settings_from_arguments(args)
    assert settings.max_queue_bytes == 64 * 1024 ** 2
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    defaults = cli.build_parser().parse_args(["serve"])
    assert cli.limits_from_arguments(defaults) == Limits()
    assert cli.hub_settings_from_arguments(defaults) is None


@pytest.mark.parametrize("option, value", [("--max-body-size", "12X"),
                                           ("--max-operations", "0"),
                                           ("--max-json-depth", "many")])
def test_bad_option_values_are_usage_errors(option, value, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.build_parser().parse_args(["serve", option, value])
    assert caught.value.code == 2
    assert option in capsys.readouterr().err


@pytest.fixture
def database():
    with throwaway_database(database_url()) as url:
        yield url


def test_serve_process_applies_the_limit_options(tmp_path, database):
    arguments = ["--max-body-size", "32K", "--max-operations", "3", "--max-json-depth", "6",
                 "--max-query-length", "80", "--max-upload-size", "1K",
                 "--hub-queue-limit", "8M", "--allow-origin", "https://tools.example"]
    with ServerProcess(tmp_path / "data", database=database, arguments=arguments) as process:
        with ApiClient(process.url, process.api_user, process.api_key, strict=True) as api:
            prefix = "cli-" + uuid.uuid4().hex[:8]
            _assert_refused(api.post([_user(prefix)] * 4), 400, "max_operations",
                            "--max-operations")
            _assert_refused(api.post([_user(prefix), {"action": "query_server_information",
                                                      "padding": "p" * 40000}]),
                            413, "max_body_bytes", "--max-body-size")
            _assert_refused(api.post([{"action": "query", "expression": "select id from User "
                                       "where username is \"{0}\"".format("q" * 80)}]),
                            400, "max_query_length", "--max-query-length")
            deep = [[[[[[["x"]]]]]]]
            _assert_refused(api.post([dict(_user(prefix), extra=deep)]), 400,
                            "max_json_depth", "--max-json-depth")
            _assert_refused(api.post([{"action": "get_upload_metadata",
                                       "component_id": str(uuid.uuid4()), "file_name": "f",
                                       "file_size": 2048, "checksum": None}]),
                            413, "max_upload_bytes", "--max-upload-size")
            assert _users_named(api, prefix) == []
            api.call([_user(prefix)] * 1)
            assert len(_users_named(api, prefix)) == 1
        # The hub options reach the event hub: only the allowed origin gets CORS.
        handshake = process.url + "/socket.io/1/"
        allowed = requests.options(handshake, headers={"Origin": "https://tools.example"},
                                   timeout=TIMEOUT)
        assert allowed.headers.get("Access-Control-Allow-Origin") == "https://tools.example"
        other = requests.options(handshake, headers={"Origin": "https://elsewhere.example"},
                                 timeout=TIMEOUT)
        assert "Access-Control-Allow-Origin" not in other.headers


def test_local_server_passes_hub_settings_to_its_event_hub(tmp_path):
    from ftrack_local.events import HubSettings

    settings = HubSettings(max_queue_bytes=1234567, allowed_origins=("https://a.example",))
    server = LocalServer(str(tmp_path), hub_settings=settings, limits=LIMITS)
    assert server.event_hub.settings.max_queue_bytes == 1234567
    assert server.event_hub.settings.allowed_origins == ("https://a.example",)
    assert server.limits is LIMITS


# -- memory -------------------------------------------------------------------------------

#: Concurrent request bodies of the memory test, and the size of each.
BODIES = 8
BODY_SIZE = 25 * 1024 * 1024


@pytest.mark.slow
def test_concurrent_large_bodies_stay_within_twice_their_size(tmp_path, database):
    """200 MB of request bodies at once raise the server's peak memory by at most 400 MB,
    and the server keeps none of it afterwards.

    Each body is one cheap operation (``query_server_information``) carrying
    a 25 MB string the action ignores: the bytes go through reading,
    decoding and running like any batch, without the database growing.
    """
    if not memory_measurable():
        pytest.skip("process memory is only read on Linux")
    with ServerProcess(tmp_path / "data", database=database) as process:
        headers = dict(process.headers)
        warm = requests.post(process.url + "/api", headers=headers, timeout=TIMEOUT,
                             data=json.dumps([{"action": "query_server_information"}]))
        assert warm.status_code == 200, warm.text
        baseline = process.peak_rss_bytes()
        resident = process.rss_bytes()

        def send(index):
            padding = chr(ord("a") + index) * BODY_SIZE
            body = ('[{"action": "query_server_information", "padding": "' + padding
                    + '"}]').encode("ascii")
            del padding
            response = requests.post(process.url + "/api", data=body, headers=headers,
                                     timeout=TIMEOUT)
            return response.status_code, response.json()

        with concurrent.futures.ThreadPoolExecutor(BODIES) as pool:
            answers = list(pool.map(send, range(BODIES)))
        for status, answer in answers:
            assert status == 200 and answer[0]["schema_hash"], answer
        rise = process.peak_rss_bytes() - baseline
        total = BODIES * BODY_SIZE
        print("peak RSS rose by {0:.0f} MB for {1:.0f} MB of bodies ({2:.2f}x)".format(
            rise / 1e6, total / 1e6, rise / total))
        assert rise <= 2 * total, "peak RSS rose by {0} bytes for {1} bytes of bodies".format(
            rise, total)
        if return_large_allocations():
            # Nothing of the bodies stays with the server once answered.
            held = process.rss_bytes() - resident
            print("resident memory held after the requests: {0:.0f} MB".format(held / 1e6))
            assert held < total / 4, held
