"""The interface every accessor implements."""

from __future__ import annotations

import abc
from typing import Optional

import ftrack_api.data
import ftrack_api.exception


class Accessor(metaclass=abc.ABCMeta):
    """Access to the data of one storage, addressed by resource identifiers.

    A resource identifier is the part of a path that every accessor of the
    same storage understands; it is what gets stored centrally. Accessors
    translate it to their own way of reaching the data (a disk path, a URL…).
    """

    def __init__(self) -> None:
        """Initialise the accessor."""
        super(Accessor, self).__init__()

    @abc.abstractmethod
    def list(self, resource_identifier: str) -> list[str]:
        """Return the resource identifiers inside the container *resource_identifier*."""

    @abc.abstractmethod
    def exists(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* exists."""

    @abc.abstractmethod
    def is_file(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* is a file."""

    @abc.abstractmethod
    def is_container(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* is a container."""

    @abc.abstractmethod
    def is_sequence(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* is a file sequence."""

    @abc.abstractmethod
    def open(self, resource_identifier: str, mode: str = "rb") -> ftrack_api.data.Data:
        """Return an :class:`ftrack_api.data.Data` for *resource_identifier*."""

    @abc.abstractmethod
    def remove(self, resource_identifier: str) -> None:
        """Remove *resource_identifier*."""

    @abc.abstractmethod
    def make_container(self, resource_identifier: str, recursive: bool = True) -> None:
        """Make a container at *resource_identifier* (and its parents when *recursive*)."""

    @abc.abstractmethod
    def get_container(self, resource_identifier: str) -> Optional[str]:
        """Return the resource identifier of the container holding *resource_identifier*."""

    def remove_container(self, resource_identifier: str) -> None:
        """Remove the container *resource_identifier* (by default with :meth:`remove`)."""
        return self.remove(resource_identifier)

    def get_filesystem_path(self, resource_identifier: str) -> str:
        """Return a filesystem path for *resource_identifier*.

        Unsupported unless an accessor implements it: raise
        :exc:`~ftrack_api.exception.AccessorUnsupportedOperationError`.
        """
        raise ftrack_api.exception.AccessorUnsupportedOperationError(
            "get_filesystem_path", resource_identifier=resource_identifier)

    def get_url(self, resource_identifier: str) -> str:
        """Return a URL for *resource_identifier*.

        Unsupported unless an accessor implements it: raise
        :exc:`~ftrack_api.exception.AccessorUnsupportedOperationError`.
        """
        raise ftrack_api.exception.AccessorUnsupportedOperationError(
            "get_url", resource_identifier=resource_identifier)
