"""Components in the ftrack.server location against the local server: upload,
download, URLs, removal, sequences, containers, thumbnails, versions, media
encoding and failures that must leave nothing behind."""

import hashlib
import json
import os
import struct
import tracemalloc
import zlib

import pytest
import requests

import ftrack_api
import ftrack_api.accessor.disk
import ftrack_api.accessor.server
import ftrack_api.data
import ftrack_api.exception
import ftrack_api.structure.base
import ftrack_api.structure.id
import ftrack_api.symbol as symbol

from client_helpers import unique_name


def write_file(path, content):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(str(path), "wb") as stream:
        stream.write(content)
    return str(path)


def png_bytes(width=32, height=24):
    """A valid RGB PNG image."""
    raw = b"".join(b"\x00" + bytes([200, 40, 40]) * width for _ in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def server_location(session):
    return session.get("Location", symbol.SERVER_LOCATION_ID)


def download(session, component):
    data = server_location(session).accessor.open(component["id"], "rb")
    try:
        return data.read()
    finally:
        data.close()


@pytest.fixture
def version(ftrack_session, new_project):
    session = ftrack_session
    asset_type = session.query("AssetType").first()
    asset = session.create("Asset", {"name": unique_name("asset"), "parent": new_project,
                                     "type": asset_type})
    version = session.create("AssetVersion", {"asset": asset})
    session.commit()
    return version


def test_upload_download_url_and_remove(ftrack_session, tmp_path):
    session = ftrack_session
    content = os.urandom(5000) + b"\x00\r\n" * 100
    path = write_file(tmp_path / "image.bin", content)
    location = server_location(session)
    component = session.create_component(path, data={"name": "data"}, location=location)
    row = session.query('ComponentLocation where component_id is "{0}"'.format(component["id"])).one()
    assert row["location_id"] == symbol.SERVER_LOCATION_ID
    assert row["resource_identifier"] == component["id"]
    assert location.get_resource_identifier(component) == component["id"]
    assert download(session, component) == content

    url = location.get_url(component)
    assert url.startswith(session.server_url + "/component/get?id=" + component["id"])
    response = requests.get(url, timeout=30)
    assert response.status_code == 200 and response.content == content
    assert location.get_component_availability(component) == 100.0

    location.remove_component(component)
    assert location.get_component_availability(component) == 0.0
    assert requests.get(url, timeout=30).status_code >= 400
    data = location.accessor.open(component["id"], "rb")  # data is only fetched when read
    with pytest.raises(ftrack_api.exception.AccessorOperationFailedError,
                       match="Failed to read data: 404"):
        data.read()
    data.close()


def test_server_file_written_through_the_accessor(ftrack_session):
    session = ftrack_session
    accessor = server_location(session).accessor
    component = session.create("FileComponent", {"name": "direct", "file_type": ".txt"})
    data = accessor.open(component["id"], "wb")
    data.write(b"first part, ")
    data.flush()  # uploads what was written so far
    assert download(session, component) == b"first part, "
    data.write("second part")
    data.close()  # uploads everything
    assert download(session, component) == b"first part, second part"
    data = accessor.open(component["id"], "wb")
    data.write(b"never sent")
    data.abort()
    assert download(session, component) == b"first part, second part"
    session.rollback()


def test_other_session_downloads_what_was_uploaded(ftrack_session, new_session, tmp_path):
    content = b"shared between sessions " * 1000
    path = write_file(tmp_path / "shared.txt", content)
    component = ftrack_session.create_component(path, location=server_location(ftrack_session))
    reader = new_session()
    found = reader.get("FileComponent", component["id"])
    assert found["name"] == "main" and found["file_type"] == ".txt"
    assert found["size"] == len(content)
    assert download(reader, found) == content
    assert reader.pick_location(found)["name"] == "ftrack.server"


def test_wrong_credentials_are_refused(ftrack_session, tmp_path):
    session = ftrack_session
    path = write_file(tmp_path / "secret.txt", b"secret")
    component = session.create_component(path, location=server_location(session))
    url = server_location(session).get_url(component)
    bad = url.replace("apiKey=" + session.api_key, "apiKey=not-the-key")
    assert bad != url
    response = requests.get(bad, timeout=30)
    assert response.status_code >= 400
    assert b"secret" not in response.content
    bad_user = url.replace("username=" + session.api_user, "username=nobody_" + unique_name())
    assert requests.get(bad_user, timeout=30).status_code >= 400


@pytest.mark.slow
def test_thousand_frame_sequence_round_trip(ftrack_session, new_session, tmp_path):
    session = ftrack_session
    frames = range(1, 1001)
    for frame in frames:
        write_file(tmp_path / "seq" / "f.{0:04d}.dpx".format(frame), b"frame-%d" % frame)
    expression = str(tmp_path / "seq" / "f.%04d.dpx") + " [1-1000]"
    sequence = session.create_component(expression, location=server_location(session))
    assert sequence["size"] == sum(len(b"frame-%d" % frame) for frame in frames)

    reader = new_session()
    found = reader.get("SequenceComponent", sequence["id"])
    members = sorted(found["members"], key=lambda member: int(member["name"]))
    assert len(members) == 1000
    assert reader.get_component_availability(found)[symbol.SERVER_LOCATION_ID] == 100.0
    for frame, member in zip(frames, members):
        assert download(reader, member) == b"frame-%d" % frame


def test_container_round_trip(ftrack_session, tmp_path):
    session = ftrack_session
    write_file(tmp_path / "pack" / "a.txt", b"alpha")
    write_file(tmp_path / "pack" / "b.txt", b"beta")
    container = session.create_component(str(tmp_path / "pack"),
                                         location=server_location(session))
    contents = sorted(download(session, member) for member in container["members"])
    assert contents == [b"alpha", b"beta"]
    assert server_location(session).get_component_availability(container) == 100.0
    server_location(session).remove_component(container)
    assert server_location(session).get_component_availability(container) == 0.0


def test_transfer_from_server_to_disk(ftrack_session, tmp_path):
    session = ftrack_session
    path = write_file(tmp_path / "move.bin", b"moving data" * 50)
    component = session.create_component(path, location=server_location(session))
    disk = session.ensure("Location", {"name": unique_name("test.disk")})
    session.commit()
    disk.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix=str(tmp_path / "disk"))
    disk.structure = ftrack_api.structure.id.IdStructure()
    disk.add_component(component, server_location(session))
    with open(disk.get_filesystem_path(component), "rb") as stream:
        assert stream.read() == b"moving data" * 50


