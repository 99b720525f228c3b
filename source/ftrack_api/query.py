"""Lazily fetched, paged query results."""

from __future__ import annotations

import collections.abc
import re
from typing import TYPE_CHECKING, Any, Iterator, Optional, Union

import ftrack_api.exception

if TYPE_CHECKING:
    from ftrack_api.session import Session


def _remove_clause(expression: str, pattern: re.Pattern, name: str) -> tuple[str, Optional[int]]:
    """Return *expression* without the clause group *name* of *pattern*, and the clause's value.

    The value is None when *expression* has no such clause.
    """
    match = pattern.search(expression)
    if not match:
        return expression, None
    return expression[:match.start(name)] + expression[match.end(name):], int(match.group("value"))


class QueryResult(collections.abc.Sequence):
    """Results from a query.

    Nothing is sent to the server until the results are iterated, indexed or
    measured. Results are then fetched page by page as needed.
    """

    OFFSET_EXPRESSION = re.compile(r"(?P<offset>offset (?P<value>\d+))")
    LIMIT_EXPRESSION = re.compile(r"(?P<limit>limit (?P<value>\d+))")

    def __init__(self, session: Session, expression: str, page_size: int = 500) -> None:
        """Initialise result set.

        *session* should be an instance of :class:`ftrack_api.session.Session`
        that will be used for executing the query *expression*.

        *page_size* should be an integer specifying the maximum number of
        records to fetch in one request allowing the results to be fetched
        incrementally in a transparent manner for optimal performance. Any
        offset or limit specified in *expression* are honoured for final
        result set, but intermediate queries may be issued with different
        offsets and limits in order to fetch pages. When an embedded limit is
        smaller than the given *page_size* it will be used instead and no
        paging will take place.
        """
        super(QueryResult, self).__init__()
        self._session = session
        self._results = []
        self._original_expression = expression

        (
            self._expression,
            self._offset,
            self._limit,
        ) = self._extract_offset_and_limit(expression)

        self._page_size = page_size
        if self._limit is not None and self._limit < self._page_size:
            # Optimise case where embedded limit is less than fetching a
            # single page.
            self._page_size = self._limit

        self._next_offset = self._offset if self._offset is not None else 0

    def _extract_offset_and_limit(self, expression: str) -> tuple[str, Optional[int], Optional[int]]:
        """Return (expression, offset, limit) with clauses removed from text."""
        expression, offset = _remove_clause(expression, self.OFFSET_EXPRESSION, "offset")
        expression, limit = _remove_clause(expression, self.LIMIT_EXPRESSION, "limit")
        return expression.strip(), offset, limit

    def _can_fetch_more(self) -> bool:
        """Return whether more results may be fetched from the server."""
        if self._next_offset is None:
            return False
        if self._limit is not None and len(self._results) >= self._limit:
            self._next_offset = None
            return False
        return True

    def _fetch_more(self) -> bool:
        """Fetch next page of results; return whether any page was fetched."""
        if not self._can_fetch_more():
            return False

        expression = "{0} offset {1} limit {2}".format(
            self._expression, self._next_offset, self._page_size
        )
        records, metadata = self._session._query(expression)
        self._results.extend(records)

        if self._limit is not None and len(self._results) >= self._limit:
            # Remove extra results.
            del self._results[self._limit:]
            self._next_offset = None
        else:
            self._next_offset = metadata.get("next", {}).get("offset", None)
        return True

    def _fetch_all(self) -> None:
        """Fetch every page not fetched yet."""
        while self._fetch_more():
            pass

    def __getitem__(self, index: Union[int, slice]) -> Any:
        """Return value at *index* (or list of values for a slice)."""
        if isinstance(index, slice):
            stop = index.stop
            if (
                stop is None
                or stop < 0
                or (index.start is not None and index.start < 0)
            ):
                self._fetch_all()
            else:
                while len(self._results) < stop and self._fetch_more():
                    pass
            return self._results[index]

        if index < 0:
            self._fetch_all()
        else:
            while index >= len(self._results) and self._fetch_more():
                pass
        return self._results[index]

    def __iter__(self) -> Iterator[Any]:
        """Iterate over results, fetching pages as needed."""
        index = 0
        while True:
            results = self._results
            while index < len(results):
                yield results[index]
                index += 1
            if not self._fetch_more():
                break

    def __len__(self) -> int:
        """Return number of results (fetches all of them)."""
        self._fetch_all()
        return len(self._results)

    def __repr__(self) -> str:
        return "<{0}.{1} {2!r}>".format(
            self.__module__, self.__class__.__name__, self._original_expression
        )

    def all(self) -> list[Any]:
        """Fetch and return all data."""
        self._fetch_all()
        return list(self._results)

    def one(self) -> Any:
        """Return exactly one single result from query by applying a limit.

        Raise :exc:`ValueError` if an existing limit is already present in the
        expression.

        Raise :exc:`ValueError` if an existing offset is already present in
        the expression as offset is inappropriate when expecting a single
        item.

        Raise :exc:`~ftrack_api.exception.MultipleResultsFoundError` if more
        than one result was available or
        :exc:`~ftrack_api.exception.NoResultFoundError` if no results were
        available.

        .. note::

            Both errors subclass
            :exc:`~ftrack_api.exception.IncorrectResultError` if you want to
            catch only one error type.
        """
        if self._limit is not None:
            raise ValueError("Expression already contains a limit clause.")

        if self._offset is not None:
            raise ValueError(
                "Expression contains an offset clause which does not make sense "
                "when selecting a single item."
            )

        expression = "{0} limit 2".format(self._expression)
        results, _ = self._session._query(expression)

        if not results:
            raise ftrack_api.exception.NoResultFoundError()

        if len(results) != 1:
            raise ftrack_api.exception.MultipleResultsFoundError()

        return results[0]

    def first(self) -> Optional[Any]:
        """Return first matching result from query by applying a limit.

        Raise :exc:`ValueError` if an existing limit is already present in the
        expression.

        If no matching result available return None.
        """
        if self._limit is not None:
            raise ValueError("Expression already contains a limit clause.")

        expression = self._expression
        if self._offset is not None:
            expression = "{0} offset {1}".format(expression, self._offset)

        expression = "{0} limit 1".format(expression)
        results, _ = self._session._query(expression)

        if results:
            return results[0]
        return None
