"""DiskAccessor, the resource identifier transformer and OriginStructure."""

import os

import pytest

import ftrack_api.accessor.disk as disk
import ftrack_api.exception
import ftrack_api.resource_identifier_transformer.base as transformer
import ftrack_api.structure.origin


@pytest.fixture
def accessor(tmp_path):
    return disk.DiskAccessor(str(tmp_path))


def test_write_read_list_and_remove(accessor, tmp_path):
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
    assert accessor.get_url("a.txt") == "file://" + str(tmp_path / "a.txt")
    with pytest.raises(ftrack_api.exception.AccessorContainerNotEmptyError):
        accessor.remove("shots/sh010")
    accessor.remove("shots/sh010/plate.exr")
    assert not accessor.exists("shots/sh010/plate.exr")
    accessor.remove_container("shots")
    assert os.listdir(str(tmp_path)) == []


def test_errors(accessor, tmp_path):
    with pytest.raises(ftrack_api.exception.AccessorResourceNotFoundError):
        accessor.remove("missing.txt")
    with pytest.raises(ftrack_api.exception.AccessorResourceNotFoundError):
        accessor.list("missing")
    for escaping in ("../outside.txt", "a/../../outside.txt", "/etc/passwd"):
        with pytest.raises(ftrack_api.exception.AccessorFilesystemPathError):
            accessor.get_filesystem_path(escaping)
    inside = str(tmp_path / "x.txt")
    assert accessor.get_filesystem_path(inside) == inside


def test_containers_and_sequences(accessor):
    accessor.make_container("a/b/c")
    accessor.make_container("a/b/c")
    assert accessor.is_container("a/b/c")
    with pytest.raises(ftrack_api.exception.AccessorResourceNotFoundError):
        accessor.make_container("x/y", recursive=False)
    assert accessor.is_sequence("render/beauty.%04d.exr")
    assert not accessor.is_sequence("render/beauty.0001.exr")


def test_transformer_and_origin_pass_through():
    identity = transformer.ResourceIdentifierTransformer(session=None)
    assert identity.encode("a/b") == "a/b" and identity.decode("a/b", context={}) == "a/b"
    origin = ftrack_api.structure.origin.OriginStructure()
    assert origin.get_resource_identifier(None, {"source_resource_identifier": "/x/y"}) == "/x/y"
    with pytest.raises(ftrack_api.exception.StructureError):
        origin.get_resource_identifier(None, {})
