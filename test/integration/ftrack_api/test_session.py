"""Session behaviour against the local server."""

import hashlib
import json
import os
import textwrap

import pytest

import ftrack_api
import ftrack_api.cache
import ftrack_api.event.base
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.symbol

from client_helpers import RequestCounter, unique_name


def _clear_environment(monkeypatch):
    for name in (
        "FTRACK_SERVER",
        "FTRACK_API_KEY",
        "FTRACK_APIKEY",
        "FTRACK_API_USER",
        "FTRACK_EVENT_PLUGIN_PATH",
        "FTRACK_API_SCHEMA_CACHE_PATH",
    ):
        monkeypatch.delenv(name, raising=False)


def test_session_from_environment(monkeypatch, ftrack_server, tmp_path):
    _clear_environment(monkeypatch)
    monkeypatch.setenv("FTRACK_SERVER", ftrack_server.url + "/")
    monkeypatch.setenv("FTRACK_API_KEY", ftrack_server.api_key)
    monkeypatch.setenv("FTRACK_API_USER", ftrack_server.api_user)
    monkeypatch.setenv("FTRACK_API_SCHEMA_CACHE_PATH", str(tmp_path))

    with ftrack_api.Session() as session:
        assert session.server_url == ftrack_server.url
        assert session.api_user == ftrack_server.api_user
        assert session.api_key == ftrack_server.api_key
        assert session.query("User").first() is not None

    assert os.path.isfile(str(tmp_path / "ftrack_api_schema_cache.json"))


def test_legacy_api_key_variable(monkeypatch, ftrack_server, tmp_path):
    _clear_environment(monkeypatch)
    monkeypatch.setenv("FTRACK_SERVER", ftrack_server.url)
    monkeypatch.setenv("FTRACK_APIKEY", ftrack_server.api_key)
    monkeypatch.setenv("FTRACK_API_USER", ftrack_server.api_user)

    with ftrack_api.Session(schema_cache_path=str(tmp_path)) as session:
        assert session.api_key == ftrack_server.api_key


def test_api_user_falls_back_to_login_name(monkeypatch, ftrack_server, tmp_path):
    _clear_environment(monkeypatch)
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOGNAME", ftrack_server.api_user)

    with ftrack_api.Session(
        server_url=ftrack_server.url,
        api_key=ftrack_server.api_key,
        schema_cache_path=str(tmp_path),
    ) as session:
        assert session.api_user == ftrack_server.api_user


def test_missing_server_url(monkeypatch):
    _clear_environment(monkeypatch)
    with pytest.raises(TypeError):
        ftrack_api.Session(api_key="key", api_user="user")


def test_missing_api_key(monkeypatch):
    _clear_environment(monkeypatch)
    with pytest.raises(TypeError):
        ftrack_api.Session(server_url="http://127.0.0.1:1", api_user="user")


def test_wrong_api_key_raises_server_error(ftrack_server, tmp_path):
    with pytest.raises(ftrack_api.exception.ServerError) as error:
        ftrack_api.Session(
            server_url=ftrack_server.url,
            api_user=ftrack_server.api_user,
            api_key="not-a-valid-key",
            schema_cache_path=str(tmp_path),
        )
    assert str(error.value).startswith("Server reported error: ")


def test_server_error_message(ftrack_session):
    with pytest.raises(ftrack_api.exception.ServerError) as error:
        ftrack_session.call([{"action": "no_such_action"}])
    assert str(error.value) == (
        "Server reported error: InvalidActionError(Invalid action u'no_such_action')"
    )


def test_invalid_action_maps_to_compatibility_error(ftrack_session):
    with pytest.raises(ftrack_api.exception.ServerCompatibilityError):
        ftrack_session._call_action("no_such_action", [{"action": "no_such_action"}])


def test_closed_session(ftrack_server, new_session):
    session = new_session()
    assert session.closed is False
    session.close()
    assert session.closed is True
    with pytest.raises(ftrack_api.exception.ConnectionClosedError):
        session.query("Project").first()
    # Closing twice is harmless.
    session.close()


def test_context_manager_closes(new_session):
    with new_session() as session:
        assert session.query("User").first() is not None
    assert session.closed


def test_server_information(ftrack_session):
    information = ftrack_session.server_information
    assert "version" in information
    assert "schema_hash" in information


@pytest.mark.parametrize(
    "version, compatible",
    [
        ("dev", True),
        ("3.4", True),
        ("4.13.0", True),
        ("3.3.11", True),
        ("3.3.10", False),
        ("2.0.0-beta", False),
        (None, False),
    ],
)
def test_check_server_compatibility(ftrack_session, version, compatible):
    original = ftrack_session._server_information
    information = dict(original)
    if version is None:
        information.pop("version", None)
    else:
        information["version"] = version
    ftrack_session._server_information = information
    try:
        if compatible:
            ftrack_session.check_server_compatibility()
        else:
            with pytest.raises(ftrack_api.exception.ServerCompatibilityError):
                ftrack_session.check_server_compatibility()
    finally:
        ftrack_session._server_information = original


