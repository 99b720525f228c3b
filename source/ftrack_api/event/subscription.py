"""Subscriptions: which events a callback wants to receive."""

from __future__ import annotations

from typing import Any

import ftrack_api.event.expression


class Subscription(object):
    """An event filter given as expression text.

    The text is parsed once, on creation (see
    :mod:`ftrack_api.event.expression` for the language); testing an event
    afterwards only walks the parsed expression.
    """

    #: Parser shared by all subscriptions.
    parser = ftrack_api.event.expression.Parser()

    def __init__(self, subscription: str) -> None:
        """Create a subscription from the expression text *subscription*.

        Raise :class:`ftrack_api.exception.ParseError` when the text is not
        a valid expression.
        """
        super(Subscription, self).__init__()
        self._subscription = subscription
        self._expression = self.parser.parse(subscription)

    def __str__(self) -> str:
        """Return the expression text of the subscription."""
        return self._subscription

    def includes(self, event: Any) -> bool:
        """Return whether *event* is matched by this subscription."""
        return self._expression.match(event)
