"""Location behaviour that needs no server: an offline session whose
locations keep registrations in memory (origin, and a disk location with the
memory mixin), so data transfers, availability and failures can be checked
without any request."""

import os

import pytest

import ftrack_api
import ftrack_api.accessor.disk
import ftrack_api.data
import ftrack_api.entity.location
import ftrack_api.exception
import ftrack_api.structure.base
import ftrack_api.structure.id
import ftrack_api.symbol as symbol


@pytest.fixture
def session(located_session):
    return located_session


@pytest.fixture
def origin(session):
    return session.get("Location", symbol.ORIGIN_LOCATION_ID)


@pytest.fixture
def memory_disk(session, tmp_path):
    """A managed disk location whose registrations stay in memory."""
    location = session.create("Location", {"id": "0000aaaa-1111-2222-3333-444455556666",
                                           "name": "test.memory-disk"}, reconstructing=True)
    ftrack_api.mixin(location, ftrack_api.entity.location.MemoryLocationMixin)
    location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix=str(tmp_path / "store"))
    location.structure = ftrack_api.structure.id.IdStructure()
    location.priority = 5
    return location


def write(path, content):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(str(path), "wb") as stream:
        stream.write(content)
    return str(path)


def read(path):
    with open(path, "rb") as stream:
        return stream.read()


def test_builtin_locations_offline(session):
    names = {
        symbol.ORIGIN_LOCATION_ID: ("ftrack.origin", "OriginLocation", 100),
        symbol.UNMANAGED_LOCATION_ID: ("ftrack.unmanaged", "UnmanagedLocation", 90),
        symbol.REVIEW_LOCATION_ID: ("ftrack.review", "UnmanagedLocation", 110),
        symbol.SERVER_LOCATION_ID: ("ftrack.server", "ServerLocation", 150),
    }
    for location_id, (name, class_name, priority) in names.items():
        location = session.get("Location", location_id)
        assert (location["name"], type(location).__name__, location.priority) == (
            name, class_name, priority)
    # The built-in locations were made without a request (the session is offline).
    assert len(session.recorded_operations) == 0


def test_file_component_in_origin(session, origin, tmp_path):
    path = write(tmp_path / "shot_v001.mov", b"12345")
    component = session.create_component(path, location=None)
    assert (component["name"], component["file_type"], component["size"]) == ("main", ".mov", 5)
    assert origin.get_resource_identifier(component) == path
    # The origin stages data for transfers; it is never where a component
    # counts as available.
    assert origin.get_component_availability(component) == 0.0
    assert session.get_component_availability(component, locations=[origin]) == {origin["id"]: 0.0}


def test_file_type_from_plugin(session, tmp_path):
    session.event_hub.subscribe("topic=ftrack.api.session.get-file-type-from-string",
                                lambda event: ".custom")
    component = session.create_component(write(tmp_path / "a.b.c", b"x"), location=None)
    assert component["file_type"] == ".custom"


def test_sequence_component_in_origin(session, origin, tmp_path):
    for frame in (1, 2, 3, 5):
        write(tmp_path / "render.{0:03d}.png".format(frame), b"f%d" % frame)
    expression = str(tmp_path / "render.%03d.png") + " [1-3, 5]"
    sequence = session.create_component(expression, data={"name": "beauty"}, location=None)
    assert sequence.entity_type == "SequenceComponent"
    assert (sequence["name"], sequence["padding"], sequence["file_type"], sequence["size"]) == (
        "beauty", 3, ".png", 8)
    members = list(sequence["members"])
    assert [member["name"] for member in members] == ["001", "002", "003", "005"]
    assert all(member["container"] is sequence for member in members)
    assert origin.get_resource_identifier(sequence) == str(tmp_path / "render.%03d.png")
    assert origin.get_resource_identifier(members[3]) == str(tmp_path / "render.005.png")
    assert origin.get_component_availability(sequence) == 0.0