def test_create_thumbnail_and_thumbnail_urls(ftrack_session, version, tmp_path):
    session = ftrack_session
    path = write_file(tmp_path / "thumb.png", png_bytes())
    component = version.create_thumbnail(path)
    assert component["name"] == "thumbnail"
    assert version["thumbnail_id"] == component["id"]
    fresh = session.query('select thumbnail_id from AssetVersion where id is "{0}"'.format(
        version["id"])).one()
    assert fresh["thumbnail_id"] == component["id"]

    location = server_location(session)
    url = location.get_thumbnail_url(component)
    assert "/component/thumbnail?id=" + component["id"] in url
    response = requests.get(url, timeout=30)
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
    small = location.get_thumbnail_url(component, size=10)
    assert small.endswith("&size=10")
    assert requests.get(small, timeout=30).status_code == 200

    # The version's computed thumbnail URL serves the same image.
    reader = session.query('select thumbnail_url from AssetVersion where id is "{0}"'.format(
        version["id"])).one()
    answer = requests.get(reader["thumbnail_url"]["url"], timeout=30)
    assert answer.status_code == 200 and answer.content == response.content

    task_path = write_file(tmp_path / "task.png", png_bytes(8, 8))
    user = session.query('User where username is "{0}"'.format(session.api_user)).one()
    user_thumbnail = user.create_thumbnail(task_path, data={"name": "avatar"})
    assert user_thumbnail["name"] == "avatar" and user["thumbnail_id"] == user_thumbnail["id"]


def test_asset_version_create_component(ftrack_session, version, tmp_path):
    session = ftrack_session
    path = write_file(tmp_path / "review.mov", b"movie")
    component = version.create_component(path, data={"name": "foobar"},
                                         location=server_location(session))
    assert component["version"] is version
    session.commit()
    names = [c["name"] for c in session.query(
        'Component where version_id is "{0}"'.format(version["id"])).all()]
    assert names == ["foobar"]
    assert download(session, component) == b"movie"


