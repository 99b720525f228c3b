"""Callbacks waiting for the server to acknowledge numbered packets.

A packet whose identifier is a number followed by ``+`` asks the server for
an acknowledgement carrying data (doc/protocol.rst, "Packets" and
"Publishing"); the callback registered under that number receives it.
"""

from __future__ import annotations

import threading
from typing import Callable, Dict


class PacketCallbacks(object):
    """Hand out packet numbers and keep the callback of each."""

    def __init__(self) -> None:
        """Start counting from one, with no callback waiting."""
        #: The last number handed out.
        self.last_identifier = 0
        #: Packet number -> callback awaiting its acknowledgement.
        self.callbacks: Dict[int, Callable] = {}
        self._lock = threading.Lock()

    def register(self, callback: Callable) -> str:
        """Keep *callback* under a new number and return the packet identifier.

        The identifier is written as in the packet, ``"<number>+"``.
        """
        with self._lock:
            self.last_identifier += 1
            identifier = self.last_identifier
        self.callbacks[identifier] = callback
        return str(identifier) + "+"

    def pop(self, identifier: int) -> Callable:
        """Remove and return the callback of packet number *identifier*.

        Raise :exc:`KeyError` when none is registered.
        """
        return self.callbacks.pop(identifier)

    def discard(self, packet_identifier: str) -> None:
        """Forget the callback of *packet_identifier* (``"<number>+"``), if any."""
        self.callbacks.pop(int(packet_identifier.rstrip("+")), None)
