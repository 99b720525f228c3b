"""The event hub's Socket.IO 0.9 endpoint on aiohttp (doc/protocol.rst, "The event hub").

* ``GET /socket.io/1/`` — handshake, authenticated by the ``ftrack-user`` and
  ``ftrack-api-key`` headers or the ``api_user``/``api_key`` query
  parameters; answers ``<sid>:<heartbeat timeout>:<close timeout>:websocket``
  (401 for bad credentials). A session id is signed, so every server process
  sharing the data directory accepts it (:mod:`.sessions`), and opens one
  WebSocket within ``HubSettings.handshake_timeout`` seconds.
* ``GET /socket.io/1/websocket/<sid>`` — the WebSocket (404 for an unknown or
  expired sid). The server sends ``1::`` first, then ``2::`` every
  ``heartbeat_interval`` seconds, and drops a client that has sent nothing for
  ``heartbeat_timeout`` seconds.

Each connection has one reader (the request handler) and one writer task
draining its queue of outgoing frames; routing only appends to queues, so a
slow client never holds up the others. The writer sends everything queued
in one transport write (WebSocket text frames built here; the socket is
opened without compression), pausing while the client is slow to read.

A client that stops reading is dropped once more than
``HubSettings.max_queue_bytes`` wait for it (queued frames plus the socket's
write buffer) or more than ``HubSettings.max_queue`` frames are queued: its
queue is released at once, its socket aborted, and one warning says so.

Every frame the server refuses (bad packet, bad JSON, wrong shape, binary,
invalid UTF-8, too large, unsupported type, failed routing) is logged as one
warning line; the client gets an error or acknowledgement packet where the
protocol allows. Only origins in ``HubSettings.allowed_origins`` get CORS
headers on the handshake (see ``doc/local_server_event_hub.rst``).
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import struct
from typing import Any, Awaitable, Callable, Dict, FrozenSet, List, Optional, Tuple

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.http_websocket import WebSocketError

from ..api.permissions import readable_projects
from ..glibc import glibc_function
from ..http import BACKEND, EXECUTOR, Answer, check_credentials, credentials
from . import packets
from .sessions import SessionIds
from .hub import EventHub, Connection, HubSettings, failure, normalise

log = logging.getLogger(__name__)

HANDSHAKE_PATH = "/socket.io/1/"
WEBSOCKET_PATH = "/socket.io/1/websocket/{sid}"
#: Seconds the advertised close timeout (the third handshake field).
CLOSE_TIMEOUT = 60
#: Largest accepted client frame.
MAX_FRAME = 64 * 1024 * 1024
#: Seconds allowed for closing one socket.
CLOSE_WAIT = 2.0
#: Bytes buffered for a client above which its writer waits for it to read.
HIGH_WATER = 1024 * 1024
#: Bytes released by dropping a client above which freed heap memory is
#: handed back to the operating system.
TRIM_AFTER = 4 * 1024 * 1024
#: Headers a browser may send with a cross-origin handshake.
CORS_REQUEST_HEADERS = "ftrack-user, ftrack-api-key, content-type"
#: Seconds a browser may cache a preflight answer.
CORS_MAX_AGE = 600

ENDPOINT: "web.AppKey[SocketIOEndpoint]" = web.AppKey("ftrack_local.socketio", object)


class SocketConnection(Connection):
    """A client on a WebSocket: an outgoing queue and the tasks serving it.

    :attr:`queued_bytes` counts the UTF-8 size of the frames in :attr:`outbox`;
    with the transport's write buffer it is what the queue limits bound.
    """

    def __init__(self, session_id: str, user: Dict[str, Any], ws: web.WebSocketResponse,
                 transport: Optional[asyncio.BaseTransport], settings: HubSettings,
                 on_drop: Optional[Callable[[int], None]] = None) -> None:
        super().__init__(session_id, user)
        self.ws = ws
        self.transport = transport
        self.outbox: List[str] = []
        self.queued_bytes = 0
        self.closing = False
        self.last_received = asyncio.get_running_loop().time()
        #: How clients spell their user in JSON (see :func:`packets.restamp`).
        self.user_spellings = packets.user_spellings(self.user)
        self._settings = settings
        self._on_drop = on_drop
        self._buffered: Callable[[], int] = getattr(transport, "get_write_buffer_size", _nothing)
        self._wake = asyncio.Event()
        self._writer: Optional["asyncio.Future[None]"] = None
        self._heartbeat: Optional["asyncio.Future[None]"] = None
        self._closer: Optional["asyncio.Future[None]"] = None
        #: Reads again which projects the user may see (run every heartbeat).
        self.refresh_readable: Optional[Callable[[], Awaitable[None]]] = None

    def start(self, hub: EventHub) -> None:
        """Start the writer and heartbeat tasks."""
        self._writer = asyncio.ensure_future(self._write_loop())
        self._heartbeat = asyncio.ensure_future(self._heartbeat_loop(hub))

    def send(self, frame: str) -> None:
        if self.closing:
            return
        size = len(frame) if frame.isascii() else len(frame.encode("utf-8", "backslashreplace"))
        outbox = self.outbox
        outbox.append(frame)
        waiting = self.queued_bytes
        self.queued_bytes = waiting + size
        if len(outbox) == 1:
            self._wake.set()
        settings = self._settings
        if len(outbox) > settings.max_queue:
            self.drop("{0} frames queued, limit {1}".format(len(outbox), settings.max_queue))
            return
        waiting += self._buffered()
        if waiting and waiting + size > settings.max_queue_bytes:
            self.drop("{0} bytes queued, limit {1}".format(waiting + size,
                                                           settings.max_queue_bytes))

    def drop(self, reason: str) -> None:
        """Drop a client that does not keep up: release its queue, abort its socket."""
        if self.closing:
            return
        released = self.queued_bytes + self._buffered()
        log.warning("Dropping event hub client %s: it is not reading its events (%s)",
                    self.label, reason)
        self.closing = True
        self.outbox = []
        self.queued_bytes = 0
        self._wake.set()
        if self.transport is not None:
            self.transport.abort()
        else:
            self._closer = asyncio.ensure_future(self._close(WSCloseCode.TRY_AGAIN_LATER))
        if self._on_drop is not None:
            self._on_drop(released)

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
        self.outbox = []
        self.queued_bytes = 0

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
                self.queued_bytes = 0
                if transport is None or not isinstance(transport, asyncio.WriteTransport):
                    for frame in frames:
                        await ws.send_str(frame)
                    continue
                if transport.is_closing() or ws.closed:
                    raise ConnectionResetError("The client has gone.")
                transport.write(b"".join([text_frame(frame) for frame in frames]))
                # The transport holds its own copy; let the frames go now.
                frames = []
                while transport.get_write_buffer_size() > HIGH_WATER:
                    if transport.is_closing():
                        raise ConnectionResetError("The client has gone.")
                    await asyncio.sleep(0.005)
        except (ConnectionError, RuntimeError):
            # The socket went away; the reader notices and cleans up.
            self.outbox = []
            self.queued_bytes = 0
            self.closing = True
        except Exception as error:  # noqa: BLE001 - a writer must end quietly
            log.warning("Could not write to event hub client %s, closing it: %s: %s",
                        self.label, type(error).__name__, error)
            self.outbox = []
            self.queued_bytes = 0
            self.closing = True
            if transport is not None:
                transport.abort()

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
            if self.refresh_readable is not None:
                await self.refresh_readable()


class SocketIOEndpoint:
    """The handshake and WebSocket handlers serving one :class:`EventHub`."""

    def __init__(self, hub: EventHub) -> None:
        self.hub = hub
        #: Signs the session ids handshakes give (set when the app starts).
        self._sessions: Optional[SessionIds] = None
        self._connections: Dict[str, SocketConnection] = {}
        self._stopping = False
        self._trimming = False

    def install(self, app: web.Application) -> None:
        """Serve the handshake and websocket routes of the hub on *app*."""
        app[ENDPOINT] = self
        for path in (HANDSHAKE_PATH, HANDSHAKE_PATH.rstrip("/")):
            app.router.add_get(path, self.handshake)
            app.router.add_route("OPTIONS", path, self.preflight)
        app.router.add_get(WEBSOCKET_PATH, self.websocket)
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)

    async def _on_startup(self, app: web.Application) -> None:
        self._stopping = False
        self._sessions = SessionIds.for_data_dir(getattr(app.get(BACKEND), "data_dir", None))
        self.hub.attach(asyncio.get_running_loop())

    async def _on_shutdown(self, app: web.Application) -> None:
        self._stopping = True
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
        user, key = credentials(request)
        loop = asyncio.get_running_loop()
        backend = request.app[BACKEND]
        refusal, user_id = await loop.run_in_executor(
            request.app[EXECUTOR], _authenticate, backend, user, key)
        headers = _cors_headers(request, self.hub.settings.allowed_origins)
        if refusal is not None:
            status, body = refusal
            return web.Response(status=status, body=body, content_type="application/json",
                                headers=headers)
        if self._stopping or self._sessions is None:
            return web.Response(status=503, text="The server is stopping.", headers=headers)
        sid = self._sessions.issue({"id": user_id, "username": user})
        timeout = int(self.hub.settings.heartbeat_timeout)
        return web.Response(text="{0}:{1}:{2}:websocket".format(sid, timeout, CLOSE_TIMEOUT),
                            content_type="text/plain", headers=headers)

    async def preflight(self, request: web.Request) -> web.Response:
        """Answer a browser's CORS preflight of the handshake."""
        headers = _cors_headers(request, self.hub.settings.allowed_origins)
        if not headers:
            if request.headers.get("Origin"):
                return web.Response(status=403, text="This origin may not use the event hub.",
                                    headers={"Vary": "Origin"})
            return web.Response(status=204, headers={"Allow": "GET, HEAD, OPTIONS"})
        headers.update({"Access-Control-Allow-Methods": "GET, OPTIONS",
                        "Access-Control-Allow-Headers": CORS_REQUEST_HEADERS,
                        "Access-Control-Max-Age": str(CORS_MAX_AGE)})
        return web.Response(status=204, headers=headers)

    # -- websocket ------------------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        """Run one client's websocket connection until it closes."""
        loop = asyncio.get_running_loop()
        sessions = self._sessions
        redeemed = None if sessions is None or self._stopping else sessions.redeem(
            request.match_info["sid"], self.hub.settings.handshake_timeout)
        if redeemed is None:
            raise web.HTTPNotFound(text="Unknown or expired event hub session id; "
                                        "do the handshake at /socket.io/1/ first.")
        ws = web.WebSocketResponse(autoping=True, compress=False, max_msg_size=MAX_FRAME,
                                   timeout=CLOSE_WAIT)
        if not ws.can_prepare(request).ok:
            raise web.HTTPBadRequest(text="Expected a WebSocket upgrade.")
        await ws.prepare(request)
        hub = self.hub
        sid, user = redeemed
        connection = SocketConnection(sid, user, ws, request.transport, hub.settings,
                                      self._released)
        backend, executor = request.app[BACKEND], request.app[EXECUTOR]

        async def refresh_readable() -> None:
            connection.readable_projects = await loop.run_in_executor(
                executor, _readable_projects, backend, user.get("id"))

        connection.refresh_readable = refresh_readable
        await refresh_readable()
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
                    _refused(connection, "a binary frame of {0} bytes".format(len(message.data)))
                    connection.send(packets.error_frame("Binary frames are not supported."))
                elif message.type is WSMsgType.ERROR:
                    if isinstance(message.data, WebSocketError) and not connection.closing:
                        _refused(connection, "{0} (WebSocket close code {1})".format(
                            message.data, message.data.code))
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
            _refused(connection, str(error))
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
                log.info("Event hub client %s reported: %s", connection.label, packet.data[:200])
                return
            else:
                result = failure("Packets of type {0} are not supported; send events "
                                 "(type 5).".format(kind))
        except Exception as error:  # noqa: BLE001 - never break the connection loop
            result = failure("Internal error: {0}: {1}".format(type(error).__name__, error))
        if not result.get("success"):
            _refused(connection, result.get("message", "Error"))
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
            # Already in wire form: deliver the text as received, its user
            # re-spelled when that is certain (the hub stamps the rest).
            source = event.get("source")
            if type(source) is dict:
                data = packets.restamp(packet.data, connection.user_spellings,
                                       source.get("user"))
                if data is not None:
                    source["user"] = dict(connection.user)
                    frame = "5:::" + data
        else:
            event = normalise(event)
        return self.hub.publish(event, connection, frame)

    # -- memory -----------------------------------------------------------------------

    def _released(self, size: int) -> None:
        """A dropped client released *size* bytes: hand free heap back to the system."""
        if size < TRIM_AFTER or self._trimming or _TRIM is None:
            return
        self._trimming = True
        loop = asyncio.get_running_loop()
        # Let the reader and writer tasks let go of the client's last frames first.
        loop.call_later(0.05, self._trim, loop)

    def _trim(self, loop: asyncio.AbstractEventLoop) -> None:
        def done(future: "asyncio.Future[Any]") -> None:
            self._trimming = False
        try:
            loop.run_in_executor(None, _TRIM, 0).add_done_callback(done)
        except RuntimeError:  # the loop or its executor has shut down
            self._trimming = False


