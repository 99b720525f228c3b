"""DiskAccessor, its error mapping and the resource identifier transformer."""

import errno
import os

import pytest

import ftrack_api.accessor.base
import ftrack_api.accessor.disk as disk
import ftrack_api.exception
import ftrack_api.resource_identifier_transformer.base as transformer


@pytest.fixture
def accessor(tmp_path):
    return disk.DiskAccessor(str(tmp_path))


def test_write_read_list_and_remove(accessor, tmp_path):
    accessor.make_container("shots/sh010")
    handle = accessor.open("shots/sh010/plate.exr", "wb")
    handle.write(b"pixels")
    handle.close()
    assert accessor.exists("shots/sh010/plate.exr") and accessor.is_file("shots/sh010/plate.exr")
    assert accessor.is_container("shots/sh010") and not accessor.is_container("shots/sh010/plate.exr")
    assert accessor.list("shots/sh010") == ["shots/sh010/plate.exr"]
    assert accessor.get_container("shots/sh010/plate.exr") == "shots/sh010"
    handle = accessor.open("shots/sh010/plate.exr", "rb")
    assert handle.read() == b"pixels"
    handle.close()
    assert accessor.get_filesystem_path("shots/sh010/plate.exr") == str(tmp_path / "shots/sh010/plate.exr")
    with pytest.raises(ftrack_api.exception.AccessorContainerNotEmptyError):
        accessor.remove("shots/sh010")
    accessor.remove("shots/sh010/plate.exr")
    assert not accessor.exists("shots/sh010/plate.exr")
    accessor.remove("shots/sh010")
    accessor.remove_container("shots")
    assert os.listdir(str(tmp_path)) == []


def test_open_does_not_make_folders(accessor, tmp_path):
    # Like the official client, the containing folder must be made first.
    with pytest.raises(ftrack_api.exception.AccessorResourceNotFoundError) as raised:
        accessor.open("new/folder/file.txt", "wb")
    assert raised.value.details["operation"] == "open"
    assert isinstance(raised.value.details["error"], FileNotFoundError)
    assert not (tmp_path / "new").exists()
    with pytest.raises(ftrack_api.exception.AccessorResourceNotFoundError):
        accessor.open("missing.txt", "rb")


def test_remove_container_only_removes_empty_containers(accessor, tmp_path):
    accessor.make_container("full")
    (tmp_path / "full" / "keep.txt").write_bytes(b"keep")
    with pytest.raises(ftrack_api.exception.AccessorContainerNotEmptyError):
        accessor.remove_container("full")
    assert (tmp_path / "full" / "keep.txt").read_bytes() == b"keep"


def test_errors(accessor, tmp_path):
    with pytest.raises(ftrack_api.exception.AccessorResourceNotFoundError) as raised:
        accessor.remove("missing.txt")
    assert str(raised.value) == "Resource not found: missing.txt"
    with pytest.raises(ftrack_api.exception.AccessorResourceNotFoundError):
        accessor.list("missing")
    for escaping in ("../outside.txt", "a/../../outside.txt", "/etc/passwd",
                     str(tmp_path) + "-sibling/x.txt"):
        with pytest.raises(ftrack_api.exception.AccessorFilesystemPathError) as raised:
            accessor.get_filesystem_path(escaping)
        assert str(raised.value) == (
            "Could not determine access path for resource_identifier outside of "
            "configured prefix: {0}.".format(escaping))
    inside = str(tmp_path / "x.txt")
    assert accessor.get_filesystem_path(inside) == inside
    assert accessor.get_filesystem_path("a/../b/") == str(tmp_path / "b")


def test_containers(accessor, tmp_path):
    accessor.make_container("a/b/c")
    accessor.make_container("a/b/c")
    accessor.make_container("a/b/c", recursive=False)  # existing: left alone
    assert accessor.is_container("a/b/c")
    with pytest.raises(ftrack_api.exception.AccessorParentResourceNotFoundError) as raised:
        accessor.make_container("x/y", recursive=False)
    assert raised.value.details["resource_identifier"] == "x/y"
    assert not (tmp_path / "x").exists()
    accessor.make_container("a/d", recursive=False)
    assert (tmp_path / "a" / "d").is_dir()


