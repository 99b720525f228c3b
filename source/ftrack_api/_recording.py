"""Recording the changes made to entities as operations of their session.

Every change goes to the session's
:attr:`~ftrack_api.session.Session.recorded_operations`, unless the session
does not record operations at the time (see
:meth:`~ftrack_api.session.Session.operation_recording`).
"""

from __future__ import annotations

from typing import Any

import ftrack_api.inspection
import ftrack_api.operation


def _recording_session(entity):
    """Return the session of *entity* when it records operations, else None."""
    session = getattr(entity, "session", None)
    if session is None or not session.record_operations:
        return None
    return session


def record_create(entity: Any, data: dict) -> bool:
    """Record the creation of *entity* with initial values *data*.

    Return whether the operation was recorded.
    """
    session = _recording_session(entity)
    if session is None:
        return False
    session.recorded_operations.push(
        ftrack_api.operation.CreateEntityOperation(
            entity.entity_type, ftrack_api.inspection.primary_key(entity), data
        )
    )
    return True


def record_update(entity: Any, name: str, old_value: Any, new_value: Any) -> None:
    """Record that attribute *name* of *entity* changed from *old_value* to *new_value*."""
    session = entity.session
    if session is None or not session.record_operations:
        return
    session.recorded_operations.push(
        ftrack_api.operation.UpdateEntityOperation(
            entity.entity_type,
            ftrack_api.inspection.primary_key(entity),
            name,
            old_value,
            new_value,
        )
    )
