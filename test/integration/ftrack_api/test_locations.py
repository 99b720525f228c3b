"""Locations against the local server: built-in, disk (configured by a plugin),
unmanaged and origin locations, sequences, containers, availability and
failures that must leave nothing behind."""

import json
import os
import textwrap

import pytest

import ftrack_api
import ftrack_api._centralized_storage_scenario as centralized
import ftrack_api.accessor.disk
import ftrack_api.data
import ftrack_api.entity.location
import ftrack_api.event.base
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.resource_identifier_transformer.base
import ftrack_api.structure.base
import ftrack_api.structure.origin
import ftrack_api.symbol as symbol

from client_helpers import unique_name

PLUGIN = textwrap.dedent('''
    import ftrack_api.accessor.disk
    import ftrack_api.structure.id

    def configure_locations(event):
        session = event["data"]["session"]
        location = session.query('Location where name is "{name}"').one()
        location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix={prefix!r})
        location.structure = ftrack_api.structure.id.IdStructure()
        location.priority = 10

    def register(session):
        session.event_hub.subscribe(
            "topic=ftrack.api.session.configure-location", configure_locations)
''')


def write_file(path, content):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(str(path), "wb") as stream:
        stream.write(content)
    return str(path)


def read_file(path):
    with open(path, "rb") as stream:
        return stream.read()


def rows_for(session, component):
    return session.query(
        'select location_id, resource_identifier from ComponentLocation where component_id is "{0}"'
        .format(component["id"])).all()


@pytest.fixture
def disk_location(ftrack_session, new_session, tmp_path):
    """A session whose custom disk location (prefix in tmp_path) a plugin configures."""
    name = unique_name("test.disk")
    ftrack_session.ensure("Location", {"name": name})
    ftrack_session.commit()
    prefix = str(tmp_path / "storage")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "configure_disk.py").write_text(PLUGIN.format(name=name, prefix=prefix))
    session = new_session(plugin_paths=[str(plugins)])
    location = session.query('Location where name is "{0}"'.format(name)).one()
    return session, location, prefix


def test_builtin_locations_are_configured(ftrack_session):
    session = ftrack_session
    origin = session.get("Location", symbol.ORIGIN_LOCATION_ID)
    unmanaged = session.get("Location", symbol.UNMANAGED_LOCATION_ID)
    review = session.get("Location", symbol.REVIEW_LOCATION_ID)
    server = session.get("Location", symbol.SERVER_LOCATION_ID)
    assert isinstance(origin, ftrack_api.entity.location.OriginLocationMixin)
    assert isinstance(unmanaged, ftrack_api.entity.location.UnmanagedLocationMixin)
    assert isinstance(review, ftrack_api.entity.location.UnmanagedLocationMixin)
    assert isinstance(server, ftrack_api.entity.location.ServerLocationMixin)
    assert [origin.priority, unmanaged.priority, review.priority, server.priority] == [100, 90, 110, 150]
    assert isinstance(unmanaged.structure, ftrack_api.structure.origin.OriginStructure)
    assert type(server.accessor).__name__ == "ServerAccessor"
    assert str(origin) == '<OriginLocation("ftrack.origin", {0})>'.format(symbol.ORIGIN_LOCATION_ID)
    # Queried by name, the same configured instances come back.
    assert session.query('Location where name is "ftrack.server"').one() is server
    connect = session.get("Location", symbol.CONNECT_LOCATION_ID)
    assert connect.accessor is symbol.NOT_SET and connect.priority == 95
    assert session.pick_location() is unmanaged


def test_builtin_locations_survive_reset(ftrack_session):
    ftrack_session.reset()
    server = ftrack_session.get("Location", symbol.SERVER_LOCATION_ID)
    assert server.priority == 150 and server.accessor is not symbol.NOT_SET


