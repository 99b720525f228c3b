"""The documentation's Locations pages (overview, tutorial, configuring) and
the component, thumbnail, encode media, web review, job, note attachment and
publishing usage examples, run as written (Python 3) against the local server.

Placeholders of the text ('/path/to/file', 'SOME-ID', "Get a user from
ftrack") are replaced by files and entities made by small fixtures; names
that must be unique on the shared server get a suffix.
"""

import json
import os
import struct
import tempfile
import textwrap
import uuid
import zlib

import pytest
import requests

import ftrack_api
import ftrack_api.accessor.disk
import ftrack_api.entity.location
import ftrack_api.structure.id
import ftrack_api.symbol
from ftrack_local import seed


def png_bytes(width=16, height=16):
    raw = b"".join(b"\x00" + b"\x10\x80\xf0" * width for _ in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def files(tmp_path):
    """Write files on demand: ``files("name.ext", content)`` returns the path."""

    def write(name, content=b"data"):
        path = tmp_path / "files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return str(path)

    return write


@pytest.fixture
def session(ftrack_session):
    return ftrack_session


@pytest.fixture
def task(session):
    schema = session.get("ProjectSchema", seed.DEFAULT_PROJECT_SCHEMA_ID)
    project = session.create("Project", {"name": "loc_" + uuid.uuid4().hex[:6],
                                         "full_name": "Locations", "project_schema": schema})
    shot = session.create("Shot", {"name": "sh010", "parent": project})
    task = session.create("Task", {"name": "model", "parent": shot})
    session.commit()
    return task


@pytest.fixture
def asset_version(session, task):
    asset_type = session.query('AssetType where name is "Geometry"').one()
    asset = session.create("Asset", {"name": "forest", "type": asset_type, "parent": task["parent"]})
    version = session.create("AssetVersion", {"asset": asset, "task": task})
    session.commit()
    return version


def location_name():
    return "my.location." + uuid.uuid4().hex[:8]


def test_tutorial(session, files, capsys):
    name = location_name()
    # Creating locations.
    location = session.create("Location", dict(name=name))
    session.commit()
    assert session.ensure("Location", {"name": name}) is location

    # Retrieving locations.
    location_by_id = session.get("Location", location["id"])
    location_by_name = session.query('Location where name is "{0}"'.format(name)).one()
    assert location_by_id is location and location_by_name is location
    all_locations = session.query("Location").all()
    for existing_location in all_locations:
        print(existing_location["name"])
    assert name in capsys.readouterr().out

    # Configuring locations.
    location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix=tempfile.mkdtemp())
    location.structure = ftrack_api.structure.id.IdStructure()
    location.priority = 30

    # Using components with locations.
    (_, component_path) = tempfile.mkstemp(suffix=".txt")
    component_a = session.create_component(path=component_path)
    assert session.pick_location(component_a) is location
    (_, component_path) = tempfile.mkstemp(suffix=".txt")
    component_b = session.create_component(path=component_path, location=location)
    (_, component_path) = tempfile.mkstemp(suffix=".txt")
    component_c = session.create_component(path=component_path, location=None)

    origin_location = session.query('Location where name is "ftrack.origin"').one()
    location.add_component(component_c, origin_location)
    location.remove_component(component_b)
    assert location.get_component_availability(component_b) == 0.0

    # Accessing paths.
    print(location.get_filesystem_path(component_c))
    assert os.path.isfile(capsys.readouterr().out.strip())

    # Obtaining component availability.
    print(session.get_component_availability(component_c))
    print(component_c.get_availability())
    print(location.get_component_availability(component_c))
    printed = capsys.readouterr().out.splitlines()
    assert "'{0}': 100.0".format(location["id"]) in printed[0]
    assert printed[2] == "100.0"

    # Unmanaged locations do not manage data.
    ftrack_api.mixin(location, ftrack_api.entity.location.UnmanagedLocationMixin)
    path = location.get_filesystem_path(component_c)
    location.remove_component(component_c)
    assert os.path.isfile(path)
    for component in (component_a, component_b, component_c):
        os.remove(session.get("Location", ftrack_api.symbol.ORIGIN_LOCATION_ID)
                  .get_filesystem_path(component))


