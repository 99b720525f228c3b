"""Access to data on a filesystem below a prefix folder."""

import contextlib
import errno
import os
import shutil
import sys

import clique

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


@contextlib.contextmanager
def error_handler(**kw):
    """Turn operating system errors inside the block into accessor errors.

    *kw* (``operation``, ``resource_identifier``) describes what was being done.
    """
    try:
        yield
    except OSError as error:
        code = error.errno
        if code == errno.ENOENT:
            raise AccessorResourceNotFoundError(error=error, **kw)
        if code in (errno.EPERM, errno.EACCES):
            raise AccessorPermissionDeniedError(error=error, **kw)
        if code == errno.ENOTEMPTY:
            raise AccessorContainerNotEmptyError(error=error, **kw)
        if code in (errno.ENOTDIR, errno.EISDIR, errno.EINVAL):
            raise AccessorResourceInvalidError(error=error, **kw)
        raise AccessorOperationFailedError(error=error, **kw)


class DiskAccessor(ftrack_api.accessor.base.Accessor):
    """Disk access below *prefix*; resource identifiers are relative paths.

    An identifier that would reach outside the prefix (``..`` segments) is
    refused with :class:`AccessorFilesystemPathError`.
    """

    def __init__(self, prefix, **kw):
        """Use the folder *prefix* (in the syntax of the current OS) as the root."""
        super(DiskAccessor, self).__init__(**kw)
        self.prefix = prefix

    def get_filesystem_path(self, resource_identifier):
        """Return the absolute path of *resource_identifier* below the prefix.

        An identifier that already is an absolute path inside the prefix is
        returned as it is.
        """
        if resource_identifier is None:
            raise AccessorFilesystemPathError(resource_identifier)
        prefix = os.path.abspath(self.prefix) if self.prefix else ""
        path = str(resource_identifier)
        if prefix and not os.path.isabs(path):
            path = os.path.join(prefix, path)
        path = os.path.normpath(path) if path else path
        if prefix:
            inside = path == prefix or path.startswith(prefix.rstrip(os.sep) + os.sep)
            if not inside:
                raise AccessorFilesystemPathError(resource_identifier)
        elif ".." in str(resource_identifier).replace("\\", "/").split("/"):
            raise AccessorFilesystemPathError(resource_identifier)
        return path

    def get_url(self, resource_identifier):
        """Return a ``file://`` URL for *resource_identifier*."""
        path = self.get_filesystem_path(resource_identifier)
        if sys.platform == "win32":
            return "file:///" + path.replace("\\", "/")
        return "file://" + path

    def list(self, resource_identifier):
        """Return identifiers of the entries of the container *resource_identifier*."""
        path = self.get_filesystem_path(resource_identifier)
        with error_handler(operation="list", resource_identifier=resource_identifier):
            names = sorted(os.listdir(path))
        return [os.path.join(resource_identifier, name) for name in names]

    def exists(self, resource_identifier):
        return os.path.exists(self.get_filesystem_path(resource_identifier))

    def is_file(self, resource_identifier):
        return os.path.isfile(self.get_filesystem_path(resource_identifier))

    def is_container(self, resource_identifier):
        return os.path.isdir(self.get_filesystem_path(resource_identifier))

    def is_sequence(self, resource_identifier):
        """Whether *resource_identifier* is a sequence expression (``file.%04d.exr``)."""
        try:
            clique.parse(str(resource_identifier), "{head}{padding}{tail}")
        except ValueError:
            return "%" in str(resource_identifier)
        return True

    def open(self, resource_identifier, mode="rb"):
        """Return a :class:`ftrack_api.data.File` on *resource_identifier*.

        Writing creates the containing folders as needed.
        """
        if self.is_sequence(resource_identifier) and "%" in str(resource_identifier):
            raise AccessorUnsupportedOperationError("open", resource_identifier=resource_identifier)
        path = self.get_filesystem_path(resource_identifier)
        if any(flag in mode for flag in "wa+"):
            folder = os.path.dirname(path)
            if folder:
                with error_handler(operation="open", resource_identifier=resource_identifier):
                    os.makedirs(folder, exist_ok=True)
        with error_handler(operation="open", resource_identifier=resource_identifier):
            return ftrack_api.data.File(path, mode)

    def remove(self, resource_identifier):
        """Remove the file or (empty) folder *resource_identifier*."""
        path = self.get_filesystem_path(resource_identifier)
        with error_handler(operation="remove", resource_identifier=resource_identifier):
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)
            else:
                os.remove(path)

    def remove_container(self, resource_identifier):
        """Remove the folder *resource_identifier* and everything in it."""
        path = self.get_filesystem_path(resource_identifier)
        with error_handler(operation="remove_container", resource_identifier=resource_identifier):
            if not os.path.isdir(path):
                raise NotADirectoryError(errno.ENOTDIR, "Not a container", path)
            shutil.rmtree(path)

    def make_container(self, resource_identifier, recursive=True):
        """Make the folder *resource_identifier*; existing folders are left alone."""
        path = self.get_filesystem_path(resource_identifier)
        with error_handler(operation="make_container", resource_identifier=resource_identifier):
            if recursive:
                os.makedirs(path, exist_ok=True)
            elif not os.path.isdir(path):
                os.mkdir(path)

    def get_container(self, resource_identifier):
        """Return the identifier of the folder holding *resource_identifier*."""
        path = self.get_filesystem_path(resource_identifier)
        parent = os.path.dirname(path.rstrip(os.sep))
        prefix = os.path.abspath(self.prefix) if self.prefix else ""
        if not parent or parent == path or (prefix and len(parent) < len(prefix)):
            raise AccessorParentResourceNotFoundError(resource_identifier=resource_identifier)
        if prefix and not os.path.isabs(str(resource_identifier)):
            return os.path.relpath(parent, prefix) if parent != prefix else ""
        return parent
