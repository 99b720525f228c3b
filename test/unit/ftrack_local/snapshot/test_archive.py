"""Snapshots kept as one archive: packed and unpacked unchanged, and nothing outside the snapshot accepted."""

import io
import os
import tarfile
import tempfile

import pytest

from ftrack_local.snapshot import format as snapshot

TASKS = [{"id": "t2", "name": "comp"}, {"id": "t1", "name": "light", "bid": 2.5}]
BLOB = b"\x00frame data\xff" * 1000
#: The first bytes of each kind of archive.
MAGIC = {".tar.gz": b"\x1f\x8b", ".tgz": b"\x1f\x8b", ".tar.xz": b"\xfd7zXZ\x00"}


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """The folder temporary folders are made in, to see that none is left behind."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def make_snapshot(path):
    manifest = snapshot.Manifest(created_at="2026-12-04T10:00:00", projects=[{"id": "p1", "name": "alpha"}])
    with snapshot.SnapshotWriter(str(path), manifest) as writer:
        writer.write_type("Task", TASKS)
        writer.write_blob("c0ffee-01", io.BytesIO(BLOB))
    return str(path)


def tar_with(path, *members):
    """A .tar.gz holding *members*: (TarInfo, data or None)."""
    with tarfile.open(str(path), "w:gz") as handle:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            handle.addfile(info, io.BytesIO(data) if data is not None else None)
    return str(path)


def member(name, kind=tarfile.REGTYPE, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


@pytest.mark.parametrize("ending", [".tar", ".tar.gz", ".tgz", ".tar.xz", ".TAR.GZ"])
def test_pack_and_unpack_give_back_the_same_snapshot(tmp_path, scratch, ending):
    folder = make_snapshot(tmp_path / "snap")
    archive = snapshot.pack(folder, str(tmp_path / ("snap" + ending)))
    assert not os.path.exists(archive + ".part")
    with open(archive, "rb") as handle:
        assert handle.read(6).startswith(MAGIC.get(ending.lower(), b""))
    with snapshot.unpacked(archive) as unpacked:
        assert unpacked != folder
        reader = snapshot.SnapshotReader(unpacked)
        reader.verify()
        assert list(reader.entities("Task")) == sorted(TASKS, key=lambda task: task["id"])
        with reader.open_blob("c0ffee-01") as blob:
            assert blob.read() == BLOB
        assert reader.manifest.blobs == 1
    assert not os.path.exists(unpacked)
    assert os.listdir(str(scratch)) == []


def test_an_archive_holds_the_snapshot_files_at_its_top(tmp_path):
    archive = snapshot.pack(make_snapshot(tmp_path / "snap"), str(tmp_path / "snap.tar"))
    with tarfile.open(archive) as handle:
        names = sorted(handle.getnames())
    assert names == ["blobs", "blobs/c0", "blobs/c0/c0ffee-01", "entities", "entities/Task.jsonl",
                     "manifest.json"]


def test_the_compression_is_read_from_the_bytes_not_the_name(tmp_path, scratch):
    plain = snapshot.pack(make_snapshot(tmp_path / "snap"), str(tmp_path / "snap.tar"))
    misnamed = str(tmp_path / "snap.tar.xz")
    os.rename(plain, misnamed)
    with snapshot.unpacked(misnamed) as folder:
        assert [task["id"] for task in snapshot.SnapshotReader(folder).entities("Task")] == ["t1", "t2"]


def test_a_folder_is_used_as_it_is(tmp_path):
    folder = make_snapshot(tmp_path / "snap.tar")  # a folder, whatever its name
    with snapshot.unpacked(folder) as unpacked:
        assert unpacked == folder
    assert os.path.isdir(folder)


def test_pack_refuses_other_names_and_existing_archives(tmp_path):
    folder = make_snapshot(tmp_path / "snap")
    with pytest.raises(snapshot.SnapshotError, match=r"no archive name \(use .tar, .tar.gz or .tar.xz\)"):
        snapshot.pack(folder, str(tmp_path / "snap.zip"))
    existing = tmp_path / "snap.tar.gz"
    existing.write_bytes(b"keep me")
    with pytest.raises(snapshot.SnapshotError, match="already exists"):
        snapshot.pack(folder, str(existing))
    assert existing.read_bytes() == b"keep me"


@pytest.mark.parametrize("bad", [
    member("../outside.jsonl"),
    member("entities/../../outside.jsonl"),
    member("/etc/outside.jsonl"),
    member("entities/link.jsonl", tarfile.SYMTYPE, linkname="/etc/passwd"),
    member("entities/hard.jsonl", tarfile.LNKTYPE, linkname="manifest.json"),
    member("entities/pipe", tarfile.FIFOTYPE),
], ids=["parent", "nested-parent", "absolute", "symlink", "hardlink", "fifo"])
def test_archives_reaching_outside_or_holding_links_are_refused(tmp_path, scratch, bad):
    data = b"{}\n" if bad.type == tarfile.REGTYPE else None
    archive = tar_with(tmp_path / "evil.tar.gz", (member("manifest.json"), b"{}"), (bad, data))
    with pytest.raises(snapshot.SnapshotError, match="is not a snapshot file"):
        with snapshot.unpacked(archive):
            pytest.fail("an unsafe archive was unpacked")
    assert not (tmp_path / "outside.jsonl").exists()
    assert os.listdir(str(scratch)) == []


def test_missing_and_unreadable_archives_are_clear_errors(tmp_path, scratch):
    with pytest.raises(snapshot.SnapshotError, match="does not exist"):
        with snapshot.unpacked(str(tmp_path / "missing.tar.gz")):
            pass
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"this is no archive at all" * 40)
    with pytest.raises(snapshot.SnapshotError, match="not a readable snapshot archive"):
        with snapshot.unpacked(str(garbage)):
            pass
    assert os.listdir(str(scratch)) == []


@pytest.mark.parametrize("ending", [".tar", ".tar.gz", ".tar.xz"])
def test_a_truncated_archive_is_a_clear_error(tmp_path, scratch, ending):
    archive = snapshot.pack(make_snapshot(tmp_path / "snap"), str(tmp_path / ("snap" + ending)))
    with open(archive, "rb") as handle:
        data = handle.read()
    truncated = tmp_path / ("cut" + ending)
    truncated.write_bytes(data[:len(data) // 2])
    with pytest.raises(snapshot.SnapshotError, match="not a readable snapshot archive"):
        with snapshot.unpacked(str(truncated)):
            pass
    assert os.listdir(str(scratch)) == []