def test_location_events(session, files):
    received = []

    def callback(event):
        received.append(event)

    session.event_hub.subscribe(
        "topic={0}".format(ftrack_api.symbol.COMPONENT_ADDED_TO_LOCATION_TOPIC), callback)
    session.event_hub.subscribe(
        "topic={0}".format(ftrack_api.symbol.COMPONENT_REMOVED_FROM_LOCATION_TOPIC), callback)
    assert ftrack_api.symbol.COMPONENT_ADDED_TO_LOCATION_TOPIC == "ftrack.location.component-added"
    # Without a connection to the event server the events are dropped quietly.
    component = session.create_component(files("event.txt"))
    session.get("Location", ftrack_api.symbol.UNMANAGED_LOCATION_ID).remove_component(component)
    assert received == []


def test_configuring_manually(session):
    name = location_name()
    session.create("Location", dict(name=name))
    session.commit()
    location = session.query('Location where name is "{0}"'.format(name)).one()
    location.structure = ftrack_api.structure.id.IdStructure()
    location.priority = 50
    assert session.get("Location", location["id"]).priority == 50


def test_configuring_automatically(ftrack_server, ftrack_schema_cache_path, session, tmp_path,
                                   monkeypatch):
    name = location_name()
    session.create("Location", dict(name=name))
    session.commit()
    plugin = textwrap.dedent('''
        import ftrack_api
        import ftrack_api.entity.location
        import ftrack_api.accessor.disk
        import ftrack_api.structure.id


        def configure_locations(event):
            \'\'\'Configure locations for session.\'\'\'
            session = event['data']['session']

            # Find location(s) and customise instances.
            location = session.query('Location where name is "NAME"').one()
            ftrack_api.mixin(location, ftrack_api.entity.location.UnmanagedLocationMixin)
            location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix='')
            location.structure = ftrack_api.structure.id.IdStructure()
            location.priority = 50


        def register(session):
            \'\'\'Register plugin with *session*.\'\'\'
            session.event_hub.subscribe(
                'topic=ftrack.api.session.configure-location',
                configure_locations
            )
    ''').replace("NAME", name)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "configure_locations.py").write_text(plugin)
    monkeypatch.setenv("FTRACK_EVENT_PLUGIN_PATH", str(plugins))
    with ftrack_api.Session(server_url=ftrack_server.url, api_user=ftrack_server.api_user,
                            api_key=ftrack_server.api_key,
                            schema_cache_path=ftrack_schema_cache_path) as configured:
        location = configured.query('Location where name is "{0}"'.format(name)).one()
        assert isinstance(location, ftrack_api.entity.location.UnmanagedLocationMixin)
        assert location.priority == 50
        assert isinstance(location.structure, ftrack_api.structure.id.IdStructure)
        # Still configured after a reset.
        configured.reset()
        assert configured.query('Location where name is "{0}"'.format(name)).one().priority == 50


def test_working_with_components(session, asset_version, files):
    version = asset_version
    component = version.create_component(files("file_or_sequence.jpg"))
    session.commit()
    assert component["version_id"] == version["id"]
    assert session.get("Component", component["id"])["name"] == "main"


