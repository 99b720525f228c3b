"""Blob store, upload tokens and job rules of the component storage."""

import base64
import hashlib
import os

import pytest

from ftrack_local.components import jobs
from ftrack_local.components.outbox import Outbox
from ftrack_local.components.store import (BlobNotFound, BlobStore, StoreError,
                                           check_identifier, decode_md5)
from ftrack_local.components.tokens import TokenError, TokenSigner, load_secret
from ftrack_local.errors import ValidationError


def md5_text(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


@pytest.fixture
def store(tmp_path):
    return BlobStore(str(tmp_path / "components"))


def visible_files(store):
    """Every file under the root except the multi-part manifests' folder."""
    found = []
    for folder, _, files in os.walk(store.root):
        found += [os.path.relpath(os.path.join(folder, name), store.root) for name in files]
    return sorted(found)


# -- identifiers -------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "../secret", "..", "a/b", "/etc/passwd", "a\\b", "a\x00b", "", ".hidden", "a..b",
    "x" * 201, None, 12, "name with space", "caf\u00e9"])
def test_unsafe_identifiers_are_refused(store, value):
    with pytest.raises(StoreError) as caught:
        check_identifier(value)
    assert caught.value.status == 400
    with pytest.raises(StoreError):
        store.path_of(value)


@pytest.mark.parametrize("value", [
    "3a372bde-05bc-11e4-8908-20c9d081909b", "abc", "A_b.c-1"])
def test_safe_identifiers_stay_inside_the_root(store, value):
    path = store.path_of(value)
    assert os.path.dirname(path) == store.data_dir
    assert os.path.basename(path) == value


# -- whole uploads -------------------------------------------------------------------

def test_put_and_read_back(store):
    data = b"hello component" * 1000
    store.put("c1", iter([data[:100], data[100:]]), len(data), hashlib.md5(data).digest())
    assert store.exists("c1")
    assert store.size_of("c1") == len(data)
    assert b"".join(store.read("c1", chunk_size=77)) == data
    assert visible_files(store) == ["data/c1"]


def test_an_unfinished_upload_is_invisible_and_abort_leaves_nothing(store):
    upload = store.begin("c2", expected_size=10)
    upload.write(b"12345")
    assert not store.exists("c2")
    assert len(os.listdir(store.incoming_dir)) == 1
    upload.abort()
    assert not store.exists("c2")
    assert visible_files(store) == []


def test_short_upload_is_refused_on_commit(store):
    with store.begin("c3", expected_size=10) as upload:
        upload.write(b"12345")
        with pytest.raises(StoreError, match="received 5 of 10 bytes"):
            upload.commit()
    assert visible_files(store) == []


def test_oversized_upload_is_refused_while_writing(store):
    with pytest.raises(StoreError) as caught:
        store.put("c4", iter([b"123", b"4567"]), expected_size=5)
    assert caught.value.status == 413
    assert visible_files(store) == []


def test_checksum_mismatch_is_refused_and_keeps_the_old_blob(store):
    store.put("c5", iter([b"original"]))
    with pytest.raises(StoreError, match="Checksum mismatch"):
        store.put("c5", iter([b"replaced"]), expected_md5=hashlib.md5(b"other").digest())
    assert b"".join(store.read("c5")) == b"original"
    assert visible_files(store) == ["data/c5"]


def test_an_exception_inside_the_context_aborts(store):
    with pytest.raises(RuntimeError):
        with store.begin("c6") as upload:
            upload.write(b"partial")
            raise RuntimeError("connection lost")
    assert visible_files(store) == []


def test_decode_md5_accepts_rfc1864_text_only():
    assert decode_md5(md5_text(b"abc")) == hashlib.md5(b"abc").digest()
    assert decode_md5(None) is None
    for bad in ("not base64!", base64.b64encode(b"short").decode(), hashlib.md5(b"x").hexdigest()):
        with pytest.raises(StoreError, match="RFC 1864"):
            decode_md5(bad)


def test_remove_deletes_blob_and_thumbnails(store):
    store.put("c7", iter([b"image"]))
    thumbnail = store.thumbnail_path("c7", 100)
    with open(thumbnail, "wb") as handle:
        handle.write(b"small")
    assert store.remove("c7") is True
    assert not os.path.exists(thumbnail)
    assert store.remove("c7") is False
    with pytest.raises(BlobNotFound):
        store.existing_path("c7")
    with pytest.raises(BlobNotFound):
        list(store.read("c7"))


# -- multi-part uploads ----------------------------------------------------------------

def test_multipart_upload_joins_parts_in_order(store):
    parts = [b"first-", b"second-", b"third"]
    whole = b"".join(parts)
    upload_id = store.start_multipart("m1", 3, len(whole), hashlib.md5(whole).digest())
    etags = {}
    for number in (3, 1, 2):
        etags[number] = store.put_part(upload_id, number, iter([parts[number - 1]]))
    assert not store.exists("m1")
    store.complete_multipart(upload_id, "m1", [(n, '"{0}"'.format(etags[n])) for n in (1, 2, 3)])
    assert b"".join(store.read("m1")) == whole
    assert visible_files(store) == ["data/m1"]
    with pytest.raises(BlobNotFound):
        store.multipart_manifest(upload_id)


def test_multipart_refuses_bad_etags_missing_parts_and_order(store):
    upload_id = store.start_multipart("m2", 2)
    etag = store.put_part(upload_id, 1, iter([b"one"]))
    with pytest.raises(StoreError, match="was not uploaded"):
        store.complete_multipart(upload_id, "m2", [(1, etag), (2, "0" * 32)])
    store.put_part(upload_id, 2, iter([b"two"]))
    with pytest.raises(StoreError, match="ETag of part 1"):
        store.complete_multipart(upload_id, "m2", [(1, "0" * 32), (2, "x")])
    with pytest.raises(StoreError, match="sorted"):
        store.complete_multipart(upload_id, "m2", [(2, "x"), (1, etag)])
    with pytest.raises(StoreError, match="belongs to component"):
        store.complete_multipart(upload_id, "other", [(1, etag)])
    with pytest.raises(StoreError, match="out of range"):
        store.put_part(upload_id, 3, iter([b"three"]))
    assert not store.exists("m2")


