"""``/login`` and ``/logout``: starting and ending a web session."""

from __future__ import annotations

from aiohttp import web

from ..errors import ApiError
from ..http import BACKEND, blocking
from . import sessions
from .live import activate
from .pages import changing_form, render, signer_of


def safe_next(target: str) -> str:
    """*target* when it is a path of this server, else ``/`` (never another site)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def server_url(request: web.Request) -> str:
    """The address scripts connect to."""
    backend = request.app[BACKEND]
    return backend.server_url or "{0}://{1}".format(request.scheme, request.host)


def login_page(request: web.Request, status: int = 200, error: str = "", username: str = "",
               target: str = "/") -> web.Response:
    """The sign-in form (which also tells how scripts connect)."""
    return render(request, "login.html", status=status, error=error, username=username, next=target,
                  server_url=server_url(request), user=None)


async def handle_login_form(request: web.Request) -> web.Response:
    """``GET /login``: the sign-in form."""
    return login_page(request, target=safe_next(request.query.get("next", "/")))


async def handle_login(request: web.Request) -> web.Response:
    """``POST /login``: check the user name and API key, then start a session."""
    form = await request.post()
    username = str(form.get("username", "")).strip()
    api_key = str(form.get("api_key", "")).strip()
    target = safe_next(str(form.get("next", "/")))
    backend = request.app[BACKEND]
    try:
        await blocking(request, backend.authenticate, username, api_key)
    except ApiError as error:
        return login_page(request, status=401, error=error.content, username=username, target=target)
    activate(request)  # the events page shows what happens from now on
    response = web.HTTPSeeOther(target)
    sessions.set_cookie(response, request, sessions.issue(signer_of(request), username, api_key))
    raise response


@changing_form
async def handle_logout(request: web.Request) -> web.Response:
    """``POST /logout``: end the session (from this server's pages only)."""
    response = web.HTTPSeeOther("/login")
    sessions.clear_cookie(response)
    raise response
