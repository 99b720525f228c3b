"""The server accessor's URLs, the entity classes chosen for locations and
components, and the centralized storage scenario, without a server."""

import sys

import pytest

import ftrack_api._centralized_storage_scenario as centralized
import ftrack_api.accessor.server
import ftrack_api.entity.asset_version
import ftrack_api.entity.component
import ftrack_api.entity.location
import ftrack_api.event.base
import ftrack_api.exception
import ftrack_api.symbol as symbol


@pytest.fixture
def session(located_session):
    return located_session


def test_urls_carry_credentials_in_the_query(session):
    session._api_key = "key+with/odd=chars"
    accessor = ftrack_api.accessor.server.ServerAccessor(session)
    assert accessor.get_url("abc") == (
        "http://offline.invalid/component/get?id=abc&username=offline&apiKey=key+with/odd=chars")
    assert accessor._url("get", "abc") == (
        "http://offline.invalid/component/get?id=abc&username=offline&apiKey=key%2Bwith%2Fodd%3Dchars")
    assert accessor.get_thumbnail_url("abc") == (
        "http://offline.invalid/component/thumbnail?id=abc&username=offline"
        "&apiKey=key+with/odd=chars")
    assert accessor.get_thumbnail_url("abc", size=300).endswith("&size=300")
    assert accessor.exists("abc") is False
    assert accessor.make_container("abc") is None
    assert accessor.get_container("abc") is None
    for operation in ("list", "is_file", "is_container", "is_sequence"):
        with pytest.raises(NotImplementedError):
            getattr(accessor, operation)("abc")
    assert ftrack_api.accessor.server._ServerAccessor is ftrack_api.accessor.server.ServerAccessor


def test_server_location_urls_need_the_component_registered(session):
    server = session.get("Location", symbol.SERVER_LOCATION_ID)
    component = session.create("FileComponent", {"name": "x"})
    ftrack_api.mixin(server, ftrack_api.entity.location.MemoryLocationMixin)
    server._register_components_in_location([component], [component["id"]])
    assert server.get_url(component) == server.accessor.get_url(component["id"])
    assert server.get_thumbnail_url(component, size=50) == server.accessor.get_thumbnail_url(
        component["id"], 50)
    assert server.structure.get_resource_identifier(component) == component["id"]


def test_classes_chosen_per_type(session):
    assert issubclass(session.types["Location"], ftrack_api.entity.location.Location)
    for name in ("FileComponent", "SequenceComponent", "ContainerComponent", "NoteComponent"):
        assert issubclass(session.types[name], ftrack_api.entity.component.Component)
    assert issubclass(session.types["AssetVersion"], ftrack_api.entity.asset_version.AssetVersion)
    for name in ("Task", "Project", "AssetVersion", "User", "Shot"):
        assert issubclass(session.types[name], ftrack_api.entity.component.CreateThumbnailMixin)
    assert not issubclass(session.types["Status"], ftrack_api.entity.component.CreateThumbnailMixin)


def test_location_defaults(session):
    location = session.create("Location", {"name": "test.new"})
    assert location.accessor is symbol.NOT_SET
    assert location.structure is symbol.NOT_SET
    assert location.resource_identifier_transformer is symbol.NOT_SET
    assert location.priority == 95
    assert str(location) == '<Location("test.new", {0})>'.format(location["id"])


def scenario_event(data):
    return ftrack_api.event.base.Event(topic="ftrack.storage-scenario.activate", data={
        "storage_scenario": {"scenario": centralized.scenario_name, "data": data}})


def test_centralized_storage_scenario_configures_location(session, tmp_path):
    mounts = {"linux": str(tmp_path / "l"), "osx": str(tmp_path / "o"), "windows": str(tmp_path / "w")}
    centralized.register(session)
    session.event_hub.publish(scenario_event({
        "location_id": "0000cccc-1111-2222-3333-444455556666", "location_name": "studio.central",
        "accessor": {"mount_points": mounts}}), synchronous=True)
    location = session.get("Location", "0000cccc-1111-2222-3333-444455556666")
    expected = {"win32": mounts["windows"], "darwin": mounts["osx"]}.get(sys.platform, mounts["linux"])
    assert location["name"] == "studio.central"
    assert location.accessor.prefix == expected
    assert location.priority == 1
    assert type(location.structure).__name__ == "StandardStructure"


def test_centralized_storage_scenario_without_keys(session):
    handler = centralized.ActivateCentralizedStorageScenario()
    handler.session = session
    for data in ({}, {"location_id": "x", "location_name": "y"}, {"accessor": {}}):
        with pytest.raises(ftrack_api.exception.LocationError):
            handler.activate(scenario_event(data))


def test_other_scenarios_are_not_handled(session):
    centralized.register(session)
    session.event_hub.publish(ftrack_api.event.base.Event(
        topic="ftrack.storage-scenario.activate",
        data={"storage_scenario": {"scenario": "ftrack.automatic", "data": {}}}), synchronous=True)
    assert [entity for entity in session._local_cache.values()
            if entity.entity_type == "Location" and not entity["name"].startswith("ftrack.")] == []


def test_centralized_storage_verify_startup(session, tmp_path):
    handler = centralized.ActivateCentralizedStorageScenario()
    handler.session = session

    def verify(data):
        return handler.verify_startup(ftrack_api.event.base.Event(
            topic="ftrack.connect.verify-startup",
            data={"storage_scenario": {"scenario": centralized.scenario_name, "data": data}}))

    everywhere = {key: str(tmp_path) for key in ("linux", "osx", "windows")}
    assert verify({"accessor": {"mount_points": everywhere}}) is None
    missing = {key: str(tmp_path / "absent") for key in everywhere}
    assert "cannot be reached" in verify({"accessor": {"mount_points": missing}})
    assert "not configured" in verify({})
    centralized.register(session)
    replies = session.event_hub.publish(ftrack_api.event.base.Event(
        topic="ftrack.connect.verify-startup",
        data={"storage_scenario": {"scenario": centralized.scenario_name,
                                   "data": {"accessor": {"mount_points": missing}}}}),
        synchronous=True)
    assert any("cannot be reached" in (reply or "") for reply in replies)
