"""Windows path functions, usable on any platform.

Kept for code that imports this module from older releases; it exposes
the standard library's :mod:`ntpath`.
"""

from ntpath import *  # noqa: F401,F403
from ntpath import __all__  # noqa: F401
