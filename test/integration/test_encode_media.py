"""``encode_media`` jobs over real HTTP: ffmpeg in the background, outputs in
``ftrack.server``, and ``ftrack.update`` events for every job change."""

import json
import subprocess
import time
import uuid

import pytest
import requests

from ftrack_local import seed
from ftrack_local.client import ApiClient, ApiClientError
from ftrack_local.testing import database_url, start_server, throwaway_database
from ftrack_local.components import ffmpeg

from component_client import SERVER_LOCATION, component_url, download, register, upload
from hub_client import HubClient

JOB_TIMEOUT = 120


@pytest.fixture(scope="module")
def ffmpeg_executable():
    executable = ffmpeg.find_ffmpeg()
    if executable is None:
        pytest.skip("ffmpeg is not available (install the imageio-ffmpeg package)")
    return executable


def make_media(executable, path, video):
    """A generated test picture: one second of video, or a single PNG image."""
    arguments = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25"]
    if video:
        arguments += ["-t", "1", "-pix_fmt", "yuv420p", "-c:v", "mpeg4"]
    else:
        arguments += ["-frames:v", "1"]
    subprocess.run([executable, "-hide_banner", "-loglevel", "error", "-y"] + arguments
                   + [str(path)], check=True)
    return path.read_bytes()


def stored_component(client, data, file_type, version_id=None):
    component_id = upload(client, data)
    extra = {"version_id": version_id} if version_id else {}
    register(client, component_id, name="source", file_type=file_type, size=len(data), **extra)
    return component_id


def make_version(client):
    project = client.create("Project", {
        "name": "encode_" + uuid.uuid4().hex[:6], "full_name": "Encode",
        "project_schema_id": seed.DEFAULT_PROJECT_SCHEMA_ID, "status": "active"})
    asset = client.create("Asset", {"name": "plate", "context_id": project["id"],
                                    "type_id": seed.ASSET_TYPE_IDS["Upload"]})
    return client.create("AssetVersion", {"asset_id": asset["id"]})


def wait_for_job(client, job_id, statuses=("done", "failed")):
    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        [job] = client.query("select status, data, finished_at, job_components.component_id "
                             "from Job where id is {0}".format(job_id))
        if job["status"] in statuses:
            return job
        assert time.monotonic() < deadline, "job {0} still {1}".format(job_id, job["status"])
        time.sleep(0.1)


def job_statuses(events, job_id):
    """The successive statuses of *job_id* in ``ftrack.update`` events."""
    seen = []
    for event in events:
        for entity in event["data"]["entities"]:
            if entity["entity_type"] == "Job" and entity["entityId"] == job_id \
                    and "status" in entity["changes"]:
                seen.append(entity["changes"]["status"]["new"])
    return seen


def encode(client, component_id, version_id=None, keep_original=False):
    return client.call([{"action": "encode_media", "component_id": component_id,
                         "version_id": version_id, "keep_original": keep_original}])[0]


def test_video_is_encoded_for_a_version(ftrack_server, ftrack_api_client, ffmpeg_executable,
                                         tmp_path):
    client = ftrack_api_client
    data = make_media(ffmpeg_executable, tmp_path / "clip.mov", video=True)
    version = make_version(client)
    source_id = stored_component(client, data, ".mov")
    with HubClient(ftrack_server) as hub:
        hub.subscribe("topic=ftrack.update")
        answer = encode(client, source_id, version["id"], keep_original=False)
        job_id = answer["job_id"]
        [queued] = client.query("select status, type, data from Job where id is {0}".format(job_id))
        plan = json.loads(queued["data"])
        assert plan["source_component_id"] == source_id and plan["keep_original"] is False
        assert [o["format"] for o in plan["output"]] == ["video/mp4", "image/jpeg"]
        assert queued["type"] == "encode_media"
        job = wait_for_job(client, job_id)
        assert job["status"] == "done", job["data"]
        deadline = time.monotonic() + 10
        events = []
        while "done" not in job_statuses(events, job_id) and time.monotonic() < deadline:
            events += hub.drain(0.2)
    assert job_statuses(events, job_id) == ["queued", "running", "done"]
    assert job["finished_at"] is not None

    outputs = {o["format"]: o["component_id"] for o in plan["output"]}
    assert sorted(c["component_id"] for c in job["job_components"]) == sorted(outputs.values())
    components = client.query(
        "select name, file_type, size, version_id, metadata, component_locations.location_id "
        "from FileComponent where id in ({0})".format(", ".join(outputs.values())))
    by_id = {c["id"]: c for c in components}
    video, image = by_id[outputs["video/mp4"]], by_id[outputs["image/jpeg"]]
    assert (video["name"], video["file_type"]) == ("ftrackreview-mp4", ".mp4")
    assert (image["name"], image["file_type"]) == ("ftrackreview-image", ".jpg")
    for component in (video, image):
        assert component["version_id"] == version["id"]
        assert [link["location_id"] for link in component["component_locations"]] == [SERVER_LOCATION]
    meta = json.loads({m["key"]: m["value"] for m in video["metadata"]}["ftr_meta"])
    assert meta["frameIn"] == 0 and meta["frameOut"] == 24 and meta["frameRate"] == 25
    [stored_version] = client.query("select thumbnail_id from AssetVersion where id is "
                                    "{0}".format(version["id"]))
    assert stored_version["thumbnail_id"] == outputs["image/jpeg"]

    encoded = tmp_path / "encoded.mp4"
    encoded.write_bytes(download(ftrack_server, outputs["video/mp4"]).content)
    assert len(encoded.read_bytes()) == video["size"]
    info = ffmpeg.probe(ffmpeg_executable, str(encoded))
    assert info.is_video and (info.width, info.height) == (160, 120)
    picture = tmp_path / "encoded.jpg"
    picture.write_bytes(download(ftrack_server, outputs["image/jpeg"]).content)
    assert not ffmpeg.probe(ffmpeg_executable, str(picture)).is_video

    # keep_original false: the source component and its data are gone.
    assert client.query("select id from Component where id is {0}".format(source_id)) == []
    assert download(ftrack_server, source_id).status_code == 404


