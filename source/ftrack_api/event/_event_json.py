"""JSON text of the event packets, with events in their wire form.

On the wire an event's ``in_reply_to_event`` is called ``inReplyToEvent``
(doc/protocol.rst, "Event keys"); :func:`wire_form` and :func:`local_keys`
are the object hooks renaming it each way, and :class:`EventJsonCodec`
keeps the JSON encoder and decoder built around the hooks in use.
"""

from __future__ import annotations

import collections.abc
import json
from typing import Any, Callable, Dict, Optional, Union

import ftrack_api.event.base

_PLAIN_DECODER = json.JSONDecoder()


def wire_form(item: Any) -> Any:
    """Return a JSON friendly form of *item*.

    An event becomes a dictionary with ``in_reply_to_event`` named
    ``inReplyToEvent`` as the server expects; dates and times become ISO
    text, sets lists and other mappings dictionaries. Raise
    :exc:`TypeError` for anything else.
    """
    if isinstance(item, ftrack_api.event.base.Event):
        storage = getattr(item, "_data", None)
        item = dict(storage) if type(storage) is dict else dict(item)
        if "in_reply_to_event" in item:
            item["inReplyToEvent"] = item.pop("in_reply_to_event")
        return item

    isoformat = getattr(item, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    if isinstance(item, (set, frozenset)):
        return list(item)
    if isinstance(item, collections.abc.Mapping):
        return dict(item)

    raise TypeError("{0!r} is not JSON serializable".format(item))


def local_keys(item: Dict[str, Any]) -> Dict[str, Any]:
    """Return the decoded JSON object *item* with local key names."""
    if "inReplyToEvent" in item:
        item["in_reply_to_event"] = item.pop("inReplyToEvent")
    return item


def json_value(decoder: json.JSONDecoder, string: str) -> Any:
    """Return the value of the JSON text *string* read by *decoder*.

    Text that is exactly one JSON value (what the server sends) is read by
    the decoder's scanner directly; anything else goes through
    :meth:`json.JSONDecoder.decode`, which also reports the errors.
    """
    try:
        value, end = decoder.scan_once(string, 0)
    except StopIteration:
        end = -1
    if end == len(string):
        return value
    return decoder.decode(string)


class EventJsonCodec(object):
    """Encode and decode packet data with the given object hooks.

    The encoder and decoder are made on first use, and again when other
    hooks are given.
    """

    def __init__(self) -> None:
        """Start without an encoder or decoder."""
        self._encoder: Optional[json.JSONEncoder] = None
        self._decoder: Optional[json.JSONDecoder] = None

    def encode(self, data: Any, hook: Callable[[Any], Any]) -> str:
        """Return *data* as JSON text, *hook* giving the form of other objects."""
        encoder = self._encoder
        if encoder is None or encoder.default != hook:
            # Circular data fails with RecursionError rather than being
            # looked for on every event.
            encoder = json.JSONEncoder(
                default=hook, ensure_ascii=False, check_circular=False
            )
            self._encoder = encoder
        return encoder.encode(data)

    def decode(
        self,
        string: Union[str, bytes, bytearray],
        hook: Callable[[Dict[str, Any]], Any],
        renames_only: bool = True,
    ) -> Any:
        """Return the value of the JSON text *string*, objects passed to *hook*.

        *renames_only* says that *hook* only renames ``inReplyToEvent``: text
        without that key is then read without calling it.
        """
        if isinstance(string, (bytes, bytearray)):
            string = string.decode("utf-8")
        if renames_only and "inReplyToEvent" not in string:
            # Nothing for the hook to rename (acknowledgements, mostly).
            return json_value(_PLAIN_DECODER, string)
        decoder = self._decoder
        if decoder is None or decoder.object_hook != hook:
            decoder = json.JSONDecoder(object_hook=hook)
            self._decoder = decoder
        return json_value(decoder, string)
