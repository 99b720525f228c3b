"""``/events``: the event hub seen live in a browser, with its recent history.

An :class:`EventTap` is a connection of the hub inside the server,
subscribed to every topic: it keeps the last :data:`HISTORY` events and
hands each new one to the pages watching (``GET /events/stream``, a
``text/event-stream`` the page's script reads with ``EventSource``). Each
watcher gives a subscription expression (as ``ftrack_api`` subscribers
do: ``topic=ftrack.update and source.user.username=jane``) and sees only
what it matches, and ``ftrack.update`` events only for the projects its
user may read, as an event hub client would.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import json
import uuid
from typing import Any, Deque, Dict, List, Optional

from aiohttp import web

from ..events import EVENT_HUB
from ..events.expression import Expression, parse as parse_expression
from ..events.hub import UPDATE, Connection, visible_update
from ..events.packets import PacketError, parse as parse_packet
from ..http import BACKEND, blocking
from .pages import render, signed_in_page, user_of

#: Events the page shows from before it was opened.
HISTORY = 200
#: Events waiting for one slow page before it is dropped.
QUEUE_SIZE = 1000
#: Seconds between keep-alive comments on a quiet stream.
KEEP_ALIVE = 15.0
TAP: "web.AppKey[TapHolder]" = web.AppKey("ftrack_local.web.event_tap", object)


class Watcher:
    """One page watching: its filter, the projects its user may read, and its queue."""

    def __init__(self, expression: Expression, readable: Optional[frozenset]) -> None:
        self.expression = expression
        self.readable = readable
        self.queue: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue(QUEUE_SIZE)
        #: Set when the page fell too far behind: its stream ends.
        self.dropped = False

    def visible(self, event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """*event* as this watcher may see it, or None."""
        if not self.expression.match(event):
            return None
        if self.readable is not None and event.get("topic") == UPDATE:
            return visible_update(event, self.readable)
        return event


class EventTap(Connection):
    """A hub connection inside the server that records events and passes them to watchers."""

    def __init__(self) -> None:
        super().__init__("web-" + uuid.uuid4().hex, {"username": "ftrack-local web pages"})
        self.history: Deque[Dict[str, Any]] = collections.deque(maxlen=HISTORY)
        self.watchers: List[Watcher] = []

    def send(self, frame: str) -> None:
        """Take one delivered event (a Socket.IO frame; on the hub's loop)."""
        try:
            packet = parse_packet(frame)
            event = json.loads(packet.data)["args"][0]
        except (PacketError, ValueError, KeyError, IndexError, TypeError):
            return
        if not event.get("sent"):  # clients' events carry no time: show when the hub routed it
            event["sent"] = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat()
        self.history.append(event)
        for watcher in list(self.watchers):
            visible = watcher.visible(event)
            if visible is None:
                continue
            try:
                watcher.queue.put_nowait(visible)
            except asyncio.QueueFull:
                watcher.dropped = True
                self.watchers.remove(watcher)


class TapHolder:
    """The application's :class:`EventTap`, made when the web pages are first used.

    Until then the hub has no subscriber on the pages' behalf, so a server
    only scripts use never builds events nobody receives.
    """

    def __init__(self) -> None:
        self.tap: Optional[EventTap] = None
        self.hub: Any = None

    def activate(self, app: web.Application) -> Optional[EventTap]:
        """The tap, subscribed to every topic of the hub from now on (None without a hub)."""
        hub = app.get(EVENT_HUB)
        if self.tap is None and hub is not None:
            tap = EventTap()
            hub.add_connection(tap)
            hub.subscribe(tap, {"id": tap.session_id}, "topic=*")
            self.tap, self.hub = tap, hub
        return self.tap

    def close(self) -> None:
        """Leave the hub, ending every stream."""
        if self.tap is not None:
            for watcher in self.tap.watchers:
                watcher.dropped = True
                try:
                    watcher.queue.put_nowait({})  # wakes the stream, which then ends
                except asyncio.QueueFull:
                    pass
            self.hub.remove_connection(self.tap)
            self.tap = None


def install(app: web.Application) -> None:
    """Prepare the event tap of *app*; it joins the hub when a page first needs it."""
    holder = app[TAP] = TapHolder()

    async def stop(app: web.Application) -> None:
        holder.close()

    app.on_shutdown.append(stop)


def activate(request: web.Request) -> Optional[EventTap]:
    """Start recording events for the pages (on sign-in and on the events pages)."""
    return request.app[TAP].activate(request.app)


def _expression(text: str) -> Expression:
    return parse_expression(text or "topic=*")


def _readable_by(backend: Any, username: str) -> Optional[frozenset]:
    """The projects *username* may read (None: all of them). Blocks."""
    return backend.readable_projects(backend.user_id_of(username))


async def _readable(request: web.Request) -> Optional[frozenset]:
    return await blocking(request, _readable_by, request.app[BACKEND], user_of(request))


@signed_in_page
async def handle_events(request: web.Request) -> web.Response:
    """``GET /events?filter=<expression>``: the recent events and the live view."""
    text = request.query.get("filter", "").strip()
    tap = activate(request)
    error = None
    events: List[Dict[str, Any]] = []
    try:
        watcher = Watcher(_expression(text), await _readable(request))
    except ValueError as failure:
        error = "Invalid filter: {0}".format(failure)
    else:
        if tap is not None:
            events = [seen for seen in (watcher.visible(event) for event in reversed(tap.history)) if seen]
    return render(request, "events.html", filter=text, events=events, error=error, hub=tap is not None)


@signed_in_page
async def handle_stream(request: web.Request) -> web.StreamResponse:
    """``GET /events/stream?filter=<expression>``: new events as server-sent events."""
    tap = activate(request)
    if tap is None:
        raise web.HTTPNotFound(text="This server runs without an event hub.")
    try:
        watcher = Watcher(_expression(request.query.get("filter", "").strip()), await _readable(request))
    except ValueError as error:
        raise web.HTTPBadRequest(text="Invalid filter: {0}".format(error))
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-store"})
    await response.prepare(request)
    tap.watchers.append(watcher)
    try:
        await response.write(b": watching\n\n")
        while not (watcher.dropped and watcher.queue.empty()):
            try:
                event = await asyncio.wait_for(watcher.queue.get(), KEEP_ALIVE)
            except asyncio.TimeoutError:
                await response.write(b": still here\n\n")
                continue
            if not event:
                continue
            payload = json.dumps(event, ensure_ascii=False, default=str)
            await response.write("data: {0}\n\n".format(payload).encode("utf-8"))
    except ConnectionResetError:
        pass  # the page was closed
    finally:
        if watcher in tap.watchers:
            tap.watchers.remove(watcher)
    return response