def test_origin_only_component_stays_in_session(ftrack_session, tmp_path):
    session = ftrack_session
    path = write_file(tmp_path / "only.txt", b"origin data")
    component = session.create_component(path, location=None)
    assert component.entity_type == "FileComponent"
    assert (component["name"], component["file_type"], component["size"]) == ("main", ".txt", 11)
    origin = session.get("Location", symbol.ORIGIN_LOCATION_ID)
    assert origin.get_resource_identifier(component) == path
    assert origin.get_filesystem_path(component) == path
    assert ftrack_api.inspection.state(component) is symbol.CREATED
    # Availability comes from the server's records, where the origin never
    # registers anything: the data is in no location yet.
    availability = session.get_component_availability(component)
    assert availability[symbol.ORIGIN_LOCATION_ID] == 0.0
    assert availability[symbol.SERVER_LOCATION_ID] == 0.0
    assert session.pick_location(component) is None
    session.commit()
    assert rows_for(session, component) == []


def test_unmanaged_registers_the_path_as_it_is(ftrack_session, tmp_path):
    session = ftrack_session
    path = write_file(tmp_path / "plate.exr", b"pixels")
    component = session.create_component(path)  # auto: ftrack.unmanaged
    unmanaged = session.get("Location", symbol.UNMANAGED_LOCATION_ID)
    rows = rows_for(session, component)
    assert [(row["location_id"], row["resource_identifier"]) for row in rows] == [
        (symbol.UNMANAGED_LOCATION_ID, path)]
    assert unmanaged.get_filesystem_path(component) == path
    # Disk data has no URL (as with the official client).
    with pytest.raises(ftrack_api.exception.AccessorUnsupportedOperationError):
        unmanaged.get_url(component)
    assert component.get_availability([unmanaged]) == {symbol.UNMANAGED_LOCATION_ID: 100.0}
    assert session.pick_location(component) is unmanaged
    unmanaged.remove_component(component)
    assert os.path.exists(path)  # unmanaged: the data is left alone
    assert rows_for(session, component) == []
    with pytest.raises(ftrack_api.exception.ComponentNotInLocationError):
        unmanaged.get_resource_identifier(component)


def test_review_component_names_go_to_review(ftrack_session, tmp_path):
    session = ftrack_session
    path = write_file(tmp_path / "review.mp4", b"not really a movie")
    component = session.create_component(path, {"name": "ftrackreview-mp4"})
    review = session.get("Location", symbol.REVIEW_LOCATION_ID)
    assert review.get_resource_identifier(component) == path


def test_disk_location_configured_by_plugin(disk_location, tmp_path):
    session, location, prefix = disk_location
    assert isinstance(location.accessor, ftrack_api.accessor.disk.DiskAccessor)
    assert location.priority == 10
    assert session.pick_location() is location
    path = write_file(tmp_path / "source" / "model.abc", b"\x00geometry\xff" * 100)
    component = session.create_component(path)  # auto picks the plugin's location
    target = location.get_filesystem_path(component)
    identifier = component["id"]
    assert target == os.path.join(prefix, *identifier[:4], identifier[4:] + ".abc")
    assert read_file(target) == read_file(path)
    with pytest.raises(ftrack_api.exception.AccessorUnsupportedOperationError):
        location.get_url(component)
    assert location.get_component_availability(component) == 100.0
    assert session.get_component_availability(component)[symbol.SERVER_LOCATION_ID] == 0.0
    assert session.pick_location(component) is location

    with pytest.raises(ftrack_api.exception.ComponentInLocationError):
        location.add_component(component, session.get("Location", symbol.ORIGIN_LOCATION_ID))

    location.remove_component(component)
    assert not os.path.exists(target)
    assert location.get_component_availability(component) == 0.0

    # Adding again from the origin copies the data back.
    origin = session.get("Location", symbol.ORIGIN_LOCATION_ID)
    location.add_component(component, origin)
    assert read_file(target) == read_file(path)


def test_existing_target_data_is_not_overwritten(disk_location, tmp_path):
    session, location, prefix = disk_location
    path = write_file(tmp_path / "a.txt", b"new")
    component = session.create_component(path, location=None)
    identifier = location.structure.get_resource_identifier(component)
    write_file(os.path.join(prefix, identifier), b"precious")
    origin = session.get("Location", symbol.ORIGIN_LOCATION_ID)
    with pytest.raises(ftrack_api.exception.LocationError, match="already exists"):
        location.add_component(component, origin)
    assert read_file(os.path.join(prefix, identifier)) == b"precious"
    assert location.get_component_availability(component) == 0.0


