"""A raw Socket.IO 0.9 client for the event hub tests (``websocket-client``).

It speaks the wire format directly, so the tests see exactly what the server
sends: :meth:`HubClient.frames` are the raw packets received.
"""

import json
import time
import uuid

import requests
import websocket

TIMEOUT = 5.0


def handshake(server, query=False, user=None, key=None):
    """GET /socket.io/1/ with the server's (or the given) credentials."""
    user = server.api_user if user is None else user
    key = server.api_key if key is None else key
    url = server.url + "/socket.io/1/"
    if query:
        return requests.get(url, params={"api_user": user, "api_key": key}, timeout=TIMEOUT)
    return requests.get(url, headers={"ftrack-user": user, "ftrack-api-key": key}, timeout=TIMEOUT)


def websocket_url(server, sid):
    return server.url.replace("http://", "ws://", 1) + "/socket.io/1/websocket/" + sid


def make_event(topic, data=None, target="", in_reply_to=None, source=None):
    return {"id": uuid.uuid4().hex, "topic": topic, "data": data if data is not None else {},
            "source": source if source is not None else {"id": "raw-client"},
            "target": target, "sent": None, "inReplyToEvent": in_reply_to}


class HubClient:
    """One connection: handshake, upgrade, and helpers to publish and receive."""

    def __init__(self, server, query=False):
        answer = handshake(server, query=query)
        assert answer.status_code == 200, answer.text
        self.handshake_text = answer.text
        self.sid = answer.text.split(":")[0]
        self.ws = websocket.create_connection(websocket_url(server, self.sid), timeout=TIMEOUT)
        self.frames = []
        self.acks = {}
        self.events = []
        self.next_id = 1
        first = self.ws.recv()
        self.frames.append(first)
        assert first == "1::", first

    def close(self):
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- sending --------------------------------------------------------------------

    def send_raw(self, text):
        self.ws.send(text)

    def publish(self, event, wait_ack=True):
        """Send *event* with an ack id; return the ack result (or the id)."""
        message_id = str(self.next_id)
        self.next_id += 1
        self.ws.send("5:{0}+::{1}".format(message_id, json.dumps(
            {"name": "ftrack.event", "args": [event]})))
        if not wait_ack:
            return message_id
        return self.wait_ack(message_id)

    def subscribe(self, subscription, subscriber=None):
        """Add a subscriber; return its metadata once the server acknowledged it."""
        subscriber = dict(subscriber or {})
        subscriber.setdefault("id", uuid.uuid4().hex)
        result = self.publish(make_event("ftrack.meta.subscribe", {
            "subscriber": subscriber, "subscription": subscription}))
        assert result == {"success": True}, result
        return subscriber

    def unsubscribe(self, subscriber_id):
        return self.publish(make_event("ftrack.meta.unsubscribe", {
            "subscriber": {"id": subscriber_id}}))

    # -- receiving -------------------------------------------------------------------

    def _read(self, timeout):
        """One frame (None on timeout); events and acks are also filed."""
        self.ws.settimeout(max(timeout, 0.001))
        try:
            frame = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        self.frames.append(frame)
        if frame.startswith("6:::"):
            message_id, _, data = frame[4:].partition("+")
            self.acks[message_id] = json.loads(data)
        elif frame.startswith("5:::"):
            payload = json.loads(frame[4:])
            self.events.append(payload["args"][0])
        return frame

    def wait_ack(self, message_id, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while message_id not in self.acks:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no ack for {0}; got {1}".format(message_id, self.frames[-5:])
            self._read(remaining)
        results = self.acks.pop(message_id)
        assert isinstance(results, list) and len(results) == 1, results
        return results[0]

    def wait_frame(self, predicate, timeout=TIMEOUT):
        """The first new frame satisfying *predicate*, or None."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            frame = self._read(remaining)
            if frame is not None and predicate(frame):
                return frame

    def next_event(self, timeout=TIMEOUT, predicate=None):
        """The next received event (optionally the next matching *predicate*), or None."""
        deadline = time.monotonic() + timeout
        while True:
            while self.events:
                event = self.events.pop(0)
                if predicate is None or predicate(event):
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._read(remaining)

    def drain(self, duration=0.3):
        """Everything received within *duration*: the events (frames are kept)."""
        deadline = time.monotonic() + duration
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._read(remaining)
        events, self.events = self.events, []
        return events
