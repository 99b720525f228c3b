"""Socket.IO 0.9 packets as the ftrack event hub uses them (PROTOCOL 6.3).

A frame is ``<type>:<message id>:<endpoint>:<data>``; the message id is empty,
``<n>`` or ``<n>+`` (acknowledge with data). The server only ever sends
types 0–7: disconnect, connect, heartbeat, event, ack and error.
"""

import json
from typing import Any, Dict, NamedTuple

DISCONNECT = "0::"
CONNECT = "1::"
HEARTBEAT = "2::"

#: The keys of a delivered event, all of them and nothing else (PROTOCOL 6.5).
EVENT_KEYS = ("id", "topic", "data", "source", "target", "sent", "inReplyToEvent")
EVENT_KEY_SET = frozenset(EVENT_KEYS)

_TYPES = frozenset("012345678")
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
_SUCCESS = '[{"success":true}]'


class PacketError(ValueError):
    """A frame that is not a valid packet."""


class Packet(NamedTuple):
    type: str
    id: str          # "" or the number, without "+"
    wants_data: bool  # the id ended with "+"
    endpoint: str
    data: str


def parse(frame: str) -> Packet:
    """Split *frame* into a :class:`Packet`; raise :class:`PacketError` when invalid."""
    parts = frame.split(":", 3)
    if len(parts) == 2 or not parts[0] or parts[0] not in _TYPES:
        raise PacketError("Invalid packet {0!r}: expected <type>:<id>:<endpoint>:<data> "
                          "with a type from 0 to 8.".format(frame[:60]))
    if len(parts) == 1:
        return Packet(parts[0], "", False, "", "")
    message_id = parts[1]
    wants_data = message_id.endswith("+")
    if wants_data:
        message_id = message_id[:-1]
    if message_id and not message_id.isdigit() or (wants_data and not message_id):
        raise PacketError("Invalid message id {0!r} in packet {1!r}.".format(parts[1], frame[:60]))
    return Packet(parts[0], message_id, wants_data, parts[2], parts[3] if len(parts) == 4 else "")


def encode(value: Any) -> str:
    """Compact JSON text (non-ASCII kept as is, unknown objects as text)."""
    return _ENCODE(value)


def event_frame(event: Dict[str, Any]) -> str:
    """The packet delivering *event* to a client."""
    return '5:::{"name":"ftrack.event","args":[' + _ENCODE(event) + "]}"


def event_frame_from_text(event_text: str) -> str:
    """The packet delivering an event already encoded as JSON text."""
    return '5:::{"name":"ftrack.event","args":[' + event_text + "]}"


def ack_frame(message_id: str, result: Any = None) -> str:
    """The acknowledgement of packet *message_id*: always one JSON object."""
    if result is None or result == {"success": True}:
        return "6:::" + message_id + "+" + _SUCCESS
    return "6:::" + message_id + "+[" + _ENCODE(result) + "]"


def error_frame(text: str) -> str:
    """An error packet (clients only log it)."""
    return "7:::" + " ".join(str(text).split())
