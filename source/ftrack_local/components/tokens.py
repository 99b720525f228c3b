"""Signed, expiring tokens carried in URLs (uploads, widgets).

A token is ``<payload>.<signature>``: the payload is base64url JSON holding a
``purpose``, an expiry time ``exp`` (Unix seconds) and the claims of the
issuer; the signature is an HMAC-SHA256 of the payload with a secret kept in
the data dir, so tokens stay valid across restarts of the same server and
mean nothing to another one.

A single-use token also carries a random ``nonce``; :class:`UsedTokens`
spends it, once, with a marker file that every server process sharing the
data dir sees, and forgets it once the token has expired anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from typing import Any, Callable, Dict, Optional

SECRET_BYTES = 32
#: Seconds between two sweeps of expired markers by one process.
SWEEP_INTERVAL = 60.0

_NONCE = re.compile(r"[0-9a-f]{32}")


class TokenError(Exception):
    """A token that is malformed, forged, expired or meant for something else."""


def load_secret(path: str) -> bytes:
    """The secret stored at *path*, created (readable by the owner only) on first use."""
    try:
        with open(path, "rb") as handle:
            secret = handle.read().strip()
        if len(secret) >= SECRET_BYTES:
            if os.name == "posix":
                os.chmod(path, 0o600)  # an older or copied data dir may have opened it up
            return secret
    except FileNotFoundError:
        pass
    secret = secrets.token_hex(SECRET_BYTES).encode("ascii")
    temporary = "{0}.{1}".format(path, secrets.token_hex(4))
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secret)
    try:
        # Another process may have won the race: keep whichever landed first.
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    with open(path, "rb") as handle:
        return handle.read().strip()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Issues and verifies tokens with one secret; *clock* gives Unix time."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._clock = clock

    def _sign(self, payload: str) -> str:
        return _b64encode(hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, purpose: str, lifetime: float, single_use: bool = False,
              **claims: Any) -> str:
        """A token for *purpose* valid *lifetime* seconds, carrying *claims*.

        A *single_use* token carries a ``nonce`` for :class:`UsedTokens`.
        """
        body = dict(claims, purpose=purpose, exp=int(self._clock() + lifetime))
        if single_use:
            body["nonce"] = secrets.token_hex(16)
        payload = _b64encode(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8"))
        return "{0}.{1}".format(payload, self._sign(payload))

    def verify(self, token: Optional[str], *purposes: str) -> Dict[str, Any]:
        """The claims of *token*; TokenError unless genuine, current and for one of *purposes*."""
        if not isinstance(token, str) or token.count(".") != 1:
            raise TokenError("The token is missing or malformed.")
        payload, signature = token.split(".")
        if not hmac.compare_digest(self._sign(payload), signature):
            raise TokenError("The token signature is not valid.")
        try:
            claims = json.loads(_b64decode(payload).decode("utf-8"))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise TokenError("The token is malformed.")
        if not isinstance(claims, dict) or claims.get("purpose") not in purposes:
            raise TokenError("The token is not meant for this request.")
        expiry = claims.get("exp")
        if not isinstance(expiry, int) or expiry < self._clock():
            raise TokenError("The token has expired.")
        return claims


class UsedTokens:
    """The spent single-use tokens, as marker files ``<exp>-<nonce>`` in *folder*.

    Creating a marker with ``O_EXCL`` is atomic across processes, so one
    token is spent once even with several servers on one data dir. Markers
    of expired tokens are deleted (such tokens are refused anyway), so the
    folder holds at most the tokens of one token lifetime.
    """

    def __init__(self, folder: str, clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self._clock = clock
        self._lock = threading.Lock()
        self._last_sweep = 0.0
        os.makedirs(folder, exist_ok=True)

    def _marker(self, claims: Dict[str, Any]) -> str:
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
            raise TokenError("The token cannot be used here: it is not a single-use token.")
        return os.path.join(self.folder, "{0}-{1}".format(int(claims["exp"]), nonce))

    def spend(self, claims: Dict[str, Any]) -> None:
        """Mark the token of *claims* used; TokenError when it already was."""
        self.sweep()
        try:
            descriptor = os.open(self._marker(claims), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                                 0o600)
        except FileExistsError:
            raise TokenError("The token was already used: request a new upload URL with "
                             "get_upload_metadata.") from None
        os.close(descriptor)

    def restore(self, claims: Dict[str, Any]) -> None:
        """Make the token of *claims* usable again (its use failed and stored nothing)."""
        try:
            os.unlink(self._marker(claims))
        except (FileNotFoundError, TokenError):
            pass

    def sweep(self, force: bool = False) -> int:
        """Delete the markers of expired tokens (at most once a minute unless *force*)."""
        now = self._clock()
        with self._lock:
            if not force and now - self._last_sweep < SWEEP_INTERVAL:
                return 0
            self._last_sweep = now
        removed = 0
        for name in os.listdir(self.folder):
            expiry, _, _ = name.partition("-")
            if expiry.isdigit() and int(expiry) < now:
                try:
                    os.unlink(os.path.join(self.folder, name))
                    removed += 1
                except FileNotFoundError:
                    pass
        return removed
