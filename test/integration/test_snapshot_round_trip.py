"""Round trip of a studio project: snapshot from server A, load into server B.

Server A gets a project of about 10,000 entities built through
``ftrack_api`` (:mod:`snapshot_studio`) and a second project that must stay
behind. The ``snapshot`` command takes the first project with its component
files; server B starts from that snapshot. Then every entity the snapshot
holds is read from both servers with the same projection and compared,
custom attributes and metadata are compared through ``ftrack_api``,
component files are compared byte for byte, and the official client reads
the copy on B.
"""

import dataclasses
import hashlib
import json
import subprocess
import sys
import time
from typing import Any, Dict, Iterator, List, Tuple

import ftrack_api
import pytest
import requests
from server_process import ServerProcess
from snapshot_studio import StudioSize, seed_studio_project

from ftrack_local.client import ApiClient
from ftrack_local.schema import load as load_schema
from ftrack_local.snapshot.capture import normalised
from ftrack_local.snapshot.format import SnapshotReader, pack
from ftrack_local.snapshot.source import Source, where_in
from ftrack_local.testing import database_url, running_server, throwaway_database

#: Seeding 10,000 entities, taking the snapshot and starting two copies take about half a minute.
pytestmark = pytest.mark.slow

PROJECT = "studio_round_trip"
OTHER_PROJECT = "studio_left_behind"
#: Keys compared in one query.
KEYS_PER_QUERY = 200
#: Differences shown when entities do not match.
SHOWN_DIFFERENCES = 8
SNAPSHOT_TIMEOUT = 300


@dataclasses.dataclass
class RoundTrip:
    """The two servers, what was seeded on A and the snapshot taken of it."""

    source: Any
    copy: Any
    seeded: Dict[str, Any]
    left_behind: Dict[str, Any]
    snapshot: str
    command_output: str
    schema_cache: str

    def session(self, server: Any) -> Any:
        """A new ``ftrack_api`` session on *server* (closed by the caller)."""
        return ftrack_api.Session(server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                                  auto_connect_event_hub=False, schema_cache_path=self.schema_cache)


def _take_snapshot(server: Any, output: str) -> str:
    """Run the ``snapshot`` command on *server* in a subprocess; return its output."""
    command = [sys.executable, "-m", "ftrack_local", "snapshot", "--from", server.url, "--user", server.api_user,
               "--key", server.api_key, "--project", PROJECT, "--include", "components", output]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=SNAPSHOT_TIMEOUT)
    assert result.returncode == 0, "snapshot exited with {0}:\n{1}".format(result.returncode, result.stdout)
    return result.stdout


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoundTrip]:
    """Seed A, snapshot it with the command line, start B from the snapshot."""
    root = tmp_path_factory.mktemp("snapshot-round-trip")
    schema_cache = str(root / "schema-cache")
    with running_server(str(root / "a")) as source:
        started = time.monotonic()
        session = ftrack_api.Session(server_url=source.url, api_user=source.api_user, api_key=source.api_key,
                                     auto_connect_event_hub=False, schema_cache_path=schema_cache)
        try:
            seeded = seed_studio_project(session, PROJECT)
            left_behind = seed_studio_project(session, OTHER_PROJECT,
                                              StudioSize(sequences=1, shots_per_sequence=3, components=2))
        finally:
            session.close()
        seeded_at = time.monotonic()
        snapshot = str(root / "snapshot")
        output = _take_snapshot(source, snapshot)
        taken_at = time.monotonic()
        with running_server(str(root / "b"), snapshot=snapshot) as copy:
            print("\nseeded A in {0:.1f} s, took the snapshot in {1:.1f} s, started B from it in {2:.1f} s".format(
                seeded_at - started, taken_at - seeded_at, time.monotonic() - taken_at))
            yield RoundTrip(source, copy, seeded, left_behind, snapshot, output, schema_cache)


# -- helpers --------------------------------------------------------------------------

