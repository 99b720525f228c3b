"""A studio-sized database for the scale benchmark, grown quickly.

Shape (one *unit* per shot, 50 entities)::

    Project (25 sequences) -> Sequence (40 shots) -> Shot
        Shot: 5 Tasks (layout, animation, fx, lighting, compositing),
              2 Assets (plate, comp), 25 AssetVersions (5 per task, 12-13
              per asset), 11 custom attribute values (the shot's
              ``fstart``, each task's ``difficulty``, ``review_note`` on 5
              versions) and 6 Metadata rows (1 on the shot, 1 on 5
              versions).

A database of *size* entities has ``size // 50`` shots: 10,000 -> one
project of 5 sequences; 100,000 -> 2 full projects; 1,000,000 -> 20 full
projects (20 × 25 × 40 shots × 5 tasks = 100,000 tasks, 500,000 versions).

How it is grown, so that the rows are exactly the API's:

1. the configurations, projects and sequences, and the whole first shot
   (its tasks, assets, versions, custom attribute values and metadata) are
   created through ``backend.call`` like any client request;
2. the rows the API wrote for that first shot are read back and used as
   templates: every other shot's rows are copies with new ids, names,
   parents, statuses and values, inserted with SQLAlchemy ``executemany``
   in large batches (one transaction per batch).

Only the columns that differ from entity to entity are replaced; every
other column (``context_type``, ``object_type_id``, ``created_by_id``,
defaults the writer fills in…) is the API's own value.
"""

import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa

from ftrack_local import seed

ENTITIES_PER_SHOT = 50
SHOTS_PER_SEQUENCE = 40
SEQUENCES_PER_PROJECT = 25
TASKS = [("layout", "Layout"), ("animation", "Animation"), ("fx", "FX"),
         ("lighting", "Lighting"), ("compositing", "Compositing")]
#: Task statuses cycle over these (by the task's global index).
TASK_STATUSES = ["Not started", "In progress", "Pending Review", "Approved"]
ASSETS = [("plate", "Plate"), ("comp", "Comp")]
VERSIONS_PER_SHOT = 25
VERSION_STATUSES = ["Pending Review", "Approved", "Revise", "Client review"]
#: Versions (by index in the shot) carrying a ``review_note`` value / a metadata key.
NOTED_VERSIONS = range(0, VERSIONS_PER_SHOT, 5)
VERSIONS_WITH_METADATA = range(0, VERSIONS_PER_SHOT, 5)
BATCH_ROWS = 20000


def project_name(index: int) -> str:
    return "scale_{0:03d}".format(index)


def sequence_name(index: int) -> str:
    return "sq{0:03d}".format(index)


def shot_name(index: int) -> str:
    return "sh{0:03d}0".format(index)


