"""Small property builders shared by the client's classes."""

from __future__ import annotations

import operator


def read_only(field: str, doc: str) -> property:
    """Return a read-only property answering the instance attribute *field*.

    The getter is :func:`operator.attrgetter`, so reading the property costs
    no Python-level call.
    """
    return property(operator.attrgetter(field), doc=doc)