def test_sequence_in_disk_location(disk_location, tmp_path):
    session, location, prefix = disk_location
    for frame in range(1, 11):
        write_file(tmp_path / "seq" / "shot.{0:04d}.exr".format(frame), b"frame %d" % frame)
    expression = str(tmp_path / "seq" / "shot.%04d.exr") + " [1-10]"
    sequence = session.create_component(expression, location=location)
    assert sequence.entity_type == "SequenceComponent"
    assert (sequence["padding"], sequence["file_type"]) == (4, ".exr")
    assert sequence["size"] == sum(len(b"frame %d" % f) for f in range(1, 11))
    members = sorted(sequence["members"], key=lambda member: int(member["name"]))
    assert [member["name"] for member in members] == ["{0:04d}".format(f) for f in range(1, 11)]
    for frame, member in zip(range(1, 11), members):
        assert read_file(location.get_filesystem_path(member)) == b"frame %d" % frame
    assert location.get_filesystem_path(sequence).endswith("file.%04d.exr")
    assert location.get_component_availability(sequence) == 100.0

    location.remove_component(members[0], recursive=False)
    assert location.get_component_availability(sequence) == 90.0
    assert session.pick_location(sequence) is None or session.pick_location(sequence) is not location

    location.remove_component(sequence)
    assert location.get_component_availability(sequence) == 0.0
    assert not any(files for _, _, files in os.walk(prefix))


def test_folder_becomes_container_in_disk_location(disk_location, tmp_path):
    session, location, prefix = disk_location
    write_file(tmp_path / "bundle" / "notes.txt", b"notes")
    write_file(tmp_path / "bundle" / "images" / "a.png", b"png")
    container = session.create_component(str(tmp_path / "bundle"), location=location)
    assert container.entity_type == "ContainerComponent"
    members = {member["name"]: member for member in container["members"]}
    assert set(members) == {"notes", "images"}
    assert members["images"].entity_type == "ContainerComponent"
    assert read_file(location.get_filesystem_path(members["notes"])) == b"notes"
    inner = members["images"]["members"][0]
    assert read_file(location.get_filesystem_path(inner)) == b"png"
    assert location.get_component_availability(container) == 100.0
    location.remove_component(container)
    assert not os.path.exists(location.accessor.get_filesystem_path(
        location.structure.get_resource_identifier(container)))


def test_manual_configuration_and_unmanaged_mixin(ftrack_session, tmp_path):
    session = ftrack_session
    location = session.ensure("Location", {"name": unique_name("test.manual")})
    session.commit()
    with pytest.raises(ftrack_api.exception.LocationError):
        location.add_component(session.create_component(
            write_file(tmp_path / "x.txt", b"x"), location=None),
            session.get("Location", symbol.ORIGIN_LOCATION_ID))
    ftrack_api.mixin(location, ftrack_api.entity.location.UnmanagedLocationMixin)
    location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix="")
    location.structure = ftrack_api.structure.origin.OriginStructure()
    path = write_file(tmp_path / "y.txt", b"y")
    component = session.create_component(path, location=location)
    assert location.get_filesystem_path(component) == path


def test_structure_escaping_prefix_is_refused(disk_location, tmp_path):
    session, location, prefix = disk_location

    class Escaping(ftrack_api.structure.base.Structure):
        def get_resource_identifier(self, entity, context=None):
            return "../outside/" + entity["id"]

    location.structure = Escaping()
    path = write_file(tmp_path / "in.txt", b"data")
    before = len(session.recorded_operations)
    with pytest.raises(ftrack_api.exception.LocationError) as raised:
        session.create_component(path, location=location)
    assert isinstance(raised.value.details["error"], ftrack_api.exception.AccessorFilesystemPathError)
    assert not os.path.exists(os.path.join(os.path.dirname(prefix), "outside"))
    assert len(session.recorded_operations) == before
    assert not [entity for entity in session._local_cache.values()
                if entity.entity_type == "FileComponent" and ftrack_api.inspection.entity_state(entity).created]