class Layout:
    """How many of each level a database of *size* entities holds."""

    def __init__(self, size: int):
        self.size = size
        self.shots = max(1, size // ENTITIES_PER_SHOT)
        self.sequences = -(-self.shots // SHOTS_PER_SEQUENCE)
        self.projects = -(-self.sequences // SEQUENCES_PER_PROJECT)

    def shots_of(self, sequence: int) -> int:
        """Shots in the sequence of global index *sequence*."""
        return min(SHOTS_PER_SEQUENCE, self.shots - sequence * SHOTS_PER_SEQUENCE)

    def describe(self) -> str:
        return ("{0:,} projects, {1:,} sequences, {2:,} shots, {3:,} tasks, "
                "{4:,} versions".format(self.projects, self.sequences, self.shots,
                                        self.shots * len(TASKS),
                                        self.shots * VERSIONS_PER_SHOT))


def reference(entity_type: str, entity_id: str) -> Dict[str, str]:
    return {"__entity_type__": entity_type, "id": entity_id}


def create(entity_type: str, data: Dict[str, Any], key: Optional[List[Any]] = None
           ) -> Tuple[str, Dict[str, Any]]:
    """A ``create`` operation as the reference client sends it; returns (id, operation).

    *data* may carry the new entity's ``id``; *key* is the entity key of
    types keyed by other attributes than ``id``.
    """
    entity_id = data.get("id") or str(uuid.uuid4())
    entity_data = dict(data, __entity_type__=entity_type)
    if key is None:
        entity_data["id"] = entity_id
        key = [entity_id]
    return entity_id, {"action": "create", "entity_type": entity_type,
                       "entity_key": key, "entity_data": entity_data}


class Database:
    """What the benchmark needs to know about a grown database."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.project_ids: List[str] = []
        #: (project index, sequence name) -> id
        self.sequence_ids: Dict[Tuple[int, str], str] = {}
        self.configuration_ids: Dict[str, str] = {}
        #: id of one task deep in the first project (for descendants criteria)
        self.sample_task_id = ""
        self.counts: Dict[str, int] = {}
        self.seconds = 0.0
        self.api_seconds = 0.0


class _Unit:
    """Ids and names of one shot's entities."""

    def __init__(self):
        self.shot = str(uuid.uuid4())
        self.tasks = [str(uuid.uuid4()) for _ in TASKS]
        self.assets = [str(uuid.uuid4()) for _ in ASSETS]
        self.versions = [str(uuid.uuid4()) for _ in range(VERSIONS_PER_SHOT)]


def _version_links(index: int) -> Tuple[int, int, int]:
    """(task index, asset index, version number) of a shot's version *index*."""
    return index // 5, index % 2, index // 2 + 1


def _task_status(shot: int, task: int) -> str:
    return TASK_STATUSES[(shot * len(TASKS) + task) % len(TASK_STATUSES)]


def _unit_operations(unit: _Unit, shot: int, name: str, sequence_id: str,
                     configurations: Dict[str, str]) -> List[Dict[str, Any]]:
    """The API operations creating one shot's unit (used for the template)."""
    operations = [create("Shot", {
        "id": unit.shot, "name": name, "parent": reference("Sequence", sequence_id),
        "status_id": seed.STATUS_IDS["In progress"]})[1]]
    for index, (task_name, type_name) in enumerate(TASKS):
        operation = create("Task", {
            "id": unit.tasks[index], "name": task_name,
            "parent": reference("Shot", unit.shot), "type_id": seed.TYPE_IDS[type_name],
            "status_id": seed.STATUS_IDS[_task_status(shot, index)]})[1]
        operations.append(operation)
    for index, (asset_name, type_name) in enumerate(ASSETS):
        operation = create("Asset", {
            "id": unit.assets[index], "name": asset_name,
            "parent": reference("Shot", unit.shot), "type_id": seed.ASSET_TYPE_IDS[type_name]})[1]
        operations.append(operation)
    for index, version_id in enumerate(unit.versions):
        task, asset, number = _version_links(index)
        operation = create("AssetVersion", {
            "id": version_id, "version": number,
            "asset": reference("Asset", unit.assets[asset]),
            "task": reference("Task", unit.tasks[task]),
            "status_id": seed.STATUS_IDS[VERSION_STATUSES[index % len(VERSION_STATUSES)]]})[1]
        operations.append(operation)
    for value_type, configuration, owner, value in _custom_values(unit, shot, configurations):
        operations.append(create(value_type, {
            "configuration_id": configuration, "entity_id": owner, "value": value},
            key=[configuration, owner])[1])
    for parent_type, parent_id, key, value in _metadata(unit, shot):
        operations.append(create("Metadata", {
            "parent_id": parent_id, "parent_type": parent_type, "key": key, "value": value},
            key=[parent_id, key])[1])
    return operations


def _custom_values(unit: _Unit, shot: int, configurations: Dict[str, str]):
    yield "ContextCustomAttributeValue", configurations["fstart"], unit.shot, 1001 + shot
    for index, task_id in enumerate(unit.tasks):
        yield ("ContextCustomAttributeValue", configurations["difficulty"], task_id,
               ["easy", "medium", "hard"][(shot + index) % 3])
    for index in NOTED_VERSIONS:
        yield ("AssetVersionCustomAttributeValue", configurations["review_note"],
               unit.versions[index], "note {0}/{1}".format(shot, index))


def _metadata(unit: _Unit, shot: int):
    yield "Context", unit.shot, "cut_in", str(1001 + shot)
    for index in VERSIONS_WITH_METADATA:
        yield "AssetVersion", unit.versions[index], "source", "render-farm"


def _configurations(call) -> Dict[str, str]:
    specs = [
        ("fstart", "Frame start", "task", seed.OBJECT_TYPE_IDS["Shot"], "number", 1001),
        ("difficulty", "Difficulty", "task", seed.OBJECT_TYPE_IDS["Task"], "text", ""),
        ("review_note", "Review note", "assetversion", None, "text", ""),
    ]
    ids = {}
    operations = []
    for key, label, entity_type, object_type_id, type_name, default in specs:
        data = {"key": key, "label": label, "entity_type": entity_type,
                "type_id": seed.CUSTOM_ATTRIBUTE_TYPE_IDS[type_name],
                "config": "{}", "default": default}
        if object_type_id is not None:
            data["object_type_id"] = object_type_id
        ids[key], operation = create("CustomAttributeConfiguration", data)
        operations.append(operation)
    call(operations)
    return ids


class _Templates:
    """The rows the API wrote for the first shot's unit, by role."""

    def __init__(self, storage: Any, connection: sa.Connection, unit: _Unit,
                 configurations: Dict[str, str]):
        self.storage = storage
        self.context = storage.tables["context"]
        self.asset = storage.tables["asset"]
        self.version = storage.tables["asset_version"]
        self.value = storage.tables["custom_attribute_value"]
        self.metadata = storage.tables["metadata"]

        def one(table, *conditions):
            row = connection.execute(sa.select(table).where(*conditions).order_by(
                table.c._seq).limit(1)).mappings().one()
            return {k: v for k, v in row.items() if k != "_seq"}

        self.shot = one(self.context, self.context.c.id == unit.shot)
        self.task = one(self.context, self.context.c.id == unit.tasks[0])
        self.asset_row = one(self.asset, self.asset.c.id == unit.assets[0])
        self.version_row = one(self.version, self.version.c.id == unit.versions[0])
        self.values = {
            key: one(self.value, self.value.c.configuration_id == configuration)
            for key, configuration in configurations.items()}
        self.metadata_row = one(self.metadata, self.metadata.c.parent_id == unit.shot,
                                self.metadata.c.key == "cut_in")

    def rows(self, unit: _Unit, shot: int, name: str, sequence_id: str, project_id: str,
             configurations: Dict[str, str]) -> Dict[str, List[Dict[str, Any]]]:
        out: Dict[str, List[Dict[str, Any]]] = {"context": [], "asset": [], "asset_version": [],
                                                "custom_attribute_value": [], "metadata": []}
        out["context"].append(dict(self.shot, id=unit.shot, name=name, parent_id=sequence_id,
                                   project_id=project_id))
        for index, (task_name, type_name) in enumerate(TASKS):
            out["context"].append(dict(
                self.task, id=unit.tasks[index], name=task_name, parent_id=unit.shot,
                project_id=project_id, type_id=seed.TYPE_IDS[type_name],
                status_id=seed.STATUS_IDS[_task_status(shot, index)]))
        for index, (asset_name, type_name) in enumerate(ASSETS):
            out["asset"].append(dict(self.asset_row, id=unit.assets[index], name=asset_name,
                                     context_id=unit.shot, type_id=seed.ASSET_TYPE_IDS[type_name]))
        for index, version_id in enumerate(unit.versions):
            task, asset, number = _version_links(index)
            out["asset_version"].append(dict(
                self.version_row, id=version_id, version=number, asset_id=unit.assets[asset],
                task_id=unit.tasks[task],
                status_id=seed.STATUS_IDS[VERSION_STATUSES[index % len(VERSION_STATUSES)]]))
        keys = {configuration: key for key, configuration in configurations.items()}
        for value_type, configuration, owner, value in _custom_values(unit, shot, configurations):
            out["custom_attribute_value"].append(dict(
                self.values[keys[configuration]], entity_id=owner, value=value))
        for parent_type, parent_id, key, value in _metadata(unit, shot):
            out["metadata"].append(dict(self.metadata_row, parent_id=parent_id,
                                        parent_type=parent_type, key=key, value=value))
        return out


def grow(server: Any, size: int, log=print) -> Database:
    """Fill *server*'s (empty) database with about *size* entities; see the module doc."""
    started = time.perf_counter()
    layout = Layout(size)
    database = Database(layout)
    backend = server.backend
    storage = backend.storage

    def call(operations):
        return backend.call(operations, server.api_user)

    api_started = time.perf_counter()
    configurations = _configurations(call)
    database.configuration_ids = configurations
    projects = []
    for index in range(layout.projects):
        project_id, operation = create("Project", {
            "name": project_name(index), "full_name": "Scale {0}".format(index),
            "project_schema_id": seed.DEFAULT_PROJECT_SCHEMA_ID})
        projects.append(operation)
        database.project_ids.append(project_id)
    call(projects)
    sequences = []
    sequence_of: List[Tuple[str, str]] = []  # global sequence index -> (id, project id)
    for index in range(layout.sequences):
        project = index // SEQUENCES_PER_PROJECT
        name = sequence_name(index % SEQUENCES_PER_PROJECT)
        sequence_id, operation = create("Sequence", {
            "name": name, "parent": reference("Project", database.project_ids[project]),
            "status_id": seed.STATUS_IDS["In progress"]})
        sequences.append(operation)
        sequence_of.append((sequence_id, database.project_ids[project]))
        database.sequence_ids[(project, name)] = sequence_id
    for batch_start in range(0, len(sequences), 1000):
        call(sequences[batch_start:batch_start + 1000])

    # The first shot through the API: its rows become the templates.
    first = _Unit()
    call(_unit_operations(first, 0, shot_name(0), sequence_of[0][0], configurations))
    database.api_seconds = time.perf_counter() - api_started

    pending: Dict[str, List[Dict[str, Any]]] = {}
    pending_rows = 0
    sample_shot = min(layout.shots - 1, 3 * SHOTS_PER_SEQUENCE + 7)  # sq003's 8th shot
    with storage.engine.connect() as connection:
        templates = _Templates(storage, connection, first, configurations)
        connection.commit()

        def flush():
            nonlocal pending_rows
            for table_name, rows in pending.items():
                if rows:
                    connection.execute(storage.tables[table_name].insert(), rows)
            connection.commit()
            pending.clear()
            pending_rows = 0

        for shot in range(1, layout.shots):
            sequence = shot // SHOTS_PER_SEQUENCE
            sequence_id, project_id = sequence_of[sequence]
            unit = _Unit()
            if shot == sample_shot:
                database.sample_task_id = unit.tasks[-1]
            rows = templates.rows(unit, shot, shot_name(shot % SHOTS_PER_SEQUENCE),
                                  sequence_id, project_id, configurations)
            for table_name, table_rows in rows.items():
                pending.setdefault(table_name, []).extend(table_rows)
                pending_rows += len(table_rows)
            if pending_rows >= BATCH_ROWS:
                flush()
                if shot % 2000 < (BATCH_ROWS // ENTITIES_PER_SHOT):
                    log("  grown {0:,} of {1:,} shots ({2:.0f} s)".format(
                        shot + 1, layout.shots, time.perf_counter() - started))
        flush()
        if not database.sample_task_id:
            database.sample_task_id = first.tasks[-1]
        analyze(storage, connection)
        for table_name in ("context", "asset", "asset_version", "custom_attribute_value",
                           "metadata"):
            table = storage.tables[table_name]
            database.counts[table_name] = connection.execute(
                sa.select(sa.func.count()).select_from(table)).scalar()
    database.seconds = time.perf_counter() - started
    return database


def analyze(storage: Any, connection: sa.Connection) -> None:
    """Planner statistics as a database in use has them: on PostgreSQL the
    ``ANALYZE`` autovacuum would soon run after so many inserts; on SQLite
    the server's own bounded ``ANALYZE`` (``Storage.analyze``: it runs by
    itself at start-up and, while the server is used, at most every 30
    seconds; older servers left SQLite without statistics)."""
    if connection.dialect.name == "postgresql":
        connection.commit()
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    elif hasattr(storage, "analyze"):
        storage.analyze()