def test_image_is_encoded_and_original_kept(ftrack_server, ftrack_api_client, ffmpeg_executable,
                                            tmp_path):
    client = ftrack_api_client
    data = make_media(ffmpeg_executable, tmp_path / "still.png", video=False)
    source_id = stored_component(client, data, ".png")
    job_id = encode(client, source_id, keep_original=True)["job_id"]
    job = wait_for_job(client, job_id)
    assert job["status"] == "done", job["data"]
    plan = json.loads(job["data"])
    [output] = plan["output"]
    assert output["format"] == "image/jpeg"
    [component] = client.query("select version_id, name from FileComponent where id is "
                               "{0}".format(output["component_id"]))
    assert component["version_id"] is None and component["name"] == "ftrackreview-image"
    thumbnail = requests.get(component_url(ftrack_server, "thumbnail", output["component_id"],
                                           size=40), timeout=30)
    assert thumbnail.status_code == 200 and thumbnail.headers["Content-Type"] == "image/jpeg"
    assert download(ftrack_server, source_id).content == data
    assert client.query("select id from Component where id is {0}".format(source_id)) != []


def test_outputs_exist_as_soon_as_the_job_does(ftrack_api_client, ffmpeg_executable, tmp_path):
    # A client reads the job's plan and fetches the outputs right away.
    client = ftrack_api_client
    data = make_media(ffmpeg_executable, tmp_path / "clip.mov", video=True)
    version = make_version(client)
    source_id = stored_component(client, data, ".mov")
    job_id = encode(client, source_id, version["id"], keep_original=True)["job_id"]
    [job] = client.query("select data, job_components.component_id from Job where id is {0}".format(job_id))
    planned = [o["component_id"] for o in json.loads(job["data"])["output"]]
    assert sorted(c["component_id"] for c in job["job_components"]) == sorted(planned)
    outputs = client.query("select name, version_id, component_locations.location_id "
                           "from FileComponent where id in ({0})".format(", ".join(planned)))
    assert sorted(o["name"] for o in outputs) == ["ftrackreview-image", "ftrackreview-mp4"]
    assert {o["version_id"] for o in outputs} == {version["id"]}
    # Already registered where their data will be.
    for output in outputs:
        assert [link["location_id"] for link in output["component_locations"]] == [SERVER_LOCATION]
    assert wait_for_job(client, job_id)["status"] == "done"
    # Deleting the version takes its encoded media along.
    client.delete("AssetVersion", version["id"])
    assert client.query("select id from Component where id in ({0})".format(", ".join(planned))) == []
    assert client.query("select id from Component where id is {0}".format(source_id)) != []


