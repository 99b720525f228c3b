"""The event hub shared by a team (see ``doc/local_server_event_hub.rst``): a
client that stops reading is dropped at the byte limit and its memory goes
back, events carry the user their client authenticated as, only allowed
browser origins get CORS headers, and every refused frame is logged once."""

import functools
import json
import socket
import threading
import time
import uuid

import pytest
import websocket

from ftrack_local.testing import database_url, throwaway_database
from hub_client import HubClient, handshake, make_event, websocket_url
from server_process import ServerProcess, memory_measurable

pytestmark = pytest.mark.timeout(180)

#: The queue limit the server process gets (``--hub-queue-limit``).
QUEUE_LIMIT = 32 * 1024 * 1024
#: Size of the text of each large event.
EVENT_BYTES = 1024 * 1024
#: Most large events published while waiting for the drop (a hang guard).
MAX_EVENTS = 4 * QUEUE_LIMIT // EVENT_BYTES
#: Events the reading client may be behind while the stuck one is filled.
BACKLOG = 8
#: Seconds allowed for the drop to be logged, and for memory to come back.
WAIT = 30.0


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.05)


def lines_with(text, needle):
    return [line for line in text.splitlines() if needle in line]


# -- a client that stops reading ---------------------------------------------------------

def stuck_subscriber(server, topic):
    """A raw connection subscribed to *topic* that then never reads again (small
    receive buffer, so the server soon has to queue for it)."""
    sid = handshake(server).text.split(":")[0]
    ws = websocket.create_connection(
        websocket_url(server, sid), timeout=10,
        sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024),))
    assert ws.recv() == "1::"
    subscribe = make_event("ftrack.meta.subscribe", {
        "subscriber": {"id": uuid.uuid4().hex}, "subscription": "topic=" + topic})
    ws.send("5:1+::" + json.dumps({"name": "ftrack.event", "args": [subscribe]}))
    frame = ws.recv()
    while not frame.startswith("6:::1+"):
        frame = ws.recv()
    assert json.loads(frame[6:]) == [{"success": True}]
    return sid.split("z")[0], ws  # the log names the connection by its nonce


class Reader(threading.Thread):
    """Keeps reading a client's events of *topic*; :attr:`numbers` are their ``data.n``."""

    def __init__(self, client, topic):
        super().__init__(daemon=True)
        self.client = client
        self.topic = topic
        self.numbers = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            event = self.client.next_event(timeout=0.5,
                                           predicate=lambda e: e["topic"] == self.topic)
            if event is not None:
                self.numbers.append(event["data"]["n"])

    def stop(self):
        self.stopping.set()
        self.join(10)


def large_event(topic, number):
    return make_event(topic, {"n": number, "blob": "x" * EVENT_BYTES})


def fast_reader(server, monkeypatch):
    """A :class:`HubClient` that does not check the UTF-8 of what it receives
    (done in pure Python, it would read large events slower than they come)."""
    with monkeypatch.context() as patch:
        patch.setattr(websocket, "create_connection", functools.partial(
            websocket.create_connection, skip_utf8_validation=True))
        return HubClient(server)


@pytest.mark.slow
def test_stuck_subscriber_is_dropped_once_and_memory_returns(tmp_path, monkeypatch):
    with throwaway_database(database_url()) as database, ServerProcess(
            tmp_path / "data", database=database,
            arguments=["--hub-queue-limit", str(QUEUE_LIMIT)]) as server:
        topic = "limits.test." + uuid.uuid4().hex[:8]
        publisher = HubClient(server)
        healthy = fast_reader(server, monkeypatch)
        healthy.subscribe("topic=" + topic)
        reader = Reader(healthy, topic)
        reader.start()
        published = 0
        try:
            # Warm up: large events through the server to a reading client.
            for _ in range(24):
                publisher.publish(large_event(topic, published), wait_ack=False)
                published += 1
            wait_for(lambda: len(reader.numbers) == published, WAIT, "the warm-up events")
            baseline = server.rss_bytes()

            sid, stuck = stuck_subscriber(server, topic)
            drop_line = "Dropping event hub client " + sid
            while not lines_with(server.log_text(), drop_line):
                assert published < 24 + MAX_EVENTS, (
                    "not dropped after {0} events\n{1}".format(published, server.log_text()))
                publisher.publish(large_event(topic, published), wait_ack=False)
                published += 1
                # Keep the reading client well within the limit, even on a busy machine.
                wait_for(lambda: published - len(reader.numbers) <= BACKLOG, WAIT,
                         "the reading client")
            peak = server.peak_rss_bytes()
            # The others keep being served.
            for _ in range(5):
                publisher.publish(large_event(topic, published), wait_ack=False)
                published += 1
            wait_for(lambda: len(reader.numbers) == published, WAIT, "every event")
            assert reader.numbers == list(range(published))

            [line] = lines_with(server.log_text(), sid)
            assert "WARNING" in line and "user " + server.api_user in line, line
            queued = int(line.split("(")[-1].split(" bytes queued")[0])
            assert QUEUE_LIMIT < queued <= QUEUE_LIMIT + EVENT_BYTES + 1024, line
            assert "Traceback" not in server.log_text()
            with pytest.raises((websocket.WebSocketException, ConnectionError)):
                while True:  # what the kernel held, then the reset
                    stuck.settimeout(5)
                    stuck.recv()

            if memory_measurable():
                # The queue really was held in memory, and is given back.
                assert peak - baseline > QUEUE_LIMIT // 2, (peak, baseline)
                deadline = time.monotonic() + WAIT
                while server.rss_bytes() > baseline * 1.2 and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert server.rss_bytes() <= baseline * 1.2, (
                    "RSS {0} after the drop, {1} before".format(server.rss_bytes(), baseline))
        finally:
            reader.stop()
            publisher.close()
            healthy.close()
