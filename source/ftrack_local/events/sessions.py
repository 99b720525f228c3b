"""Event hub session ids any server process of a site can accept.

A handshake answers a session id the client then opens its WebSocket
with. Behind a load balancer that WebSocket may reach another process than
the handshake did, so the id carries what the upgrade needs — the user and
when it was issued — signed with a secret kept in the data directory every
process shares (see ``doc/local_server_processes.rst``). An id opens one
WebSocket on a process and only within the handshake timeout.

The id is ``<nonce>z<payload>z<signature>``, each part in hexadecimal, so
it is letters and digits only like any Socket.IO session id; the nonce
names the connection in the server's log.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
from typing import Any, Callable, Dict, Optional, Tuple

from ..components.tokens import load_secret

#: The file in the data directory holding the signing secret.
SECRET_FILE = "event_hub_secret"
#: Most redeemed ids remembered at once (each for one handshake timeout).
MAX_REMEMBERED = 100000


#: Separates the parts of an id (not a hexadecimal digit).
SEPARATOR = "z"


class SessionIds:
    """Issues signed session ids and redeems each once in this process."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._clock = clock
        #: nonce -> issue time of the ids redeemed here and not yet expired.
        self._redeemed: Dict[str, float] = {}

    @classmethod
    def for_data_dir(cls, data_dir: Optional[str]) -> "SessionIds":
        """Ids signed with the secret of *data_dir* (a random one without it)."""
        if not data_dir:
            return cls(secrets.token_bytes(32))
        return cls(load_secret(os.path.join(data_dir, SECRET_FILE)))

    def _sign(self, signed: str) -> str:
        return hmac.new(self._secret, signed.encode("ascii"), hashlib.sha256).hexdigest()

    def issue(self, user: Dict[str, Any]) -> str:
        """A new session id for *user* (``{"id", "username"}``)."""
        nonce = secrets.token_hex(12)
        body = {"t": self._clock(), "i": user.get("id"), "u": user.get("username")}
        signed = nonce + SEPARATOR + json.dumps(body, separators=(",", ":")).encode("utf-8").hex()
        return signed + SEPARATOR + self._sign(signed)

    def redeem(self, sid: str, lifetime: float) -> Optional[Tuple[str, Dict[str, Any]]]:
        """The nonce and user of *sid*, or None when it is forged, expired or used."""
        signed, _, signature = sid.rpartition(SEPARATOR)
        if not signed or not hmac.compare_digest(self._sign(signed), signature):
            return None
        nonce, _, payload = signed.partition(SEPARATOR)
        try:
            body = json.loads(binascii.unhexlify(payload).decode("utf-8"))
            issued = float(body["t"])
            user = {"id": body.get("i"), "username": body.get("u")}
        except (binascii.Error, ValueError, UnicodeDecodeError, KeyError, TypeError):
            return None
        now = self._clock()
        self._forget_expired(now, lifetime)
        if not (issued <= now + 1.0 and now - issued <= lifetime):
            return None
        if nonce in self._redeemed or len(self._redeemed) >= MAX_REMEMBERED:
            return None
        self._redeemed[nonce] = issued
        return nonce, user

    def _forget_expired(self, now: float, lifetime: float) -> None:
        if not self._redeemed:
            return
        oldest = next(iter(self._redeemed.values()))
        if now - oldest <= lifetime:
            return
        self._redeemed = {n: t for n, t in self._redeemed.items() if now - t <= lifetime}
