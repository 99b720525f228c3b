"""Socket.IO 0.9 packets as the ftrack event hub uses them (doc/protocol.rst, "Packets").

A frame is ``<type>:<message id>:<endpoint>:<data>``; the message id is empty,
``<n>`` or ``<n>+`` (acknowledge with data). The server only ever sends
types 0–7: disconnect, connect, heartbeat, event, ack and error.
"""

from __future__ import annotations

import json
from typing import Any, Dict, NamedTuple, Optional, Tuple

DISCONNECT = "0::"
CONNECT = "1::"
HEARTBEAT = "2::"

#: The keys of a delivered event, all of them and nothing else (doc/protocol.rst, "Event keys").
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


def same_json_object(claimed: Any, expected: Dict[str, Any]) -> bool:
    """Whether *claimed* is an object with exactly *expected*'s keys and scalar values
    (of the same JSON types: ``1`` is not ``true``)."""
    if type(claimed) is not dict or claimed != expected:
        return False
    for key, value in expected.items():  # == takes 1 for true; JSON does not
        if type(claimed[key]) is not type(value):
            return False
    return True


#: A user a client may claim, then for each JSON style how it spells that
#: claim and how it spells the authenticated user.
Spelling = Tuple[Dict[str, Any], Tuple[Tuple[str, str], ...]]


def user_spellings(user: Dict[str, Any]) -> Tuple[Spelling, ...]:
    """The common spellings of ``"user": …`` in a client's event source.

    Claims covered: *user* itself and its user name alone (what clients
    send); styles: compact and spaced JSON, non-ASCII left as is.
    """
    claims = [dict(user)]
    if "username" in user:
        claims.insert(0, {"username": user["username"]})  # the usual claim first
    styles = ((",", ":"), (", ", ": "))
    return tuple((claim, tuple((_spell(claim, items, pair), _spell(user, items, pair))
                               for items, pair in styles))
                 for claim in claims)


def _spell(user: Dict[str, Any], items: str, pair: str) -> str:
    return '"user"' + pair + json.dumps(user, ensure_ascii=False, separators=(items, pair))


def restamp(text: str, spellings: Tuple[Spelling, ...], claimed: Any) -> Optional[str]:
    """Event packet data *text* with its user re-spelled as the authenticated one.

    *claimed* is the ``source.user`` the decoded *text* holds. None when that
    cannot be done on the text with certainty: the claim is not one of
    *spellings*, or a key deciding the sender (``args``, ``source``,
    ``user``) could be there twice — spelled more than once, or anything
    ``\\u``-escaped (an escape can spell a key). Without repeated keys,
    decoders keeping the first or the last of them agree on the user.
    """
    if "\\u" in text:
        return None
    if text.count('"user"') != 1 or text.count('"source"') != 1 or text.count('"args"') != 1:
        return None
    for claim, styles in spellings:
        if same_json_object(claimed, claim):
            for written, stamped in styles:
                if written in text:
                    return text if written == stamped else text.replace(written, stamped, 1)
            return None
    return None


def ack_frame(message_id: str, result: Any = None) -> str:
    """The acknowledgement of packet *message_id*: always one JSON object."""
    if result is None or result == {"success": True}:
        return "6:::" + message_id + "+" + _SUCCESS
    return "6:::" + message_id + "+[" + _ENCODE(result) + "]"


def error_frame(text: str) -> str:
    """An error packet (clients only log it)."""
    return "7:::" + " ".join(str(text).split())
