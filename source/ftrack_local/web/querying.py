"""``/query``: run an ftrack query as the signed-in user and see the rows as a table."""

from __future__ import annotations

from typing import Any, Dict, List

from aiohttp import web

from ..errors import ApiError
from .pages import query, render, signed_in_page

#: Rows a result table shows; the count says how many the query found.
SHOWN_ROWS = 500


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
    if expression:
        try:
            rows = await query(request, expression)
        except ApiError as failure:
            error = "{0}: {1}".format(failure.exception, failure.content)
    return render(request, "query.html", expression=expression, rows=rows[:SHOWN_ROWS], count=len(rows),
                  columns=columns_of(rows), error=error)
