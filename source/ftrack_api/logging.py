"""Logging helpers.

The API logs through the standard :mod:`logging` package under logger names
starting with ``ftrack_api``. This module adds a message object whose text is
only built when a record is actually emitted, plus a decorator flagging
deprecated callables.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable


def deprecation_warning(message: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Return decorator emitting a pending deprecation warning with *message*.

    Each call of the decorated callable issues a
    :exc:`PendingDeprecationWarning` pointing at the caller before running
    the original callable unchanged::

        @deprecation_warning('Use Session.call instead.')
        def _call(self, data):
            ...
    """

    def decorator(function: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap *function* so that calling it warns."""

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            """Warn, then call the wrapped callable."""
            warnings.warn(message, PendingDeprecationWarning, stacklevel=2)
            return function(*args, **kwargs)

        return wrapper

    return decorator


class LazyLogMessage(object):
    """Log message whose text is only formatted when needed.

    Pass an instance in place of a string to a logger call; the potentially
    expensive :meth:`str.format` of *message* with the given arguments is
    deferred until a handler actually renders the record::

        logger.debug(LazyLogMessage('Merged {0!r} into {1}.', entity, cache))
    """

    def __init__(self, message: str, *args: Any, **kwargs: Any) -> None:
        """Store *message* template with its positional and keyword arguments."""
        self.message = message
        self.args = args
        self.kwargs = kwargs

    def __str__(self) -> str:
        """Return the formatted message."""
        try:
            return self.message.format(*self.args, **self.kwargs)
        except Exception:
            # Logging must never fail because of a badly formed message:
            # fall back to showing the template and its arguments.
            parts = [str(self.message)]
            if self.args:
                parts.append("args={0!r}".format(self.args))
            if self.kwargs:
                parts.append("kwargs={0!r}".format(self.kwargs))
            return " ".join(parts)