def test_encode_media_from_path(ftrack_session, version, tmp_path):
    session = ftrack_session
    path = write_file(tmp_path / "media.png", png_bytes(64, 48))
    job = version.encode_media(path)
    assert job.entity_type == "Job"
    data = json.loads(job["data"])
    assert data["keep_original"] is False
    source = session.get("FileComponent", data["source_component_id"])
    assert source is not None and source["file_type"] == ".png"
    assert isinstance(data["output"], list)
    assert job["status"] in ("queued", "running", "done", "failed")

    # The job above deletes its source when it ends, so encode another component.
    kept = session.create_component(write_file(tmp_path / "kept.png", png_bytes(64, 48)),
                                    location=server_location(session))
    job = session.encode_media(kept)
    assert json.loads(job["data"])["keep_original"] is True


class BrokenServerFile(ftrack_api.accessor.server.ServerFile):
    """Reads fail after the first chunk, like a disk that goes away."""

    def read(self, limit=None):
        data = super(BrokenServerFile, self).read(limit)
        raise IOError("connection lost after {0} bytes".format(len(data)))


def test_interrupted_upload_leaves_no_component(ftrack_session, new_session, tmp_path):
    session = ftrack_session
    extension = "." + unique_name("unlucky")
    path = write_file(tmp_path / ("unlucky" + extension), b"u" * 4096)
    origin = session.get("Location", symbol.ORIGIN_LOCATION_ID)

    class BrokenDisk(ftrack_api.accessor.disk.DiskAccessor):
        def open(self, resource_identifier, mode="rb"):
            class Failing(ftrack_api.data.File):
                calls = 0

                def read(self, limit=None):
                    Failing.calls += 1
                    if Failing.calls > 1:
                        raise IOError("source vanished")
                    return super(Failing, self).read(limit)
            return Failing(self.get_filesystem_path(resource_identifier), mode)

    opened = []

    class RecordingServerAccessor(ftrack_api.accessor.server.ServerAccessor):
        def open(self, resource_identifier, mode="rb"):
            opened.append(resource_identifier)
            return super(RecordingServerAccessor, self).open(resource_identifier, mode)

    origin.accessor = BrokenDisk(prefix="")
    location = server_location(session)
    location.accessor = RecordingServerAccessor(session)
    with pytest.raises(ftrack_api.exception.LocationError, match="source vanished"):
        session.create_component(path, location=location)
    # The upload was abandoned: the server holds no data for the component.
    assert len(opened) == 1
    assert requests.get(location.accessor._url("get", opened[0]), timeout=30).status_code == 404
    assert len(session.recorded_operations) == 0
    assert not [entity for entity in session._local_cache.values()
                if entity.entity_type == "FileComponent"]
    other = new_session()
    assert other.query('FileComponent where file_type is "{0}"'.format(extension)).all() == []


def test_server_refusing_identifier_with_dots(ftrack_session, tmp_path):
    session = ftrack_session

    class DotDot(ftrack_api.structure.base.Structure):
        def get_resource_identifier(self, entity, context=None):
            return "../" + entity["id"]

    location = server_location(session)
    location.structure = DotDot()
    extension = "." + unique_name("dots")
    path = write_file(tmp_path / ("dots" + extension), b"dots")
    with pytest.raises(ftrack_api.exception.LocationError):
        session.create_component(path, location=location)
    assert len(session.recorded_operations) == 0
    assert not [entity for entity in session._local_cache.values()
                if entity.entity_type == "FileComponent"]
    assert session.query('FileComponent where file_type is "{0}"'.format(extension)).all() == []
    accessor = ftrack_api.accessor.server.ServerAccessor(session)
    with pytest.raises(ftrack_api.exception.AccessorOperationFailedError, match="400"):
        accessor.open("../../etc/passwd", "rb").read()
    with pytest.raises(ftrack_api.exception.AccessorOperationFailedError,
                       match="Failed to remove file: 400"):
        accessor.remove("../x")


def _hash_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.mark.slow
def test_200_megabyte_round_trip(ftrack_session, tmp_path):
    session = ftrack_session
    path = str(tmp_path / "big.bin")
    block = os.urandom(1024 * 1024)
    with open(path, "wb") as stream:
        for index in range(200):
            stream.write(block[index:] + block[:index])
    location = server_location(session)

    # Data is streamed in chunks: memory use stays far below the file size.
    tracemalloc.start()
    try:
        component = session.create_component(path, location=location)
        upload_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert component["size"] == 200 * 1024 * 1024
    assert upload_peak < 40 * 1024 * 1024

    tracemalloc.start()
    try:
        data = location.accessor.open(component["id"], "rb")
        digest = hashlib.sha256()
        for chunk in iter(lambda: data.read(1024 * 1024), b""):
            digest.update(chunk)
        data.close()
        download_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert digest.hexdigest() == _hash_file(path)
    assert download_peak < 40 * 1024 * 1024
    location.remove_component(component)


