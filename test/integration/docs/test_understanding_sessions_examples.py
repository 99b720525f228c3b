"""The "Understanding sessions" examples, run against the local server.

Each test follows one example of the documentation as written (in Python 3
syntax), with the server, credentials and plugin directory of the test.
"""

import logging
import textwrap
import uuid

import pytest

import ftrack_api
import ftrack_api.operation
import ftrack_api.symbol


def unique_name(prefix):
    return "{0}_{1}".format(prefix, uuid.uuid4().hex[:10])


@pytest.fixture
def session(ftrack_session):
    return ftrack_session


@pytest.fixture
def requests_sent(session):
    """List growing by one entry per HTTP request *session* sends."""
    sent = []
    post = session._request.post

    def counting_post(*args, **kwargs):
        sent.append(kwargs.get("data"))
        return post(*args, **kwargs)

    session._request.post = counting_post
    return sent


def test_connection_arguments(ftrack_server, ftrack_schema_cache_path):
    session = ftrack_api.Session(
        server_url=ftrack_server.url,
        api_key=ftrack_server.api_key,
        api_user=ftrack_server.api_user,
        schema_cache_path=ftrack_schema_cache_path,
    )
    try:
        assert session.server_url == ftrack_server.url
        assert session.api_user == ftrack_server.api_user
    finally:
        session.close()


def test_connection_from_environment(ftrack_server, ftrack_schema_cache_path, monkeypatch):
    monkeypatch.setenv("FTRACK_SERVER", ftrack_server.url)
    monkeypatch.setenv("FTRACK_API_KEY", ftrack_server.api_key)
    monkeypatch.setenv("FTRACK_API_USER", ftrack_server.api_user)
    monkeypatch.setenv("FTRACK_API_SCHEMA_CACHE_PATH", ftrack_schema_cache_path)
    session = ftrack_api.Session()
    try:
        assert session.server_url == ftrack_server.url
        assert session.query("User").first() is not None
    finally:
        session.close()


def test_transport_subclass(ftrack_server, ftrack_schema_cache_path, monkeypatch):
    monkeypatch.setenv("FTRACK_SERVER", ftrack_server.url)
    monkeypatch.setenv("FTRACK_API_KEY", ftrack_server.api_key)
    monkeypatch.setenv("FTRACK_API_USER", ftrack_server.api_user)
    monkeypatch.setenv("FTRACK_API_SCHEMA_CACHE_PATH", ftrack_schema_cache_path)
    import ftrack_api.transport

    class CountingTransport(ftrack_api.transport.HttpTransport):
        sent = 0

        def send(self, payload):
            CountingTransport.sent += 1
            return super().send(payload)

    class CountingSession(ftrack_api.Session):
        transport_class = CountingTransport

    with CountingSession() as counted:
        before = CountingTransport.sent
        counted.query("User").first()
        assert CountingTransport.sent == before + 1
    assert before >= 1  # the server information, asked on start


def test_unit_of_work(session):
    user = session.create("User", {})
    user["username"] = unique_name("martin")
    other_user = session.create("User", {"username": unique_name("bjorn")})
    other_user["email"] = "bjorn@example.com"

    operations = list(session.recorded_operations)
    for operation in operations:
        print(operation)
    assert [type(operation) for operation in operations] == [
        ftrack_api.operation.CreateEntityOperation,
        ftrack_api.operation.UpdateEntityOperation,
        ftrack_api.operation.CreateEntityOperation,
        ftrack_api.operation.UpdateEntityOperation,
    ]

    session.commit()
    assert len(session.recorded_operations) == 0
    found = session.query(
        'User where username is "{0}"'.format(other_user["username"])
    ).one()
    assert found["email"] == "bjorn@example.com"


def test_queries_are_issued_on_demand(session):
    user = session.create("User", {"username": unique_name("some_unique_username")})
    query = 'User where username is "{0}"'.format(user["username"])
    print(len(session.query(query)))
    assert len(session.query(query)) == 0
    session.commit()
    print(len(session.query(query)))
    assert len(session.query(query)) == 1


def test_query_results_keep_local_changes(session):
    user = session.query("User").first()
    user["email"] = "me@example.com"  # Not yet committed to server.
    retrieved = session.query('User where id is "{0}"'.format(user["id"])).one()
    print(retrieved["email"])  # Displays locally set value.
    assert retrieved["email"] == "me@example.com"
    print(retrieved is user)
    assert retrieved is user
    session.rollback()