def test_multipart_checks_the_declared_size(store):
    upload_id = store.start_multipart("m3", 1, expected_size=100)
    etag = store.put_part(upload_id, 1, iter([b"too short"]))
    with pytest.raises(StoreError, match="incomplete"):
        store.complete_multipart(upload_id, "m3", [(1, etag)])
    assert not store.exists("m3")


@pytest.mark.parametrize("parts", [0, -1, 10001, True, "3"])
def test_multipart_part_count_is_checked(store, parts):
    with pytest.raises(StoreError, match="number of parts"):
        store.start_multipart("m4", parts)


def test_multipart_upload_ids_are_checked(store):
    with pytest.raises(StoreError, match="upload id"):
        store.multipart_manifest("../../data")


# -- tokens ----------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 1000000.0

    def __call__(self):
        return self.now


def test_tokens_round_trip_and_expire():
    clock = Clock()
    signer = TokenSigner(b"s" * 64, clock)
    token = signer.issue("upload", 60, id="c1", size=3)
    claims = signer.verify(token, "upload")
    assert claims["id"] == "c1" and claims["size"] == 3
    clock.now += 61
    with pytest.raises(TokenError, match="expired"):
        signer.verify(token, "upload")


def test_tokens_are_bound_to_purpose_and_secret():
    signer = TokenSigner(b"a" * 64)
    token = signer.issue("widget", 60, name="info")
    with pytest.raises(TokenError, match="not meant"):
        signer.verify(token, "upload")
    with pytest.raises(TokenError, match="signature"):
        TokenSigner(b"b" * 64).verify(token, "widget")
    payload, signature = token.split(".")
    forged = TokenSigner(b"c" * 64).issue("widget", 60, name="tasks").split(".")[0]
    with pytest.raises(TokenError, match="signature"):
        signer.verify(forged + "." + signature, "widget")
    for broken in (None, "", "abc", "a.b.c"):
        with pytest.raises(TokenError):
            signer.verify(broken, "widget")


def test_secret_is_created_once_and_private(tmp_path):
    path = str(tmp_path / "secret")
    first = load_secret(path)
    assert load_secret(path) == first
    assert len(first) >= 32
    assert os.stat(path).st_mode & 0o077 == 0


# -- job rules ---------------------------------------------------------------------------

def test_new_jobs_need_a_known_type_status_and_json_data():
    values = {"type": "api_job", "status": "done", "data": '{"description": "x"}'}
    jobs.check_new_job(values)
    assert values["finished_at"] is not None
    for bad, fragment in (({"type": "render", "status": "queued"}, "api_job"),
                          ({"type": "api_job", "status": "paused"}, "not valid"),
                          ({"type": "api_job", "status": "queued", "data": "{oops"}, "not valid JSON")):
        with pytest.raises(ValidationError, match=fragment):
            jobs.check_new_job(dict(bad))


def test_job_changes_set_and_clear_finished_at():
    changes = {"status": "failed"}
    jobs.check_job_changes({"status": "running", "finished_at": None}, changes)
    assert changes["finished_at"] is not None
    changes = {"status": "running"}
    jobs.check_job_changes({"status": "failed", "finished_at": "then"}, changes)
    assert changes["finished_at"] is None
    with pytest.raises(ValidationError):
        jobs.check_job_changes({"status": "queued"}, {"status": "exploded"})


# -- outbox --------------------------------------------------------------------------------

def test_outbox_keeps_messages_in_order(tmp_path):
    outbox = Outbox(str(tmp_path / "outbox"))
    outbox.send("user_invite", "a@example.com", user_id="1")
    outbox.send("user_invite", "b@example.com", user_id="2")
    assert [(m["kind"], m["to"], m["user_id"]) for m in outbox.messages()] == [
        ("user_invite", "a@example.com", "1"), ("user_invite", "b@example.com", "2")]
    assert all(name.endswith(".json") for name in os.listdir(outbox.folder))


# -- the service's URLs --------------------------------------------------------------------

def test_service_urls_and_lifetimes(tmp_path):
    import time
    import urllib.parse

    from ftrack_local.api.backend import Backend
    from ftrack_local.components import service as service_module

    backend = Backend.open(str(tmp_path))
    backend.server_url = "http://host:1/"
    service = backend.components
    try:
        url = service.widget_url("info", "dark", "admin", "Task", ["t1"])
        assert url.startswith("http://host:1/widget/info?token=")
        token = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["token"][0]
        claims = service.signer.verify(token, service_module.WIDGET_PURPOSE)
        assert claims["entity_key"] == ["t1"] and claims["username"] == "admin"
        assert abs(claims["exp"] - time.time() - 360) < 5

        single = service.upload_metadata("c1", "a.bin", 3, md5_text(b"abc"))
        assert single["headers"] == {"Content-Type": "application/octet-stream",
                                     "Content-Length": "3", "Content-MD5": md5_text(b"abc")}
        multi = service.upload_metadata("c1", "a.bin", 3, None, parts=2)
        assert [u["part_number"] for u in multi["urls"]] == [1, 2]
        assert service.store.multipart_manifest(multi["upload_id"])["parts"] == 2
        assert service.component_url("get", "c1", "admin", "k") == (
            "http://host:1/component/get?id=c1&username=admin&apiKey=k")
    finally:
        service.close()
        backend.close()