def _key_of(row: Dict[str, Any], key_names: Tuple[str, ...]) -> Tuple[str, ...]:
    return tuple(str(row.get(name)) for name in key_names)


def _read_rows(source: Source, type_name: str, selection: List[str], key_names: Tuple[str, ...],
               keys: List[Tuple[str, ...]]) -> Dict[Tuple[str, ...], Dict[str, Any]]:
    """The rows of *type_name* with *keys*, by key, read with *selection* (normalised as a snapshot keeps them)."""
    wanted = set(keys)
    found: Dict[Tuple[str, ...], Dict[str, Any]] = {}
    first_values = sorted({key[0] for key in keys})
    for start in range(0, len(first_values), KEYS_PER_QUERY):
        expression = "select {0} from {1} where {2}".format(
            ", ".join(selection), type_name, where_in(key_names[0], first_values[start:start + KEYS_PER_QUERY]))
        for row in source.rows(expression, key_names):
            if row.get("__entity_type__", type_name) != type_name:
                continue
            key = _key_of(row, key_names)
            if key in wanted:
                found[key] = normalised(row)
    return found


def _differences(type_name: str, expected: Dict[Any, Dict[str, Any]], actual: Dict[Any, Dict[str, Any]],
                 names: Tuple[str, str] = ("A", "B")) -> List[str]:
    """Readable lines naming the entities and attributes that differ between *expected* and *actual*."""
    lines = []
    for key in sorted(set(expected) | set(actual)):
        if key not in actual:
            lines.append("{0} {1}: missing on {2}".format(type_name, key, names[1]))
        elif key not in expected:
            lines.append("{0} {1}: missing on {2}".format(type_name, key, names[0]))
        elif expected[key] != actual[key]:
            for name in sorted(set(expected[key]) | set(actual[key])):
                if expected[key].get(name) != actual[key].get(name):
                    lines.append("{0} {1}.{2}: {3} {4!r} != {5} {6!r}".format(
                        type_name, key, name, names[0], expected[key].get(name), names[1], actual[key].get(name)))
    return lines


def _compare_entities(round_trip: RoundTrip, copy: Any) -> Tuple[List[str], int]:
    """Differences between A, the snapshot and *copy* over every entity the snapshot holds; and their number.

    Each type is read from A and from *copy* with the projection a snapshot
    takes (:meth:`Source.selection`), by primary key.
    """
    reader = SnapshotReader(round_trip.snapshot)
    schema = load_schema()
    session_a = round_trip.session(round_trip.source)
    session_b = round_trip.session(copy)
    differences: List[str] = []
    compared = 0
    try:
        source_a, source_b = Source(session_a), Source(session_b)
        for type_name in reader.type_names:
            entity_type = schema.types[type_name]
            key_names = tuple(entity_type.primary_key)
            in_snapshot = {_key_of(row, key_names): row for row in reader.entities(type_name)}
            selection = source_a.selection(entity_type)
            assert selection and selection == source_b.selection(entity_type), type_name
            rows_a = _read_rows(source_a, type_name, selection, key_names, list(in_snapshot))
            rows_b = _read_rows(source_b, type_name, selection, key_names, list(in_snapshot))
            differences.extend(_differences(type_name, rows_a, in_snapshot, ("A", "snapshot")))
            differences.extend(_differences(type_name, rows_a, rows_b))
            compared += len(rows_b)
    finally:
        session_a.close()
        session_b.close()
    return differences, compared


