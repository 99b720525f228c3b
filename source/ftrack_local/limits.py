"""Size limits of what one request may ask of the server.

:class:`Limits` holds them; the server refuses anything beyond one with an
ftrack error envelope naming the limit and the ``serve`` option raising it
(see ``doc/local_server_limits.rst``). The defaults let real pipelines
through (batches of tens of thousands of operations, uploads of many
gigabytes) while keeping one request from taking the machine's memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Dict, Optional

from .errors import ApiError

KIB = 1024
MIB = 1024 ** 2
GIB = 1024 ** 3
TIB = 1024 ** 4


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the server; every value is a maximum."""

    #: Bytes of one ``/api`` request body, after decompression.
    max_body_bytes: int = 256 * MIB
    #: Operations in one ``/api`` batch.
    max_operations: int = 100000
    #: Nesting depth of the JSON of one ``/api`` body (the list of operations is 1).
    max_json_depth: int = 64
    #: Characters of one query expression.
    max_query_length: int = 4 * MIB
    #: Bytes of one upload to the ``ftrack.server`` location (one part of a multi-part one).
    max_upload_bytes: int = 256 * GIB

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError("{0} must be a whole number of at least 1, not {1!r}.".format(
                    field.name, value))


#: The ``serve`` option that sets each limit.
OPTIONS: Dict[str, str] = {
    "max_body_bytes": "--max-body-size",
    "max_operations": "--max-operations",
    "max_json_depth": "--max-json-depth",
    "max_query_length": "--max-query-length",
    "max_upload_bytes": "--max-upload-size",
}

#: What each limit counts, for messages.
UNITS: Dict[str, str] = {
    "max_body_bytes": "bytes",
    "max_operations": "operations",
    "max_json_depth": "levels",
    "max_query_length": "characters",
    "max_upload_bytes": "bytes",
}


class LimitExceeded(ApiError):
    """A request beyond one of the :class:`Limits`; names the limit and its option."""

    exception = "ValidationError"
    status = 400

    def __init__(self, limit: str, maximum: int, what: str, actual: Optional[int] = None,
                 status: Optional[int] = None) -> None:
        self.limit = limit
        self.maximum = maximum
        found = "" if actual is None else " ({0} {1})".format(actual, UNITS[limit])
        content = ("{0} is over the server's {1} limit of {2} {3}{4}; nothing was done. "
                   "The server's operator can raise it with the serve option {5}.").format(
                       what, limit, maximum, UNITS[limit], found, OPTIONS[limit])
        super().__init__(content, status=status)


_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_FACTORS = {"": 1, "k": KIB, "m": MIB, "g": GIB, "t": TIB}


def parse_size(text: str) -> int:
    """Bytes from text like ``1048576``, ``64M``, ``2G`` or ``512KiB`` (powers of 1024)."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError("not a size: {0!r} (use a number of bytes, optionally followed by "
                         "K, M, G or T)".format(text))
    value = int(match.group(1)) * _FACTORS[match.group(2).lower()]
    if value < 1:
        raise ValueError("a size must be at least 1 byte, not {0!r}".format(text))
    return value
