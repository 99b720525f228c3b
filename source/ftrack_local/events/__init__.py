"""The event server: a Socket.IO 0.9 event hub and ``ftrack.update`` events.

* :mod:`.expression` — subscription and target expressions;
* :mod:`.hub` — connections, subscribers and routing;
* :mod:`.packets` — the Socket.IO 0.9 packet format;
* :mod:`.socketio` — the aiohttp endpoint (handshake and WebSocket);
* :mod:`.updates` — ``ftrack.update`` payloads from a request's change log.

``make_app(backend, extensions=[events.extension(hub)])`` serves *hub* and
publishes ``ftrack.update`` after each committed request that changed data.
"""

from typing import Any, Callable, Optional

from aiohttp import web

from ..app import BACKEND
from .hub import EventHub, HubSettings
from .socketio import SocketIOEndpoint
from .updates import UpdatePublisher

__all__ = ["EventHub", "HubSettings", "SocketIOEndpoint", "UpdatePublisher", "extension",
           "EVENT_HUB"]

#: Application key of the running :class:`EventHub`.
EVENT_HUB: "web.AppKey[EventHub]" = web.AppKey("ftrack_local.event_hub", EventHub)


def extension(hub: Optional[EventHub] = None) -> Callable[[web.Application], None]:
    """An application extension serving *hub* (a new one when None)."""
    def install(app: web.Application) -> None:
        served = hub if hub is not None else EventHub()
        app[EVENT_HUB] = served
        SocketIOEndpoint(served).install(app)
        backend: Any = app.get(BACKEND)
        listeners = getattr(backend, "commit_listeners", None)
        if listeners is not None:
            publisher = UpdatePublisher(served, backend.storage)

            async def start(app: web.Application) -> None:
                listeners.append(publisher)

            async def stop(app: web.Application) -> None:
                if publisher in listeners:
                    listeners.remove(publisher)

            app.on_startup.append(start)
            app.on_shutdown.append(stop)
    return install