def test_working_with_thumbnails(session, task, asset_version, files):
    my_task_id = task["id"]
    my_asset_version_id = asset_version["id"]
    image = files("image.jpg", png_bytes())

    task = session.get("Task", my_task_id)
    thumbnail_component = task.create_thumbnail(image)
    assert task["thumbnail_id"] == thumbnail_component["id"]

    task = session.get("Task", my_task_id)
    server_location = session.query('Location where name is "ftrack.server"').one()
    thumbnail_component = session.create_component(
        image,
        dict(name="thumbnail"),
        location=server_location
    )
    task["thumbnail"] = thumbnail_component
    session.commit()

    asset_version = session.get("AssetVersion", my_asset_version_id)
    asset_version["thumbnail"] = thumbnail_component
    session.commit()
    asset_parent = asset_version["asset"]["parent"]
    asset_parent["thumbnail_id"] = asset_version["thumbnail_id"]
    session.commit()
    assert asset_parent["thumbnail_id"] == thumbnail_component["id"]

    server_location = session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
    thumbnail_url = server_location.get_thumbnail_url(thumbnail_component)
    thumbnail_url_tiny = server_location.get_thumbnail_url(thumbnail_component, size=100)
    thumbnail_url_large = server_location.get_thumbnail_url(thumbnail_component, size=500)
    for url in (thumbnail_url, thumbnail_url_tiny, thumbnail_url_large):
        assert requests.get(url, timeout=30).status_code == 200


def test_encoding_media(session, asset_version, files, capsys):
    media = files("media.png", png_bytes(32, 32))

    job = session.encode_media(media)
    job_data = json.loads(job["data"])
    print("Source component id", job_data["source_component_id"])
    print("Keeping original component", job_data["keep_original"])
    for output in job_data["output"]:
        print("Output component - id: {0}, format: {1}".format(
            output["component_id"], output["format"]))
    printed = capsys.readouterr().out
    assert "Source component id {0}".format(job_data["source_component_id"]) in printed
    assert "Keeping original component False" in printed

    job = asset_version.encode_media(media)
    assert job.entity_type == "Job"

    job = session.encode_media(media)
    location = session.query('Location where name is "ftrack.server"').one()
    for job_component in job["job_components"]:
        # The text passes the job component itself; its component is meant.
        print(location.get_url(job_component["component"]))

    # Media in another location is added to ftrack.server first (the text
    # leaves out the source location that add_component needs).
    component = session.create_component(files("elsewhere.png", png_bytes()))
    location = session.query('Location where name is "ftrack.server"').one()
    location.add_component(component, session.get("Location", ftrack_api.symbol.UNMANAGED_LOCATION_ID))
    session.commit()
    job = session.encode_media(component)
    assert json.loads(job["data"])["source_component_id"] == component["id"]


def test_publishing_for_web_review(session, asset_version, files):
    version = session.get("AssetVersion", asset_version["id"])
    server_location = session.query('Location where name is "ftrack.server"').one()
    filepath = files("file.mp4", b"mp4 data")
    component = version.create_component(
        path=filepath,
        data={
            "name": "ftrackreview-mp4"
        },
        location=server_location
    )
    component["metadata"]["ftr_meta"] = json.dumps({
        "frameIn": 0,
        "frameOut": 150,
        "frameRate": 25
    })
    component.session.commit()

    filepath = files("image.jpg", png_bytes())
    component = version.create_component(
        path=filepath,
        data={
            "name": "ftrackreview-image"
        },
        location=server_location
    )
    component["metadata"]["ftr_meta"] = json.dumps({
        "format": "image"
    })
    component.session.commit()

    stored = session.query('Component where version_id is "{0}"'.format(version["id"])).all()
    assert sorted(c["name"] for c in stored) == ["ftrackreview-image", "ftrackreview-mp4"]
    assert json.loads(component["metadata"]["ftr_meta"]) == {"format": "image"}


def test_publishing_versions(session, task, files, tmp_path):
    task = session.get("Task", task["id"])
    asset_parent = task["parent"]
    asset_type = session.query('AssetType where name is "Geometry"').one()
    asset = session.create("Asset", {
        "name": "My asset",
        "type": asset_type,
        "parent": asset_parent
    })
    asset_version = session.create("AssetVersion", {
        "asset": asset,
        "task": task
    })
    session.commit()

    asset_version.create_component(files("file.mov"), location="auto")
    asset_version.create_component(files("another-file.mov"), location="auto")
    session.commit()
    assert len(session.query('Component where version_id is "{0}"'.format(asset_version["id"])).all()) == 2

    name = location_name()
    custom = session.create("Location", {"name": name})
    session.commit()
    custom.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix=str(tmp_path / "custom"))
    custom.structure = ftrack_api.structure.id.IdStructure()
    location = session.query('Location where name is "{0}"'.format(name)).one()
    component = asset_version.create_component(
        files("named.mov"),
        data={
            "name": "foobar"
        },
        location=location
    )
    assert os.path.isfile(location.get_filesystem_path(component))


