"""Messages the server would send by mail, kept as JSON files instead.

The local server has no mail transport: each invitation becomes one file in
``<data_dir>/outbox/`` (written whole, then renamed into place) and a log
line, so people and tests can see what would have been sent.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import secrets
from typing import Any, Dict, List

log = logging.getLogger(__name__)


class Outbox:
    """A folder of sent messages, oldest first by name."""

    def __init__(self, folder: str) -> None:
        self.folder = os.path.abspath(folder)
        os.makedirs(self.folder, exist_ok=True)

    def send(self, kind: str, recipient: Any, **details: Any) -> str:
        """Record one message of *kind* to *recipient*; return its file path."""
        sent_at = datetime.datetime.now(datetime.timezone.utc)
        message = dict(details, kind=kind, to=recipient,
                       sent_at=sent_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        name = "{0}-{1}.json".format(sent_at.strftime("%Y%m%dT%H%M%S%f"), secrets.token_hex(4))
        path = os.path.join(self.folder, name)
        temporary = path + ".writing"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(message, handle, sort_keys=True)
        os.replace(temporary, path)
        log.info("Mail not sent (no mail transport): %s to %s", kind, recipient)
        return path

    def messages(self) -> List[Dict[str, Any]]:
        """Every recorded message, oldest first."""
        found = []
        for name in sorted(os.listdir(self.folder)):
            if name.endswith(".json"):
                with open(os.path.join(self.folder, name), encoding="utf-8") as handle:
                    found.append(json.load(handle))
        return found
