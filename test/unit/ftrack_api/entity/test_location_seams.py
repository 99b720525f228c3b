"""The private methods location subclasses and mixins customise, exercised
offline with memory locations: what is called, with which arguments, in which
order, and which errors come out."""

import collections.abc
import os

import pytest

import ftrack_api
import ftrack_api.accessor.disk
import ftrack_api.entity.base
import ftrack_api.entity.location
import ftrack_api.exception
import ftrack_api.resource_identifier_transformer.base
import ftrack_api.structure.id
import ftrack_api.structure.origin
import ftrack_api.symbol as symbol

LOCATION_ID = "0000dddd-1111-2222-3333-444455556666"


@pytest.fixture
def session(located_session):
    return located_session


@pytest.fixture
def origin(session):
    return session.get("Location", symbol.ORIGIN_LOCATION_ID)


def write(path, content):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(str(path), "wb") as stream:
        stream.write(content)
    return str(path)


def memory_location(session, prefix, *mixins, location_id=LOCATION_ID):
    location = session.create("Location", {"id": location_id, "name": "test.seams"},
                              reconstructing=True)
    for mixin in mixins or (ftrack_api.entity.location.MemoryLocationMixin,):
        ftrack_api.mixin(location, mixin)
    location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix=str(prefix))
    location.structure = ftrack_api.structure.id.IdStructure()
    return location


def test_get_context(session, origin, tmp_path):
    location = memory_location(session, tmp_path / "store")
    path = write(tmp_path / "a.txt", b"a")
    component = session.create_component(path, location=None)
    assert location._get_context(component, origin) == {"source_resource_identifier": path}
    # Not in the source, or no source at all: an empty context.
    assert location._get_context(component, location) == {}
    assert location._get_context(component, None) == {}
    # The origin's sources are the paths themselves.
    assert origin._get_context(component, "/some/path") == {"source_resource_identifier": "/some/path"}
    assert origin._get_context(component, None) == {}


def test_memory_cache_is_keyed_by_component_id(session, origin, tmp_path):
    location = memory_location(session, tmp_path / "store")
    component = session.create_component(write(tmp_path / "c.txt", b"c"), location=location)
    assert location._cache == {component["id"]: location.structure.get_resource_identifier(component)}
    assert origin._cache[component["id"]] == str(tmp_path / "c.txt")
    location._deregister_component_in_location(component)
    assert location._cache == {}
    with pytest.raises(ftrack_api.exception.ComponentNotInLocationError):
        location._get_resource_identifiers([component])


class Recording(object):
    """Mixin recording the calls of the location seams (and doing the work)."""

    def _calls(self):
        return self.__dict__.setdefault("_recorded_calls", [])

    def _get_context(self, component, source):
        context = super(Recording, self)._get_context(component, source)
        self._calls().append(("context", component["name"], dict(context)))
        return context

    def _add_data(self, component, resource_identifier, source):
        self._calls().append(("add", component["name"], resource_identifier, source))
        return super(Recording, self)._add_data(component, resource_identifier, source)

    def _register_components_in_location(self, components, resource_identifiers):
        self._calls().append(("register", [c["name"] for c in components],
                              list(resource_identifiers)))
        return super(Recording, self)._register_components_in_location(
            components, resource_identifiers)

    def _remove_data(self, component):
        self._calls().append(("remove", component["name"]))
        return super(Recording, self)._remove_data(component)


class RecordingMemory(Recording, ftrack_api.entity.location.MemoryLocationMixin):
    pass


class Tagging(ftrack_api.resource_identifier_transformer.base.ResourceIdentifierTransformer):
    def encode(self, resource_identifier, context=None):
        return "tag:" + resource_identifier

    def decode(self, resource_identifier, context=None):
        return resource_identifier[len("tag:"):]


