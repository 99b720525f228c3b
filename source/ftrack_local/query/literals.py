"""Writing values into query text: the inverse of how the parser reads quoted literals."""

from __future__ import annotations

from typing import Any, Iterable


def quoted(value: Any) -> str:
    """*value* as a double-quoted literal: backslashes and double quotes escaped, the rest as it is."""
    return '"{0}"'.format(str(value).replace("\\", "\\\\").replace('"', '\\"'))


def where_in(attribute: str, values: Iterable[Any]) -> str:
    """The condition ``attribute in ("a", "b")``."""
    return "{0} in ({1})".format(attribute, ", ".join(quoted(value) for value in values))
