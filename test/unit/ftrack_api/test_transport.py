"""The transport seam: HttpTransport against a small local HTTP stand-in (what it
sends, how it maps the server's answers and failures to exceptions), and
sessions whose transport_class names another transport."""

import http.server
import json
import socket
import threading

import pytest

import ftrack_api.exception
import ftrack_api.session
import ftrack_api.transport


class Stand(http.server.BaseHTTPRequestHandler):
    """Answers every POST with the server's next (status, body); records the requests."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append((self.path, dict(self.headers), body))
        status, answer = self.server.answers.pop(0)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def stand():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stand)
    httpd.requests = []
    httpd.answers = []
    httpd.url = "http://127.0.0.1:{0}".format(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def transport_for(stand, **options):
    transport = ftrack_api.transport.HttpTransport(stand.url + "/", "jane", "s3cret", **options)
    return transport


def test_posts_the_batch_with_credentials_headers_and_cookies(stand):
    stand.answers.append((200, b'[{"version": "dev"}]'))
    transport = transport_for(stand, headers={"x-site": "north"}, cookies={"route": "b2"},
                              strict_api=True)
    answer = transport.send([{"action": "query_server_information"}])

    assert answer == b'[{"version": "dev"}]'
    ((path, headers, body),) = stand.requests
    assert path == "/api"
    assert json.loads(body) == [{"action": "query_server_information"}]
    assert headers["ftrack-user"] == "jane"
    assert headers["ftrack-api-key"] == "s3cret"
    assert headers["ftrack-strict-api"] == "true"
    assert headers["x-site"] == "north"
    assert headers["Cookie"] == "route=b2"
    assert transport.cookies == {"route": "b2"}


def test_text_and_bytes_payloads_are_sent_as_given(stand):
    stand.answers.extend([(200, b"[1]"), (200, b"[2]")])
    transport = transport_for(stand)
    assert transport.send('[{"action": "a"}]') == b"[1]"
    assert transport.send(b'[{"action": "b"}]') == b"[2]"
    assert [body for _, _, body in stand.requests] == [b'[{"action": "a"}]', b'[{"action": "b"}]']


@pytest.mark.parametrize("status", [200, 400])
def test_error_envelopes_become_server_errors(stand, status):
    envelope = {"exception": "ValidationError", "content": "name is required", "error_code": None}
    stand.answers.append((status, json.dumps(envelope).encode()))
    with pytest.raises(ftrack_api.exception.ServerError) as raised:
        transport_for(stand).send([{"action": "create"}])
    assert str(raised.value) == "Server reported error: ValidationError(name is required)"


def test_error_status_without_envelope_is_a_server_error(stand):
    stand.answers.append((502, b'{"detail": "upstream"}'))
    with pytest.raises(ftrack_api.exception.ServerError, match="502 Server Error"):
        transport_for(stand).send([{"action": "query"}])


def test_answer_that_is_not_json_is_a_server_error(stand):
    stand.answers.append((200, b"<html>maintenance</html>"))
    with pytest.raises(ftrack_api.exception.ServerError,
                       match="unexpected format. Raw error was: <html>maintenance</html>"):
        transport_for(stand).send([{"action": "query"}])


def test_unreachable_server_is_a_connection_error():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there any more
    transport = ftrack_api.transport.HttpTransport("http://127.0.0.1:{0}".format(port), "jane", "s3cret")
    with pytest.raises(ftrack_api.exception.ServerConnectionError) as raised:
        transport.send([{"action": "query_server_information"}])
    assert "s3cret" not in str(raised.value)


def test_silent_server_is_a_timeout():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        transport = ftrack_api.transport.HttpTransport(
            "http://127.0.0.1:{0}".format(silent.getsockname()[1]), "jane", "s3cret", timeout=0.3)
        with pytest.raises(ftrack_api.exception.ServerTimeoutError, match="did not answer within 0.3 seconds"):
            transport.send([{"action": "query_server_information"}])


def test_closed_transport_sends_nothing(stand):
    transport = transport_for(stand)
    transport.close()
    with pytest.raises(ftrack_api.exception.ConnectionClosedError):
        transport.http
    with pytest.raises(ftrack_api.exception.ConnectionClosedError):
        transport.send([{"action": "query_server_information"}])
    assert stand.requests == []


def test_payloads_in_every_form_give_the_same_body():
    operations = [{"action": "query", "expression": "select id from User"}]
    text = json.dumps(operations)
    body_of = ftrack_api.transport.Transport.body_of
    assert body_of(operations) == body_of(text) == body_of(text.encode("utf-8")) == text.encode("utf-8")


def test_the_base_transport_sends_nothing():
    transport = ftrack_api.transport.Transport("http://example.invalid", "jane", "s3cret")
    with pytest.raises(NotImplementedError):
        transport.send("[]")


# -- sessions and their transport -------------------------------------------------


def test_sessions_use_http_by_default():
    assert ftrack_api.session.Session.transport_class is ftrack_api.transport.HttpTransport


def recording_session_class(offline_class, offline_transport_class):
    """An offline session class whose transport keeps the actions of every batch."""

    class RecordingTransport(offline_transport_class):
        def __init__(self, *args, **kwargs):
            super(RecordingTransport, self).__init__(*args, **kwargs)
            self.batches = []

        def send(self, payload):
            self.batches.append([operation["action"] for operation in json.loads(payload)])
            return super(RecordingTransport, self).send(payload)

    return type("RecordingSession", (offline_class,), {"transport_class": RecordingTransport})


def test_a_session_subclass_swaps_its_transport(offline_session):
    session_class = recording_session_class(type(offline_session), type(offline_session._transport))
    session = session_class(timeout=7, headers={"x-site": "north"}, strict_api=True)
    transport = session._transport
    assert isinstance(transport, session_class.transport_class)
    assert transport.batches == [["query_server_information", "query_schemas"]]
    assert (transport.server_url, transport.api_user, transport.api_key) == (
        "http://offline.invalid", "offline", "offline")
    assert transport.headers == {"x-site": "north"} and transport.strict_api
    assert transport.timeout == session.request_timeout == 7
    assert "Task" in session.types

    assert session.call([{"action": "query_server_information"}])[0]["version"] == "dev"
    assert transport.batches[-1] == ["query_server_information"]
    session.close()


def test_session_settings_reach_the_transport(offline_session):
    assert offline_session.request_timeout == 60
    offline_session.request_timeout = 2.5
    assert offline_session._transport.timeout == 2.5
    offline_session._server_url = "http://elsewhere.invalid"
    assert offline_session._transport.server_url == "http://elsewhere.invalid"
    assert offline_session.server_url == "http://elsewhere.invalid"


def test_transport_without_http_has_no_request_session(offline_session):
    with pytest.raises(AttributeError):
        offline_session._request


def test_transport_errors_reach_the_caller(offline_session):
    with pytest.raises(AssertionError, match="Offline session cannot send"):
        offline_session.call([{"action": "query", "expression": "select id from User"}])


def test_a_closed_session_sends_nothing(offline_session):
    offline_session.close()
    with pytest.raises(ftrack_api.exception.ConnectionClosedError):
        offline_session.call([{"action": "query_server_information"}])