def test_seams_are_called_with_official_arguments(session, origin, tmp_path):
    location = memory_location(session, tmp_path / "store", RecordingMemory)
    location.resource_identifier_transformer = Tagging(session)
    for frame in (1, 2):
        write(tmp_path / "seq" / "f.{0:02d}.png".format(frame), b"frame %d" % frame)
    sequence = session.create_component(str(tmp_path / "seq" / "f.%02d.png [1-2]"),
                                        location=location)
    calls = location._calls()
    structure = location.structure
    members = sorted(sequence["members"], key=lambda member: member["name"])
    expected_ids = [structure.get_resource_identifier(member) for member in members] + [
        structure.get_resource_identifier(sequence)]
    # Members come before their container, each through context, structure and data.
    assert [call[:2] for call in calls if call[0] != "register"] == [
        ("context", "01"), ("add", "01"), ("context", "02"), ("add", "02"),
        ("context", "main"), ("add", "main")]
    assert calls[0][2] == {"source_resource_identifier": str(tmp_path / "seq" / "f.01.png")}
    assert [call[2] for call in calls if call[0] == "add"] == expected_ids
    assert all(call[3] is origin for call in calls if call[0] == "add")
    # Registration gets the encoded identifiers; lookups decode them again.
    assert calls[-1] == ("register", ["01", "02", "main"], ["tag:" + i for i in expected_ids])
    assert location.get_resource_identifiers(members) == expected_ids[:2]

    del calls[:]
    location.remove_component(sequence)
    assert calls == [("remove", "01"), ("remove", "02"), ("remove", "main")]
    assert location._cache == {}


def test_lookups_during_a_transfer_are_batched(session, origin, tmp_path):
    location = memory_location(session, tmp_path / "store")
    for frame in range(1, 6):
        write(tmp_path / "seq" / "f.{0}.png".format(frame), b"x")
    sequence = session.create_component(str(tmp_path / "seq" / "f.%d.png [1-5]"), location=None)
    asked = []
    original = type(origin).get_resource_identifiers

    def counting(self, components):
        asked.append(len(list(components)))
        return original(self, components)

    origin.get_resource_identifiers = counting.__get__(origin)
    location.add_component(sequence, origin)
    # One lookup for the whole batch, none per member.
    assert asked == [6]
    assert location.get_component_availability(sequence) == 100.0


class SingleFormMemory(ftrack_api.entity.base._EntityBase, collections.abc.MutableMapping,
                       metaclass=ftrack_api.entity.base.DynamicEntityTypeMetaclass):
    """Registrations in memory the way a plugin written for the official client
    does it: only the single-component deregistration is overridden."""

    def _store(self):
        return self.__dict__.setdefault("_single_form_store", {})

    def _register_component_in_location(self, component, resource_identifier):
        self._store()[component["id"]] = resource_identifier

    def _register_components_in_location(self, components, resource_identifiers):
        for component, identifier in zip(components, resource_identifiers):
            self._register_component_in_location(component, identifier)

    def _deregister_component_in_location(self, component):
        self.__dict__.setdefault("_deregistered", []).append(component["name"])
        del self._store()[component["id"]]

    def _get_resource_identifiers(self, components):
        store = self._store()
        missing = [component for component in components if component["id"] not in store]
        if missing:
            raise ftrack_api.exception.ComponentNotInLocationError(missing, self)
        return [store[component["id"]] for component in components]


def test_subclass_overriding_only_single_deregistration(session, origin, tmp_path):
    location = memory_location(session, tmp_path / "store", SingleFormMemory)
    write(tmp_path / "pack" / "a.txt", b"a")
    write(tmp_path / "pack" / "b.txt", b"b")
    container = session.create_component(str(tmp_path / "pack"), location=location)
    assert len(location._store()) == 3
    with pytest.raises(ftrack_api.exception.ComponentInLocationError):
        location.add_component(container, origin)
    location.remove_component(container)
    assert location._store() == {}
    assert sorted(location.__dict__["_deregistered"]) == ["a", "b", "main"]
    assert location.__dict__["_deregistered"][-1] == "main"