def test_auto_population(session, requests_sent):
    user = session.query("User").first()
    del requests_sent[:]
    # The next command issues a request to fetch 'username' on demand.
    print(user["username"])
    assert len(requests_sent) == 1
    # On second access no server call is made.
    print(user["username"])
    assert len(requests_sent) == 1

    with session.auto_populating(False):
        print(user["email"])
        assert user["email"] is ftrack_api.symbol.NOT_SET


def test_entity_types(session):
    print(session.types.keys())
    for name in ("Task", "Shot", "TypedContext", "Sequence", "Priority", "Status",
                 "Project", "User", "Type", "ObjectType"):
        assert name in session.types
    entity = session.query("Project").first() or session.create(
        "Project", {"name": unique_name("p"), "full_name": "P"}
    )
    assert isinstance(entity, session.types["Project"])


def test_configuring_plugins(tmp_path, ftrack_server, ftrack_schema_cache_path):
    (tmp_path / "configure_locations.py").write_text(textwrap.dedent('''
        CALLS = []

        def configure_locations(event):
            """Configure locations for session."""
            session = event['data']['session']
            CALLS.append(session)

        def register(session):
            """Register plugin with *session*."""
            session.event_hub.subscribe(
                'topic=ftrack.api.session.configure-location',
                configure_locations
            )
            session.plugin_test_calls = CALLS
    '''))
    (tmp_path / "a_plugin.py").write_text(textwrap.dedent('''
        def register(session, reticulate_splines=False):
            """Register plugin with *session*."""
            session.reticulated = reticulate_splines
    '''))
    session = ftrack_api.Session(
        server_url=ftrack_server.url,
        api_key=ftrack_server.api_key,
        api_user=ftrack_server.api_user,
        schema_cache_path=ftrack_schema_cache_path,
        plugin_paths=[str(tmp_path)],
        plugin_arguments={"reticulate_splines": True, "some_other_argument": 42},
    )
    try:
        assert session.reticulated is True
        assert session.plugin_test_calls == [session]
    finally:
        session.close()


def test_detailed_plugin_setup(tmp_path, ftrack_server, ftrack_schema_cache_path,
                               monkeypatch, caplog):
    (tmp_path / "example_plugin.py").write_text(textwrap.dedent('''
        import logging

        import ftrack_api


        def register(session, **kw):
            """Register plugin: called when used as an event plugin."""
            logger = logging.getLogger('com.example.example-plugin')
            # Validate that session is an instance of ftrack_api.Session. If
            # not, assume that register is being called from an old or
            # incompatible API and return without doing anything.
            if not isinstance(session, ftrack_api.session.Session):
                logger.debug(
                    'Not subscribing plugin as passed argument {0!r} is not '
                    'an ftrack_api.Session instance.'.format(session)
                )
                return
            logger.debug('Plugin registered')
    '''))
    logging.basicConfig()
    plugin_logger = logging.getLogger("com.example.example-plugin")
    plugin_logger.setLevel(logging.DEBUG)

    plugin_paths = [str(tmp_path)]
    with caplog.at_level(logging.DEBUG, logger="com.example.example-plugin"):
        session = ftrack_api.Session(
            server_url=ftrack_server.url,
            api_key=ftrack_server.api_key,
            api_user=ftrack_server.api_user,
            schema_cache_path=ftrack_schema_cache_path,
            plugin_paths=plugin_paths,
        )
        session.close()
    assert ("com.example.example-plugin", logging.DEBUG, "Plugin registered") in (
        caplog.record_tuples
    )

    # The same through FTRACK_EVENT_PLUGIN_PATH, with several directories.
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("FTRACK_EVENT_PLUGIN_PATH",
                       "{0}:{1}".format(other, tmp_path))
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="com.example.example-plugin"):
        session = ftrack_api.Session(
            server_url=ftrack_server.url,
            api_key=ftrack_server.api_key,
            api_user=ftrack_server.api_user,
            schema_cache_path=ftrack_schema_cache_path,
        )
        session.close()
    assert [message for _, _, message in caplog.record_tuples] == ["Plugin registered"]
