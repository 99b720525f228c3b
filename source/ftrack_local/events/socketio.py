"""The event hub's Socket.IO 0.9 endpoint on aiohttp (PROTOCOL 6.1–6.6).

* ``GET /socket.io/1/`` — handshake, authenticated by the ``ftrack-user`` and
  ``ftrack-api-key`` headers or the ``api_user``/``api_key`` query
  parameters; answers ``<sid>:<heartbeat timeout>:<close timeout>:websocket``
  (401 for bad credentials). A session id is good for one upgrade within
  ``HubSettings.handshake_timeout`` seconds.
* ``GET /socket.io/1/websocket/<sid>`` — the WebSocket (404 for an unknown or
  expired sid). The server sends ``1::`` first, then ``2::`` every
  ``heartbeat_interval`` seconds, and drops a client that has sent nothing for
  ``heartbeat_timeout`` seconds.

Each connection has one reader (the request handler) and one writer task
draining its queue of outgoing frames; routing only appends to queues, so a
slow client never holds up the others. The writer sends everything queued
in one transport write (WebSocket text frames built here; the socket is
opened without compression), pausing while the client is slow to read.
"""

import asyncio
import json
import logging
import secrets
import struct
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import WSCloseCode, WSMsgType, web

from ..app import BACKEND, EXECUTOR, check_credentials
from . import packets
from .hub import EventHub, Connection, failure, normalise

log = logging.getLogger(__name__)

HANDSHAKE_PATH = "/socket.io/1/"
WEBSOCKET_PATH = "/socket.io/1/websocket/{sid}"
#: Seconds the advertised close timeout (the third handshake field).
CLOSE_TIMEOUT = 60
#: Largest accepted client frame.
MAX_FRAME = 64 * 1024 * 1024
#: Seconds allowed for closing one socket.
CLOSE_WAIT = 2.0
#: Most handshakes waiting for their upgrade at once.
MAX_PENDING = 10000
#: Bytes buffered for a client above which its writer waits for it to read.
HIGH_WATER = 1024 * 1024

ENDPOINT: "web.AppKey[SocketIOEndpoint]" = web.AppKey("ftrack_local.socketio", object)


class SocketConnection(Connection):
    """A client on a WebSocket: an outgoing queue and the tasks serving it."""

    def __init__(self, session_id: str, user: Dict[str, Any], ws: web.WebSocketResponse,
                 transport: Optional[asyncio.BaseTransport], max_queue: int):
        super().__init__(session_id, user)
        self.ws = ws
        self.transport = transport
        self.outbox: List[str] = []
        self.closing = False
        self.last_received = asyncio.get_running_loop().time()
        self._max_queue = max_queue
        self._wake = asyncio.Event()
        self._writer: Optional["asyncio.Future[None]"] = None
        self._heartbeat: Optional["asyncio.Future[None]"] = None
        self._closer: Optional["asyncio.Future[None]"] = None

    def start(self, hub: EventHub) -> None:
        """Start the writer and heartbeat tasks."""
        self._writer = asyncio.ensure_future(self._write_loop())
        self._heartbeat = asyncio.ensure_future(self._heartbeat_loop(hub))

    def send(self, frame: str) -> None:
        if self.closing:
            return
        outbox = self.outbox
        outbox.append(frame)
        if len(outbox) == 1:
            self._wake.set()
        elif len(outbox) > self._max_queue:
            log.warning("Dropping event hub connection %s: %d packets not taken",
                        self.session_id, len(outbox))
            self.outbox = []
            self.close(WSCloseCode.TRY_AGAIN_LATER)

    def close(self, code: int = WSCloseCode.GOING_AWAY, goodbye: bool = False) -> None:
        """Close soon, after sending what is queued (and ``0::`` when *goodbye*)."""
        if self.closing:
            return
        if goodbye:
            self.outbox.append(packets.DISCONNECT)
        self.closing = True
        self._wake.set()
        self._closer = asyncio.ensure_future(self._close(code))

    async def _close(self, code: int) -> None:
        if self._writer is not None:
            await asyncio.wait({self._writer}, timeout=CLOSE_WAIT)
        try:
            await asyncio.wait_for(self.ws.close(code=code), CLOSE_WAIT)
        except (asyncio.TimeoutError, ConnectionError, RuntimeError):
            pass

    async def finish(self) -> None:
        """Stop the tasks and make sure the socket is closed (the reader has ended)."""
        self.close(WSCloseCode.GOING_AWAY)
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._closer is not None:
            await asyncio.wait({self._closer}, timeout=2 * CLOSE_WAIT + 1)
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()

    async def _write_loop(self) -> None:
        ws = self.ws
        wake = self._wake
        transport = self.transport
        try:
            while True:
                if not self.outbox:
                    if self.closing:
                        return
                    wake.clear()
                    await wake.wait()
                    continue
                frames, self.outbox = self.outbox, []
                if transport is None or not isinstance(transport, asyncio.WriteTransport):
                    for frame in frames:
                        await ws.send_str(frame)
                    continue
                if transport.is_closing() or ws.closed:
                    raise ConnectionResetError("The client has gone.")
                transport.write(b"".join([text_frame(frame) for frame in frames]))
                while transport.get_write_buffer_size() > HIGH_WATER:
                    if transport.is_closing():
                        raise ConnectionResetError("The client has gone.")
                    await asyncio.sleep(0.005)
        except (ConnectionError, RuntimeError):
            # The socket went away; the reader notices and cleans up.
            self.outbox = []
            self.closing = True

    async def _heartbeat_loop(self, hub: EventHub) -> None:
        settings = hub.settings
        loop = asyncio.get_running_loop()
        while not self.closing:
            await asyncio.sleep(settings.heartbeat_interval)
            if loop.time() - self.last_received > settings.heartbeat_timeout:
                log.info("Dropping silent event hub connection %s", self.session_id)
                self.close(WSCloseCode.GOING_AWAY, goodbye=True)
                return
            self.send(packets.HEARTBEAT)


