"""Windows path functions, usable on any platform.

Kept for code that imports this module from older releases: it exposes the
standard library's :mod:`ntpath`, plus the two functions Python 2 had and
Python 3 dropped.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from ntpath import *  # noqa: F401,F403
from ntpath import __all__ as _NTPATH_NAMES
from ntpath import splitdrive

__all__ = list(_NTPATH_NAMES) + ["splitunc", "walk"]


def splitunc(path: str) -> tuple[str, str]:
    """Split *path* into ``(unc, rest)``: ``unc`` is ``\\\\host\\share`` or ''."""
    drive, rest = splitdrive(path)
    if len(drive) > 2 and drive[:2] in ("\\\\", "//"):
        return drive, rest
    return "", path


def walk(top: str, func: Callable[[Any, str, list[str]], Any], arg: Any) -> None:
    """Call ``func(arg, folder, names)`` for *top* and each folder below it."""
    try:
        names = os.listdir(top)
    except OSError:
        return
    func(arg, top, names)
    for name in names:
        path = os.path.join(top, name)
        if os.path.isdir(path) and not os.path.islink(path):
            walk(path, func, arg)
