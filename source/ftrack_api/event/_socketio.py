"""The Socket.IO 0.9 wire format spoken by the ftrack event server.

An HTTP handshake hands out a session id (doc/protocol.rst, "Handshake"),
then one WebSocket carries text packets ``<code>:<packet id>:<path>:<data>``
(doc/protocol.rst, "Packets"). This module opens that WebSocket and reads,
writes and splits the packets; what the packets mean is up to the hub.
"""

from __future__ import annotations

import collections
import logging
import socket
from typing import Any, Dict, Mapping, Optional, Tuple

import requests
import requests.exceptions
import websocket

import ftrack_api.exception

#: Session details announced by the event server during the handshake.
SocketIoSession = collections.namedtuple(
    "SocketIoSession", ["id", "heartbeatTimeout", "supportedTransports"]
)

#: Parts of the server address: scheme, host name and port (None when the
#: address names no port).
ServerDetails = collections.namedtuple(
    "ServerDetails", ["scheme", "hostname", "port"]
)

#: A received packet: code, packet identifier, path and data, the parts the
#: packet lacks being None.
Packet = Tuple[str, Optional[str], Optional[str], Optional[str]]

#: Seconds the handshake request and the WebSocket wait for the server.
#: The server sends heartbeats far more often, so a socket silent for this
#: long counts as lost (doc/protocol.rst, "Heartbeats").
TIMEOUT = 60

#: Packet codes and the names of what they carry (doc/protocol.rst, "Packets").
PACKET_NAMES = {
    "0": "disconnect",
    "1": "connect",
    "2": "heartbeat",
    "3": "message",
    "4": "json",
    "5": "event",
    "6": "acknowledge",
    "7": "error",
}


def code_name_mapping() -> Dict[str, str]:
    """Return a new mapping from packet codes to names and names to codes."""
    mapping = dict(PACKET_NAMES)
    mapping.update((name, code) for code, name in PACKET_NAMES.items())
    return mapping


def request_session(
    base_url: str, headers: Mapping[str, str], cookies: Mapping[str, str]
) -> SocketIoSession:
    """Perform the handshake with the server at *base_url* (scheme and host).

    Raise :exc:`ftrack_api.exception.EventHubConnectionError` when the
    server cannot be reached or does not answer with status 200.
    """
    try:
        response = requests.get(
            base_url + "/socket.io/1/",
            headers=headers,
            cookies=cookies,
            timeout=TIMEOUT,
        )
    except requests.exceptions.Timeout as error:
        raise ftrack_api.exception.EventHubConnectionError(
            "Timed out connecting to server: {0}.".format(error)
        )
    except requests.exceptions.SSLError as error:
        raise ftrack_api.exception.EventHubConnectionError(
            "Failed to negotiate SSL with server: {0}.".format(error)
        )
    except requests.exceptions.ConnectionError as error:
        raise ftrack_api.exception.EventHubConnectionError(
            "Failed to connect to server: {0}.".format(error)
        )

    if response.status_code != 200:
        raise ftrack_api.exception.EventHubConnectionError(
            "Received unexpected status code {0}.".format(response.status_code)
        )

    # "<session id>:<heartbeat timeout>:<close timeout>:<transports>"
    fields = response.text.strip().split(":")
    return SocketIoSession(fields[0], fields[1], fields[3].split(","))


def open_websocket(
    location: str,
    secure: bool,
    session: SocketIoSession,
    headers: Mapping[str, str],
    cookies: Mapping[str, str],
) -> Any:
    """Open the WebSocket of *session* on the server at network *location*.

    Raise :exc:`ValueError` when the server does not offer WebSocket
    sessions; errors of the socket library pass through.
    """
    if "websocket" not in session.supportedTransports:
        raise ValueError("Server does not support websocket sessions.")

    url = "{0}://{1}/socket.io/1/websocket/{2}".format(
        "wss" if secure else "ws", location, session.id
    )
    cookie = "; ".join("{0}={1}".format(name, value) for name, value in cookies.items())
    return websocket.create_connection(
        url,
        timeout=TIMEOUT,
        enable_multithread=True,
        header=["{0}: {1}".format(*item) for item in headers.items()],
        cookie=cookie or None,
        # Text frames are decoded as UTF-8 when read, which refuses invalid
        # data already; the library's own byte by byte check would only cost
        # time on every frame.
        skip_utf8_validation=True,
    )


def format_packet(code: str, packet_identifier: str = "", data: str = "") -> str:
    """Return the text of a packet (the path is always empty)."""
    return ":".join((str(code), packet_identifier, "", data))


def send_packet(connection: Any, packet: str) -> None:
    """Send the text *packet* through *connection*.

    Raise :exc:`ftrack_api.exception.EventHubConnectionError` when there is
    no connection or the socket fails.
    """
    if connection is None:
        raise ftrack_api.exception.EventHubConnectionError(
            "Failed to send packet: not connected to the event server."
        )
    try:
        connection.send(packet)
    except (socket.error, websocket.WebSocketException) as error:
        raise ftrack_api.exception.EventHubConnectionError(
            "Failed to send packet: {0}".format(error)
        )


def read_packet(connection: Any, logger: logging.Logger) -> Packet:
    """Receive one packet from *connection* and return its parts.

    Raise :exc:`ftrack_api.exception.EventHubConnectionError` when the
    socket fails or is closed and
    :exc:`ftrack_api.exception.EventHubPacketError` when what arrived is not
    a packet.
    """
    try:
        packet = connection.recv()
    except UnicodeDecodeError as error:
        raise ftrack_api.exception.EventHubPacketError(
            "Received invalid packet: {0}".format(error)
        )
    except Exception as error:
        raise ftrack_api.exception.EventHubConnectionError(
            "Error receiving packet: {0}".format(error)
        )

    if isinstance(packet, bytes):
        packet = packet.decode("utf-8", "replace")
    if not packet:
        if not getattr(connection, "connected", False):
            raise ftrack_api.exception.EventHubConnectionError(
                "Error receiving packet: the connection is closed."
            )
        raise ftrack_api.exception.EventHubPacketError(
            "Received invalid packet {0!r}".format(packet)
        )

    parts = split_packet(packet)
    logger.debug("Received packet: %s", packet)
    return parts


def split_packet(packet: str) -> Packet:
    """Return the code, packet identifier, path and data of *packet*.

    Raise :exc:`ftrack_api.exception.EventHubPacketError` when *packet* is
    not packet text.
    """
    try:
        parts = packet.split(":", 3)
    except AttributeError:
        raise ftrack_api.exception.EventHubPacketError(
            "Received invalid packet {0}".format(packet)
        )

    count = len(parts)
    if count == 4:
        return parts[0], parts[1], parts[2], parts[3]
    if count == 3:
        return parts[0], parts[1], parts[2], None
    if count == 1:
        return parts[0], None, None, None
    raise ftrack_api.exception.EventHubPacketError(
        "Received invalid packet {0}".format(packet)
    )
