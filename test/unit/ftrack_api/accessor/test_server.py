"""The server accessor and ServerFile against small local HTTP stand-ins: lazy
reads, uploads (also of empty data), removal, and failures (timeouts, HTTP
errors) raised as AccessorOperationFailedError with the official messages."""

import base64
import hashlib
import http.server
import json
import socket
import threading
import time
import urllib.parse

import pytest

import ftrack_api.accessor.server as server
import ftrack_api.exception

API_KEY = "s3cret+key/with=odd"


@pytest.fixture
def session(offline_session):
    offline_session._api_key = API_KEY
    offline_session.request_timeout = 5
    return offline_session


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers like the server's component routes; records every request."""

    def log_message(self, *args):
        pass

    def _answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        self.server.requests.append(("GET", url.path, query, b""))
        stored = self.server.blobs.get(query.get("id"))
        if url.path == "/component/get" and stored is not None:
            self._answer(200, stored, "application/octet-stream")
        elif url.path == "/component/remove":
            self.server.blobs.pop(query.get("id"), None)
            self._answer(200, b"{}")
        else:
            self._answer(404, json.dumps({"exception": "NotFoundError",
                                          "content": "No data is stored."}).encode())

    def do_PUT(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append(("PUT", url.path, dict(self.headers), body))
        self.server.blobs[url.query] = body
        self._answer(200, b"{}")


@pytest.fixture
def recorder(session):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.requests = []
    httpd.blobs = {}
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    session._server_url = "http://127.0.0.1:{0}".format(httpd.server_address[1])
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def silent(session):
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    session._server_url = "http://127.0.0.1:{0}".format(listener.getsockname()[1])
    yield session.server_url
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def upload_metadata_from(recorder, calls):
    def get_upload_metadata(component_id, file_name, file_size, checksum=None):
        calls.append(dict(component_id=component_id, file_name=file_name,
                          file_size=file_size, checksum=checksum))
        return {"url": "http://127.0.0.1:{0}/component/upload?{1}".format(
            recorder.server_address[1], component_id), "headers": {"X-Signed": "yes"}}
    return get_upload_metadata


def test_read_is_lazy_and_remove_asks_the_server(session, recorder):
    recorder.blobs["abc"] = b"stored bytes"
    accessor = server.ServerAccessor(session)
    data = accessor.open("abc", "rb")
    assert recorder.requests == []  # nothing is fetched before the first read
    assert data.read(6) == b"stored"
    assert data.read() == b" bytes"
    data.close()
    method, path, query, _ = recorder.requests[0]
    assert (method, path, query) == ("GET", "/component/get",
                                     {"id": "abc", "username": "offline", "apiKey": API_KEY})

    accessor.remove("abc")
    assert recorder.requests[-1][:3] == ("GET", "/component/remove", query)
    assert "abc" not in recorder.blobs
    data = accessor.open("abc", "rb")  # opening still works: the read fails
    with pytest.raises(ftrack_api.exception.AccessorOperationFailedError) as raised:
        data.read()
    message = str(raised.value)
    assert message.startswith("Operation Failed to read data: 404 Client Error")
    assert "No data is stored." in message
    assert API_KEY not in message and urllib.parse.quote_plus(API_KEY) not in message
    assert raised.value.details["operation"].startswith("Failed to read data: ")


def test_remove_container_removes_through_the_server(session, recorder):
    server.ServerAccessor(session).remove_container("container-id")
    assert recorder.requests[-1][1:3] == ("/component/remove", {
        "id": "container-id", "username": "offline", "apiKey": API_KEY})


def test_write_uploads_with_the_metadata(session, recorder, monkeypatch):
    calls = []
    monkeypatch.setattr(session, "get_upload_metadata", upload_metadata_from(recorder, calls))
    component = session.create("FileComponent", {"name": "plate", "file_type": ".exr"})
    data = server.ServerAccessor(session).open(component["id"], "wb")
    data.write(b"pixels")
    assert data.read() == b""  # a file opened for writing is not downloaded
    data.close()
    assert calls == [dict(component_id=component["id"], file_name="plate.exr", file_size=6,
                          checksum=base64.b64encode(hashlib.md5(b"pixels").digest()).decode())]
    put = [request for request in recorder.requests if request[0] == "PUT"]
    assert len(put) == 1 and put[0][3] == b"pixels" and put[0][2]["X-Signed"] == "yes"
    assert not [request for request in recorder.requests if request[1] == "/component/get"]


def test_empty_file_is_uploaded_once(session, recorder, monkeypatch):
    calls = []
    monkeypatch.setattr(session, "get_upload_metadata", upload_metadata_from(recorder, calls))
    component = session.create("FileComponent", {"name": "empty", "file_type": ""})
    data = server.ServerAccessor(session).open(component["id"], "wb")
    data.close()
    data.close()
    assert [call["file_size"] for call in calls] == [0]
    assert calls[0]["file_name"] == "empty"
    assert recorder.blobs[component["id"]] == b""


def test_upload_failures(session, recorder, monkeypatch):
    accessor = server.ServerAccessor(session)
    monkeypatch.setattr(session, "get", lambda entity_type, identifier: None)
    data = accessor.open("unknown-id", "wb")
    data.write(b"x")
    with pytest.raises(ftrack_api.exception.AccessorOperationFailedError) as raised:
        data.flush()
    assert raised.value.details["operation"] == "Unable to retrieve component with id: unknown-id."
    data.abort()
    monkeypatch.undo()

    def refuse(**kw):
        raise ftrack_api.exception.ServerError("quota exceeded")

    monkeypatch.setattr(session, "get_upload_metadata", refuse)
    component = session.create("FileComponent", {"name": "x", "file_type": ".bin"})
    data = accessor.open(component["id"], "wb")
    data.write(b"x")
    with pytest.raises(ftrack_api.exception.AccessorOperationFailedError,
                       match="Failed to get put metadata: .*quota exceeded"):
        data.close()


def test_timeouts_are_operation_failures(session, silent, monkeypatch):
    session.request_timeout = 0.3
    accessor = server.ServerAccessor(session)
    # The timeout in force when the accessor (or file) was made is used.
    session.request_timeout = 60
    assert accessor._timeout == 0.3 and accessor.session is session
    started = time.monotonic()
    with pytest.raises(ftrack_api.exception.AccessorOperationFailedError,
                       match="Failed to remove file: .*timed out"):
        accessor.remove("abc")

    session.request_timeout = 0.3
    data = accessor.open("abc", "rb")
    assert data._timeout == 0.3
    with pytest.raises(ftrack_api.exception.AccessorOperationFailedError,
                       match="Failed to read data: .*timed out"):
        data.read()

    component = session.create("FileComponent", {"name": "x", "file_type": ".bin"})
    monkeypatch.setattr(session, "get_upload_metadata", lambda **kw: {
        "url": silent + "/component/upload", "headers": {}})
    data = accessor.open(component["id"], "wb")
    data.write(b"payload")
    with pytest.raises(ftrack_api.exception.AccessorOperationFailedError,
                       match="Failed to put file to server: .*timed out"):
        data.close()
    assert time.monotonic() - started < 20


def test_connection_errors_hide_the_api_key(session):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens on this port any more
    session._server_url = "http://127.0.0.1:{0}".format(port)
    with pytest.raises(ftrack_api.exception.AccessorOperationFailedError) as raised:
        server.ServerAccessor(session).remove("abc")
    message = str(raised.value)
    assert message.startswith("Operation Failed to remove file: ")
    assert API_KEY not in message and urllib.parse.quote_plus(API_KEY) not in message


def test_session_without_request_timeout():
    class Bare(object):
        server_url = "http://127.0.0.1:9"
        api_user = "user"
        api_key = "key"

    accessor = server.ServerAccessor(Bare())
    assert accessor._timeout == server._DEFAULT_TIMEOUT
    assert accessor.get_url("x") == "http://127.0.0.1:9/component/get?id=x&username=user&apiKey=key"
