"""The event server: a Socket.IO 0.9 event hub and ``ftrack.update`` events.

* :mod:`.expression` — subscription and target expressions;
* :mod:`.hub` — connections, subscribers and routing;
* :mod:`.packets` — the Socket.IO 0.9 packet format;
* :mod:`.socketio` — the aiohttp endpoint (handshake and WebSocket);
* :mod:`.updates` — ``ftrack.update`` payloads from a request's change log;
* :mod:`.bus` — events shared with the other server processes of a
  PostgreSQL database.

``make_app(backend, extensions=[events.extension(hub)])`` serves *hub* and
publishes ``ftrack.update`` after each committed request that changed data.
On PostgreSQL the hub also exchanges events with every other server process
of the database (see ``doc/local_server_processes.rst``).
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional

from aiohttp import web

from ..http import BACKEND
from .bus import EventBus, conninfo_of
from .hub import EventHub, HubSettings
from .socketio import SocketIOEndpoint
from .updates import UpdatePublisher

__all__ = ["EventHub", "HubSettings", "SocketIOEndpoint", "UpdatePublisher", "extension",
           "EVENT_HUB", "EVENT_BUS"]

#: Application key of the running :class:`EventHub`.
EVENT_HUB: "web.AppKey[EventHub]" = web.AppKey("ftrack_local.event_hub", EventHub)
#: Application key of the :class:`~.bus.EventBus` (PostgreSQL databases only).
EVENT_BUS: "web.AppKey[Any]" = web.AppKey("ftrack_local.event_bus", object)


def extension(hub: Optional[EventHub] = None) -> Callable[[web.Application], None]:
    """An application extension serving *hub* (a new one when None)."""
    def install(app: web.Application) -> None:
        served = hub if hub is not None else EventHub()
        app[EVENT_HUB] = served
        SocketIOEndpoint(served).install(app)
        backend: Any = app.get(BACKEND)
        shared = _shares_database(backend)
        if shared:
            _install_bus(app, served, backend)
        listeners = getattr(backend, "commit_listeners", None)
        if listeners is not None:
            # Subscribers of other processes are not known here: with a shared
            # database every commit's update is published.
            publisher = UpdatePublisher(_AnySubscriber(served) if shared else served,
                                        backend.storage)

            async def start(app: web.Application) -> None:
                listeners.append(publisher)

            async def stop(app: web.Application) -> None:
                if publisher in listeners:
                    listeners.remove(publisher)

            app.on_startup.append(start)
            app.on_shutdown.append(stop)
    return install


def _shares_database(backend: Any) -> bool:
    """Whether other server processes may serve *backend*'s database (PostgreSQL)."""
    storage = getattr(backend, "storage", None)
    engine = getattr(storage, "engine", None)
    return engine is not None and engine.dialect.name == "postgresql"


def _install_bus(app: web.Application, hub: EventHub, backend: Any) -> None:
    """Relay *hub*'s events to the other processes of the database while *app* runs."""
    bus = EventBus(hub, conninfo_of(backend.storage.engine.url))

    async def start(app: web.Application) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, bus.start, loop)

    async def stop(app: web.Application) -> None:
        await asyncio.get_running_loop().run_in_executor(None, bus.close)

    app[EVENT_BUS] = bus
    app.on_startup.append(start)
    app.on_cleanup.append(stop)


class _AnySubscriber:
    """*hub* as seen by a publisher that must assume some process has a subscriber."""

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub

    def may_deliver(self, topic: str) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._hub, name)
