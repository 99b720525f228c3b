"""``/query``: run an ftrack query as the signed-in user and see the rows as a table."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from aiohttp import web

from ..errors import ApiError
from ..query.parser import parse
from .pages import query, render, signed_in_page

#: Rows a result table shows; the count says how many the query found.
SHOWN_ROWS = 500


def bounded(expression: str) -> Tuple[str, bool]:
    """*expression* reading one row more than a table shows, unless it has a ``limit`` of its own.

    Also says whether the limit was added. Without it, a query on a big
    database (``select name from Task``) would read every row to show 500.
    """
    try:
        limited = parse(expression).limit is not None
    except ApiError:
        return expression, False  # run as typed: the answer says what is wrong with it
    if limited:
        return expression, False
    return "{0} limit {1}".format(expression, SHOWN_ROWS + 1), True


def columns_of(rows: List[Dict[str, Any]]) -> List[str]:
    """The attributes of *rows*, ``id`` first, in the order they first appear."""
    seen: Dict[str, None] = {}
    for row in rows[:SHOWN_ROWS]:
        for name in row:
            if name != "__entity_type__":
                seen.setdefault(name, None)
    names = list(seen)
    if "id" in names:
        names.remove("id")
        names.insert(0, "id")
    return names


@signed_in_page
async def handle_query(request: web.Request) -> web.Response:
    """``GET /query?q=<expression>``: the query form, with the result or the server's error."""
    expression = request.query.get("q", "").strip()
    rows: List[Dict[str, Any]] = []
    error = None
    added = False
    if expression:
        text, added = bounded(expression)
        try:
            rows = await query(request, text)
        except ApiError as failure:
            error = "{0}: {1}".format(failure.exception, failure.content)
    return render(request, "query.html", expression=expression, rows=rows[:SHOWN_ROWS], count=len(rows),
                  more=added and len(rows) > SHOWN_ROWS, columns=columns_of(rows), error=error)