class BrokenData(ftrack_api.data.Data):
    """Data that fails after giving some bytes."""

    def __init__(self):
        super(BrokenData, self).__init__()
        self.calls = 0

    def read(self, limit=None):
        self.calls += 1
        if self.calls > 1:
            raise IOError("disk went away")
        return b"first chunk"

    def write(self, content):
        raise IOError("read only")


class BrokenAccessor(ftrack_api.accessor.disk.DiskAccessor):
    def open(self, resource_identifier, mode="rb"):
        return BrokenData()


def test_interrupted_transfer_leaves_no_component(disk_location, tmp_path):
    session, location, prefix = disk_location
    origin = session.get("Location", symbol.ORIGIN_LOCATION_ID)
    origin.accessor = BrokenAccessor(prefix="")
    path = write_file(tmp_path / "big.bin", b"z" * 1000)
    with pytest.raises(ftrack_api.exception.LocationError, match="disk went away"):
        session.create_component(path, location=location)
    assert len(session.recorded_operations) == 0
    assert not [entity for entity in session._local_cache.values()
                if entity.entity_type == "FileComponent"]
    assert not any(files for _, _, files in os.walk(prefix))
    assert origin._cache == {}


class PrefixTransformer(ftrack_api.resource_identifier_transformer.base.ResourceIdentifierTransformer):
    def encode(self, resource_identifier, context=None):
        return "stored:" + resource_identifier

    def decode(self, resource_identifier, context=None):
        assert resource_identifier.startswith("stored:")
        return resource_identifier[len("stored:"):]


def test_resource_identifier_transformer(disk_location, tmp_path):
    session, location, prefix = disk_location
    location.resource_identifier_transformer = PrefixTransformer(session)
    path = write_file(tmp_path / "t.txt", b"transformed")
    component = session.create_component(path, location=location)
    stored = [row["resource_identifier"] for row in rows_for(session, component)
              if row["location_id"] == location["id"]]
    assert stored[0].startswith("stored:")
    assert read_file(location.get_filesystem_path(component)) == b"transformed"


def test_location_events_dropped_when_not_connected(ftrack_session, tmp_path):
    session = ftrack_session
    assert not session.event_hub.connected
    path = write_file(tmp_path / "e.txt", b"e")
    component = session.create_component(path)
    session.get("Location", symbol.UNMANAGED_LOCATION_ID).remove_component(component)


def test_centralized_storage_scenario(ftrack_session, tmp_path):
    session = ftrack_session
    location_id = "a2e1a2e1-0000-4000-8000-{0}".format(unique_name("")[-12:])
    scenario = centralized.ActivateCentralizedStorageScenario()
    scenario.register(session)
    mounts = {"linux": str(tmp_path), "osx": str(tmp_path), "windows": str(tmp_path)}
    session.event_hub.publish(ftrack_api.event.base.Event(
        topic="ftrack.storage-scenario.activate",
        data={"storage_scenario": {"scenario": centralized.scenario_name, "data": {
            "location_id": location_id, "location_name": "studio.central",
            "accessor": {"mount_points": mounts}}}}), synchronous=True)
    location = session.get("Location", location_id)
    assert location["name"] == "studio.central"
    assert location.priority == 1
    assert location.accessor.prefix == str(tmp_path)
    assert type(location.structure).__name__ == "StandardStructure"

    bad = ftrack_api.event.base.Event(topic="ftrack.storage-scenario.activate", data={
        "storage_scenario": {"scenario": centralized.scenario_name, "data": {"location_id": "x"}}})
    with pytest.raises(ftrack_api.exception.LocationError):
        scenario.activate(bad)


