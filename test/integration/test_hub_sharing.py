"""The event hub on a server a team shares (see ``doc/local_server_event_hub.rst``):
events carry the user their client authenticated as, only allowed browser
origins get CORS headers, and every frame the server refuses is logged as
exactly one line, without a traceback."""

import contextlib
import json
import logging
import time
import uuid

import pytest
import requests
import websocket

import ftrack_api
import ftrack_api.event.base
from ftrack_local.client import ApiClient
from ftrack_local.events import socketio
from hub_client import HubClient, handshake, make_event

pytestmark = pytest.mark.timeout(180)

CLAIMED_USER = {"id": "00000000-0000-0000-0000-00000000beef", "username": "someone.else"}


def real_user(server):
    api = ApiClient(server.url, server.api_user, server.api_key)
    try:
        [user] = api.query('select id, username from User where username is "{0}"'.format(
            server.api_user))
    finally:
        api.close()
    return {"id": user["id"], "username": user["username"]}


def events_of(client, topic, count, timeout=60):
    events = []
    deadline = time.monotonic() + timeout
    while len(events) < count and time.monotonic() < deadline:
        event = client.next_event(timeout=max(0.0, deadline - time.monotonic()),
                                  predicate=lambda e: e["topic"] == topic)
        if event is not None:
            events.append(event)
    assert len(events) == count, events
    return sorted(events, key=lambda e: e["data"]["index"])


# -- identity --------------------------------------------------------------------------------

@contextlib.contextmanager
def our_session(server, tmp_path):
    session = ftrack_api.Session(
        server_url=server.url, api_user=server.api_user, api_key=server.api_key,
        auto_connect_event_hub=False, schema_cache_path=str(tmp_path), plugin_paths=[])
    try:
        session.event_hub.connect()
        yield session
    finally:
        session.close()


def test_our_client_cannot_claim_another_user(ftrack_server, tmp_path):
    topic = "identity.ours." + uuid.uuid4().hex[:8]
    user = real_user(ftrack_server)
    with HubClient(ftrack_server) as subscriber, our_session(ftrack_server, tmp_path) as session:
        subscriber.subscribe("topic=" + topic)
        claimed = {"id": "impostor-hub", "applicationId": "maya", "user": dict(CLAIMED_USER)}
        session.event_hub.publish(ftrack_api.event.base.Event(
            topic=topic, data={"index": 0}, source=claimed))
        session.event_hub.publish(ftrack_api.event.base.Event(topic=topic, data={"index": 1}))
        impostor, honest = events_of(subscriber, topic, 2)
    assert {key: impostor["source"][key] for key in claimed} == dict(claimed, user=user)
    assert honest["source"]["id"] == session.event_hub.id
    assert honest["source"]["user"] == user


def test_official_client_cannot_claim_another_user(reference_python, run_reference,
                                                   ftrack_server):
    topic = "identity.official." + uuid.uuid4().hex[:8]
    user = real_user(ftrack_server)
    claimed = {"id": "impostor-hub", "applicationId": "nuke", "user": dict(CLAIMED_USER)}
    without_id = {"applicationId": "nuke", "user": {"username": CLAIMED_USER["username"]}}
    with HubClient(ftrack_server) as subscriber:
        subscriber.subscribe("topic=" + topic)
        observed = run_reference(reference_python, ftrack_server, "event_publish_as",
                                 topic=topic, sources=[claimed, without_id, {}], timeout=60)
        impostor, nameless, honest = events_of(subscriber, topic, 3)
    assert [e["id"] for e in (impostor, nameless, honest)] == observed["event_ids"]
    assert {key: impostor["source"][key] for key in claimed} == dict(claimed, user=user)
    assert nameless["source"]["user"] == user
    assert nameless["source"]["applicationId"] == "nuke"
    assert honest["source"]["id"] == observed["hub_id"]
    assert honest["source"]["user"] == user


