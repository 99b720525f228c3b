"""Component data in the ``ftrack.server`` location over real HTTP.
(doc/protocol.rst, "Component data")

Uploads go through ``get_upload_metadata`` and a PUT carrying only the
returned headers; downloads, removals and thumbnails authenticate with query
parameters, as the client's server accessor does.
"""

import base64
import hashlib
import json
import os
import socket
import subprocess
import time
import urllib.parse
import uuid

import pytest
import requests

from ftrack_local import seed
from ftrack_local.client import ApiClient, ApiClientError
from ftrack_local.components import ffmpeg

from component_client import (SERVER_LOCATION, TIMEOUT, checksum, component_url, download,
                              register, upload, upload_metadata)

def in_server_location(client, component_id):
    return client.query(
        "select component_id, resource_identifier from ComponentLocation where location_id is "
        "{0} and component_id in ({1}) offset 0 limit 500".format(SERVER_LOCATION, component_id))


def incoming_files(server):
    return os.listdir(os.path.join(server.data_dir, "components", "incoming"))


def wait_until(predicate, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


# -- the upload sequence and the removal flow -----------------------------------------

def test_upload_register_download_and_remove(ftrack_server, ftrack_api_client):
    client = ftrack_api_client
    data = os.urandom(50000)
    component_id = str(uuid.uuid4())
    assert in_server_location(client, component_id) == []

    metadata = upload_metadata(client, component_id, data, name="plate.exr")
    assert metadata["component_id"] == component_id
    assert metadata["headers"]["Content-MD5"] == checksum(data)
    assert metadata["headers"]["Content-Length"] == str(len(data))
    assert "ftrack-user" not in metadata["url"] and "apiKey" not in metadata["url"]
    put = requests.put(metadata["url"], data=data, headers=metadata["headers"], timeout=TIMEOUT)
    assert put.status_code == 200, put.text
    assert put.headers["ETag"] == '"{0}"'.format(hashlib.md5(data).hexdigest())

    register(client, component_id, name="plate", file_type=".exr", size=len(data))
    [located] = in_server_location(client, component_id)
    assert (located["component_id"], located["resource_identifier"]) == (component_id,
                                                                          component_id)
    [component] = client.query("select component_locations.location_id from FileComponent "
                               "where id is {0}".format(component_id))
    assert [c["location_id"] for c in component["component_locations"]] == [SERVER_LOCATION]

    got = download(ftrack_server, component_id)
    assert got.status_code == 200
    assert got.content == data
    [located] = client.query("select url from ComponentLocation where component_id is "
                             "{0}".format(component_id))
    assert requests.get(located["url"]["value"], timeout=TIMEOUT).content == data

    removed = requests.get(component_url(ftrack_server, "remove", component_id), timeout=TIMEOUT)
    assert removed.status_code == 200
    [row] = client.query("select id from ComponentLocation where component_id is {0} and "
                         "location_id is {1}".format(component_id, SERVER_LOCATION))
    assert client.delete("ComponentLocation", row["id"]) is True
    assert in_server_location(client, component_id) == []
    gone = download(ftrack_server, component_id)
    assert gone.status_code == 404
    assert gone.json()["exception"] == "NotFoundError"


def test_upload_metadata_does_not_need_the_component_and_both_orders_work(ftrack_server,
                                                                          ftrack_api_client):
    """The JavaScript order: create the component and ask for metadata in one batch."""
    client = ftrack_api_client
    data = b"javascript order"
    component_id = str(uuid.uuid4())
    created, metadata = client.call([
        {"action": "create", "entity_type": "FileComponent", "entity_key": [component_id],
         "entity_data": {"__entity_type__": "FileComponent", "id": component_id,
                         "name": "js", "file_type": ".txt"}},
        {"action": "get_upload_metadata", "component_id": component_id, "file_name": "js.txt",
         "file_size": len(data), "checksum": None}])
    assert created["data"]["id"] == component_id
    assert "Content-MD5" not in metadata["headers"]
    assert requests.put(metadata["url"], data=data, headers=metadata["headers"],
                        timeout=TIMEOUT).status_code == 200
    client.create("ComponentLocation", {"component_id": component_id,
                                        "location_id": SERVER_LOCATION,
                                        "resource_identifier": component_id})
    assert download(ftrack_server, component_id).content == data


def test_an_upload_replaces_earlier_data(ftrack_server, ftrack_api_client):
    component_id = upload(ftrack_api_client, b"first version")
    upload(ftrack_api_client, b"second", component_id)
    assert download(ftrack_server, component_id).content == b"second"


def test_empty_file(ftrack_server, ftrack_api_client):
    component_id = upload(ftrack_api_client, b"")
    got = download(ftrack_server, component_id)
    assert got.status_code == 200 and got.content == b""


# -- credentials and refused input -----------------------------------------------------

def test_remove_deletes_only_the_named_data(ftrack_server, ftrack_api_client):
    """What the server accessor's remove asks for: the data goes, the rest stays."""
    removed_id = upload(ftrack_api_client, b"to be removed")
    kept_id = upload(ftrack_api_client, b"kept")
    first = requests.get(component_url(ftrack_server, "remove", removed_id), timeout=TIMEOUT)
    assert first.status_code == 200
    assert first.json() == {"component_id": removed_id, "removed": True}
    assert download(ftrack_server, removed_id).status_code == 404
    # Removing again (or data never stored) is not an error: nothing was there.
    again = requests.get(component_url(ftrack_server, "remove", removed_id), timeout=TIMEOUT)
    assert again.status_code == 200 and again.json()["removed"] is False
    assert download(ftrack_server, kept_id).content == b"kept"
    # Without an id the request is refused and nothing is removed.
    missing = requests.get("{0}/component/remove?username={1}&apiKey={2}".format(
        ftrack_server.url, ftrack_server.api_user, ftrack_server.api_key), timeout=TIMEOUT)
    assert missing.status_code == 400
    assert missing.json()["exception"] == "ValidationError"
    assert download(ftrack_server, kept_id).content == b"kept"


@pytest.mark.parametrize("purpose", ["get", "remove", "thumbnail"])
def test_wrong_or_missing_credentials_are_refused(ftrack_server, ftrack_api_client, purpose):
    component_id = upload(ftrack_api_client, b"secret data")
    for user, key in ((None, "not-the-key"), ("nobody", None), ("", "")):
        answer = requests.get(component_url(ftrack_server, purpose, component_id, user=user,
                                            key=key), timeout=TIMEOUT)
        assert answer.status_code == 401, (user, key, answer.text)
        assert answer.json()["exception"] == "InvalidCredentialsError"
    bare = requests.get("{0}/component/{1}?id={2}".format(ftrack_server.url, purpose,
                                                          component_id), timeout=TIMEOUT)
    assert bare.status_code == 401
    assert download(ftrack_server, component_id).content == b"secret data"


@pytest.mark.parametrize("bad_id", ["../api_key", "..", "a/b", "/etc/passwd",
                                    "..%2F..%2Fapi_key", "with\x00nul"])
def test_paths_outside_the_store_are_refused(ftrack_server, ftrack_api_client, bad_id):
    for purpose in ("get", "remove", "thumbnail"):
        answer = requests.get(component_url(ftrack_server, purpose, bad_id), timeout=TIMEOUT)
        assert answer.status_code == 400, (purpose, answer.text)
        assert answer.json()["exception"] == "ValidationError"
    with pytest.raises(ApiClientError) as caught:
        upload_metadata(ftrack_api_client, bad_id, b"x")
    assert caught.value.exception == "ValidationError"
    assert "component id" in caught.value.content or "NUL character" in caught.value.content
    assert os.path.exists(os.path.join(ftrack_server.data_dir, "api_key"))


@pytest.mark.parametrize("operation, fragment", [
    ({"file_size": -1}, "file_size"),
    ({"file_size": "12"}, "file_size"),
    ({"checksum": "not-md5"}, "RFC 1864"),
    ({"parts": 0}, "number of parts"),
])
def test_bad_upload_metadata_requests_get_clear_errors(ftrack_api_client, operation, fragment):
    request = dict({"action": "get_upload_metadata", "component_id": str(uuid.uuid4()),
                    "file_name": "a.bin", "file_size": 3, "checksum": None}, **operation)
    with pytest.raises(ApiClientError) as caught:
        ftrack_api_client.call([request])
    assert caught.value.exception == "ValidationError"
    assert fragment in caught.value.content


def test_forged_or_missing_upload_tokens_are_refused(ftrack_server, ftrack_api_client):
    component_id = str(uuid.uuid4())
    metadata = upload_metadata(ftrack_api_client, component_id, b"data")
    token = urllib.parse.parse_qs(urllib.parse.urlparse(metadata["url"]).query)["token"][0]
    payload, signature = token.split(".")
    other = upload_metadata(ftrack_api_client, str(uuid.uuid4()), b"data")
    other_payload = urllib.parse.parse_qs(urllib.parse.urlparse(other["url"]).query)[
        "token"][0].split(".")[0]
    for bad in ("", "garbage", other_payload + "." + signature, payload + "." + signature[:-2]):
        answer = requests.put("{0}/component/upload?token={1}".format(ftrack_server.url, bad),
                              data=b"data", headers=metadata["headers"], timeout=TIMEOUT)
        assert answer.status_code == 403, answer.text
        assert answer.json()["exception"] == "PermissionError"
    assert download(ftrack_server, component_id).status_code == 404


# -- uploads that must leave nothing behind -----------------------------------------------

def test_wrong_content_md5_is_refused(ftrack_server, ftrack_api_client):
    data = b"the real data"
    component_id = str(uuid.uuid4())
    metadata = upload_metadata(ftrack_api_client, component_id, data)
    tampered = b"the fake data"
    answer = requests.put(metadata["url"], data=tampered, headers=metadata["headers"],
                          timeout=TIMEOUT)
    assert answer.status_code == 400
    assert "Checksum mismatch" in answer.json()["content"]
    assert download(ftrack_server, component_id).status_code == 404

    # Without a checksum in the metadata, a Content-MD5 header is still checked.
    metadata = upload_metadata(ftrack_api_client, component_id, data, md5=False)
    headers = dict(metadata["headers"], **{"Content-MD5": checksum(b"something else")})
    answer = requests.put(metadata["url"], data=data, headers=headers, timeout=TIMEOUT)
    assert answer.status_code == 400
    assert download(ftrack_server, component_id).status_code == 404
    assert incoming_files(ftrack_server) == []


def test_body_shorter_than_the_declared_file_size_is_refused(ftrack_server, ftrack_api_client):
    data = b"0123456789" * 10
    component_id = str(uuid.uuid4())
    metadata = upload_metadata(ftrack_api_client, component_id, data, md5=False)
    headers = {"Content-Type": "application/octet-stream"}
    answer = requests.put(metadata["url"], data=data[:40], headers=headers, timeout=TIMEOUT)
    assert answer.status_code == 400
    assert "does not match the file size 100" in answer.json()["content"]
    assert download(ftrack_server, component_id).status_code == 404


def test_interrupted_upload_leaves_nothing_visible(ftrack_server, ftrack_api_client):
    data = os.urandom(3 * 1024 * 1024)
    component_id = str(uuid.uuid4())
    metadata = upload_metadata(ftrack_api_client, component_id, data)
    target = urllib.parse.urlparse(metadata["url"])
    request = ("PUT {0}?{1} HTTP/1.1\r\nHost: {2}\r\nContent-Type: application/octet-stream\r\n"
               "Content-Length: {3}\r\nContent-MD5: {4}\r\n\r\n").format(
        target.path, target.query, target.netloc, len(data), checksum(data))
    with socket.create_connection((target.hostname, target.port), timeout=TIMEOUT) as raw:
        raw.sendall(request.encode("ascii"))
        raw.sendall(data[:len(data) // 2])
        wait_until(lambda: incoming_files(ftrack_server) != [])
    # The connection is gone mid-body: the partial file is discarded.
    wait_until(lambda: incoming_files(ftrack_server) == [])
    assert download(ftrack_server, component_id).status_code == 404
    # The same URL still works for a complete upload.
    answer = requests.put(metadata["url"], data=data, headers=metadata["headers"],
                          timeout=TIMEOUT)
    assert answer.status_code == 200
    assert download(ftrack_server, component_id).content == data


# -- multi-part uploads ------------------------------------------------------------------

def test_multipart_upload(ftrack_server, ftrack_api_client):
    client = ftrack_api_client
    parts = [os.urandom(70000), os.urandom(70000), b"tail"]
    whole = b"".join(parts)
    component_id = str(uuid.uuid4())
    answer = client.call([{"action": "get_upload_metadata", "component_id": component_id,
                           "file_name": "big.bin", "file_size": len(whole),
                           "checksum": checksum(whole), "parts": 3}])[0]
    assert answer["component_id"] == component_id
    assert [u["part_number"] for u in answer["urls"]] == [1, 2, 3]
    etags = []
    for url, part in zip(answer["urls"], parts):
        put = requests.put(url["signed_url"], data=part, timeout=TIMEOUT)
        assert put.status_code == 200, put.text
        etags.append({"part_number": url["part_number"], "e_tag": put.headers["ETag"]})
    assert download(ftrack_server, component_id).status_code == 404

    bad = [dict(etags[0]), etags[1], dict(etags[2], e_tag='"{0}"'.format("0" * 32))]
    with pytest.raises(ApiClientError) as caught:
        client.call([{"action": "complete_multipart_upload", "component_id": component_id,
                      "upload_id": answer["upload_id"], "parts": bad}])
    assert "ETag of part 3" in caught.value.content
    assert download(ftrack_server, component_id).status_code == 404

    done = client.call([{"action": "complete_multipart_upload", "component_id": component_id,
                         "upload_id": answer["upload_id"], "parts": etags}])[0]
    assert done["action"] == "complete_multipart_upload"
    assert done["component_id"] == component_id
    assert requests.get(done["url"], timeout=TIMEOUT).content == whole
    with pytest.raises(ApiClientError) as caught:
        client.call([{"action": "complete_multipart_upload", "component_id": component_id,
                      "upload_id": answer["upload_id"], "parts": etags}])
    assert caught.value.exception == "NotFoundError"


# -- thumbnails and the placeholder ---------------------------------------------------------

def test_thumbnail_is_fitted_to_the_size(ftrack_server, ftrack_api_client, tmp_path):
    executable = ffmpeg.find_ffmpeg()
    if executable is None:
        pytest.skip("ffmpeg is not available (install imageio-ffmpeg)")
    source = tmp_path / "source.png"
    subprocess.run([executable, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=320x180", "-frames:v", "1", str(source)], check=True)
    data = source.read_bytes()
    component_id = upload(ftrack_api_client, data)

    original = requests.get(component_url(ftrack_server, "thumbnail", component_id),
                            timeout=TIMEOUT)
    assert original.status_code == 200
    assert original.headers["Content-Type"] == "image/png"
    assert original.content == data

    for size, expected in ((100, (100, 56)), (500, (500, 281))):
        answer = requests.get(component_url(ftrack_server, "thumbnail", component_id,
                                            size=size), timeout=TIMEOUT)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "image/jpeg"
        scaled = tmp_path / "scaled-{0}.jpg".format(size)
        scaled.write_bytes(answer.content)
        info = ffmpeg.probe(executable, str(scaled))
        assert not info.is_video
        assert (info.width, info.height) == expected

    bad = requests.get(component_url(ftrack_server, "thumbnail", component_id, size="big"),
                       timeout=TIMEOUT)
    assert bad.status_code == 400
    missing = requests.get(component_url(ftrack_server, "thumbnail", str(uuid.uuid4()),
                                         size=100), timeout=TIMEOUT)
    assert missing.status_code == 404


def test_thumbnail_without_ffmpeg_serves_the_original(ftrack_server, ftrack_api_client,
                                                      monkeypatch):
    monkeypatch.setenv(ffmpeg.FFMPEG_VARIABLE, "none")
    data = b"\x89PNG\r\n\x1a\n" + b"not really decoded"
    component_id = upload(ftrack_api_client, data)
    answer = requests.get(component_url(ftrack_server, "thumbnail", component_id, size=50),
                          timeout=TIMEOUT)
    assert answer.status_code == 200
    assert answer.content == data


def test_thumbnail_url_of_entities_is_served(ftrack_server, ftrack_api_client):
    [user] = ftrack_api_client.query('select thumbnail_url from User where username is "{0}"'
                                     .format(ftrack_server.api_user))
    answer = requests.get(user["thumbnail_url"]["url"], timeout=TIMEOUT)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG")


# -- availability ------------------------------------------------------------------------------

def test_component_availability_data(ftrack_server, ftrack_api_client):
    client = ftrack_api_client
    ids = [upload(client, b"member %d" % number) for number in range(2)]
    for component_id in ids:
        register(client, component_id)
    unregistered = str(uuid.uuid4())
    client.create("FileComponent", {"id": unregistered, "name": "elsewhere"})
    rows = client.query(
        "select component_id from ComponentLocation where location_id is {0} and component_id "
        "in ({1})".format(SERVER_LOCATION, ", ".join(ids + [unregistered])))
    assert sorted(r["component_id"] for r in rows) == sorted(ids)
    components = client.query("select id, component_locations.location_id from Component where "
                              "id in ({0})".format(", ".join(ids + [unregistered])))
    locations = {c["id"]: [link["location_id"] for link in c["component_locations"]]
                 for c in components}
    assert locations == {ids[0]: [SERVER_LOCATION], ids[1]: [SERVER_LOCATION], unregistered: []}


# -- jobs -------------------------------------------------------------------------------------

def test_job_lifecycle_attachments_and_listing(ftrack_server, ftrack_api_client):
    client = ftrack_api_client
    [user] = client.query('select id from User where username is "{0}"'.format(
        ftrack_server.api_user))
    job = client.create("Job", {"user_id": user["id"], "status": "running",
                                "data": json.dumps({"description": "Exporting"})})
    assert job["type"] == "api_job" and job.get("finished_at") is None
    attachment = upload(client, b"job log")
    register(client, attachment, name="log", file_type=".txt")
    client.create("JobComponent", {"job_id": job["id"], "component_id": attachment})

    done = client.update("Job", job["id"], {"status": "done"})
    assert done["finished_at"] is not None
    [listed] = [j for j in client.query(
        "select status, finished_at, job_components.component_id, job_components.url from Job "
        "where user_id is {0}".format(user["id"])) if j["id"] == job["id"]]
    assert listed["status"] == "done"
    [job_component] = listed["job_components"]
    assert job_component["component_id"] == attachment
    assert requests.get(job_component["url"]["value"], timeout=TIMEOUT).content == b"job log"

    for data, fragment in (({"type": "render_job"}, "api_job"),
                           ({"status": "exploded"}, "not valid"),
                           ({"data": "{broken"}, "not valid JSON")):
        with pytest.raises(ApiClientError) as caught:
            client.create("Job", data)
        assert fragment in caught.value.content
    with pytest.raises(ApiClientError):
        client.update("Job", job["id"], {"status": "paused"})
    [still] = client.query("select status from Job where id is {0}".format(job["id"]))
    assert still["status"] == "done"


def test_delayed_job(ftrack_api_client):
    [result] = ftrack_api_client.call([{"action": "delayed_job", "job_type": "SYNC_USERS_LDAP"}])
    assert result["action"] == "delayed_job"
    job = result["data"]
    assert job["__entity_type__"] == "Job"
    assert job["status"] == "failed"
    assert "LDAP" in json.loads(job["data"])["error"]
    [stored] = ftrack_api_client.query("select status from Job where id is {0}".format(job["id"]))
    assert stored["status"] == "failed"
    with pytest.raises(ApiClientError) as caught:
        ftrack_api_client.call([{"action": "delayed_job", "job_type": "REBOOT"}])
    assert "SYNC_USERS_LDAP" in caught.value.content


# -- widgets --------------------------------------------------------------------------------

def test_widget_url_answers_a_page(ftrack_server, ftrack_api_client):
    client = ftrack_api_client
    project = (client.query("select id from Project") or [None])[0]
    if project is None:
        project = client.create("Project", {
            "name": "widgets_" + uuid.uuid4().hex[:6], "full_name": "Widgets",
            "project_schema_id": seed.DEFAULT_PROJECT_SCHEMA_ID, "status": "active"})
    answer = client.call([{"action": "get_widget_url", "name": "info", "theme": "light",
                           "entity_type": "Project", "entity_key": [project["id"]]}])[0]
    url = answer["widget_url"]
    assert url.startswith(ftrack_server.url + "/widget/info?")
    page = requests.get(url, timeout=TIMEOUT)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert project["id"] in page.text and 'class="light"' in page.text

    plain = client.call([{"action": "get_widget_url", "name": "tasks", "theme": None}])[0]
    assert requests.get(plain["widget_url"], timeout=TIMEOUT).status_code == 200
    forged = plain["widget_url"].replace("/widget/tasks?", "/widget/info?")
    assert requests.get(forged, timeout=TIMEOUT).status_code == 403
    assert requests.get(url[:-3], timeout=TIMEOUT).status_code == 403

    for operation, exception in (({"name": "dashboard"}, "ValidationError"),
                                 ({"name": "info", "entity_type": "Project",
                                   "entity_key": [str(uuid.uuid4())]}, "NotFoundError")):
        with pytest.raises(ApiClientError) as caught:
            client.call([dict({"action": "get_widget_url", "theme": "dark"}, **operation)])
        assert caught.value.exception == exception


# -- invitations -------------------------------------------------------------------------------

def outbox_messages(server):
    folder = os.path.join(server.data_dir, "outbox")
    if not os.path.isdir(folder):
        return []
    messages = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            messages.append(json.load(handle))
    return messages


def test_user_invite_is_recorded(ftrack_fresh_server):
    client = ApiClient(ftrack_fresh_server.url, ftrack_fresh_server.api_user,
                       ftrack_fresh_server.api_key)
    user = client.create("User", {"username": "artist_" + uuid.uuid4().hex[:6],
                                  "email": "artist@example.com"})
    assert client.call([{"action": "send_user_invite", "user_id": user["id"]}]) == [{"sent": True}]
    [message] = outbox_messages(ftrack_fresh_server)
    assert message["kind"] == "user_invite"
    assert message["to"] == "artist@example.com" and message["user_id"] == user["id"]

    # A batch that fails later sends nothing; unknown users are refused.
    with pytest.raises(ApiClientError):
        client.call([{"action": "send_user_invite", "user_id": user["id"]},
                     {"action": "delete", "entity_type": "User", "entity_key": ["missing"]}])
    with pytest.raises(ApiClientError) as caught:
        client.call([{"action": "send_user_invite", "user_id": str(uuid.uuid4())}])
    assert caught.value.exception == "NotFoundError"
    assert len(outbox_messages(ftrack_fresh_server)) == 1
    client.close()


def test_review_session_invite_is_recorded(ftrack_fresh_server):
    client = ApiClient(ftrack_fresh_server.url, ftrack_fresh_server.api_user,
                       ftrack_fresh_server.api_key)
    project = client.create("Project", {
        "name": "review_" + uuid.uuid4().hex[:6], "full_name": "Review",
        "project_schema_id": seed.DEFAULT_PROJECT_SCHEMA_ID, "status": "active"})
    session = client.create("ReviewSession", {
        "name": "dailies", "project_id": project["id"],
        "start_date": {"__type__": "datetime", "value": "2024-01-01T09:00:00"},
        "end_date": {"__type__": "datetime", "value": "2024-01-01T18:00:00"}})
    invitee = client.create("ReviewSessionInvitee", {
        "review_session_id": session["id"], "name": "Client", "email": "client@example.com"})
    assert client.call([{"action": "send_review_session_invite",
                         "review_session_invitee_id": invitee["id"]}]) == [{"sent": True}]
    [message] = outbox_messages(ftrack_fresh_server)
    assert message["kind"] == "review_session_invite"
    assert message["to"] == "client@example.com"
    assert message["review_session_id"] == session["id"]
    [stored] = client.query("select last_sent_at from ReviewSessionInvitee where id is "
                            "{0}".format(invitee["id"]))
    assert stored["last_sent_at"] is not None
    with pytest.raises(ApiClientError) as caught:
        client.call([{"action": "send_review_session_invite",
                      "review_session_invitee_id": str(uuid.uuid4())}])
    assert caught.value.exception == "NotFoundError"
    client.close()


# -- a large file ----------------------------------------------------------------------------

LARGE_SIZE = 200 * 1024 * 1024


@pytest.mark.slow
def test_large_file_round_trip_is_streamed(ftrack_server, ftrack_api_client, tmp_path):
    block = hashlib.sha256(b"seed").digest() * 32768  # 1 MiB of varied bytes
    path = tmp_path / "large.bin"
    digest = hashlib.md5()
    with open(path, "wb") as handle:
        for index in range(LARGE_SIZE // len(block)):
            chunk = index.to_bytes(8, "big") + block[8:]
            handle.write(chunk)
            digest.update(chunk)
    component_id = str(uuid.uuid4())
    metadata = ftrack_api_client.call([{
        "action": "get_upload_metadata", "component_id": component_id, "file_name": "large.bin",
        "file_size": LARGE_SIZE,
        "checksum": base64.b64encode(digest.digest()).decode("ascii")}])[0]
    with open(path, "rb") as handle:
        answer = requests.put(metadata["url"], data=handle, headers=metadata["headers"],
                              timeout=120)
    assert answer.status_code == 200, answer.text
    path.unlink()
    received = hashlib.md5()
    total = 0
    with requests.get(component_url(ftrack_server, "get", component_id), stream=True,
                      timeout=120) as response:
        assert response.status_code == 200
        for chunk in response.iter_content(1024 * 1024):
            received.update(chunk)
            total += len(chunk)
    assert total == LARGE_SIZE
    assert received.hexdigest() == digest.hexdigest()
    requests.get(component_url(ftrack_server, "remove", component_id), timeout=TIMEOUT)


def test_deleting_a_component_deletes_its_data(ftrack_server, ftrack_api_client):
    client = ftrack_api_client
    component_id = upload(client, b"short lived")
    register(client, component_id)
    kept_id = upload(client, b"kept")
    register(client, kept_id)
    assert client.delete("FileComponent", component_id) is True
    assert download(ftrack_server, component_id).status_code == 404
    assert download(ftrack_server, kept_id).content == b"kept"
    # A failed batch deletes nothing.
    with pytest.raises(ApiClientError):
        client.call([{"action": "delete", "entity_type": "FileComponent", "entity_key": [kept_id]},
                     {"action": "delete", "entity_type": "FileComponent",
                      "entity_key": [str(uuid.uuid4())]}])
    assert download(ftrack_server, kept_id).content == b"kept"