def test_managing_jobs_and_attachments(session, files):
    user = session.query('User where username is "{0}"'.format(session.api_user)).one()
    job = session.create("Job", {
        "user": user,
        "status": "running"
    })
    job = session.create("Job", {
        "user": user,
        "status": "running",
        "data": json.dumps({
            "description": "My custom job description."
        })
    })
    job["status"] = "done"
    session.commit()

    server_location = session.query('Location where name is "ftrack.server"').one()
    component = session.create_component(
        files("file", b"attachment"),
        data={"name": "My file"},
        location=server_location
    )
    session.create(
        "JobComponent",
        {"component_id": component["id"], "job_id": job["id"]}
    )
    session.commit()

    urls = []
    server_location = session.query('Location where name is "ftrack.server"').one()
    for job_component in job["job_components"]:
        urls.append(server_location.get_url(job_component["component"]))
    assert len(urls) == 1
    assert requests.get(urls[0], timeout=30).content == b"attachment"


def test_note_attachments(session, task, files):
    user = session.query('User where username is "{0}"'.format(session.api_user)).one()
    note = task.create_note("See attachment", author=user)
    session.commit()
    server_location = session.query('Location where name is "ftrack.server"').one()
    component = session.create_component(
        files("note_file", b"note attachment"),
        data={"name": "My file"},
        location=server_location
    )
    session.create(
        "NoteComponent",
        {"component_id": component["id"], "note_id": note["id"]}
    )
    session.commit()
    urls = [server_location.get_url(note_component["component"])
            for note_component in note["note_components"]]
    assert requests.get(urls[0], timeout=30).content == b"note attachment"


def test_migration_guide_publishing(session, files, capsys):
    schema = session.get("ProjectSchema", seed.DEFAULT_PROJECT_SCHEMA_ID)
    project = session.create("Project", {"name": "dev_tutorial_" + uuid.uuid4().hex[:6],
                                         "full_name": "dev tutorial", "project_schema": schema})
    sequence = session.create("Sequence", {"name": "001", "parent": project})
    made_shot = session.create("Shot", {"name": "010", "parent": sequence})
    session.create("Task", {"name": "model", "parent": made_shot})
    session.commit()

    shot = session.query(
        'Shot where project.name is "{0}" '
        'and parent.name is "001" and name is "010"'.format(project["name"])
    ).one()
    task = shot["children"][0]
    asset_type = session.query('AssetType where short is "geo"').first()
    asset = session.create("Asset", {
        "parent": shot,
        "name": "forest",
        "type": asset_type
    })
    status = session.query('Status where name is "Pending"').one()
    version = session.create("AssetVersion", {
        "asset": asset,
        "status": status,
        "comment": "Added more leaves.",
        "task": task
    })
    print("Version number before commit: {0}".format(version["version"]))
    session.commit()
    print("Version number after commit: {0}".format(version["version"]))
    assert "after commit: 1" in capsys.readouterr().out

    preview_path = files("forest_preview.mov")
    preview_component = version.create_component(preview_path, location="auto")
    model_path = files("forest_mode.ma")
    model_component = version.create_component(model_path, {
        "name": "model"
    }, location="auto")
    version["is_published"] = True
    session.commit()
    assert {preview_component["name"], model_component["name"]} == {"main", "model"}

    thumbnail = version.create_thumbnail(files("forest_thumbnail.jpg", png_bytes()))
    task["thumbnail"] = thumbnail
    session.commit()
    assert session.get("Task", task["id"])["thumbnail_id"] == thumbnail["id"]