def test_unreadable_media_fails_with_the_ffmpeg_message(ftrack_api_client, ffmpeg_executable):
    client = ftrack_api_client
    source_id = stored_component(client, b"this is not a video", ".mov")
    job = wait_for_job(client, encode(client, source_id)["job_id"])
    assert job["status"] == "failed"
    data = json.loads(job["data"])
    assert "stream" in data["error"] or "ffmpeg" in data["error"]
    assert data["output"] and job["job_components"] == []
    # The outputs planned when the job was queued are gone.
    for output in data["output"]:
        assert client.query("select id from Component where id is {0}".format(
            output["component_id"])) == []
    # A failed job removes nothing, whatever keep_original says.
    assert client.query("select id from Component where id is {0}".format(source_id)) != []


def test_without_ffmpeg_the_job_fails_clearly(ftrack_fresh_server, monkeypatch, tmp_path):
    monkeypatch.setenv(ffmpeg.FFMPEG_VARIABLE, "none")
    client = ApiClient(ftrack_fresh_server.url, ftrack_fresh_server.api_user,
                       ftrack_fresh_server.api_key)
    source_id = stored_component(client, b"\x00" * 64, ".mov")
    with HubClient(ftrack_fresh_server) as hub:
        hub.subscribe("topic=ftrack.update")
        job_id = encode(client, source_id)["job_id"]
        job = wait_for_job(client, job_id)
        deadline = time.monotonic() + 10
        events = []
        while "failed" not in job_statuses(events, job_id) and time.monotonic() < deadline:
            events += hub.drain(0.2)
    assert job["status"] == "failed"
    assert job["finished_at"] is not None
    error = json.loads(job["data"])["error"]
    assert "ffmpeg is not available" in error and "imageio-ffmpeg" in error
    assert job_statuses(events, job_id) == ["queued", "running", "failed"]
    assert download(ftrack_fresh_server, source_id).status_code == 200
    client.close()


@pytest.mark.parametrize("operation, exception, fragment", [
    ({"component_id": None}, "ValidationError", "component_id"),
    ({"component_id": "missing-component"}, "NotFoundError", "does not exist"),
    ({"keep_original": "yes"}, "ValidationError", "keep_original"),
    ({"version_id": "missing-version"}, "NotFoundError", "AssetVersion"),
    ({"without_data": True}, "ValidationError", "no data"),
])
def test_bad_encode_requests_are_refused_without_a_job(ftrack_api_client, operation,
                                                        exception, fragment):
    client = ftrack_api_client
    request = {"action": "encode_media", "version_id": None, "keep_original": False}
    if operation.pop("without_data", False):
        component_id = str(uuid.uuid4())
        client.create("FileComponent", {"id": component_id, "name": "empty"})
    else:
        component_id = stored_component(client, b"data", ".mov")
    request["component_id"] = component_id
    request.update(operation)
    before = len(client.query("select id from Job"))
    with pytest.raises(ApiClientError) as caught:
        client.call([request])
    assert caught.value.exception == exception
    assert fragment in caught.value.content
    assert len(client.query("select id from Job")) == before


def test_jobs_left_unfinished_fail_when_the_server_starts_again(tmp_path):
    data_dir = str(tmp_path / "restarted")
    with throwaway_database(database_url()) as database:
        first = start_server(data_dir, database)
        try:
            client = ApiClient(first.url, first.api_user, first.api_key)
            stale = client.create("Job", {"type": "encode_media", "status": "running",
                                          "data": json.dumps({"output": []})})
            other = client.create("Job", {"status": "running"})
            client.close()
        finally:
            first.stop()
        second = start_server(data_dir, database)
        try:
            client = ApiClient(second.url, second.api_user, second.api_key)
            jobs = {job["id"]: job for job in client.query(
                "select status, data, finished_at from Job where id in ({0}, {1})".format(
                    stale["id"], other["id"]))}
            client.close()
        finally:
            second.stop()
    assert jobs[stale["id"]]["status"] == "failed"
    assert "server stopped" in json.loads(jobs[stale["id"]]["data"])["error"]
    assert jobs[stale["id"]]["finished_at"] is not None
    # Jobs of API clients are theirs to finish.
    assert jobs[other["id"]]["status"] == "running"


def test_source_data_removed_before_the_job_runs_fails_the_job(ftrack_server,
                                                               ftrack_api_client):
    client = ftrack_api_client
    source_id = stored_component(client, b"soon gone", ".mov")
    # Encode and remove the data in one batch: the job starts without a source.
    [answer, _] = client.call([
        {"action": "encode_media", "component_id": source_id, "version_id": None,
         "keep_original": True},
        {"action": "delete", "entity_type": "FileComponent", "entity_key": [source_id]}])
    job = wait_for_job(client, answer["job_id"])
    assert job["status"] == "failed"
    assert "No data is stored" in json.loads(job["data"])["error"]