class SocketIOEndpoint:
    """The handshake and WebSocket handlers serving one :class:`EventHub`."""

    def __init__(self, hub: EventHub):
        self.hub = hub
        #: sid -> (user, loop time of the handshake)
        self._pending: Dict[str, Tuple[Dict[str, Any], float]] = {}
        self._connections: Dict[str, SocketConnection] = {}
        self._stopping = False

    def install(self, app: web.Application) -> None:
        """Serve the handshake and websocket routes of the hub on *app*."""
        app[ENDPOINT] = self
        app.router.add_get(HANDSHAKE_PATH, self.handshake)
        app.router.add_get(HANDSHAKE_PATH.rstrip("/"), self.handshake)
        app.router.add_get(WEBSOCKET_PATH, self.websocket)
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)

    async def _on_startup(self, app: web.Application) -> None:
        self._stopping = False
        self.hub.attach(asyncio.get_running_loop())

    async def _on_shutdown(self, app: web.Application) -> None:
        self._stopping = True
        self._pending.clear()
        connections = list(self._connections.values())
        for connection in connections:
            connection.close(WSCloseCode.GOING_AWAY, goodbye=True)
        if connections:
            await asyncio.wait([asyncio.ensure_future(c.finish()) for c in connections],
                               timeout=2 * CLOSE_WAIT + 2)
        self.hub.detach()

    # -- handshake ---------------------------------------------------------------------

    async def handshake(self, request: web.Request) -> web.Response:
        """Answer a Socket.IO handshake with a new session id."""
        user, key = _credentials(request)
        loop = asyncio.get_running_loop()
        backend = request.app[BACKEND]
        refusal, user_id = await loop.run_in_executor(
            request.app[EXECUTOR], _authenticate, backend, user, key)
        headers = _cors_headers(request)
        if refusal is not None:
            status, body = refusal
            return web.Response(status=status, body=body, content_type="application/json",
                                headers=headers)
        if self._stopping:
            return web.Response(status=503, text="The server is stopping.", headers=headers)
        now = loop.time()
        self._expire(now)
        if len(self._pending) >= MAX_PENDING:
            return web.Response(status=503, text="Too many pending handshakes.", headers=headers)
        sid = secrets.token_hex(16)
        self._pending[sid] = ({"id": user_id, "username": user}, now)
        timeout = int(self.hub.settings.heartbeat_timeout)
        return web.Response(text="{0}:{1}:{2}:websocket".format(sid, timeout, CLOSE_TIMEOUT),
                            content_type="text/plain", headers=headers)

    def _expire(self, now: float) -> None:
        limit = now - self.hub.settings.handshake_timeout
        for sid in [s for s, (_, at) in self._pending.items() if at < limit]:
            del self._pending[sid]

    # -- websocket ------------------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        """Run one client's websocket connection until it closes."""
        sid = request.match_info["sid"]
        loop = asyncio.get_running_loop()
        self._expire(loop.time())
        pending = self._pending.pop(sid, None)
        if pending is None or self._stopping:
            raise web.HTTPNotFound(text="Unknown or expired event hub session id; "
                                        "do the handshake at /socket.io/1/ first.")
        ws = web.WebSocketResponse(autoping=True, compress=False, max_msg_size=MAX_FRAME,
                                   timeout=CLOSE_WAIT)
        if not ws.can_prepare(request).ok:
            raise web.HTTPBadRequest(text="Expected a WebSocket upgrade.")
        await ws.prepare(request)
        hub = self.hub
        connection = SocketConnection(sid, pending[0], ws, request.transport, hub.settings.max_queue)
        self._connections[sid] = connection
        hub.add_connection(connection)
        connection.send(packets.CONNECT)
        connection.start(hub)
        try:
            async for message in ws:
                connection.last_received = loop.time()
                if message.type is WSMsgType.TEXT:
                    self._receive(connection, message.data)
                elif message.type is WSMsgType.BINARY:
                    connection.send(packets.error_frame("Binary frames are not supported."))
                elif message.type is WSMsgType.ERROR:
                    break
                if connection.closing:
                    break
        finally:
            hub.remove_connection(connection)
            self._connections.pop(sid, None)
            await connection.finish()
        return ws

    def _receive(self, connection: SocketConnection, frame: str) -> None:
        try:
            packet = packets.parse(frame)
        except packets.PacketError as error:
            connection.send(packets.error_frame(str(error)))
            return
        kind = packet.type
        try:
            if kind == "5":
                result = self._on_event(connection, packet)
            elif kind == "2" or kind == "8" or kind == "1" or kind == "6":
                return  # heartbeat answer, noop, endpoint connect, client ack
            elif kind == "0":
                connection.close(WSCloseCode.OK)
                return
            elif kind == "7":
                log.info("Event hub client %s reported: %s", connection.session_id, packet.data)
                return
            else:
                result = failure("Packets of type {0} are not supported; send events "
                                 "(type 5).".format(kind))
        except Exception as error:  # noqa: BLE001 - never break the connection loop
            log.exception("Error while handling an event hub packet")
            result = failure("Internal error: {0}".format(error))
        if packet.id:
            connection.send(packets.ack_frame(packet.id, result))
        elif not result.get("success"):
            connection.send(packets.error_frame(result.get("message", "Error")))

    def _on_event(self, connection: SocketConnection, packet: packets.Packet) -> Dict[str, Any]:
        try:
            payload = json.loads(packet.data)
        except ValueError as error:
            return failure("The event packet is not valid JSON: {0}".format(error))
        if not isinstance(payload, dict) or payload.get("name") != "ftrack.event":
            return failure('Expected {"name": "ftrack.event", "args": [<event>]}.')
        args = payload.get("args")
        if not isinstance(args, list) or len(args) != 1 or not isinstance(args[0], dict):
            return failure('"args" must hold exactly one event object.')
        event = args[0]
        frame: Optional[str] = None
        if (len(payload) == 2 and "id" in event and isinstance(event.get("topic"), str)
                and packets.EVENT_KEY_SET.issuperset(event)):
            # Already in wire form: deliver the text as received.
            frame = "5:::" + packet.data
        else:
            event = normalise(event)
        return self.hub.publish(event, connection, frame)


