"""The event object passed between publishers and subscribers."""

import collections.abc
import os


def _new_identifier():
    """Return a random version 4 UUID as 32 lowercase hexadecimal digits.

    Same result as ``uuid.uuid4().hex``, built directly from random bytes
    because events are created at high rates.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


class Event(collections.abc.MutableMapping):
    """A single event, usable like a dictionary.

    Every event carries the keys ``id``, ``topic``, ``data``, ``sent``,
    ``source``, ``target`` and ``in_reply_to_event``. Besides the mapping
    interface it can be *stopped* by a handler (:meth:`stop`), which keeps
    handlers of lower priority in the same process from seeing it.
    """

    def __init__(
        self,
        topic,
        id=None,
        data=None,
        sent=None,
        source=None,
        target="",
        in_reply_to_event=None,
    ):
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

    def stop(self):
        """Stop the event from reaching further handlers in this process.

        Handlers are called in priority order; once a handler stops the
        event, the remaining (lower priority) local handlers are skipped.
        Handlers in other processes are not affected.
        """
        self._stopped = True

    def is_stopped(self):
        """Return True when :meth:`stop` has been called on the event."""
        return self._stopped

    def __str__(self):
        """Return a readable form showing the event's keys and values."""
        return "<{0} {1!r}>".format(type(self).__name__, self._data)

    __repr__ = __str__

    def __getitem__(self, key):
        """Return the value stored under *key*."""
        return self._data[key]

    def __setitem__(self, key, value):
        """Store *value* under *key*."""
        self._data[key] = value

    def __delitem__(self, key):
        """Remove *key* from the event."""
        del self._data[key]

    def __iter__(self):
        """Iterate over the keys of the event."""
        return iter(self._data)

    def __len__(self):
        """Return the number of keys in the event."""
        return len(self._data)

    def __contains__(self, key):
        """Return whether *key* is present in the event."""
        return key in self._data

    def __copy__(self):
        """Return a shallow copy that does not share the key storage."""
        duplicate = type(self).__new__(type(self))
        duplicate.__dict__.update(self.__dict__)
        duplicate._data = dict(self._data)
        return duplicate
