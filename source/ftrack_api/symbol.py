"""Named sentinel values and well-known constants used throughout the API."""

from __future__ import annotations

import os
from typing import Any, Union


class Symbol(object):
    """A named marker value.

    Symbols are compared by identity: code should test ``value is NOT_SET``
    rather than using equality. Copying a symbol (shallow or deep) and
    pickling one of the module level symbols always gives back the very same
    object, so identity checks keep working on copied data.
    """

    def __init__(self, name: str, value: Any = True) -> None:
        """Create a symbol called *name*.

        *value* decides how the symbol behaves in a boolean context, which
        lets a symbol such as :data:`NOT_SET` be falsy.
        """
        self.name = name
        self.value = value

    def __str__(self) -> str:
        """Return the symbol name."""
        return str(self.name)

    def __repr__(self) -> str:
        """Return a readable representation such as ``Symbol(NOT_SET)``."""
        return "{0}({1})".format(type(self).__name__, self.name)

    def __bool__(self) -> bool:
        """Return the truth value configured for this symbol."""
        return bool(self.value)

    def __copy__(self) -> Symbol:
        """Return this very symbol: symbols are never duplicated."""
        return self

    def __deepcopy__(self, memo: dict) -> Symbol:
        """Return this very symbol: symbols are never duplicated."""
        return self

    def __reduce__(self) -> Union[str, tuple]:
        """Pickle module level symbols by reference to keep them singletons."""
        for name, candidate in list(globals().items()):
            if candidate is self:
                return name

        return (type(self), (self.name, self.value))


#: No value has been set or loaded yet.
NOT_SET = Symbol("NOT_SET", False)

#: Entity state: created locally and not yet persisted.
CREATED = Symbol("CREATED")

#: Entity state: has local modifications not yet persisted.
MODIFIED = Symbol("MODIFIED")

#: Entity state: deleted locally, deletion not yet persisted.
DELETED = Symbol("DELETED")

#: Event topic published once a component has been added to a location.
COMPONENT_ADDED_TO_LOCATION_TOPIC = "ftrack.location.component-added"

#: Event topic published once a component has been removed from a location.
COMPONENT_REMOVED_FROM_LOCATION_TOPIC = "ftrack.location.component-removed"

#: Identifier of the built-in origin location.
ORIGIN_LOCATION_ID = "ce9b348f-8809-11e3-821c-20c9d081909b"

#: Identifier of the built-in unmanaged location.
UNMANAGED_LOCATION_ID = "cb268ecc-8809-11e3-a7e2-20c9d081909b"

#: Identifier of the built-in review location.
REVIEW_LOCATION_ID = "cd41be70-8809-11e3-b98a-20c9d081909b"

#: Identifier of the built-in connect location.
CONNECT_LOCATION_ID = "07b82a97-8cf9-11e3-9383-20c9d081909b"

#: Identifier of the built-in server location.
SERVER_LOCATION_ID = "3a372bde-05bc-11e4-8908-20c9d081909b"


def _chunk_size(default: int = 1024 * 1024) -> int:
    """Return transfer chunk size, honouring FTRACK_API_FILE_CHUNK_SIZE."""
    raw = os.environ.get("FTRACK_API_FILE_CHUNK_SIZE")
    if raw is None or not str(raw).strip():
        return default

    try:
        size = int(str(raw).strip())
    except ValueError:
        return default

    if size <= 0:
        return default

    return size


#: Number of bytes read or written at a time when transferring data
#: (1 MiB unless overridden by the FTRACK_API_FILE_CHUNK_SIZE environment
#: variable).
CHUNK_SIZE = _chunk_size()

#: Job type used to request a synchronisation of users with LDAP.
JOB_SYNC_USERS_LDAP = Symbol("SYNC_USERS_LDAP")
