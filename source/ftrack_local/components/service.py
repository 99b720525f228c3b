"""The component services of one backend: blob store, tokens, encoder, outbox.

A backend makes its one :class:`ComponentService` from its data dir on first
use (:attr:`ftrack_local.api.backend.Backend.components`), so actions and
HTTP handlers share it without any extra wiring.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import urllib.parse
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ..limits import LimitExceeded, Limits
from . import orphans, tokens
from .media import MediaEncoder
from .outbox import Outbox
from .store import MAX_PARTS, BlobStore, StoreError, check_identifier, decode_md5

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ..api.backend import Backend

STORE_FOLDER = "components"
OUTBOX_FOLDER = "outbox"
SECRET_FILE = "secret"
USED_TOKENS_FOLDER = "used-tokens"

UPLOAD_PURPOSE = "upload"
PART_PURPOSE = "upload-part"
WIDGET_PURPOSE = "widget"
#: Widgets ``get_widget_url`` can point to.
WIDGET_NAMES = ("info", "tasks", "tasks_browser")
#: Seconds an upload URL stays usable.
UPLOAD_LIFETIME = 24 * 3600
#: Seconds a widget URL stays usable.
WIDGET_LIFETIME = 6 * 60
#: Seconds between two removals of data no component claimed (see :mod:`.orphans`).
ORPHAN_SWEEP_INTERVAL = 3600

log = logging.getLogger(__name__)


def component_link(server_url: str, purpose: str, component_id: str, username: str, api_key: str) -> str:
    """``<server>/component/<purpose>?id=…&username=…&apiKey=…``.
    (doc/protocol.rst, "Component URLs")"""
    return "{0}/component/{1}?{2}".format(server_url.rstrip("/"), purpose, urllib.parse.urlencode(
        {"id": component_id, "username": username, "apiKey": api_key}))


class ComponentService:
    """Everything the component endpoints and actions of one backend use."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        root = os.path.join(backend.data_dir, STORE_FOLDER)
        self.store = BlobStore(root)
        self.signer = tokens.TokenSigner(tokens.load_secret(os.path.join(root, SECRET_FILE)))
        #: Upload tokens already spent (each upload URL works once).
        self.used_tokens = tokens.UsedTokens(os.path.join(root, USED_TOKENS_FOLDER))
        #: The limits of the server using this service (set when its routes are installed).
        self.limits = Limits()
        self.outbox = Outbox(os.path.join(backend.data_dir, OUTBOX_FOLDER))
        self.encoder = MediaEncoder(backend, self.store)
        self._last_orphan_sweep = 0.0
        self._sweep_lock = threading.Lock()

    @property
    def server_url(self) -> str:
        """The server's base URL, without a trailing slash."""
        return self.backend.server_url.rstrip("/")

    def close(self) -> None:
        """Stop background work (the running encoding finishes first)."""
        self.encoder.close()

    def forget_removed(self, changes: List[Any], connection: sa.Connection, username: str,
                       user_id: Optional[str]) -> None:
        """Backend commit listener: drop the stored data of deleted components."""
        schema = self.backend.schema
        removed: Dict[str, None] = {}
        for action, type_name, key, _ in changes:
            entity_type = schema.types.get(type_name)
            component_id = key.get("id")
            if entity_type is None or not entity_type.is_a("Component") or \
                    not isinstance(component_id, str):
                continue
            if action == "remove":
                removed[component_id] = None
            elif action == "add":
                removed.pop(component_id, None)
        for component_id in removed:
            try:
                self.store.remove(component_id)
            except StoreError:
                pass  # an id the store never accepted has no data

    # -- URLs --------------------------------------------------------------------

    def component_url(self, purpose: str, component_id: str, username: str,
                      api_key: str) -> str:
        """The URL of component *purpose* (see :func:`component_link`)."""
        return component_link(self.server_url, purpose, component_id, username, api_key)

    def remove_orphans_soon(self) -> None:
        """Remove unclaimed upload data in the background, at most once an interval."""
        with self._sweep_lock:
            now = time.monotonic()
            if self._last_orphan_sweep and now - self._last_orphan_sweep < ORPHAN_SWEEP_INTERVAL:
                return
            self._last_orphan_sweep = now
        username = self.backend.api_user or "admin"

        def sweep() -> None:
            try:
                orphans.remove_orphans(self.store, self.backend, username, UPLOAD_LIFETIME)
            except Exception:  # noqa: BLE001 - uploads work regardless
                log.exception("Removing unclaimed upload data failed")

        threading.Thread(target=sweep, name="ftrack-local-orphans", daemon=True).start()

    def upload_metadata(self, component_id: Any, file_name: Any, file_size: Any,
                        checksum: Any, parts: Any = None) -> Dict[str, Any]:
        """The answer of ``get_upload_metadata`` (single or multi-part form)."""
        self.remove_orphans_soon()
        digest = self.check_upload_request(component_id, file_size, checksum, parts)
        if parts is not None:
            return self._multipart_metadata(component_id, file_size, digest, parts)
        token = self.signer.issue(UPLOAD_PURPOSE, UPLOAD_LIFETIME, single_use=True,
                                  id=component_id,
                                  size=file_size, md5=checksum or None,
                                  name=file_name if isinstance(file_name, str) else None)
        headers = {"Content-Type": "application/octet-stream"}
        if file_size is not None:
            headers["Content-Length"] = str(file_size)
        if checksum:
            headers["Content-MD5"] = checksum
        return {"url": self._upload_url(token), "headers": headers, "component_id": component_id}

    def check_upload_request(self, component_id: Any, file_size: Any, checksum: Any,
                             parts: Any = None) -> Optional[bytes]:
        """Refuse a malformed upload request (ValueError, StoreError); return its MD5 digest."""
        check_identifier(component_id)
        if file_size is not None and (isinstance(file_size, bool) or not isinstance(file_size, int)
                                      or file_size < 0):
            raise ValueError("file_size must be a number of bytes (0 or more), not {0!r}.".format(
                file_size))
        if checksum is not None and not isinstance(checksum, str):
            raise ValueError("checksum must be the base64 MD5 digest text or null.")
        if parts is not None and (isinstance(parts, bool) or not isinstance(parts, int)
                                  or not 1 <= parts <= MAX_PARTS):
            raise StoreError("The number of parts must be between 1 and {0}, not {1!r}.".format(
                MAX_PARTS, parts))
        digest = decode_md5(checksum)
        self.check_upload_size(file_size)
        return digest

    def check_upload_size(self, size: Optional[int]) -> None:
        """Refuse an upload of *size* bytes beyond ``max_upload_bytes`` (None: unknown yet)."""
        maximum = self.limits.max_upload_bytes
        if size is not None and size > maximum:
            raise LimitExceeded("max_upload_bytes", maximum, "The upload", size, status=413)

    def _multipart_metadata(self, component_id: str, file_size: Optional[int],
                            digest: Optional[bytes], parts: Any) -> Dict[str, Any]:
        upload_id = self.store.start_multipart(component_id, parts, file_size, digest)
        urls: List[Dict[str, Any]] = []
        for number in range(1, parts + 1):
            token = self.signer.issue(PART_PURPOSE, UPLOAD_LIFETIME, single_use=True,
                                      id=component_id, upload_id=upload_id, part=number)
            urls.append({"part_number": number, "signed_url": self._upload_url(token)})
        return {"component_id": component_id, "upload_id": upload_id, "urls": urls}

    def _upload_url(self, token: str) -> str:
        return "{0}/component/upload?{1}".format(self.server_url,
                                                 urllib.parse.urlencode({"token": token}))

    def widget_url(self, name: str, theme: Optional[str], username: str,
                   entity_type: Optional[str], entity_key: Optional[List[Any]]) -> str:
        """A URL showing widget *name* for *username*, valid :data:`WIDGET_LIFETIME` seconds."""
        token = self.signer.issue(WIDGET_PURPOSE, WIDGET_LIFETIME, name=name, theme=theme,
                                  username=username, entity_type=entity_type,
                                  entity_key=entity_key)
        return "{0}/widget/{1}?{2}".format(self.server_url, urllib.parse.quote(name),
                                           urllib.parse.urlencode({"token": token}))
