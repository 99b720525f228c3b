"""The background thread reading the packets of one connection of a hub."""

from __future__ import annotations

import logging
import threading
from typing import Any, Optional

import ftrack_api.exception
from ftrack_api.logging import LazyLogMessage as L


class PacketReader(threading.Thread):
    """Read packets from one connection of a hub and hand them to it."""

    daemon = True

    def __init__(self, client: Any, connection: Any = None) -> None:
        """Read *connection* (by default the current one) of hub *client*."""
        super(PacketReader, self).__init__(name="ftrack-event-hub-reader")
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)
        self.client = client
        self.connection = client._connection if connection is None else connection
        self.done = threading.Event()
        #: Why the connection ended, when it ended by itself.
        self.loss_reason: Optional[str] = None

    def run(self) -> None:
        """Handle packets until cancelled or the connection ends.

        Packets are read with the hub's ``_receive_packet`` while this
        thread's connection is the hub's ``_connection``, and straight from
        the connection otherwise, so that replacing ``_connection`` never
        stops the reading. The end of the connection is handed to the hub
        as a disconnection packet.
        """
        while not self.done.is_set():
            packet = self._next_packet()
            if packet is None or self.done.is_set():
                break
            if packet is _INVALID:
                continue
            try:
                self.client._handle_packet(*packet)
            except Exception:
                self.logger.exception(
                    L("Failed to handle packet from the event server: {0}", packet)
                )

    def _next_packet(self) -> Any:
        """Return the next packet, ``_INVALID`` or None once the connection ended."""
        client = self.client
        try:
            if client._connection is self.connection:
                return client._receive_packet()
            return client._read_packet(self.connection)
        except ftrack_api.exception.EventHubPacketError as error:
            self.logger.debug(L("Ignoring invalid packet: {0}", error))
            return _INVALID
        except Exception as error:
            if not self.done.is_set():
                self._report_loss(str(error))
            return None

    def _report_loss(self, reason: str) -> None:
        """Stop reading and tell the hub, as a disconnection packet, why."""
        self.cancel()
        self.loss_reason = reason
        client = self.client
        try:
            client._handle_packet(client._code_name_mapping["disconnect"], "", "", "")
        except Exception:
            self.logger.exception("Failed to handle the lost connection.")

    def cancel(self) -> None:
        """Stop reading as soon as possible."""
        self.done.set()


#: What :meth:`PacketReader._next_packet` returns for a frame that is no packet.
_INVALID = object()
