"""The event object passed between publishers and subscribers."""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional

import ftrack_api._dict_backed


def _new_identifier() -> str:
    """Return a random version 4 UUID as 32 lowercase hexadecimal digits.

    Same result as ``uuid.uuid4().hex``, built directly from random bytes
    because events are created at high rates.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


class Event(ftrack_api._dict_backed.DictBackedMapping):
    """A single event, usable like a dictionary.

    Every event carries the keys ``id``, ``topic``, ``data``, ``sent``,
    ``source``, ``target`` and ``in_reply_to_event``. Besides the mapping
    interface it can be *stopped* by a handler (:meth:`stop`), which keeps
    handlers of lower priority in the same process from seeing it.
    """

    def __init__(
        self,
        topic: str,
        id: Optional[str] = None,
        data: Optional[Mapping[str, Any]] = None,
        sent: Any = None,
        source: Optional[Mapping[str, Any]] = None,
        target: str = "",
        in_reply_to_event: Optional[str] = None,
    ) -> None:
        """Create an event about *topic*.

        *topic* names what happened, usually as dotted words such as
        ``"ftrack.update"``.

        *id* identifies this particular event (replies refer to it). A
        random identifier, 32 hexadecimal characters, is generated when it
        is not given.

        *data* is the payload mapping; an empty dictionary when omitted.

        *sent* is when the event was sent. It is normally left as ``None``
        and filled in on sending.

        *source* is a mapping describing the sender and should contain a
        unique ``id``. The hub completes it on publish when it is empty or
        partial; an empty dictionary when omitted.

        *target* is an optional expression (see
        :mod:`ftrack_api.event.expression`) tested against the information
        of each subscriber; only subscribers it matches receive the event.
        An empty string reaches every subscriber.

        *in_reply_to_event* is the id of the event this one answers, for
        reply events.
        """
        if id is None:
            id = _new_identifier()
        if data is None:
            data = {}
        if source is None:
            source = {}

        # Key order as in the official client, which str() shows.
        self._data = {
            "id": id,
            "data": data,
            "topic": topic,
            "sent": sent,
            "source": source,
            "target": target,
            "in_reply_to_event": in_reply_to_event,
        }
        self._stopped = False

    def stop(self) -> None:
        """Stop the event from reaching further handlers in this process.

        Handlers are called in priority order; once a handler stops the
        event, the remaining (lower priority) local handlers are skipped.
        Handlers in other processes are not affected.
        """
        self._stopped = True

    def is_stopped(self) -> bool:
        """Return True when :meth:`stop` has been called on the event."""
        return self._stopped

    def __str__(self) -> str:
        """Return a readable form showing the event's keys and values."""
        return "<{0} {1!r}>".format(type(self).__name__, self._data)

    __repr__ = __str__

    def __copy__(self) -> Event:
        """Return a shallow copy that does not share the key storage."""
        duplicate = type(self).__new__(type(self))
        duplicate.__dict__.update(self.__dict__)
        duplicate._data = dict(self._data)
        return duplicate