# -- helpers ------------------------------------------------------------------------------

_HEADER_SHORT = struct.Struct("!BB").pack
_HEADER_MEDIUM = struct.Struct("!BBH").pack
_HEADER_LONG = struct.Struct("!BBQ").pack


def text_frame(text: str) -> bytes:
    """One unmasked, uncompressed WebSocket text frame (server to client)."""
    payload = text.encode("utf-8")
    size = len(payload)
    if size < 126:
        return _HEADER_SHORT(0x81, size) + payload
    if size < 65536:
        return _HEADER_MEDIUM(0x81, 126, size) + payload
    return _HEADER_LONG(0x81, 127, size) + payload


def _credentials(request: web.Request) -> Tuple[Optional[str], Optional[str]]:
    user = request.headers.get("ftrack-user")
    key = request.headers.get("ftrack-api-key")
    if not user and not key:
        user = request.query.get("api_user")
        key = request.query.get("api_key")
    return user or None, key or None


def _authenticate(backend: Any, user: Optional[str], key: Optional[str]
                  ) -> Tuple[Optional[Tuple[int, bytes]], Optional[str]]:
    refusal = check_credentials(backend, user, key)
    if refusal is not None:
        return refusal, None
    lookup = getattr(backend, "user_id_of", None)
    try:
        return None, lookup(user) if lookup is not None else None
    except Exception:  # noqa: BLE001 - the id is informative only
        log.exception("Could not look up the id of user %s", user)
        return None, None


def _cors_headers(request: web.Request) -> Dict[str, str]:
    origin = request.headers.get("Origin")
    if not origin:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin"}
