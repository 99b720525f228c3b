"""Signing in to the web pages: a login with user name and API key, then a session cookie.

The cookie holds a token signed with the data dir's secret (the one of
component URLs, :mod:`ftrack_local.components.tokens`) naming the user and
a fingerprint of the API key they signed in with. Each request checks the
fingerprint against the key stored now, so rotating a user's key (or
removing the user) ends their web sessions at once. The cookie is
``HttpOnly`` (scripts cannot read it), ``SameSite=Strict`` (other sites'
pages cannot make the browser send it) and ``Secure`` when the page was
served over HTTPS.

Forms that change data carry a second token, for the same user and a
different purpose, which the handler of the form checks.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Optional

from aiohttp import web

from ..api import users
from ..components.tokens import TokenError, TokenSigner

COOKIE = "ftrack_local_session"
SESSION_PURPOSE = "web-session"
FORM_PURPOSE = "web-form"
#: Seconds a web session lasts without signing in again.
SESSION_LIFETIME = 12 * 3600
#: Seconds a form may stay open before it is sent.
FORM_LIFETIME = 12 * 3600


def fingerprint(api_key: str) -> str:
    """A short digest naming *api_key* without revealing it."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:32]


def issue(signer: TokenSigner, username: str, api_key: str) -> str:
    """The session token of *username*, signed in with *api_key*."""
    return signer.issue(SESSION_PURPOSE, SESSION_LIFETIME, user=username, key=fingerprint(api_key))


def set_cookie(response: web.StreamResponse, request: web.Request, token: str) -> None:
    """Give the browser the session cookie holding *token*."""
    response.set_cookie(COOKIE, token, max_age=SESSION_LIFETIME, path="/", httponly=True,
                        samesite="Strict", secure=request.secure)


def clear_cookie(response: web.StreamResponse) -> None:
    """Make the browser forget the session cookie."""
    response.del_cookie(COOKIE, path="/")


def signed_in_user(backend: Any, signer: TokenSigner, token: Optional[str]) -> Optional[str]:
    """The user the session *token* names, when it is genuine, current and their key unchanged.

    Blocks (reads the stored key): run it in the application's thread pool.
    """
    if not token:
        return None
    try:
        claims = signer.verify(token, SESSION_PURPOSE)
    except TokenError:
        return None
    username = claims.get("user")
    if not isinstance(username, str):
        return None
    with backend.storage.engine.connect() as connection:
        stored = users.stored_key(backend.storage, connection, username)
    if stored is None or not hmac.compare_digest(fingerprint(stored), str(claims.get("key"))):
        return None
    return username


def form_token(signer: TokenSigner, username: str) -> str:
    """The token forms of *username*'s pages carry."""
    return signer.issue(FORM_PURPOSE, FORM_LIFETIME, user=username)


def check_form_token(signer: TokenSigner, username: str, token: Optional[str]) -> bool:
    """Whether *token* is a current form token of *username*."""
    try:
        return signer.verify(token, FORM_PURPOSE).get("user") == username
    except TokenError:
        return False
