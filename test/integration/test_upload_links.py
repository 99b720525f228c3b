"""Upload URLs of the ``ftrack.server`` location: each works once (across all
server processes of one data dir), only for component ids, and never for
more than ``max_upload_bytes`` (see ``doc/local_server_limits.rst``)."""

import hashlib
import os
import urllib.parse
import uuid

import pytest
import requests

import ftrack_api
import ftrack_api.symbol
from ftrack_local.client import ApiClient, ApiClientError
from ftrack_local.components.tokens import TokenError, TokenSigner, UsedTokens
from ftrack_local.limits import Limits
from ftrack_local.server import LocalServer
from ftrack_local.testing import database_url, throwaway_database
from component_client import checksum, download, ensure_component, upload_metadata

TIMEOUT = 30
MAX_UPLOAD = 4096


@pytest.fixture(scope="module")
def database():
    with throwaway_database(database_url()) as url:
        yield url


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("upload-links"))


@pytest.fixture(scope="module")
def server(data_dir, database):
    local = LocalServer(data_dir, database_url=database,
                        limits=Limits(max_upload_bytes=MAX_UPLOAD)).start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture
def client(server):
    with ApiClient(server.url, server.api_user, server.api_key, strict=True) as api:
        yield api


def _incoming(server):
    return os.listdir(os.path.join(server.data_dir, "components", "incoming"))


def _put(url, data, headers=None):
    return requests.put(url, data=data, headers=headers or {}, timeout=TIMEOUT)


def test_an_upload_url_works_once(server, client):
    component_id = str(uuid.uuid4())
    metadata = upload_metadata(client, component_id, b"first")
    assert _put(metadata["url"], b"first", metadata["headers"]).status_code == 200
    again = _put(metadata["url"], b"first", metadata["headers"])
    assert again.status_code == 409, again.text
    assert again.json()["exception"] == "PermissionError"
    assert "already used" in again.json()["content"]
    assert download(server, component_id).content == b"first"
    # A new URL replaces the data.
    metadata = upload_metadata(client, component_id, b"second")
    assert _put(metadata["url"], b"second", metadata["headers"]).status_code == 200
    assert download(server, component_id).content == b"second"


def test_a_failed_upload_leaves_its_url_usable(server, client):
    component_id = str(uuid.uuid4())
    metadata = upload_metadata(client, component_id, b"right data")
    refused = _put(metadata["url"], b"wrong data", metadata["headers"])
    assert refused.status_code == 400 and "Checksum mismatch" in refused.json()["content"]
    assert _put(metadata["url"], b"right data", metadata["headers"]).status_code == 200
    assert _put(metadata["url"], b"right data", metadata["headers"]).status_code == 409


def test_each_part_url_works_once(server, client):
    component_id = str(uuid.uuid4())
    ensure_component(client, component_id)
    parts = [b"a" * 1000, b"b" * 10]
    whole = b"".join(parts)
    answer = client.call([{"action": "get_upload_metadata", "component_id": component_id,
                           "file_name": "two.bin", "file_size": len(whole),
                           "checksum": checksum(whole), "parts": 2}])[0]
    etags = []
    for url, part in zip(answer["urls"], parts):
        put = _put(url["signed_url"], part)
        assert put.status_code == 200, put.text
        assert _put(url["signed_url"], b"replaced").status_code == 409
        etags.append({"part_number": url["part_number"], "e_tag": put.headers["ETag"]})
    client.call([{"action": "complete_multipart_upload", "component_id": component_id,
                  "upload_id": answer["upload_id"], "parts": etags}])
    assert download(server, component_id).content == whole


def test_a_url_is_spent_for_every_server_on_the_data_dir(server, client, data_dir, database):
    component_id = str(uuid.uuid4())
    metadata = upload_metadata(client, component_id, b"shared")
    with LocalServer(data_dir, database_url=database) as other:
        target = urllib.parse.urlparse(metadata["url"])
        elsewhere = target._replace(netloc=urllib.parse.urlparse(other.url).netloc).geturl()
        assert _put(elsewhere, b"shared", metadata["headers"]).status_code == 200
        assert _put(metadata["url"], b"shared", metadata["headers"]).status_code == 409
        assert _put(elsewhere, b"shared", metadata["headers"]).status_code == 409


def test_spent_markers_are_forgotten_once_the_tokens_expire(tmp_path):
    now = [1000000.0]
    signer = TokenSigner(b"s" * 64, clock=lambda: now[0])
    used = UsedTokens(str(tmp_path / "used"), clock=lambda: now[0])
    claims = signer.verify(signer.issue("upload", 60, single_use=True, id="c"), "upload")
    used.spend(claims)
    with pytest.raises(TokenError):
        used.spend(claims)
    assert len(os.listdir(used.folder)) == 1
    now[0] += 30
    assert used.sweep(force=True) == 0
    now[0] += 31
    assert used.sweep(force=True) == 1
    assert os.listdir(used.folder) == []
    with pytest.raises(TokenError):
        signer.verify(signer.issue("upload", -1, single_use=True, id="c"), "upload")
    with pytest.raises(TokenError):
        used.spend(signer.verify(signer.issue("upload", 60, id="c"), "upload"))