def test_types(ftrack_session):
    for name in ("Project", "Task", "User", "Metadata", "Note"):
        assert name in ftrack_session.types
    assert issubclass(ftrack_session.types["Task"], ftrack_api.entity.base.Entity)
    assert repr(ftrack_session.types["Task"]) == "<dynamic ftrack class 'Task'>"


class _RecordingSession(ftrack_api.Session):
    """Session recording the actions it sends (every request passes ``call``)."""

    def call(self, data):
        actions = getattr(self, "actions", None)
        if actions is None:
            actions = self.actions = []
        actions.extend(operation.get("action") for operation in data)
        return super(_RecordingSession, self).call(data)


def test_schema_cache(ftrack_server, tmp_path):
    arguments = dict(
        server_url=ftrack_server.url,
        api_user=ftrack_server.api_user,
        api_key=ftrack_server.api_key,
        schema_cache_path=str(tmp_path),
    )
    with _RecordingSession(**arguments) as session:
        assert "query_schemas" in session.actions
        server_hash = session.server_information["schema_hash"]

    path = tmp_path / "ftrack_api_schema_cache.json"
    with open(str(path)) as handle:
        schemas = json.load(handle)
    assert (
        hashlib.md5(json.dumps(schemas, sort_keys=True).encode("utf-8")).hexdigest()
        == server_hash
    )

    with _RecordingSession(**arguments) as session:
        assert "query_schemas" not in session.actions
        assert "Task" in session.types

    # A stale cache is replaced.
    with open(str(path), "w") as handle:
        json.dump(schemas[:3], handle)
    with _RecordingSession(**arguments) as session:
        assert "query_schemas" in session.actions
        assert "Task" in session.types


def test_schema_cache_disabled(ftrack_server, tmp_path, monkeypatch):
    monkeypatch.setenv("FTRACK_API_SCHEMA_CACHE_PATH", str(tmp_path))
    with _RecordingSession(
        server_url=ftrack_server.url,
        api_user=ftrack_server.api_user,
        api_key=ftrack_server.api_key,
        schema_cache_path=False,
    ) as session:
        assert "query_schemas" in session.actions
    assert not os.listdir(str(tmp_path))


def test_cache_configuration(new_session):
    calls = []

    def cache_maker(session):
        calls.append(session)
        return ftrack_api.cache.MemoryCache()

    session = new_session(cache=cache_maker)
    assert calls == [session]
    assert isinstance(session.cache, ftrack_api.cache.LayeredCache)
    assert isinstance(session.cache.caches[0], ftrack_api.cache.MemoryCache)
    assert len(session.cache.caches) == 2

    user = session.query("User").first()
    key = session.cache_key_maker.key(ftrack_api.inspection.identity(user))
    assert session.cache.caches[1].get(key) is user

    # A callable returning None adds nothing.
    session = new_session(cache=lambda session: None)
    assert len(session.cache.caches) == 1


def test_serialised_file_cache(new_session, tmp_path):
    path = str(tmp_path / "cache.dbm")

    def cache_maker(session):
        return ftrack_api.cache.SerialisedCache(
            ftrack_api.cache.FileCache(path),
            encode=session.encode,
            decode=session.decode,
        )

    first = new_session(cache=cache_maker)
    user = first.query("select id, username from User").first()
    user_id, username = user["id"], user["username"]
    first.close()

    second = new_session(cache=cache_maker)
    counter = RequestCounter(second)
    with second.auto_populating(False):
        cached = second.get("User", user_id)
        assert cached["username"] == username
    assert counter.count == 0


def test_plugin_discovery(new_session, tmp_path, monkeypatch):
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        textwrap.dedent(
            """
            REGISTERED = []

            def register(session, reticulate_splines=False):
                session.plugin_registered = reticulate_splines
                session.event_hub.subscribe(
                    'topic=ftrack.api.session.ready',
                    lambda event: setattr(
                        event['data']['session'], 'ready_seen', True
                    )
                )
            """
        )
    )
    session = new_session(
        plugin_paths=[str(tmp_path)],
        plugin_arguments={"reticulate_splines": True, "other": 42},
    )
    assert session.plugin_registered is True
    assert session.ready_seen is True

    monkeypatch.setenv("FTRACK_EVENT_PLUGIN_PATH", str(tmp_path))
    session = new_session()
    assert session.plugin_registered is False


