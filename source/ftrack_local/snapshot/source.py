"""Reading rows from the server a snapshot is taken of, through an ``ftrack_api`` session.

Rows are read with the session's own connection (its authentication,
proxies and timeout) but are not turned into entities: a snapshot keeps
the values exactly as the server sends them (doc/protocol.rst, "Values on
the wire"), and skipping the session's cache keeps a 100,000-row read fast
and small.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence

import ftrack_api.exception

from ..query.literals import quoted, where_in
from ..schema import EntityType
from .scope import REFERENCE, kept_as

__all__ = ["RETRIES", "RETRY_PAUSE", "Source", "quoted", "where_in"]

#: Times a failed page is asked again (server busy, connection dropped), and
#: the first pause between tries (doubled each time).
RETRIES = 3
RETRY_PAUSE = 1.0
#: Errors worth asking again: the server may answer the same question next time.
_TRANSIENT = (ftrack_api.exception.ServerTimeoutError, ftrack_api.exception.ServerConnectionError)


class Source:
    """The server a snapshot reads: the schema it serves and paged queries on it."""

    def __init__(self, session: Any, page_size: int = 500) -> None:
        """Read through *session* (an ``ftrack_api.Session``), *page_size* rows a request."""
        self.session = session
        self.page_size = page_size
        self.properties: Dict[str, Dict[str, Any]] = {
            schema["id"]: schema.get("properties", {}) for schema in session.schemas}

    @property
    def server_url(self) -> str:
        """The address of the server."""
        return str(self.session.server_url)

    def server_version(self) -> Optional[str]:
        """The version the server reports, when it does."""
        return (getattr(self.session, "server_information", None) or {}).get("version")

    def has_type(self, type_name: str) -> bool:
        """Whether the server knows *type_name*."""
        return type_name in self.properties

    def selection(self, entity_type: EntityType) -> List[str]:
        """The attributes of *entity_type* a snapshot keeps, as far as the server has them.

        Stored scalars (keys and ``<name>_id`` foreign keys included);
        references whose key is no attribute of its own (``Status.state``);
        collections kept in a link table rather than by an entity type
        (``Context.scopes``).
        """
        served = self.properties.get(entity_type.name, {})
        chosen = []
        for attribute in entity_type.attributes.values():
            kept = kept_as(attribute)
            if kept == REFERENCE and attribute.relation.local_column in entity_type.attributes:
                continue  # its key attribute is kept instead
            if kept is not None and attribute.name in served:
                chosen.append(attribute.name)
        return sorted(chosen)

    def rows(self, expression: str, order_by: Sequence[str]) -> Iterator[Dict[str, Any]]:
        """Every row *expression* (a query without paging) finds, a page at a time."""
        offset = 0
        order = ", ".join(order_by)
        while True:
            page = self.query("{0} order by {1} offset {2} limit {3}".format(
                expression, order, offset, self.page_size))
            yield from page
            if len(page) < self.page_size:
                return
            offset += len(page)

    def query(self, expression: str) -> List[Dict[str, Any]]:
        """The rows of one query, as plain JSON; transient failures are tried again."""
        pause = RETRY_PAUSE
        for attempt in range(RETRIES + 1):
            try:
                answer = json.loads(self._send([{"action": "query", "expression": expression}]))
                return answer[0]["data"]
            except _TRANSIENT:
                if attempt == RETRIES:
                    raise
                time.sleep(pause)
                pause *= 2
        raise AssertionError("unreachable")

    def _send(self, operations: List[Dict[str, Any]]) -> bytes:
        # The session's transport: its connection, without decoding into entities.
        return self.session._transport.send(json.dumps(operations))