def test_component_of_a_path_not_written_yet_has_size_zero(session, tmp_path):
    # A component may be registered before its file exists (as the official
    # client allows): its size is then 0, and so are the sizes of members.
    single = session.create_component(str(tmp_path / "later.txt"), location=None)
    assert single["size"] == 0
    assert single["file_type"] == ".txt"
    sequence = session.create_component(
        str(tmp_path / "later.%04d.exr [1-3]"), location=None)
    assert sequence["size"] == 0
    assert [member["size"] for member in sequence["members"]] == [0, 0, 0]


def test_given_sequence_size_is_shared_between_members(session, tmp_path):
    sequence = session.create_component(
        str(tmp_path / "shot.%04d.exr [1-4]"), data={"size": 12}, location=None)
    assert sequence["size"] == 12
    assert [member["size"] for member in sequence["members"]] == [3, 3, 3, 3]


def test_falsy_location_adds_the_component_nowhere(session, tmp_path):
    path = write(tmp_path / "plate.exr", b"pixels")
    for location in (None, False, ""):
        component = session.create_component(path, location=location)
        assert component["size"] == len(b"pixels")


def test_managed_transfer_and_removal(session, origin, memory_disk, tmp_path):
    path = write(tmp_path / "src" / "asset.abc", b"geometry" * 1000)
    component = session.create_component(path, location=memory_disk)
    target = memory_disk.get_filesystem_path(component)
    identifier = component["id"]
    assert target == os.path.join(str(tmp_path / "store"), *identifier[:4]) + os.sep + \
        identifier[4:] + ".abc"
    assert read(target) == read(path)
    # Disk data has no URL, as in the official client.
    with pytest.raises(ftrack_api.exception.AccessorUnsupportedOperationError):
        memory_disk.get_url(component)
    with pytest.raises(ftrack_api.exception.ComponentInLocationError):
        memory_disk.add_component(component, origin)
    memory_disk.remove_component(component)
    assert not os.path.exists(target)
    with pytest.raises(ftrack_api.exception.ComponentNotInLocationError):
        memory_disk.get_filesystem_path(component)


def test_sequence_transfer_lays_members_out(session, memory_disk, tmp_path):
    for frame in range(1, 5):
        write(tmp_path / "seq" / "plate.{0:04d}.exr".format(frame), b"exr%d" % frame)
    sequence = session.create_component(str(tmp_path / "seq" / "plate.%04d.exr [1-4]"),
                                        location=memory_disk)
    folder = os.path.dirname(memory_disk.get_filesystem_path(sequence))
    assert sorted(os.listdir(folder)) == ["file.{0:04d}.exr".format(f) for f in range(1, 5)]
    assert memory_disk.get_component_availability(sequence) == 100.0
    member = sequence["members"][0]
    memory_disk.remove_component(member)
    assert memory_disk.get_component_availability(sequence) == 75.0
    memory_disk.remove_component(sequence)
    assert os.listdir(folder) == []


def test_existing_target_is_kept(session, origin, memory_disk, tmp_path):
    component = session.create_component(write(tmp_path / "n.txt", b"new"), location=None)
    identifier = memory_disk.structure.get_resource_identifier(component)
    existing = write(os.path.join(memory_disk.accessor.prefix, identifier), b"old")
    with pytest.raises(ftrack_api.exception.LocationError, match="already exists"):
        memory_disk.add_component(component, origin)
    assert read(existing) == b"old"


class Escaping(ftrack_api.structure.base.Structure):
    def get_resource_identifier(self, entity, context=None):
        return "../../escaped/" + entity["id"]


def test_identifier_escaping_prefix_is_refused(session, memory_disk, tmp_path):
    memory_disk.structure = Escaping()
    path = write(tmp_path / "e.txt", b"e")
    with pytest.raises(ftrack_api.exception.LocationError) as raised:
        session.create_component(path, location=memory_disk)
    assert isinstance(raised.value.details["error"], ftrack_api.exception.AccessorFilesystemPathError)
    assert not os.path.exists(str(tmp_path.parent / "escaped"))
    assert len(session.recorded_operations) == 0


