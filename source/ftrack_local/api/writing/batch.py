"""The state one batch of writes shares: its connection, user, plans, rows and caches."""

from __future__ import annotations

from typing import Any, Optional, Set, Tuple

import sqlalchemy as sa

from ...storage import Storage
from .discriminators import Discriminators
from .plans import Plans
from .related import Related
from .rows import Rows
from .workflows import Workflows


class Batch:
    """What the writing of one request's operations shares, for one transaction."""

    def __init__(self, storage: Storage, connection: sa.Connection,
                 user_id: Optional[str] = None, username: Optional[str] = None) -> None:
        self.storage = storage
        self.schema = storage.schema
        self.connection = connection
        self.user_id = user_id
        self.username = username
        self.plans = Plans(storage)
        self.discriminators = Discriminators(self.schema)
        self.rows = Rows(storage, connection, self.plans)
        self.related = Related(self.rows)
        self.workflows = Workflows(self.rows, self.related)
        #: (note id, resource id) of recipients the server added itself
        self.auto_recipients: Set[Tuple[Any, Any]] = set()
