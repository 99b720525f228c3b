"""Which requests may run side by side (see ``doc/local_server_concurrency.rst``).

A request whose operations only read runs without waiting for anything. A
request that may write passes the :class:`WriteGate`: on SQLite one at a
time (the file has one writer), on PostgreSQL together with other writers
(shared), and alone (exclusive) when it runs again after a conflict, so a
retried request cannot lose to the same concurrent writers twice.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator, List

#: Actions that never change the database: they read it, or touch only the
#: component store or signed URLs. Every other action (and an unknown one)
#: counts as writing.
READ_ONLY_ACTIONS = frozenset((
    "query",
    "query_schemas",
    "query_server_information",
    "get_widget_url",
    "get_upload_metadata",
    "complete_multipart_upload",
    "send_user_invite",
))

#: How many times a writing request runs at most when it keeps conflicting
#: with concurrent transactions (PostgreSQL serialization failures and
#: deadlocks).
MAX_ATTEMPTS = 4


def writes_data(operations: List[Any]) -> bool:
    """Whether running *operations* may change the database."""
    return any(not isinstance(operation, dict) or operation.get("action") not in READ_ONLY_ACTIONS
               for operation in operations)


class WriteGate:
    """A shared/exclusive lock for writing requests; waiting exclusive
    holders go first, so a retried request is not starved."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._exclusive_waiting = 0

    @contextlib.contextmanager
    def hold(self, exclusive: bool) -> Iterator[None]:
        """Hold the gate, alone when *exclusive*, else with other shared holders."""
        with self._condition:
            if exclusive:
                self._exclusive_waiting += 1
                try:
                    while self._exclusive or self._shared:
                        self._condition.wait()
                finally:
                    self._exclusive_waiting -= 1
                self._exclusive = True
            else:
                while self._exclusive or self._exclusive_waiting:
                    self._condition.wait()
                self._shared += 1
        try:
            yield
        finally:
            with self._condition:
                if exclusive:
                    self._exclusive = False
                else:
                    self._shared -= 1
                self._condition.notify_all()