def _sha256(content):
    return hashlib.sha256(content).hexdigest()


def test_official_client_downloads_what_we_publish(ftrack_session, ftrack_server, reference_python,
                                                  run_reference, tmp_path):
    session = ftrack_session
    content = os.urandom(300000)
    component = session.create_component(write_file(tmp_path / "ours.bin", content),
                                         data={"name": "ours"},
                                         location=server_location(session))
    for frame in (1, 2, 3):
        write_file(tmp_path / "s" / "ours.{0:03d}.jpg".format(frame), b"jpeg %d" % frame)
    sequence = session.create_component(str(tmp_path / "s" / "ours.%03d.jpg") + " [1-3]",
                                        location=server_location(session))
    members = {int(member["name"]): member for member in sequence["members"]}
    assert sorted(member["name"] for member in members.values()) == ["001", "002", "003"]
    ids = [component["id"]] + [members[frame]["id"] for frame in (1, 2, 3)]

    observed = run_reference(reference_python, ftrack_server, "download_file.py",
                             component_ids=ids)
    assert observed[component["id"]] == {
        "name": "ours", "file_type": ".bin", "size": len(content),
        "entity_type": "FileComponent", "availability": 100.0, "sha256": _sha256(content)}
    for frame in (1, 2, 3):
        member = observed[members[frame]["id"]]
        assert member["sha256"] == _sha256(b"jpeg %d" % frame)
        assert (member["name"], member["file_type"]) == ("{0:03d}".format(frame), ".jpg")


def test_we_download_what_the_official_client_publishes(new_session, ftrack_server,
                                                        reference_python, run_reference, tmp_path):
    content = os.urandom(200000)
    path = write_file(tmp_path / "theirs.dat", content)
    for frame in (7, 8):
        write_file(tmp_path / "t" / "theirs.{0:04d}.exr".format(frame), b"exr %d" % frame)
    published = run_reference(reference_python, ftrack_server, "publish_to_server.py", path=path,
                              sequence=str(tmp_path / "t" / "theirs.%04d.exr") + " [7-8]")
    session = new_session()
    component = session.get("Component", published["file_id"])
    assert (component["name"], component["file_type"], component["size"]) == (
        "from_official", ".dat", len(content))
    assert download(session, component) == content
    response = requests.get(server_location(session).get_url(component), timeout=30)
    assert response.content == content

    sequence = session.get("SequenceComponent", published["sequence_id"])
    assert session.get_component_availability(sequence)[symbol.SERVER_LOCATION_ID] == 100.0
    for frame in (7, 8):
        member = session.get("FileComponent", published["members"]["{0:04d}".format(frame)])
        assert download(session, member) == b"exr %d" % frame


def test_empty_file_reaches_the_server(ftrack_session, new_session, tmp_path):
    session = ftrack_session
    path = write_file(tmp_path / "empty.txt", b"")
    component = session.create_component(path, location=server_location(session))
    assert component["size"] == 0
    assert download(new_session(), component) == b""
    response = requests.get(server_location(session).get_url(component), timeout=30)
    assert response.status_code == 200 and response.content == b""


def test_server_accessor_remove_deletes_the_data(ftrack_session):
    session = ftrack_session
    accessor = ftrack_api.accessor.server._ServerAccessor(session)
    component = session.create("FileComponent", {"name": "removable", "file_type": ".bin"})
    session.commit()
    data = accessor.open(component["id"], "wb")
    data.write(b"short lived")
    data.close()
    assert download(session, component) == b"short lived"
    accessor.remove(component["id"])
    assert requests.get(accessor.get_url(component["id"]), timeout=30).status_code == 404
    data = accessor.open(component["id"], "rb")
    with pytest.raises(ftrack_api.exception.AccessorOperationFailedError) as raised:
        data.read()
    assert "Failed to read data: 404" in str(raised.value)
    assert session.api_key not in str(raised.value)
    # Removing data that is not there is not an error.
    accessor.remove(component["id"])


def test_thumbnail_without_a_name_is_called_thumbnail(ftrack_session, version, tmp_path):
    path = write_file(tmp_path / "unnamed.png", png_bytes(4, 4))
    data = {"name": ""}
    component = version.create_thumbnail(path, data=data)
    assert component["name"] == "thumbnail"
    assert data == {"name": ""}  # the caller's mapping is left alone
    assert version["thumbnail_id"] == component["id"]