def test_construct_entity_type_plugin(new_session, tmp_path):
    plugin = tmp_path / "construct_entity_type.py"
    plugin.write_text(
        textwrap.dedent(
            """
            import ftrack_api.entity.base
            import ftrack_api.entity.factory


            class CustomUser(ftrack_api.entity.base.Entity):
                '''Represent user.'''

                def get_full_name(self):
                    '''Return full name for user.'''
                    return '{0} {1}'.format(
                        self['first_name'], self['last_name']
                    ).strip()


            class Factory(ftrack_api.entity.factory.StandardFactory):
                '''Entity class factory.'''

                def create(self, schema, bases=None):
                    '''Create and return entity class from *schema*.'''
                    if bases is None:
                        bases = [ftrack_api.entity.base.Entity]
                    if schema['id'] == 'User':
                        bases = [CustomUser]
                    cls = super(Factory, self).create(schema, bases=bases)
                    if schema['id'] == 'User':
                        cls.default_projections = ['id', 'username']
                    return cls


            def register(session):
                factory = Factory()

                def construct_entity_type(event):
                    schema = event['data']['schema']
                    return factory.create(schema)

                session.event_hub.subscribe(
                    'topic=ftrack.api.session.construct-entity-type',
                    construct_entity_type
                )
            """
        )
    )
    session = new_session(plugin_paths=[str(tmp_path)])
    user_class = session.types["User"]
    assert repr(user_class) == "<dynamic ftrack class 'User'>"
    assert repr(user_class.__mro__[1]) == "<dynamic ftrack class 'CustomUser'>"
    # The standard user behaviour is kept.
    assert hasattr(user_class, "start_timer")

    user = session.query("User").first()
    with session.auto_populating(False):
        assert user["username"] is not ftrack_api.symbol.NOT_SET
        assert user["first_name"] is ftrack_api.symbol.NOT_SET
    assert isinstance(user.get_full_name(), str)


def test_reset(ftrack_session):
    seen = []
    ftrack_session.event_hub.subscribe(
        "topic=ftrack.api.session.reset", lambda event: seen.append(event)
    )
    user = ftrack_session.query("User").first()
    ftrack_session.create("User", {"username": unique_name()})
    ftrack_session.reset()
    assert len(ftrack_session.recorded_operations) == 0
    assert len(seen) == 1
    again = ftrack_session.query("User where id is {0}".format(user["id"])).one()
    assert again is not user


def test_call(ftrack_session):
    result = ftrack_session.call(
        [{"action": "query", "expression": "select id from User limit 1"}]
    )
    assert result[0]["action"] == "query"
    assert isinstance(result[0]["data"][0], ftrack_session.types["User"])


def test_encode_decode_roundtrip(ftrack_session):
    user = ftrack_session.query("select id, username from User").first()
    encoded = ftrack_session.encode(user)
    data = json.loads(encoded)
    assert data["__entity_type__"] == "User"
    assert data["username"] == user["username"]

    decoded = ftrack_session.decode(encoded)
    assert decoded is not user
    assert decoded == user
    assert decoded["username"] == user["username"]


def test_reset_remote(ftrack_session, new_user):
    first = new_user.reset_api_key()
    second = ftrack_session.reset_remote("api_key", entity=new_user)["api_key"]
    assert first and second and first != second


def test_auto_populating_context(ftrack_session):
    assert ftrack_session.auto_populate is True
    with ftrack_session.auto_populating(False):
        assert ftrack_session.auto_populate is False
        with ftrack_session.auto_populating(True):
            assert ftrack_session.auto_populate is True
        assert ftrack_session.auto_populate is False
    assert ftrack_session.auto_populate is True


def test_operation_recording_context(ftrack_session):
    user = ftrack_session.query("User").first()
    with ftrack_session.operation_recording(False):
        user["email"] = "not-recorded@example.com"
    assert len(ftrack_session.recorded_operations) == 0
    assert ftrack_session.record_operations is True


def test_created_modified_deleted(ftrack_session, new_user):
    created = ftrack_session.create("User", {"username": unique_name()})
    new_user["email"] = "modified@example.com"
    other = ftrack_session.query(
        "User where id is_not {0}".format(new_user["id"])
    ).first()
    ftrack_session.delete(other)
    assert ftrack_session.created == [created]
    assert ftrack_session.modified == [new_user]
    assert ftrack_session.deleted == [other]
    ftrack_session.rollback()


def test_location_helpers_available(ftrack_session):
    assert ftrack_session.pick_location()["name"] == "ftrack.unmanaged"
    # A path that does not exist (yet) gives a component of size 0,
    # registered where the path is recorded without transferring data.
    component = ftrack_session.create_component("/nonexistent/file.txt")
    assert component["size"] == 0
    unmanaged = ftrack_session.pick_location()
    assert unmanaged.get_resource_identifier(component) == "/nonexistent/file.txt"


def test_merge_entity_of_other_session(ftrack_session, new_session):
    other = new_session()
    foreign = other.query("select id, username from User").first()
    merged = ftrack_session.merge(foreign)
    assert merged is not foreign
    assert merged.session is ftrack_session
    assert foreign.session is other
    assert merged["username"] == foreign["username"]
    assert ftrack_session.merge(foreign) is merged
