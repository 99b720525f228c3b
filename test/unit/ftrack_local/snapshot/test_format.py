"""The snapshot folder: written whole or not at all, read back equal, checked against its manifest."""

import io
import json
import os

import pytest

from ftrack_local.snapshot import format as snapshot


def manifest():
    return snapshot.Manifest(created_at="2026-12-04T10:00:00", source={"server_url": "https://studio.example"},
                             projects=[{"id": "p1", "name": "alpha"}], options={"components": True})


TASKS = [
    {"id": "b", "name": "comp", "start_date": {"__type__": "datetime", "value": "2026-01-02T00:00:00"}},
    {"id": "a", "name": "lighting, \"final\"\nsecond line", "bid": 1.5, "parent_id": "p1"},
]


def write(path, blobs=()):
    with snapshot.SnapshotWriter(str(path), manifest()) as writer:
        writer.write_type("Task", TASKS)
        writer.write_type("Metadata", [{"parent_id": "a", "key": "k2", "value": "2"},
                                       {"parent_id": "a", "key": "k1", "value": "1"}],
                          primary_key=("parent_id", "key"))
        for component_id, data in blobs:
            writer.write_blob(component_id, io.BytesIO(data))
    return snapshot.SnapshotReader(str(path))


def test_round_trip_keeps_every_value_and_sorts_by_primary_key(tmp_path):
    reader = write(tmp_path / "snap")
    assert reader.type_names == ["Metadata", "Task"]
    assert list(reader.entities("Task")) == sorted(TASKS, key=lambda e: e["id"])
    assert [m["key"] for m in reader.entities("Metadata")] == ["k1", "k2"]
    assert reader.manifest.types["Task"].count == 2
    assert reader.manifest.projects == [{"id": "p1", "name": "alpha"}]
    reader.verify()


def test_files_are_one_sorted_json_object_a_line(tmp_path):
    write(tmp_path / "snap")
    lines = (tmp_path / "snap" / "entities" / "Task.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["id"] == "a"
    assert lines[0] == json.dumps(first, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_same_data_gives_identical_files(tmp_path):
    write(tmp_path / "one")
    write(tmp_path / "two")
    for name in ("Task.jsonl", "Metadata.jsonl"):
        one, two = (tmp_path / folder / "entities" / name for folder in ("one", "two"))
        assert one.read_bytes() == two.read_bytes()


def test_blobs_are_copied_byte_for_byte(tmp_path):
    data = os.urandom(3 * (1 << 20) + 17)
    reader = write(tmp_path / "snap", blobs=[("c0ffee-01", data), ("abcdef", b"")])
    with reader.open_blob("c0ffee-01") as handle:
        assert handle.read() == data
    with reader.open_blob("abcdef") as handle:
        assert handle.read() == b""
    assert reader.manifest.blobs == 2
    assert (tmp_path / "snap" / "blobs" / "c0" / "c0ffee-01").is_file()
    with pytest.raises(snapshot.SnapshotError, match="no data for component"):
        reader.open_blob("d00d")


def test_failed_write_leaves_nothing_behind(tmp_path):
    with pytest.raises(RuntimeError):
        with snapshot.SnapshotWriter(str(tmp_path / "snap"), manifest()) as writer:
            writer.write_type("Task", TASKS)
            raise RuntimeError("reading the source failed")
    assert os.listdir(str(tmp_path)) == []


def test_existing_folder_is_never_overwritten(tmp_path):
    (tmp_path / "snap").mkdir()
    with pytest.raises(snapshot.SnapshotError, match="already exists"):
        snapshot.SnapshotWriter(str(tmp_path / "snap"), manifest())


@pytest.mark.parametrize("bad", ["", "../Task", "Task/x", "Ta sk"])
def test_type_names_cannot_escape_the_folder(tmp_path, bad):
    writer = snapshot.SnapshotWriter(str(tmp_path / "snap"), manifest())
    try:
        with pytest.raises(snapshot.SnapshotError, match="cannot name a snapshot file"):
            writer.write_type(bad, [])
    finally:
        writer.abort()


@pytest.mark.parametrize("bad", ["ab", "../../etc", "a/b/c", "x.y.z"])
def test_component_ids_cannot_escape_the_folder(tmp_path, bad):
    with pytest.raises(snapshot.SnapshotError, match="cannot name a snapshot file"):
        snapshot.blob_path(str(tmp_path), bad)


def test_tampered_file_fails_verification(tmp_path):
    write(tmp_path / "snap")
    target = tmp_path / "snap" / "entities" / "Task.jsonl"
    target.write_text(target.read_text(encoding="utf-8").replace("comp", "prep"), encoding="utf-8")
    with pytest.raises(snapshot.SnapshotError, match="does not match the manifest"):
        snapshot.SnapshotReader(str(tmp_path / "snap")).verify()


def test_missing_file_fails_verification(tmp_path):
    write(tmp_path / "snap")
    (tmp_path / "snap" / "entities" / "Metadata.jsonl").unlink()
    with pytest.raises(snapshot.SnapshotError, match="is missing"):
        snapshot.SnapshotReader(str(tmp_path / "snap")).verify()


@pytest.mark.parametrize("content, message", [
    (None, "is not a snapshot"),
    ("{not json", "unreadable manifest"),
    (json.dumps({"format": "something-else"}), "Not a snapshot manifest"),
    (json.dumps({"format": snapshot.FORMAT_NAME, "version": 99}), "version 99 is not supported"),
    (json.dumps({"format": snapshot.FORMAT_NAME, "version": 1}), "Malformed snapshot manifest"),
    (json.dumps({"format": snapshot.FORMAT_NAME, "version": 1, "created_at": "x", "types": {"Task": {}}}),
     "Malformed snapshot manifest"),
])
def test_bad_manifests_are_refused_clearly(tmp_path, content, message):
    (tmp_path / "snap").mkdir()
    if content is not None:
        (tmp_path / "snap" / "manifest.json").write_text(content, encoding="utf-8")
    with pytest.raises(snapshot.SnapshotError, match=message):
        snapshot.SnapshotReader(str(tmp_path / "snap"))


def test_unknown_type_and_corrupt_line_are_reported(tmp_path):
    reader = write(tmp_path / "snap")
    with pytest.raises(snapshot.SnapshotError, match="no entities of type 'Shot'"):
        list(reader.entities("Shot"))
    target = tmp_path / "snap" / "entities" / "Task.jsonl"
    target.write_text(target.read_text(encoding="utf-8") + "{broken\n", encoding="utf-8")
    with pytest.raises(snapshot.SnapshotError, match="line 3"):
        list(reader.entities("Task"))