class FailingFile(ftrack_api.data.File):
    def __init__(self, path, mode):
        super(FailingFile, self).__init__(path, mode)
        self.reads = 0

    def read(self, limit=None):
        self.reads += 1
        if self.reads > 1:
            raise IOError("read error midway")
        return super(FailingFile, self).read(4)


class FailingDisk(ftrack_api.accessor.disk.DiskAccessor):
    def open(self, resource_identifier, mode="rb"):
        return FailingFile(self.get_filesystem_path(resource_identifier), mode)


def test_failed_transfer_rolls_create_component_back(session, origin, memory_disk, tmp_path):
    origin.accessor = FailingDisk(prefix="")
    path = write(tmp_path / "f.bin", b"0123456789" * 100)
    with pytest.raises(ftrack_api.exception.LocationError, match="read error midway"):
        session.create_component(path, location=memory_disk)
    assert len(session.recorded_operations) == 0
    assert not [e for e in session._local_cache.values() if e.entity_type == "FileComponent"]
    assert origin._cache == {}
    assert memory_disk._cache == {}
    stored = [files for _, _, files in os.walk(memory_disk.accessor.prefix)]
    assert not any(stored)  # the partial file was removed


def test_add_components_checks_sources(session, origin, memory_disk, tmp_path):
    first = session.create_component(write(tmp_path / "1.txt", b"1"), location=None)
    second = session.create_component(write(tmp_path / "2.txt", b"2"), location=None)
    third = session.create_component(write(tmp_path / "3.txt", b"3"), location=None)
    with pytest.raises(ValueError, match="sources must be either a single source"):
        memory_disk.add_components([first, second], sources=[origin, origin, origin])
    with pytest.raises(ValueError):
        memory_disk.add_components([first], sources=[])
    memory_disk.add_components([first, second], sources=[origin, origin])
    assert memory_disk.get_component_availabilities([first, second]) == [100.0, 100.0]
    assert memory_disk.get_resource_identifiers([first, second]) == [
        memory_disk.structure.get_resource_identifier(first),
        memory_disk.structure.get_resource_identifier(second)]
    # A sequence holding one source serves every component.
    memory_disk.add_components([third], sources=(origin,))
    assert memory_disk.get_component_availability(third) == 100.0


def test_unconfigured_location_refuses_data(session, origin, tmp_path):
    location = session.create("Location", {"id": "0000bbbb-1111-2222-3333-444455556666",
                                           "name": "test.unconfigured"}, reconstructing=True)
    ftrack_api.mixin(location, ftrack_api.entity.location.MemoryLocationMixin)
    component = session.create_component(write(tmp_path / "u.txt", b"u"), location=None)
    with pytest.raises(ftrack_api.exception.LocationError, match="No structure"):
        location.add_component(component, origin)
    location.structure = None
    with pytest.raises(ftrack_api.exception.LocationError, match="No structure"):
        location.add_components([], [])
    location.structure = ftrack_api.structure.id.IdStructure()
    with pytest.raises(ftrack_api.exception.LocationError, match="No accessor") as raised:
        location.add_component(component, origin)
    assert "No accessor defined for target location" in str(raised.value.details["error"])
    # Paths and URLs of a registered component need the accessor too: the
    # error is a LocationError and an unsupported operation, never an
    # AttributeError.
    location._register_component_in_location(component, "u/u.txt")
    for accessor in (ftrack_api.symbol.NOT_SET, None):
        location.accessor = accessor
        for ask in (location.get_url, location.get_filesystem_path):
            with pytest.raises(ftrack_api.exception.LocationError) as raised:
                ask(component)
            assert isinstance(raised.value, ftrack_api.exception.AccessorUnsupportedOperationError)
            assert str(raised.value) == "No accessor defined for location {0}.".format(location)
        with pytest.raises(ftrack_api.exception.LocationError, match="No accessor defined for location"):
            location.remove_component(component)
    assert location.get_resource_identifier(component) == "u/u.txt"