# -- what a URL may be given for -------------------------------------------------------

def test_no_url_for_an_entity_that_is_no_component(client, server):
    user_id = client.query('select id from User where username is "{0}"'.format(
        server.api_user))[0]["id"]
    with pytest.raises(ApiClientError) as caught:
        client.call([{"action": "get_upload_metadata", "component_id": user_id,
                      "file_name": "x", "file_size": 1, "checksum": None}])
    assert caught.value.status == 400
    assert caught.value.exception == "ValidationError"
    assert "not of a Component" in caught.value.content
    assert download(server, user_id).status_code == 404


@pytest.mark.parametrize("bad_id", ["../api_key", "", None, 12, "a/b"])
def test_no_url_for_a_malformed_id(client, bad_id):
    with pytest.raises(ApiClientError) as caught:
        client.call([{"action": "get_upload_metadata", "component_id": bad_id,
                      "file_name": "x", "file_size": 1, "checksum": None}])
    assert caught.value.exception == "ValidationError"
    assert "component id" in caught.value.content


# -- size limit -------------------------------------------------------------------------

def test_upload_without_declared_size_over_the_limit_is_refused(server, client):
    component_id = str(uuid.uuid4())
    ensure_component(client, component_id)
    metadata = client.call([{"action": "get_upload_metadata", "component_id": component_id,
                             "file_name": "stream.bin", "file_size": None,
                             "checksum": None}])[0]
    assert "Content-Length" not in metadata["headers"]

    def chunks():
        for _ in range(10):
            yield b"z" * 1024

    refused = _put(metadata["url"], chunks(), {"Content-Type": "application/octet-stream"})
    assert refused.status_code == 413, refused.text
    assert "max_upload_bytes" in refused.json()["content"]
    assert "--max-upload-size" in refused.json()["content"]
    assert download(server, component_id).status_code == 404
    assert _incoming(server) == []
    # A declared length over the limit is refused before any byte is read.
    declared = _put(metadata["url"], b"y" * (MAX_UPLOAD + 1))
    assert declared.status_code == 413
    assert download(server, component_id).status_code == 404
    # Within the limit the same URL stores the data.
    assert _put(metadata["url"], b"y" * MAX_UPLOAD).status_code == 200
    assert download(server, component_id).content == b"y" * MAX_UPLOAD
    client.call([{"action": "query_server_information"}])


def test_multipart_upload_over_the_limit_is_not_joined(server, client):
    component_id = str(uuid.uuid4())
    ensure_component(client, component_id)
    answer = client.call([{"action": "get_upload_metadata", "component_id": component_id,
                           "file_name": "parts.bin", "file_size": None, "checksum": None,
                           "parts": 2}])[0]
    etags = []
    for url in answer["urls"]:
        put = _put(url["signed_url"], b"p" * 3000)
        assert put.status_code == 200
        etags.append({"part_number": url["part_number"], "e_tag": put.headers["ETag"]})
    with pytest.raises(ApiClientError) as caught:
        client.call([{"action": "complete_multipart_upload", "component_id": component_id,
                      "upload_id": answer["upload_id"], "parts": etags}])
    assert caught.value.status == 413 and "max_upload_bytes" in caught.value.content
    assert download(server, component_id).status_code == 404


# -- both clients keep uploading ----------------------------------------------------------

def test_our_client_uploads_and_downloads(server, tmp_path):
    data = os.urandom(MAX_UPLOAD // 2)
    path = tmp_path / "ours.bin"
    path.write_bytes(data)
    session = ftrack_api.Session(server_url=server.url, api_user=server.api_user,
                                 api_key=server.api_key, auto_connect_event_hub=False,
                                 schema_cache_path=str(tmp_path / "cache"))
    try:
        location = session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
        component = session.create_component(str(path), location=location)
        assert download(server, component["id"]).content == data
    finally:
        session.close()


def test_official_client_uploads_and_downloads(server, reference_python, run_reference, tmp_path):
    data = os.urandom(MAX_UPLOAD // 2)
    path = tmp_path / "theirs.bin"
    path.write_bytes(data)
    for frame in (1, 2):
        (tmp_path / "s").mkdir(exist_ok=True)
        (tmp_path / "s" / "f.{0:04d}.exr".format(frame)).write_bytes(b"frame %d" % frame)
    published = run_reference(reference_python, server, "publish_to_server.py", path=str(path),
                              sequence=str(tmp_path / "s" / "f.%04d.exr") + " [1-2]")
    stored = download(server, published["file_id"]).content
    assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest()
    assert download(server, published["members"]["0002"]).content == b"frame 2"
