"""The interface every structure implements."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, Mapping, Optional

import ftrack_api.symbol

if TYPE_CHECKING:
    from ftrack_api.entity.base import Entity


def _text(value: Any) -> Any:
    """*value*, or an empty string when it is unset (None or NOT_SET)."""
    if value is None or value is ftrack_api.symbol.NOT_SET:
        return ""
    return value


class Structure(metaclass=abc.ABCMeta):
    """Decide the resource identifier under which a location stores an entity."""

    def __init__(self, prefix: str = "") -> None:
        """*prefix* is put in front of the identifiers of structures that use one."""
        self.prefix = prefix
        self.path_separator = "/"
        super(Structure, self).__init__()

    @abc.abstractmethod
    def get_resource_identifier(self, entity: Entity, context: Optional[Mapping[str, Any]] = None) -> str:
        """Return the resource identifier for *entity*; *context* may add information."""

    def _get_sequence_expression(self, sequence: Entity) -> str:
        """Return the printf style frame expression of the *sequence* component.

        A sequence with a padding of 4 gives ``%04d``; one without padding
        (0 or None) gives ``%d``.
        """
        padding = sequence["padding"]
        if not padding:
            return "%d"
        return "%0{0}d".format(padding)