def test_raw_events_are_stamped_whatever_their_form(ftrack_server):
    """Text sent on unchanged only when it already names the right user, once."""
    topic = "identity.raw." + uuid.uuid4().hex[:8]
    user = real_user(ftrack_server)
    exact = json.dumps({"id": "e0", "topic": topic, "data": {"index": 0},
                        "source": {"id": "raw", "user": user}, "target": "",
                        "sent": None, "inReplyToEvent": None})
    rest = ',"target":"","sent":null,"inReplyToEvent":null}'
    repeated = ('{"id":"e1","topic":"%s","data":{"index":1},'
                '"source":{"id":"raw","user":%s,"user":%s}'
                % (topic, json.dumps(CLAIMED_USER), json.dumps(user))) + rest
    escaped = ('{"id":"e2","topic":"%s","data":{"index":2},'
               '"source":{"id":"raw","\\u0075ser":%s,"user":%s}'
               % (topic, json.dumps(CLAIMED_USER), json.dumps(user))) + rest
    no_object = json.dumps({"id": "e3", "topic": topic, "data": {"index": 3},
                            "source": "someone.else"})
    name_only = json.dumps({"id": "e4", "topic": topic, "data": {"index": 4},
                            "source": {"id": "raw", "user": {"username": user["username"]}},
                            "target": "", "sent": None, "inReplyToEvent": None})
    with HubClient(ftrack_server) as subscriber, HubClient(ftrack_server) as publisher:
        subscriber.subscribe("topic=" + topic)
        for event_text in (exact, repeated, escaped, no_object, name_only):
            publisher.send_raw('5:::{"name":"ftrack.event","args":[' + event_text + "]}")
        events = events_of(subscriber, topic, 5)
        frames = [f for f in subscriber.frames if '"topic":"{0}"'.format(topic) in f
                  or '"topic": "{0}"'.format(topic) in f]
    assert [e["source"]["user"] for e in events] == [user] * 5
    assert [e["source"].get("id") for e in events] == ["raw", "raw", "raw", None, "raw"]
    # Each delivered text names exactly one user, the real one; the texts
    # that named it unambiguously (in full or by name) keep their spacing.
    assert len(frames) == 5
    assert sum('"topic": "' in frame for frame in frames) == 2
    for frame in frames:
        assert frame.count('"user"') == 1 and "\\u0075ser" not in frame, frame


# -- CORS --------------------------------------------------------------------------------------

@pytest.fixture
def allowed_origin(ftrack_server):
    origin = "https://tools.example.com"
    settings = ftrack_server.event_hub.settings
    previous = settings.allowed_origins
    settings.allowed_origins = (origin,)
    yield origin
    settings.allowed_origins = previous


def cors_headers(response):
    return {name.lower(): value for name, value in response.headers.items()
            if name.lower().startswith("access-control-")}


def test_handshake_cors_only_for_allowed_origins(ftrack_server, allowed_origin):
    url = ftrack_server.url + "/socket.io/1/"
    credentials = {"ftrack-user": ftrack_server.api_user, "ftrack-api-key": ftrack_server.api_key}
    allowed = requests.get(url, headers=dict(credentials, Origin=allowed_origin), timeout=10)
    assert allowed.status_code == 200
    assert cors_headers(allowed) == {"access-control-allow-origin": allowed_origin,
                                     "access-control-allow-credentials": "true"}
    for origin in ("https://evil.example.com", allowed_origin + ":8443",
                   allowed_origin.replace("https", "http"), "null"):
        other = requests.get(url, headers=dict(credentials, Origin=origin), timeout=10)
        assert other.status_code == 200, origin
        assert cors_headers(other) == {}, origin
    refused = requests.get(url, headers={"Origin": allowed_origin, "ftrack-user": "x",
                                         "ftrack-api-key": "wrong"}, timeout=10)
    assert refused.status_code == 401
    assert cors_headers(refused)["access-control-allow-origin"] == allowed_origin
    assert cors_headers(requests.get(url, headers=credentials, timeout=10)) == {}


def test_handshake_preflight(ftrack_server, allowed_origin):
    url = ftrack_server.url + "/socket.io/1/"
    request = {"Access-Control-Request-Method": "GET",
               "Access-Control-Request-Headers": "ftrack-user, ftrack-api-key"}
    allowed = requests.options(url, headers=dict(request, Origin=allowed_origin), timeout=10)
    assert allowed.status_code == 204
    headers = cors_headers(allowed)
    assert headers["access-control-allow-origin"] == allowed_origin
    assert headers["access-control-allow-credentials"] == "true"
    assert "GET" in headers["access-control-allow-methods"]
    assert {"ftrack-user", "ftrack-api-key"} <= {
        name.strip().lower() for name in headers["access-control-allow-headers"].split(",")}
    other = requests.options(url, headers=dict(request, Origin="https://evil.example.com"),
                             timeout=10)
    assert other.status_code == 403 and cors_headers(other) == {}


