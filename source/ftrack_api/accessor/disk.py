"""Access to data on a filesystem, below an optional prefix folder."""

from __future__ import annotations

import contextlib
import errno
import os
from typing import Any, Iterator

import ftrack_api.accessor.base
import ftrack_api.data
from ftrack_api.exception import (  # noqa: F401 (public names of this module)
    AccessorContainerNotEmptyError,
    AccessorFilesystemPathError,
    AccessorOperationFailedError,
    AccessorParentResourceNotFoundError,
    AccessorPermissionDeniedError,
    AccessorResourceInvalidError,
    AccessorResourceNotFoundError,
    AccessorUnsupportedOperationError,
)

#: errno values and the accessor error each one becomes (others: operation failed).
_ERRORS_BY_CODE = {
    errno.ENOENT: AccessorResourceNotFoundError,
    errno.EPERM: AccessorPermissionDeniedError,
    errno.ENOTEMPTY: AccessorContainerNotEmptyError,
    errno.ENOTDIR: AccessorResourceInvalidError,
    errno.EISDIR: AccessorResourceInvalidError,
    errno.EINVAL: AccessorResourceInvalidError,
}


@contextlib.contextmanager
def error_handler(**kw: Any) -> Iterator[None]:
    """Turn operating system errors inside the block into accessor errors.

    *kw* (``operation``, ``resource_identifier``) describes what was being
    done; the original error is added as ``error``. An error without an
    errno, or with one not listed in ``_ERRORS_BY_CODE``, becomes
    :class:`AccessorOperationFailedError`.
    """
    try:
        yield
    except OSError as error:
        kw.setdefault("error", error)
        error_class = _ERRORS_BY_CODE.get(error.errno) if error.errno else None
        raise (error_class or AccessorOperationFailedError)(**kw)


class DiskAccessor(ftrack_api.accessor.base.Accessor):
    """Disk access; resource identifiers are paths relative to *prefix*.

    With a prefix, absolute identifiers are accepted when they lie inside
    it and anything reaching outside it (``..`` segments, other absolute
    paths) is refused with :class:`AccessorFilesystemPathError`. Without a
    prefix (an empty one) identifiers are plain filesystem paths.
    """

    def __init__(self, prefix: str, **kw: Any) -> None:
        """Use the folder *prefix* (in the syntax of the current OS) as the root.

        ``~`` and environment variables in *prefix* are expanded and it is
        made absolute; :attr:`prefix` holds the result.
        """
        if prefix:
            prefix = os.path.abspath(os.path.expanduser(os.path.expandvars(prefix)))
        self.prefix = prefix
        super(DiskAccessor, self).__init__(**kw)

    def _inside_prefix(self, path: str) -> bool:
        """Whether the normalised absolute *path* is the prefix or below it."""
        prefix = self.prefix
        return path == prefix or path.startswith(prefix.rstrip(os.sep) + os.sep)

    def get_filesystem_path(self, resource_identifier: str) -> str:
        """Return the filesystem path of *resource_identifier*.

        With a prefix: a relative identifier is joined to it and the result
        normalised; an absolute one is used as it is. Raise
        :class:`AccessorFilesystemPathError` when the path is not inside the
        prefix.
        """
        if resource_identifier is None:
            raise AccessorFilesystemPathError(resource_identifier)
        path = resource_identifier
        if path:
            path = os.path.normpath(path)
        if self.prefix:
            if not os.path.isabs(path):
                path = os.path.normpath(os.path.join(self.prefix, path))
            if not self._inside_prefix(path):
                raise AccessorFilesystemPathError(
                    resource_identifier=resource_identifier,
                    message="Could not determine access path for resource_identifier "
                            "outside of configured prefix: {resource_identifier}.")
        return path

    def list(self, resource_identifier: str) -> list[str]:
        """Return identifiers of the entries of the container *resource_identifier*, sorted."""
        path = self.get_filesystem_path(resource_identifier)
        with error_handler(operation="list", resource_identifier=resource_identifier):
            names = sorted(os.listdir(path))
        return [os.path.join(resource_identifier, name) for name in names]

    def exists(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* exists on disk."""
        return os.path.exists(self.get_filesystem_path(resource_identifier))

    def is_file(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* is a file."""
        return os.path.isfile(self.get_filesystem_path(resource_identifier))

    def is_container(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* is a folder."""
        return os.path.isdir(self.get_filesystem_path(resource_identifier))

    def is_sequence(self, resource_identifier: str) -> bool:
        """Not supported by disk access: raise :class:`AccessorUnsupportedOperationError`."""
        raise AccessorUnsupportedOperationError(operation="is_sequence")

    def open(self, resource_identifier: str, mode: str = "rb") -> ftrack_api.data.Data:
        """Return a :class:`ftrack_api.data.File` on *resource_identifier* in *mode*.

        The containing folder must exist (see :meth:`make_container`).
        """
        path = self.get_filesystem_path(resource_identifier)
        with error_handler(operation="open", resource_identifier=resource_identifier):
            return ftrack_api.data.File(path, mode)

    def remove(self, resource_identifier: str) -> None:
        """Remove the file or the empty folder *resource_identifier*.

        Raise :class:`AccessorResourceNotFoundError` when there is neither and
        :class:`AccessorContainerNotEmptyError` for a folder with content.
        """
        path = self.get_filesystem_path(resource_identifier)
        if self.is_file(resource_identifier):
            remover = os.remove
        elif self.is_container(resource_identifier):
            remover = os.rmdir
        else:
            raise AccessorResourceNotFoundError(resource_identifier=resource_identifier)
        with error_handler(operation="remove", resource_identifier=resource_identifier):
            remover(path)

    def make_container(self, resource_identifier: str, recursive: bool = True) -> None:
        """Make the folder *resource_identifier*; an existing folder is left alone.

        With *recursive* missing parent folders are made too; without it a
        missing parent raises :class:`AccessorParentResourceNotFoundError`.
        """
        path = self.get_filesystem_path(resource_identifier)
        with error_handler(operation="makeContainer", resource_identifier=resource_identifier):
            try:
                if recursive:
                    os.makedirs(path)
                else:
                    os.mkdir(path)
            except FileExistsError:
                pass
            except FileNotFoundError:
                if recursive:
                    raise
                raise AccessorParentResourceNotFoundError(
                    resource_identifier=resource_identifier)

    def get_container(self, resource_identifier: str) -> str:
        """Return the identifier of the folder holding *resource_identifier*.

        With a prefix the answer is relative to it (``''`` for the prefix
        itself) and :class:`AccessorParentResourceNotFoundError` is raised
        when the folder is outside the prefix. Without a prefix it is the
        parent path.
        """
        path = self.get_filesystem_path(resource_identifier)
        container = os.path.dirname(path)
        if not self.prefix:
            return container
        if not self._inside_prefix(container):
            raise AccessorParentResourceNotFoundError(
                resource_identifier=resource_identifier,
                message="Could not determine container for {resource_identifier} as "
                        "container falls outside of configured prefix.")
        return container[len(self.prefix):].lstrip("\\/")