def _plain(value: Any) -> Any:
    """A custom attribute value as JSON can carry it (dates as ISO text)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _owners(session: Any, project_id: str) -> List[Any]:
    """The project, its contexts and its versions, with custom attributes and metadata loaded."""
    where = ' where project_id is "{0}"'.format(project_id)
    owners = list(session.query("select custom_attributes, metadata from TypedContext" + where))
    owners.extend(session.query('select custom_attributes, metadata from AssetVersion '
                                'where asset.parent.project_id is "{0}"'.format(project_id)))
    owners.append(session.query(
        'select custom_attributes, metadata from Project where id is "{0}"'.format(project_id)).one())
    return owners


def _custom_attributes_and_metadata(server: Any, round_trip: RoundTrip) -> Dict[str, Dict[str, Any]]:
    session = round_trip.session(server)
    try:
        owners = _owners(session, round_trip.seeded["project_id"])
        return {
            "custom_attributes": {entity["id"]: {key: _plain(value) for key, value
                                                 in entity["custom_attributes"].items()} for entity in owners},
            "metadata": {entity["id"]: dict(entity["metadata"].items()) for entity in owners},
        }
    finally:
        session.close()


def _file_digests(server: Any, round_trip: RoundTrip, component_ids: List[str]) -> Dict[str, Dict[str, Any]]:
    """sha256 of each component's file, downloaded through the ``ftrack.server`` location's URL and accessor."""
    session = round_trip.session(server)
    try:
        location = session.query('Location where name is "ftrack.server"').one()
        digests = {}
        for component_id in component_ids:
            component = session.get("FileComponent", component_id)
            response = requests.get(location.get_url(component), timeout=60)
            response.raise_for_status()
            stream = location.accessor.open(location.get_resource_identifier(component), "rb")
            try:
                through_accessor = hashlib.sha256(stream.read()).hexdigest()
            finally:
                stream.close()
            digests[component_id] = {"url": hashlib.sha256(response.content).hexdigest(),
                                     "accessor": through_accessor, "size": component["size"],
                                     "name": component["name"]}
        return digests
    finally:
        session.close()


# -- tests ----------------------------------------------------------------------------

def test_snapshot_holds_the_project_and_verifies(round_trip: RoundTrip) -> None:
    reader = SnapshotReader(round_trip.snapshot)
    reader.verify()
    manifest = reader.manifest
    total = sum(entry.count for entry in manifest.types.values())
    print("\nsnapshot of {0}: {1} entities of {2} types, {3} files\n{4}".format(
        PROJECT, total, len(manifest.types), manifest.blobs,
        ", ".join("{0} {1}".format(name, entry.count) for name, entry in sorted(manifest.types.items()))))
    assert total >= 10000
    assert "{0:,} entities of {1} types, {2} component files".format(
        total, len(manifest.types), manifest.blobs) in round_trip.command_output
    assert manifest.projects == [{"id": round_trip.seeded["project_id"], "name": PROJECT}]
    assert manifest.options["components"] is True
    assert manifest.options.get("missing_files") == []
    assert manifest.blobs == len(round_trip.seeded["component_ids"])
    for type_name, created in round_trip.seeded["counts"].items():
        if type_name not in ("User", "CustomAttributeConfiguration"):
            assert manifest.types[type_name].count == created, type_name
    assert manifest.types["User"].count >= len(round_trip.seeded["usernames"])
    # 500 values on shots, 1,067 on tasks, 2 on the project; 1,200 on versions.
    assert manifest.types["ContextCustomAttributeValue"].count == 1569
    assert manifest.types["AssetVersionCustomAttributeValue"].count == 1200
    assert manifest.types["Metadata"].count > 400
    names = {entity["name"] for entity in reader.entities("Project")}
    assert names == {PROJECT}


def test_every_entity_and_attribute_equal(round_trip: RoundTrip) -> None:
    differences, compared = _compare_entities(round_trip, round_trip.copy)
    assert not differences, "{0} differences, the first:\n{1}".format(
        len(differences), "\n".join(differences[:SHOWN_DIFFERENCES]))
    assert compared >= 10000


def test_custom_attributes_and_metadata_equal_through_ftrack_api(round_trip: RoundTrip) -> None:
    on_a = _custom_attributes_and_metadata(round_trip.source, round_trip)
    on_b = _custom_attributes_and_metadata(round_trip.copy, round_trip)
    assert on_b == on_a
    values = on_a["custom_attributes"]
    project = values[round_trip.seeded["project_id"]]
    assert project["studio_client"] == "Ñandú Films"
    assert project["studio_fps"] == pytest.approx(23.976)
    shots = [values[shot_id] for shot_id in round_trip.seeded["shot_ids"]]
    assert sorted(shot["studio_fstart"] for shot in shots) == list(range(1001, 1001 + len(shots)))
    assert {shot["studio_hero"] for shot in shots} == {True, False}
    assert sum(bool(shot["studio_delivery"]) for shot in shots) == len(shots) // 2
    versions = [values[version_id] for version_id in round_trip.seeded["version_ids"]]
    assert {version["studio_review_ready"] for version in versions} == {True, False}
    metadata = on_a["metadata"]
    assert metadata[round_trip.seeded["project_id"]] == {"pipeline": "studio-v2"}
    assert all(set(metadata[shot_id]) == {"plate", "lens"} for shot_id in round_trip.seeded["shot_ids"])
    assert sum(metadata[version_id] == {"colourspace": "ACEScg"}
               for version_id in round_trip.seeded["version_ids"]) == len(round_trip.seeded["version_ids"]) // 3


def test_component_files_byte_identical(round_trip: RoundTrip) -> None:
    component_ids = sorted(round_trip.seeded["component_ids"])
    on_a = _file_digests(round_trip.source, round_trip, component_ids)
    on_b = _file_digests(round_trip.copy, round_trip, component_ids)
    assert on_b == on_a
    assert all(entry["url"] == entry["accessor"] for entry in on_b.values())
    assert len({entry["url"] for entry in on_b.values()}) == len(component_ids)
    reader = SnapshotReader(round_trip.snapshot)
    for component_id in component_ids:
        with reader.open_blob(component_id) as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == on_a[component_id]["url"]


def _our_reading(server: Any, round_trip: RoundTrip, version_ids: List[str]) -> Dict[str, Any]:
    """What ``read_snapshot_copy.py`` reports, read with our client."""
    session = round_trip.session(server)
    try:
        project_id = round_trip.seeded["project_id"]
        where = ' where project_id is "{0}"'.format(project_id)
        project = session.get("Project", project_id)
        tree = sorted([context["id"], context["name"], context["object_type"]["name"], context["parent_id"]]
                      for context in session.query(
                          "select id, name, object_type.name, parent_id from TypedContext" + where))
        components = session.query("select id, name, file_type, size from FileComponent where {0}".format(
            where_in("version_id", version_ids)))
        return {
            "project": {"id": project_id, "name": project["name"], "full_name": project["full_name"]},
            "tree": tree,
            "counts": {type_name: len(session.query("select id from {0}{1}".format(type_name, where)).all())
                       for type_name in ("Sequence", "Shot", "Task")},
            "files": {component["id"]: (component["name"], component["file_type"], component["size"])
                      for component in components},
        }
    finally:
        session.close()


def _version_of_first_component(round_trip: RoundTrip) -> str:
    session = round_trip.session(round_trip.source)
    try:
        return session.get("FileComponent", round_trip.seeded["component_ids"][0])["version_id"]
    finally:
        session.close()


def test_official_client_reads_the_copy(round_trip: RoundTrip, reference_python: str, run_reference: Any) -> None:
    version_ids = sorted({round_trip.seeded["version_ids"][0], round_trip.seeded["version_ids"][-1]} |
                         {_version_of_first_component(round_trip)})
    observed = run_reference(reference_python, round_trip.copy, "read_snapshot_copy",
                             project_name=PROJECT, version_ids=version_ids)
    ours_b = _our_reading(round_trip.copy, round_trip, version_ids)
    ours_a = _our_reading(round_trip.source, round_trip, version_ids)
    assert ours_b == ours_a
    assert observed["project"] == ours_b["project"]
    assert observed["tree"] == ours_b["tree"]
    assert observed["counts"] == ours_b["counts"] == {"Sequence": 10, "Shot": 200, "Task": 800}
    assert {key: (value["name"], value["file_type"], value["size"]) for key, value in observed["files"].items()} \
        == ours_b["files"]
    assert observed["files"], "the versions read have file components"
    ours = _custom_attributes_and_metadata(round_trip.copy, round_trip)
    digests = _file_digests(round_trip.copy, round_trip, sorted(observed["files"]))
    for component_id, entry in observed["files"].items():
        assert entry["url_status"] == 200
        assert entry["sha256"] == entry["url_sha256"] == digests[component_id]["url"]
        assert entry["availability"] == 100.0
    for entity_id, values in observed["custom_attributes"].items():
        assert json.loads(json.dumps(ours["custom_attributes"][entity_id], default=str)) == values, entity_id
        assert ours["metadata"][entity_id] == observed["metadata"][entity_id], entity_id
    assert len(observed["custom_attributes"]) == 200 + len(version_ids) + 1


def _admin(server: Any) -> Dict[str, Any]:
    """The admin user of *server* (id, name) and the names of its security roles, read with its own key."""
    client = ApiClient(server.url, server.api_user, server.api_key)
    try:
        user = client.query('select id, username from User where username is "{0}"'.format(server.api_user))[0]
        roles = client.query('select security_role.name from UserSecurityRole where user_id is "{0}"'.format(
            user["id"]))
    finally:
        client.close()
    return {"id": user["id"], "username": user["username"],
            "roles": sorted(role["security_role"]["name"] for role in roles)}


def test_other_project_absent_and_admin_key_still_works(round_trip: RoundTrip) -> None:
    left_behind = round_trip.left_behind
    session_a = round_trip.session(round_trip.source)
    session_b = round_trip.session(round_trip.copy)
    try:
        assert session_a.get("Project", left_behind["project_id"]) is not None
        assert session_b.get("Project", left_behind["project_id"]) is None
        assert sorted(project["name"] for project in session_b.query("select name from Project")) == [PROJECT]
        for type_name, ids in (("Shot", left_behind["shot_ids"]), ("AssetVersion", left_behind["version_ids"]),
                               ("FileComponent", left_behind["component_ids"])):
            assert session_b.query("select id from {0} where {1}".format(type_name, where_in("id", ids))).all() == []
        assert session_b.query("select id from User where {0}".format(
            where_in("username", left_behind["usernames"]))).all() == []
        # The admin of B signs in with its own key, as the admin the snapshot brought, and may still write.
        admin_b = _admin(round_trip.copy)
        assert admin_b == _admin(round_trip.source)
        assert "Administrator" in admin_b["roles"]
        folder = session_b.create("Folder", {"name": "written_after_load", "parent": session_b.get(
            "Project", round_trip.seeded["project_id"])})
        session_b.commit()
        session_b.delete(folder)
        session_b.commit()
    finally:
        session_a.close()
        session_b.close()


def test_serve_from_a_packed_snapshot(round_trip: RoundTrip, tmp_path: Any) -> None:
    archive = pack(round_trip.snapshot, str(tmp_path / "studio.tar.gz"))
    with throwaway_database(database_url()) as database:
        with ServerProcess(tmp_path / "data", database=database,
                           arguments=["--from-snapshot", archive], name="from-snapshot") as served:
            differences, compared = _compare_entities(round_trip, served)
            component_ids = sorted(round_trip.seeded["component_ids"])
            files = _file_digests(served, round_trip, component_ids)
    assert not differences, "{0} differences, the first:\n{1}".format(
        len(differences), "\n".join(differences[:SHOWN_DIFFERENCES]))
    assert compared >= 10000
    assert files == _file_digests(round_trip.source, round_trip, component_ids)