def test_no_cors_by_default(ftrack_server):
    assert ftrack_server.event_hub.settings.allowed_origins == ()
    answer = handshake(ftrack_server)
    assert answer.status_code == 200
    with_origin = requests.get(ftrack_server.url + "/socket.io/1/", timeout=10, headers={
        "ftrack-user": ftrack_server.api_user, "ftrack-api-key": ftrack_server.api_key,
        "Origin": "https://tools.example.com"})
    assert with_origin.status_code == 200 and cors_headers(with_origin) == {}


# -- refused frames ------------------------------------------------------------------------

#: Small enough to send quickly, large enough for every other frame here.
SMALL_MAX_FRAME = 64 * 1024


def send_text_bytes(client, data):
    client.ws.send(data, opcode=websocket.ABNF.OPCODE_TEXT)


#: name -> (what to send, what the client gets back: "error", "ack" or "closed")
BAD_FRAMES = {
    "packet syntax": (lambda c: c.send_raw("hello"), "error"),
    "message id": (lambda c: c.send_raw("5:1x+::{}"), "error"),
    "unknown packet type": (lambda c: c.send_raw("9:::"), "error"),
    "unsupported packet type": (lambda c: c.send_raw("3:::hello"), "error"),
    "json": (lambda c: c.send_raw("5:7+::{not json"), "ack"),
    "not an event packet": (lambda c: c.send_raw('5:7+::{"name":"other","args":[]}'), "ack"),
    "args shape": (lambda c: c.send_raw('5:7+::{"name":"ftrack.event","args":[1,2]}'), "ack"),
    "no topic": (lambda c: c.send_raw(
        '5:7+::{"name":"ftrack.event","args":[{"id":"x","data":{}}]}'), "ack"),
    "target not text": (lambda c: c.publish(make_event("t", target=["a"]), wait_ack=False),
                        "ack"),
    "bad target": (lambda c: c.publish(make_event("t", target="a=(b"), wait_ack=False), "ack"),
    "subscription not text": (lambda c: c.publish(make_event("ftrack.meta.subscribe", {
        "subscriber": {"id": "s"}, "subscription": {"topic": "t"}}), wait_ack=False), "ack"),
    "binary": (lambda c: c.ws.send_binary(b"\x00\x01\x02"), "error"),
    "invalid utf-8": (lambda c: send_text_bytes(c, b"5:::\xff\xfe"), "closed"),
    "too large": (lambda c: c.send_raw("5:::" + "x" * SMALL_MAX_FRAME), "closed"),
}


@pytest.mark.slow
def test_each_refused_frame_is_one_log_line(ftrack_server, caplog, monkeypatch):
    monkeypatch.setattr(socketio, "MAX_FRAME", SMALL_MAX_FRAME)
    caplog.set_level(logging.WARNING)
    topic = "refused." + uuid.uuid4().hex[:8]
    for name, (send, answer) in BAD_FRAMES.items():
        caplog.clear()
        with HubClient(ftrack_server) as client:
            client.subscribe("topic=" + topic)
            try:
                send(client)
            except (ConnectionError, websocket.WebSocketException):
                assert answer == "closed", name
            if answer == "error":
                assert client.wait_frame(lambda f: f.startswith("7:::")) is not None, name
            elif answer == "ack":
                assert client.wait_ack("7" if name in ("json", "not an event packet",
                                                       "args shape", "no topic") else "2"
                                       )["success"] is False, name
            else:
                with pytest.raises((ConnectionError, websocket.WebSocketException)):
                    client.wait_frame(lambda f: False, timeout=10)
            if answer != "closed":
                # The connection keeps working.
                with HubClient(ftrack_server) as other:
                    other.publish(make_event(topic, {"after": name}))
                event = client.next_event(predicate=lambda e: e["topic"] == topic)
                assert event is not None and event["data"] == {"after": name}, name
            deadline = time.monotonic() + 5
            while not caplog.records and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.2)  # anything logged late would show
        lines = caplog.text.strip().splitlines()
        assert len(lines) == 1, (name, lines)
        nonce = client.sid.split("z")[0]  # the log names a connection by its nonce
        assert nonce in lines[0] and "refused" in lines[0], (name, lines)
        assert all(record.exc_info is None for record in caplog.records), name
        assert "Traceback" not in caplog.text, name
