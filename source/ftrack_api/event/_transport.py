"""Socket.IO 0.9 transport used by the event hub.

The event server speaks the legacy Socket.IO protocol: an HTTP handshake
hands out a session id, then one WebSocket carries text packets of the form
``<type>:<message id>:<endpoint>:<data>``. This module knows that format and
owns one live WebSocket with the thread reading from it; what the packets
mean to subscribers is left to :class:`ftrack_api.event.hub.EventHub`.
"""

import json
import logging
import threading

import requests
import websocket

import ftrack_api.exception

#: Packet types of the protocol.
DISCONNECT = "0"
CONNECT = "1"
HEARTBEAT = "2"
MESSAGE = "3"
JSON = "4"
EVENT = "5"
ACK = "6"
ERROR = "7"

#: Answer sent for every heartbeat of the server.
HEARTBEAT_ANSWER = "2:::"

#: Seconds to wait for the handshake, and for any frame before the
#: connection counts as lost (the server sends heartbeats far more often).
TIMEOUT = 60

logger = logging.getLogger(__name__)


def parse_packet(frame):
    """Return ``(type, message_id, data)`` of the text *frame*.

    Raise :class:`ftrack_api.exception.EventHubPacketError` when the frame
    is not a packet.
    """
    parts = frame.split(":", 3)
    if len(parts) == 2 or not parts[0].isdigit():
        raise ftrack_api.exception.EventHubPacketError(
            "Invalid packet received from the event server: {0!r}".format(
                frame[:200]
            )
        )
    while len(parts) < 4:
        parts.append("")
    return parts[0], parts[1], parts[3]


def event_packet(message_id, payload):
    """Return the frame publishing *payload* (a JSON text of one event).

    The packet asks the server to acknowledge it under *message_id*.
    """
    return '5:{0}+::{{"name": "ftrack.event", "args": [{1}]}}'.format(
        message_id, payload
    )


def decode_event_packet(data):
    """Return the event mapping carried by the data of an event packet.

    Return None when the packet carries something else than exactly one
    ``ftrack.event`` object.
    """
    try:
        message = json.loads(data)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("name") != "ftrack.event":
        return None
    arguments = message.get("args")
    if not isinstance(arguments, list) or len(arguments) != 1:
        return None
    if not isinstance(arguments[0], dict):
        return None
    return arguments[0]


def decode_ack(data):
    """Return ``(message_id, result)`` of the data of an acknowledgement."""
    message_id, _, body = data.partition("+")
    result = None
    if body:
        try:
            result = json.loads(body)
        except ValueError:
            result = None
    if isinstance(result, list) and len(result) == 1:
        result = result[0]
    return message_id, result


def handshake(server_url, headers, cookies, timeout=TIMEOUT):
    """Ask *server_url* for a Socket.IO session and return its id.

    *headers* carry the credentials; *cookies* is a mapping. Raise
    :class:`ftrack_api.exception.EventHubConnectionError` when the server
    refuses or cannot be reached, or offers no WebSocket transport.
    """
    url = server_url + "/socket.io/1/"
    try:
        response = requests.get(
            url, headers=headers, cookies=cookies, timeout=timeout
        )
    except requests.exceptions.RequestException as error:
        raise ftrack_api.exception.EventHubConnectionError(
            "Failed to reach the event server at {0}: {1}".format(url, error)
        )
    if response.status_code != 200:
        raise ftrack_api.exception.EventHubConnectionError(
            "The event server at {0} refused the connection (HTTP {1}): "
            "{2}".format(url, response.status_code, response.text[:200].strip())
        )
    fields = response.text.strip().split(":")
    if len(fields) < 4 or "websocket" not in fields[3].split(","):
        raise ftrack_api.exception.EventHubConnectionError(
            "The event server at {0} offers no WebSocket transport: "
            "{1!r}".format(url, response.text[:200])
        )
    return fields[0], fields[1], fields[3].split(",")


class Connection(object):
    """One WebSocket to the event server and the thread reading from it.

    Every received frame goes to *on_frame* as ``(connection, frame)``, in
    the reading thread. When the socket ends without :meth:`close` having
    been called, *on_lost* is called once with ``(connection, reason)``.
    """

    def __init__(self, url, headers, cookies, on_frame, on_lost, timeout=TIMEOUT):
        """Open the WebSocket at *url* and start reading from it.

        Raise :class:`ftrack_api.exception.EventHubConnectionError` when the
        socket cannot be opened.
        """
        self.url = url
        self._on_frame = on_frame
        self._on_lost = on_lost
        self._closing = False
        cookie = "; ".join(
            "{0}={1}".format(name, value) for name, value in cookies.items()
        )
        try:
            self._socket = websocket.create_connection(
                url,
                timeout=timeout,
                header=["{0}: {1}".format(*item) for item in headers.items()],
                cookie=cookie or None,
                enable_multithread=True,
                # Text frames are decoded as UTF-8 when read, which already
                # refuses invalid data; the library's own byte-by-byte check
                # would only cost time on every frame.
                skip_utf8_validation=True,
            )
        except Exception as error:
            raise ftrack_api.exception.EventHubConnectionError(
                "Failed to open the event server socket {0}: {1}".format(
                    url, error
                )
            )
        self._reader = threading.Thread(
            target=self._read_loop, name="ftrack-event-hub-reader"
        )
        self._reader.daemon = True
        self._reader.start()

    @property
    def open(self):
        """Return whether the socket is still usable."""
        return not self._closing and self._socket.connected

    def send(self, frame):
        """Send the text *frame*.

        Raise :class:`ftrack_api.exception.EventHubConnectionError` when the
        socket is closed or the send fails.
        """
        if self._closing:
            raise ftrack_api.exception.EventHubConnectionError(
                "The event server connection is closed."
            )
        try:
            self._socket.send(frame)
        except Exception as error:
            raise ftrack_api.exception.EventHubConnectionError(
                "Failed to send to the event server: {0}".format(error)
            )

    def close(self):
        """Close the socket; the reading thread ends without *on_lost*."""
        self._closing = True
        try:
            self._socket.close(timeout=1)
        except Exception:  # pragma: no cover - closing a broken socket.
            pass

    def join(self, timeout=None):
        """Wait for the reading thread to end."""
        if self._reader is not threading.current_thread():
            self._reader.join(timeout)

    def _read_loop(self):
        """Read frames until the socket ends."""
        reason = "closed by the server"
        while True:
            try:
                frame = self._socket.recv()
            except UnicodeDecodeError:
                logger.warning("Ignoring a frame from the event server that is not UTF-8.")
                continue
            except websocket.WebSocketTimeoutException:
                reason = "no data from the server for {0} seconds".format(
                    TIMEOUT
                )
                break
            except Exception as error:
                reason = str(error) or type(error).__name__
                break
            if self._closing:
                return
            if not frame:
                if not self._socket.connected:
                    break
                continue
            if isinstance(frame, bytes):
                frame = frame.decode("utf-8", "replace")
            try:
                self._on_frame(self, frame)
            except Exception:
                logger.exception("Failed to handle event server frame.")

        if self._closing:
            return
        self._closing = True
        try:
            self._socket.close(timeout=0)
        except Exception:  # pragma: no cover - already broken.
            pass
        self._on_lost(self, reason)