def test_session_start_activates_centralized_storage(ftrack_fresh_server, ftrack_schema_cache_path,
                                                     tmp_path):
    server = ftrack_fresh_server
    arguments = dict(server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                     schema_cache_path=ftrack_schema_cache_path)
    with ftrack_api.Session(**arguments) as session:
        location = session.create("Location", {"name": "studio.central-storage"})
        setting = session.query(
            'Setting where name is "storage_scenario" and group is "STORAGE"').first()
        value = json.dumps({"scenario": centralized.scenario_name, "data": {
            "location_id": location["id"], "location_name": location["name"],
            "accessor": {"mount_points": {"linux": str(tmp_path), "osx": str(tmp_path),
                                          "windows": str(tmp_path)}}}})
        if setting is None:
            session.create("Setting", {"name": "storage_scenario", "group": "STORAGE",
                                       "value": value})
        else:
            setting["value"] = value
        session.commit()
        location_id = location["id"]

    path = write_file(tmp_path / "incoming" / "plate.exr", b"central")
    with ftrack_api.Session(**arguments) as session:
        central = session.get("Location", location_id)
        assert central.priority == 1
        assert central.accessor.prefix == str(tmp_path)
        assert session.pick_location() is central
        session.reset()
        assert session.get("Location", location_id).priority == 1
        # Components need a version for the standard structure.
        schema = session.query("ProjectSchema").first()
        project = session.create("Project", {"name": "central", "full_name": "C",
                                             "project_schema": schema})
        asset = session.create("Asset", {"name": "plate", "parent": project,
                                         "type": session.query("AssetType").first()})
        version = session.create("AssetVersion", {"asset": asset})
        session.commit()
        component = version.create_component(path, location="auto")
        stored = session.get("Location", location_id).get_filesystem_path(component)
        assert stored.startswith(str(tmp_path)) and read_file(stored) == b"central"


def test_location_events_reach_other_sessions(new_session, tmp_path):
    listener = new_session()
    received = []
    listener.event_hub.subscribe(
        "topic=ftrack.location.component-added and data.location_id={0}".format(
            symbol.UNMANAGED_LOCATION_ID), received.append)
    listener.event_hub.subscribe(
        "topic=ftrack.location.component-removed", received.append)
    listener.event_hub.connect()
    publisher = new_session()
    publisher.event_hub.connect()
    component = publisher.create_component(write_file(tmp_path / "ev.txt", b"event"))
    publisher.get("Location", symbol.UNMANAGED_LOCATION_ID).remove_component(component)

    def topics():
        return [(event["topic"], event["data"]["component_id"]) for event in received]

    expected = [("ftrack.location.component-added", component["id"]),
                ("ftrack.location.component-removed", component["id"])]
    for _ in range(50):
        if all(item in topics() for item in expected):
            break
        listener.event_hub.wait(0.2)
    assert all(item in topics() for item in expected)
    added = [e for e in received if e["topic"] == "ftrack.location.component-added"]
    assert {e["data"]["location_id"] for e in added} == {symbol.UNMANAGED_LOCATION_ID}


def test_storage_scenario_configuration_form(ftrack_fresh_server, ftrack_schema_cache_path,
                                             tmp_path):
    server = ftrack_fresh_server
    arguments = dict(server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                     schema_cache_path=ftrack_schema_cache_path)
    with ftrack_api.Session(**arguments) as session:
        centralized.register_configuration(session)
        source = {"user": {"username": session.api_user}}

        def ask(topic, **data):
            replies = session.event_hub.publish(ftrack_api.event.base.Event(
                topic=topic, data=data, source=source), synchronous=True)
            return [reply for reply in replies if reply is not None][0]

        assert ask("ftrack.storage-scenario.discover")["id"] == centralized.scenario_name

        def configure(values=None):
            return ask("ftrack.storage-scenario.configure",
                       scenario_id=centralized.scenario_name, values=values)

        first = configure()
        assert first["state"] == "configuring"
        choice = [item for item in first["items"] if item.get("name") == "location_id"][0]
        assert {"label": "Create a new location", "value": "create_new_location"} in choice["data"]

        values = {"location_id": "create_new_location", "name": "ftrack.mine", "label": "",
                  "description": "Shared"}
        refused = configure(values)
        texts = " ".join(item.get("value", "") for item in refused["items"]
                         if item["type"] == "label")
        assert "needs a label" in texts and "reserved" in texts

        values.update(name="studio.central", label="Central")
        assert {item.get("name") for item in configure(values)["items"]} >= {
            "linux", "osx", "windows"}
        values.update(linux=str(tmp_path), osx=str(tmp_path), windows=str(tmp_path))
        confirm = configure(values)
        assert confirm["state"] == "confirm"
        values["confirmed"] = True
        assert configure(values)["state"] == "done"

    with ftrack_api.Session(**arguments) as session:
        scenario = session.server_information["storage_scenario"]
        assert scenario["scenario"] == centralized.scenario_name
        location = session.query('Location where name is "studio.central"').one()
        assert scenario["data"]["location_id"] == location["id"]
        assert location["label"] == "Central" and location.priority == 1
        assert location.accessor.prefix == str(tmp_path)


