"""The web pages of ``ftrack-local serve``: look at what the server holds, in a browser.

Served at ``/`` behind a sign-in with user name and API key
(:mod:`.sessions`): the projects and any entity with its attributes,
custom attributes, metadata and collections (:mod:`.browse`), a query box
(:mod:`.querying`), the event hub live (:mod:`.live`), the jobs
(:mod:`.jobs`), and small edits that go through the API (:mod:`.edits`).
Pages are rendered on the server from the templates in ``templates/``;
the only script is the live events view (``static/events.js``). Everything
ships inside the package: no page loads anything from elsewhere.
"""

from __future__ import annotations

import os

from aiohttp import web

from . import browse, edits, jobs, live, login, querying

STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")


def install(app: web.Application) -> None:
    """Add the web pages to *app*."""
    live.install(app)
    app.add_routes([
        web.get("/", browse.handle_home),
        web.get("/login", login.handle_login_form),
        web.post("/login", login.handle_login),
        web.post("/logout", login.handle_logout),
        web.get("/browse/thumbnail/{id}", browse.handle_thumbnail),
        web.get("/browse/file/{id}", browse.handle_file),
        web.get("/browse/{type}/{id}", browse.handle_entity),
        web.get("/browse/{type}/{id}/{collection}", browse.handle_collection),
        web.get("/query", querying.handle_query),
        web.get("/events", live.handle_events),
        web.get("/events/stream", live.handle_stream),
        web.get("/jobs", jobs.handle_jobs),
        web.post("/edit/{type}/{id}", edits.handle_edit),
        web.static("/static", STATIC_DIR, append_version=False),
    ])