def test_transfer_errors_are_location_errors(session, origin, tmp_path):
    location = memory_location(session, tmp_path / "store")
    component = session.create_component(write(tmp_path / "e.txt", b"e"), location=None)
    origin_accessor = origin.accessor
    origin.accessor = None
    try:
        with pytest.raises(ftrack_api.exception.LocationError) as raised:
            location.add_component(component, origin)
    finally:
        origin.accessor = origin_accessor
    message = str(raised.value)
    assert message.startswith("Failed to transfer component {0} data to location {1} due to "
                              "error:\n    No accessor defined for source location".format(
                                  component, location))
    assert message.endswith("Transferred component data that may require cleanup: []")
    assert raised.value.details["transferred"] == []

    location.structure = ftrack_api.structure.origin.OriginStructure()
    with pytest.raises(ftrack_api.exception.LocationError) as raised:
        location.add_component(component, "not a location")
    assert raised.value.details["component"] is component
    assert location._cache == {}


def test_existing_data_message(session, origin, tmp_path):
    location = memory_location(session, tmp_path / "store")
    component = session.create_component(write(tmp_path / "n.txt", b"new"), location=None)
    identifier = location.structure.get_resource_identifier(component)
    write(os.path.join(location.accessor.prefix, identifier), b"old")
    with pytest.raises(ftrack_api.exception.LocationError) as raised:
        location.add_component(component, origin)
    error = raised.value.details["error"]
    assert type(error) is ftrack_api.exception.LocationError
    assert str(error) == (
        "Cannot add component as data already exists and overwriting could result in data "
        "loss. Computed target resource identifier was: {0}".format(identifier))


def test_failed_removal_deregisters_what_was_removed(session, origin, tmp_path):
    location = memory_location(session, tmp_path / "store")
    first = session.create_component(write(tmp_path / "1.txt", b"1"), location=location)
    second = session.create_component(write(tmp_path / "2.txt", b"2"), location=location)
    os.remove(location.get_filesystem_path(second))
    with pytest.raises(ftrack_api.exception.AccessorResourceNotFoundError):
        location.remove_components([first, second])
    assert location.get_component_availabilities([first, second]) == [0.0, 100.0]
    with pytest.raises(ftrack_api.exception.ComponentNotInLocationError):
        location.remove_components([first])


def test_containers_are_removed_after_their_members(session, origin, tmp_path):
    location = memory_location(session, tmp_path / "store")
    write(tmp_path / "pack" / "a.txt", b"a")
    container = session.create_component(str(tmp_path / "pack"), location=location)
    folder = location.get_filesystem_path(container)
    assert os.listdir(folder) == [container["members"][0]["id"] + ".txt"]
    with pytest.raises(ftrack_api.exception.AccessorContainerNotEmptyError):
        location.remove_component(container, recursive=False)
    assert location.get_component_availability(container) == 100.0
    location.remove_component(container)
    assert not os.path.exists(folder)


def test_sequence_without_member_data_is_removed(session, origin, tmp_path):
    location = memory_location(session, tmp_path / "store")
    write(tmp_path / "s" / "f.1.png", b"1")
    sequence = session.create_component(str(tmp_path / "s" / "f.%d.png [1]"), location=None)
    location.add_component(sequence, origin, recursive=False)
    assert location.get_component_availability(sequence) == 0.0  # no member here
    location.remove_component(sequence, recursive=False)
    with pytest.raises(ftrack_api.exception.ComponentNotInLocationError):
        location.get_resource_identifier(sequence)


def test_unmanaged_mixin_never_touches_data(session, origin, tmp_path):
    location = memory_location(session, "",
                               ftrack_api.entity.location.MemoryLocationMixin,
                               ftrack_api.entity.location.UnmanagedLocationMixin)
    location.structure = ftrack_api.structure.origin.OriginStructure()
    path = write(tmp_path / "u.txt", b"u")
    component = session.create_component(path, location=location)
    assert location.get_filesystem_path(component) == path
    assert location._add_data(component, "anything", origin) is None
    assert location._remove_data(component) is None
    location.remove_component(component)
    assert os.path.exists(path)
    with pytest.raises(ftrack_api.exception.ComponentNotInLocationError):
        location.get_resource_identifier(component)


def test_locations_have_a_logger(session, origin, tmp_path):
    location = memory_location(session, tmp_path / "store")
    assert location.logger.name == "ftrack_api.entity.base." + type(location).__name__
    assert location.logger is location.logger
    assert origin.logger.name.endswith(".OriginLocation")
