"""Functions of the GNU C library the server tunes its memory with.

Each is looked up once, with its C signature; off Linux, or on a C library
other than glibc, the look-up gives None and the server goes without.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any, Callable, Optional, Sequence


def glibc_function(name: str, argtypes: Sequence[Any], restype: Any) -> Optional[Callable[..., Any]]:
    """glibc's function *name* taking *argtypes* and returning *restype*, if present."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):  # not glibc
        return None
    function.argtypes = list(argtypes)
    function.restype = restype
    return function
