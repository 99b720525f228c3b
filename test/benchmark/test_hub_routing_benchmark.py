"""Server CPU per event on the event hub's receive path, without a network.

One connection subscribed to a topic; each event packet, as a client would
send it, goes through the Socket.IO endpoint's receive step: parse, check
and stamp the user, route, queue for the subscriber. The figure is the
process CPU time per event (best of several rounds), so it holds up on a
busy machine better than the end-to-end rate of ``test_event_benchmark``.

Event forms measured:

* ``by name`` -- ``source.user`` holds the user name only, as ``ftrack_api``
  and the official client send it (the text is passed on, its user filled in);
* ``exact user`` -- the client already names its user with its id;
* ``other user`` -- the client claims someone else (the event is encoded anew).

Figures are printed (run with ``-s``); nothing here fails because of timing.
"""

import asyncio
import json
import time
import uuid

from ftrack_local.events import socketio
from ftrack_local.events.hub import EventHub, HubSettings

EVENTS = 20000
ROUNDS = 5
USER = {"id": str(uuid.uuid4()), "username": "admin"}
FORMS = {
    "by name": {"username": "admin"},
    "exact user": dict(USER),
    "other user": {"username": "someone.else"},
}


class DiscardingTransport(asyncio.WriteTransport):
    """A client that reads everything at once."""

    def write(self, data):
        pass

    def get_write_buffer_size(self):
        return 0

    def is_closing(self):
        return False


def packets_for(user):
    frames = []
    for number in range(EVENTS):
        event = {"id": uuid.uuid4().hex, "topic": "bench", "data": {"n": number},
                 "source": {"id": uuid.uuid4().hex, "user": user, "host": "workstation"},
                 "target": "", "sent": "2026-01-01T12:00:00.000001", "inReplyToEvent": None}
        frames.append("5:::" + json.dumps({"name": "ftrack.event", "args": [event]},
                                          ensure_ascii=False))
    return frames


async def microseconds_per_event(frames):
    hub = EventHub()
    endpoint = socketio.SocketIOEndpoint(hub)
    connection = socketio.SocketConnection("bench", USER, None, DiscardingTransport(),
                                           HubSettings())
    hub.add_connection(connection)
    hub.subscribe(connection, {"id": "subscriber"}, "topic=bench")
    best = None
    for _ in range(ROUNDS):
        delivered = []
        started = time.process_time()
        for frame in frames:
            endpoint._receive(connection, frame)
            if len(connection.outbox) >= 1000:
                delivered.append(connection.outbox)
                connection.outbox = []
                connection.queued_bytes = 0
        elapsed = time.process_time() - started
        delivered.append(connection.outbox)
        connection.outbox = []
        connection.queued_bytes = 0
        assert sum(map(len, delivered)) == len(frames)
        last = json.loads(delivered[-2 if not delivered[-1] else -1][-1][4:])["args"][0]
        assert last["source"]["user"] == USER
        figure = elapsed / len(frames) * 1e6
        best = figure if best is None else min(best, figure)
    return best


def test_hub_receive_path_cpu_per_event():
    figures = {form: asyncio.run(microseconds_per_event(packets_for(user)))
               for form, user in FORMS.items()}
    lines = ["", "event hub receive path, server CPU per event (best of {0} rounds of "
             "{1:,} events)".format(ROUNDS, EVENTS)]
    lines += ["{0:<12} {1:>8.2f} µs".format(form, value) for form, value in figures.items()]
    print("\n".join(lines))
    assert all(value > 0 for value in figures.values())
