"""Run the local server in a background thread (tests, scripts) or in the
foreground (the command line)."""

from __future__ import annotations

import asyncio
import ctypes
import ipaddress
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
from typing import Any, Generic, Iterable, Optional, TypeVar, overload

from aiohttp import web

from . import events
from .api import Backend
from .app import Extension, make_app
from .glibc import glibc_function
from .limits import Limits
from .private_files import make_private_dir
from .snapshot.load import load as load_snapshot

log = logging.getLogger(__name__)

#: Seconds given to running requests when the server stops.
SHUTDOWN_TIMEOUT = 5.0
#: Seconds to wait for the event loop to come up or go down.
THREAD_TIMEOUT = 30.0
#: Allocations from this size on get memory of their own from the system,
#: handed back as soon as they are freed (see return_large_allocations).
LARGE_ALLOCATION = 1024 * 1024

_Value = TypeVar("_Value")


class _ReadOnly(Generic[_Value]):
    """A read-only attribute of a server: the value of its name with a leading underscore."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self._attribute = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._attribute = "_" + name

    @overload
    def __get__(self, instance: None, owner: Optional[type] = None) -> "_ReadOnly[_Value]": ...

    @overload
    def __get__(self, instance: object, owner: Optional[type] = None) -> _Value: ...

    def __get__(self, instance: Optional[object], owner: Optional[type] = None) -> Any:
        if instance is None:
            return self
        return getattr(instance, self._attribute)

    def __set__(self, instance: object, value: Any) -> None:
        raise AttributeError("{0} is read-only".format(self._attribute[1:]))


class LocalServer:
    """An ftrack-compatible server on its own event loop and thread.

    ``start()`` opens the data directory, binds the socket (``port=0``
    picks a free port) and returns once connections are accepted.
    ``stop()`` undoes everything and may be called any number of times.
    Without *data_dir* a temporary directory is used and removed on stop.

    The event hub (``/socket.io/1/``) is served too unless *event_hub* is
    False; :attr:`event_hub` is the :class:`~ftrack_local.events.EventHub`
    (its ``settings`` may be changed while running), made with
    *hub_settings* (a :class:`~ftrack_local.events.HubSettings`) when given.
    *limits* bound what one request may ask (see :mod:`ftrack_local.limits`).
    *public_url* is the address clients reach the server by when it is not
    :attr:`url` — a load balancer in front of several processes; the server
    puts it in the upload, download and widget URLs it hands out.
    *snapshot* is a snapshot folder or archive (see :mod:`ftrack_local.snapshot`)
    loaded into the data directory before the server accepts connections.
    """

    def __init__(self, data_dir: Optional[str] = None, host: str = "127.0.0.1",
                 port: int = 0, database_url: Optional[str] = None,
                 api_user: str = "admin", api_key: Optional[str] = None,
                 *, extensions: Iterable[Extension] = (), event_hub: bool = True,
                 limits: Optional[Limits] = None, hub_settings: Any = None,
                 public_url: Optional[str] = None, snapshot: Optional[str] = None) -> None:
        self._data_dir = os.path.abspath(data_dir) if data_dir else None
        self._host = host
        self._port = port
        #: What the backend is opened with; its user and key are known once it is.
        self._backend_options = {"database_url": database_url, "api_user": api_user, "api_key": api_key}
        self._api_user = api_user
        self._api_key = api_key
        self._extensions = tuple(extensions)
        self._limits = limits or Limits()
        self._public_url = public_url.rstrip("/") if public_url else None
        self._snapshot = snapshot
        self._event_hub: Optional[events.EventHub] = None
        if event_hub:
            self._event_hub = events.EventHub(hub_settings)
        self._temporary_dir: Optional[str] = None
        self._backend: Optional[Backend] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._runner: Optional[web.AppRunner] = None
        self._lock = threading.RLock()
        self._stopped = threading.Event()
        self._running = False

    # -- properties -----------------------------------------------------------

    host = _ReadOnly[str]("The host the server listens on, as configured.")
    port = _ReadOnly[int]("The bound port (the requested one until started).")
    api_user = _ReadOnly[str]("The admin user name.")
    api_key = _ReadOnly[Optional[str]]("The admin API key (known once started; kept after stop).")
    event_hub = _ReadOnly[Optional[events.EventHub]]("The :class:`~.events.EventHub`, or None when disabled.")
    limits = _ReadOnly[Limits]("The :class:`~ftrack_local.limits.Limits` requests are held to.")
    data_dir = _ReadOnly[Optional[str]]("The data directory (a temporary one is only known while running).")
    backend = _ReadOnly[Optional[Backend]]("The backend while running, else None.")
    running = _ReadOnly[bool]("Whether the server is accepting connections.")

    @property
    def url(self) -> str:
        """The base URL clients use, e.g. ``http://127.0.0.1:8989``."""
        return "http://{0}:{1}".format(_url_host(self._host), self._port)

    @property
    def public_url(self) -> str:
        """The URL clients are told to use: *public_url* when given, else :attr:`url`."""
        return self._public_url or self.url

    # -- life cycle -------------------------------------------------------------

    def start(self) -> "LocalServer":
        """Open the backend and serve; return once connections are accepted."""
        with self._lock:
            if self._running:
                return self
            self._stopped.clear()
            return_large_allocations()
            sock = _bind(self._host, self._port)
            try:
                self._port = sock.getsockname()[1]
                self._open_backend()
                self._start_loop(sock)
            except BaseException:
                sock.close()
                self._teardown()
                raise
            self._running = True
            log.info("ftrack_local serving on %s", self.url)
            return self

    def stop(self) -> None:
        """Stop serving and release everything; safe to call repeatedly."""
        with self._lock:
            was_running = self._running
            self._running = False
            self._teardown()
            self._stopped.set()
            if was_running:
                log.info("ftrack_local stopped")

    def serve_forever(self) -> None:
        """Serve in the foreground until Ctrl-C or SIGTERM, then stop.

        Starts the server if needed. Signal handlers are only installed when
        called from the main thread; elsewhere it returns after ``stop()``.
        """
        self.start()
        previous = None
        in_main = threading.current_thread() is threading.main_thread()
        if in_main:
            previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            while not self._stopped.wait(0.5):
                if self._thread is not None and not self._thread.is_alive():
                    log.error("The server thread ended unexpectedly")
                    break
        except KeyboardInterrupt:
            pass
        finally:
            try:
                self.stop()
            finally:
                if in_main:
                    signal.signal(signal.SIGTERM, previous)

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        return "<LocalServer {0} {1}>".format(self.url, state)

    # -- internals ----------------------------------------------------------------

    def _open_backend(self) -> None:
        if self._data_dir is None:
            self._temporary_dir = tempfile.mkdtemp(prefix="ftrack-local-")
            self._data_dir = self._temporary_dir
        make_private_dir(self._data_dir)
        self._backend = Backend.open(self._data_dir, **self._backend_options)
        self._backend.server_url = self.public_url
        if self._snapshot:
            load_snapshot(self._backend, self._snapshot)
        self._api_user = self._backend.api_user
        self._api_key = self._backend.api_key

    def _start_loop(self, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=_run_loop, args=(loop,), name="ftrack-local-server",
            daemon=True)
        self._thread.start()
        extensions = self._extensions
        if self._event_hub is not None:
            extensions = (events.extension(self._event_hub),) + extensions
        app = make_app(self._backend, extensions=extensions, limits=self._limits)
        future = asyncio.run_coroutine_threadsafe(
            self._start_site(app, sock), loop)
        future.result(THREAD_TIMEOUT)

    async def _start_site(self, app: web.Application,
                          sock: socket.socket) -> None:
        runner = web.AppRunner(app, handle_signals=False,
                               shutdown_timeout=SHUTDOWN_TIMEOUT)
        await runner.setup()
        self._runner = runner
        await web.SockSite(runner, sock).start()

    def _teardown(self) -> None:
        loop, thread, runner = self._loop, self._thread, self._runner
        self._loop = self._thread = self._runner = None
        if loop is not None and thread is not None and thread.is_alive():
            if runner is not None:
                try:
                    asyncio.run_coroutine_threadsafe(
                        runner.cleanup(), loop).result(
                            SHUTDOWN_TIMEOUT + THREAD_TIMEOUT)
                except Exception:  # noqa: BLE001 - keep shutting down
                    log.exception("Error while stopping the web server")
            loop.call_soon_threadsafe(loop.stop)
            thread.join(THREAD_TIMEOUT)
        backend, self._backend = self._backend, None
        if backend is not None:
            try:
                backend.close()
            except Exception:  # noqa: BLE001
                log.exception("Error while closing the backend")
        if self._temporary_dir is not None:
            shutil.rmtree(self._temporary_dir, ignore_errors=True)
            self._temporary_dir = None
            self._data_dir = None


def return_large_allocations() -> bool:
    """Make glibc give large freed blocks (request bodies) back to the system at once.

    By default glibc raises its threshold for memory mapped blocks each time
    one is freed, so after a few large requests their buffers come from the
    heap and stay with the process. A fixed threshold keeps every block of
    :data:`LARGE_ALLOCATION` bytes or more memory mapped. Returns whether the
    setting applied (only on Linux with glibc).
    """
    mallopt = glibc_function("mallopt", [ctypes.c_int, ctypes.c_int], ctypes.c_int)
    if mallopt is None:
        return False
    m_mmap_threshold = -3
    return bool(mallopt(m_mmap_threshold, LARGE_ALLOCATION))


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


def _bind(host: str, port: int) -> socket.socket:
    """Create a listening socket on *host*:*port* (raises OSError)."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                               flags=socket.AI_PASSIVE)
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _url_host(host: str) -> str:
    """The host to put in URLs: wildcards become loopback, IPv6 gets []."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    if ":" in host and not host.startswith("["):
        return "[{0}]".format(host)
    return host


def is_loopback(host: str) -> bool:
    """Whether *host* only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