# -- helpers ------------------------------------------------------------------------------

_HEADER_SHORT = struct.Struct("!BB").pack
_HEADER_MEDIUM = struct.Struct("!BBH").pack
_HEADER_LONG = struct.Struct("!BBQ").pack


def text_frame(text: str) -> bytes:
    """One unmasked, uncompressed WebSocket text frame (server to client).

    A lone surrogate (from a ``\\udxxx`` escape a client sent) is written as
    that escape again: in a JSON string, the only place it can be, it means
    the same and keeps the frame valid UTF-8.
    """
    payload = text.encode("utf-8", "backslashreplace")
    size = len(payload)
    if size < 126:
        return _HEADER_SHORT(0x81, size) + payload
    if size < 65536:
        return _HEADER_MEDIUM(0x81, 126, size) + payload
    return _HEADER_LONG(0x81, 127, size) + payload


def _authenticate(backend: Any, user: Optional[str], key: Optional[str]
                  ) -> Tuple[Optional[Answer], Optional[str]]:
    refusal = check_credentials(backend, user, key)
    if refusal is not None:
        return refusal, None
    lookup = getattr(backend, "user_id_of", None)
    try:
        return None, lookup(user) if lookup is not None else None
    except Exception:  # noqa: BLE001 - the id is informative only
        log.exception("Could not look up the id of user %s", user)
        return None, None


def _readable_projects(backend: Any, user_id: Optional[str]) -> Optional[FrozenSet[str]]:
    """The projects whose updates *user_id* may see (None: all); none when unsure."""
    if getattr(backend, "storage", None) is None:
        return None  # a backend without security roles
    try:
        return readable_projects(backend, user_id)
    except Exception as error:  # noqa: BLE001 - fail closed, keep the connection
        log.warning("Could not read the projects user %s may see: %s", user_id, error)
        return frozenset()


def _cors_headers(request: web.Request, allowed: Tuple[str, ...]) -> Dict[str, str]:
    """The CORS headers of an answer to *request*: only for an *allowed* origin."""
    origin = request.headers.get("Origin")
    if not origin or origin not in allowed:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin"}


def _refused(connection: Connection, what: str) -> None:
    """Log, as one line, that a frame from *connection* was refused and why."""
    log.warning("Event hub client %s sent a frame the server refused: %s",
                connection.label, " ".join(str(what)[:500].split()))


def _nothing() -> int:
    return 0


#: glibc's ``malloc_trim`` (hands free heap memory back to the system), if present.
_TRIM = glibc_function("malloc_trim", [ctypes.c_size_t], ctypes.c_int)
