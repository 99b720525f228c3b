"""What every web page shares: templates, the signed-in user, and reading data as that user.

Pages read and write through :meth:`Backend.call <ftrack_local.api.backend.Backend.call>`
as the signed-in user, exactly like an API request of theirs: the same
permissions apply and changes publish the same ``ftrack.update`` events.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Awaitable, Callable, Dict, List, Optional
from urllib.parse import quote

import jinja2
from aiohttp import web

from .. import __version__
from ..http import BACKEND, blocking
from . import sessions

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_RequestKey = getattr(web, "RequestKey", None)  # aiohttp 3.11+; plain names before


def _request_key(name: str, kind: type) -> Any:
    return _RequestKey(name, kind) if _RequestKey is not None else name


#: What a signed-in page's request carries: the user, the token its forms
#: send back, and (for a form post) the fields sent.
USER = _request_key("ftrack_local.web.user", str)
FORM_TOKEN = _request_key("ftrack_local.web.form_token", str)
FORM = _request_key("ftrack_local.web.form", object)


def user_of(request: web.Request) -> str:
    """The signed-in user of a request a signed-in page handles."""
    return request[USER]


def form_of(request: web.Request) -> Any:
    """The fields of a form post a :func:`changing_form` handler was given."""
    return request[FORM]


TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("ftrack_local.web", "templates"),
    autoescape=jinja2.select_autoescape(("html",)),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True, lstrip_blocks=True)


def show(value: Any) -> str:
    """An attribute value as a page shows it."""
    if value is None:
        return "—"
    if isinstance(value, dict) and value.get("__type__") in ("datetime", "date"):
        text = str(value.get("value") or "")
        return text.replace("T", " ")[:19] if value.get("__type__") == "datetime" else text[:10]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def entity_url(entity_type: str, entity_id: Any) -> str:
    """The address of an entity's page."""
    return "/browse/{0}/{1}".format(quote(str(entity_type), safe=""), quote(str(entity_id), safe=""))


def event_source(event: Dict[str, Any]) -> str:
    """Who sent an event: its user's name, else the sending client's id."""
    source = event.get("source") or {}
    user = source.get("user") or {}
    return str(user.get("username") or source.get("id") or "")


TEMPLATES.filters["show"] = show
TEMPLATES.filters["event_source"] = event_source
TEMPLATES.globals["entity_url"] = entity_url
TEMPLATES.globals["version"] = __version__


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """The page *template* filled with *context* (plus the signed-in user and a form token)."""
    context.setdefault("user", request.get(USER))
    context.setdefault("form_token", request.get(FORM_TOKEN, ""))
    context.setdefault("path", request.path_qs)
    text = TEMPLATES.get_template(template).render(**context)
    response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
    return response


def signer_of(request: web.Request) -> Any:
    """The signer of session and form tokens."""
    return request.app[BACKEND].components.signer


async def signed_in(request: web.Request) -> Optional[str]:
    """The user signed in with the request's session cookie, if any."""
    token = request.cookies.get(sessions.COOKIE)
    if not token:
        return None
    return await blocking(request, sessions.signed_in_user, request.app[BACKEND], signer_of(request), token)


def signed_in_page(handler: Handler) -> Handler:
    """Run *handler* for signed-in users only; others are sent to the login page."""
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        user = await signed_in(request)
        if user is None:
            if request.method == "GET":
                raise web.HTTPSeeOther("/login?next=" + quote(request.path_qs, safe=""))
            raise web.HTTPUnauthorized(text="Sign in first.")
        request[USER] = user
        request[FORM_TOKEN] = sessions.form_token(signer_of(request), user)
        return await handler(request)
    return guarded


def changing_form(handler: Handler) -> Handler:
    """Refuse a form post without the signed-in user's form token (forged from another page)."""
    @functools.wraps(handler)
    async def checked(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        if not sessions.check_form_token(signer_of(request), user_of(request), str(form.get("form_token", ""))):
            raise web.HTTPForbidden(text="The form has expired or was not sent from this server's pages.")
        request[FORM] = form
        return await handler(request)
    return signed_in_page(checked)


async def call(request: web.Request, operations: List[Dict[str, Any]]) -> List[Any]:
    """Run API *operations* as the signed-in user; errors are raised as the API raises them."""
    backend = request.app[BACKEND]
    return await blocking(request, backend.call, operations, user_of(request))


async def query(request: web.Request, expression: str) -> List[Dict[str, Any]]:
    """The rows of one query, as the signed-in user."""
    return (await call(request, [{"action": "query", "expression": expression}]))[0]["data"]