def test_private_seams_against_the_server(disk_location, tmp_path):
    session, location, prefix = disk_location
    origin = session.get("Location", symbol.ORIGIN_LOCATION_ID)
    path = write_file(tmp_path / "seam.txt", b"seam")
    component = session.create_component(path, location=None)
    assert location._get_context(component, origin) == {"source_resource_identifier": path}
    assert location._get_context(component, location) == {}  # asked the server: not there

    with pytest.raises(ValueError):
        location.add_components([component], [])
    accessor, structure = location.accessor, location.structure
    location.structure = None
    with pytest.raises(ftrack_api.exception.LocationError, match="No structure defined"):
        location.add_components([], [])
    location.structure = structure

    location.accessor = None
    with pytest.raises(ftrack_api.exception.LocationError) as raised:
        location.add_component(component, origin)
    assert "No accessor defined for target location" in str(raised.value)
    assert rows_for(session, component) == []
    assert not os.path.exists(prefix)
    location.accessor = accessor

    location.add_component(component, origin)
    target = location.get_filesystem_path(component)
    location.accessor = None
    with pytest.raises(ftrack_api.exception.LocationError, match="No accessor defined for location"):
        location.remove_component(component)
    location.accessor = accessor
    assert read_file(target) == b"seam"
    assert location.get_component_availability(component) == 100.0

    # The single-component deregistration removes the server's row.
    location._deregister_component_in_location(component)
    assert [row["location_id"] for row in rows_for(session, component)] == []
    location._register_component_in_location(component, "registered/by/hand.txt")
    assert location.get_resource_identifier(component) == "registered/by/hand.txt"


def test_sequence_added_without_members(disk_location, tmp_path):
    session, location, prefix = disk_location
    for frame in (1, 2):
        write_file(tmp_path / "nr" / "f.{0:04d}.exr".format(frame), b"f")
    sequence = session.create_component(str(tmp_path / "nr" / "f.%04d.exr [1-2]"), location=None)
    origin = session.get("Location", symbol.ORIGIN_LOCATION_ID)
    location.add_component(sequence, origin, recursive=False)
    assert location.get_component_availability(sequence) == 0.0
    assert location.get_resource_identifier(sequence).endswith("file.%04d.exr")
    assert not any(files for _, _, files in os.walk(prefix))
    location.remove_component(sequence, recursive=False)
    with pytest.raises(ftrack_api.exception.ComponentNotInLocationError):
        location.get_resource_identifier(sequence)


def test_unmanaged_location_registers_server_data_by_id(ftrack_session, tmp_path):
    session = ftrack_session
    server = session.get("Location", symbol.SERVER_LOCATION_ID)
    component = session.create_component(write_file(tmp_path / "srv.bin", b"on server"),
                                         location=server)
    location = session.ensure("Location", {"name": unique_name("test.unmanaged")})
    session.commit()
    ftrack_api.mixin(location, ftrack_api.entity.location.UnmanagedLocationMixin)
    location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix="")
    location.structure = ftrack_api.structure.origin.OriginStructure()
    location.add_component(component, server)
    assert location.get_resource_identifier(component) == component["id"]
    assert location.get_component_availability(component) == 100.0
    location.remove_component(component)
    assert server.get_component_availability(component) == 100.0