def test_sequences_urls_are_unsupported(accessor):
    with pytest.raises(ftrack_api.exception.AccessorUnsupportedOperationError) as raised:
        accessor.is_sequence("render/beauty.%04d.exr")
    assert str(raised.value) == "Operation is_sequence unsupported."
    with pytest.raises(ftrack_api.exception.AccessorUnsupportedOperationError) as raised:
        accessor.get_url("a.txt")
    assert raised.value.details["resource_identifier"] == "a.txt"
    assert str(raised.value) == "Operation get_url unsupported."


def test_get_container_with_and_without_prefix(tmp_path):
    accessor = disk.DiskAccessor(str(tmp_path))
    assert accessor.get_container(os.path.join("test", "a")) == "test"
    assert accessor.get_container("test/a/") == "test"
    assert accessor.get_container("test") == ""
    for outside in ("", str(tmp_path)):
        with pytest.raises(ftrack_api.exception.AccessorParentResourceNotFoundError) as raised:
            accessor.get_container(outside)
        assert str(raised.value) == (
            "Could not determine container for {0} as container falls outside of "
            "configured prefix.".format(outside))

    bare = disk.DiskAccessor("")
    assert bare.prefix == ""
    assert bare.get_container(str(tmp_path / "test" / "a")) == str(tmp_path / "test")
    assert bare.get_container(str(tmp_path / "test")) == str(tmp_path)
    assert bare.get_container("relative/file.txt") == "relative"
    assert bare.get_container("") == ""
    # Without a prefix there is nothing to escape from: paths are used as given.
    assert bare.get_filesystem_path("a/../b.txt") == "b.txt"


def test_prefix_is_expanded_and_made_absolute(tmp_path, monkeypatch):
    monkeypatch.setenv("DISK_ACCESSOR_ROOT", str(tmp_path))
    assert disk.DiskAccessor("$DISK_ACCESSOR_ROOT/store").prefix == str(tmp_path / "store")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert disk.DiskAccessor("~/home_store").prefix == str(tmp_path / "home_store")
    monkeypatch.chdir(str(tmp_path))
    relative = disk.DiskAccessor("relative")
    assert relative.prefix == str(tmp_path / "relative")
    assert relative.get_filesystem_path("f.txt") == str(tmp_path / "relative" / "f.txt")


@pytest.mark.parametrize("code, expected", [
    (errno.ENOENT, ftrack_api.exception.AccessorResourceNotFoundError),
    (errno.EPERM, ftrack_api.exception.AccessorPermissionDeniedError),
    (errno.ENOTEMPTY, ftrack_api.exception.AccessorContainerNotEmptyError),
    (errno.ENOTDIR, ftrack_api.exception.AccessorResourceInvalidError),
    (errno.EISDIR, ftrack_api.exception.AccessorResourceInvalidError),
    (errno.EINVAL, ftrack_api.exception.AccessorResourceInvalidError),
    (errno.EACCES, ftrack_api.exception.AccessorOperationFailedError),
    (errno.ENOSPC, ftrack_api.exception.AccessorOperationFailedError),
    (None, ftrack_api.exception.AccessorOperationFailedError),
])
def test_error_handler_maps_errno(code, expected):
    error = OSError(code, "boom") if code is not None else OSError("no errno")
    with pytest.raises(ftrack_api.exception.AccessorError) as raised:
        with disk.error_handler(operation="write", resource_identifier="a/b"):
            raise error
    assert type(raised.value) is expected
    assert raised.value.details["operation"] == "write"
    assert raised.value.details["resource_identifier"] == "a/b"
    if expected is ftrack_api.exception.AccessorOperationFailedError:
        assert raised.value.details["error"] is error


def test_error_handler_lets_other_errors_through():
    with pytest.raises(KeyError):
        with disk.error_handler(operation="list", resource_identifier="x"):
            raise KeyError("not an operating system error")


def test_base_accessor_unsupported_operations():
    class Minimal(ftrack_api.accessor.base.Accessor):
        list = exists = is_file = is_container = is_sequence = lambda self, *args: None
        open = remove = make_container = get_container = lambda self, *args, **kw: None

    accessor = Minimal()
    for operation in ("get_filesystem_path", "get_url"):
        with pytest.raises(ftrack_api.exception.AccessorUnsupportedOperationError) as raised:
            getattr(accessor, operation)("some/id")
        assert raised.value.details["operation"] == operation
        assert raised.value.details["resource_identifier"] == "some/id"


def test_transformer_passes_through():
    identity = transformer.ResourceIdentifierTransformer(session=None)
    assert identity.encode("a/b") == "a/b" and identity.decode("a/b", context={}) == "a/b"
