"""Taking a snapshot: the steps of :mod:`.scope` run against a server, resumable.

A run works in ``<output>.partial``, next to the snapshot it makes::

    options.json                 what was asked (a rerun must ask the same)
    parts/<step>/<chunk>.jsonl   the rows one query read, written whole
    parts/<step>/done            the step has read everything
    snapshot/                    the snapshot being built (component files first)

Each step splits the ids of the pool it reads into chunks of
*ids_per_query* ids; the chunks of a step are read by up to *concurrency*
requests at a time, each a page of *page_size* rows at a time. When a run
stops half-way (an error, Ctrl-C, a lost connection), running the same
command again reads only what is missing. At the end the rows of each type
are gathered, de-duplicated by primary key, anonymised when asked, and
written as the snapshot; the work folder is then removed.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import json
import os
import shutil
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from .. import families
from ..schema import EntityType, Schema
from ..schema import load as load_schema
from . import scope
from .anonymise import Anonymiser
from .components import copy_files
from .format import Manifest, SnapshotError, SnapshotWriter, entity_line
from ..query.literals import quoted, where_in
from .source import Source

#: ``progress(event, **details)``: see :class:`~.progress.ProgressReport`.
ProgressCallback = Callable[..., None]
DONE = "done"


@dataclasses.dataclass
class Options:
    """What a snapshot takes: *projects* by name, and how."""

    projects: List[str]
    include_components: bool = False
    since: Optional[str] = None
    anonymise_salt: Optional[str] = None

    def as_json(self) -> Dict[str, Any]:
        """The options as the work folder records them."""
        return {"projects": sorted(self.projects), "components": self.include_components,
                "since": self.since, "anonymised": self.anonymise_salt is not None,
                "salt": self.anonymise_salt}


class Capture:
    """Takes a snapshot of *options.projects* from the server *session* is connected to.

    *session* is an ``ftrack_api.Session``. *output* is the folder the
    snapshot is written to; it must not exist yet.
    """

    def __init__(self, session: Any, output: str, options: Options, *, schema: Optional[Schema] = None,
                 page_size: int = 500, concurrency: int = 4, ids_per_query: int = 250,
                 progress: Optional[ProgressCallback] = None) -> None:
        if not options.projects:
            raise SnapshotError("Name at least one project to take.")
        if page_size < 1 or concurrency < 1 or ids_per_query < 1:
            raise SnapshotError("Page size, concurrency and ids per query must be at least 1.")
        self.session = session
        self.output = os.path.abspath(output)
        self.options = options
        self.schema = schema or load_schema()
        self.source = Source(session, page_size)
        self.concurrency = concurrency
        self.ids_per_query = ids_per_query
        self.progress = progress or (lambda event, **details: None)
        self.work = self.output + ".partial"
        self.steps = scope.plan(self.schema)
        self.pools: Dict[str, Set[Any]] = {}
        self._row_pools = scope.RowPools(self.schema)

    # -- the run ------------------------------------------------------------------

    def run(self) -> str:
        """Take the snapshot; return its path. Rerun after a failure to resume."""
        if os.path.exists(self.output):
            raise SnapshotError("{0} already exists; a snapshot is written to a new folder.".format(self.output))
        created = self._prepare_work()
        try:
            projects = self._projects()
        except BaseException:
            if created:  # nothing was read: a corrected command starts afresh
                shutil.rmtree(self.work, ignore_errors=True)
            raise
        self.pools = {scope.PROJECTS: {project["id"] for project in projects}}
        with concurrent.futures.ThreadPoolExecutor(self.concurrency) as pool:
            for index, step in enumerate(self.steps):
                self._run_step(pool, index, step)
        manifest = self._manifest(projects)
        writer = SnapshotWriter(self.output, manifest, work=os.path.join(self.work, "snapshot"))
        rows = self._gather()
        if self.options.include_components:
            component_ids = sorted(row["id"] for row in rows.get("FileComponent", {}).values())
            missing = copy_files(self.session, writer, component_ids, self.concurrency, self.progress)
            manifest.options["missing_files"] = missing
        self._write_types(writer, rows)
        path = writer.close()
        shutil.rmtree(self.work, ignore_errors=True)
        self.progress("finished", path=path, types=len(manifest.types),
                      entities=sum(entry.count for entry in manifest.types.values()), files=manifest.blobs)
        return path

    def _manifest(self, projects: List[Dict[str, Any]]) -> Manifest:
        """The manifest of the snapshot; an anonymised one names neither the server nor the projects."""
        source = {"server_url": self.source.server_url, "server_version": self.source.server_version()}
        if self.options.anonymise_salt:
            anonymiser = Anonymiser(self.options.anonymise_salt)
            projects = [{"id": project["id"], "name": anonymiser.name(project["name"])} for project in projects]
            source["server_url"] = None
        return Manifest(
            created_at=datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
            source=source, projects=projects,
            options={key: value for key, value in self.options.as_json().items() if key not in ("salt", "projects")})

    def _prepare_work(self) -> bool:
        """Check or make the work folder; return whether it is new."""
        recorded = os.path.join(self.work, "options.json")
        wanted = self.options.as_json()
        if os.path.isdir(self.work):
            try:
                with open(recorded, encoding="utf-8") as handle:
                    previous = json.load(handle)
            except (OSError, ValueError):
                previous = None
            if previous != wanted:
                raise SnapshotError(
                    "{0} holds an unfinished snapshot taken with other options; run with the same "
                    "options to resume it, or remove the folder.".format(self.work))
            self.progress("resuming", work=self.work)
            return False
        os.makedirs(os.path.join(self.work, "parts"))
        with open(recorded, "w", encoding="utf-8") as handle:
            json.dump(wanted, handle, sort_keys=True)
        return True

    def _projects(self) -> List[Dict[str, Any]]:
        names = sorted(set(self.options.projects))
        found = self.source.query("select id, name from Project where {0}".format(where_in("name", names)))
        by_name = {row["name"]: row["id"] for row in found}
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise SnapshotError("No project named {0} on {1}.".format(
                ", ".join(quoted(name) for name in unknown), self.source.server_url))
        return [{"id": by_name[name], "name": name} for name in names]

    # -- steps --------------------------------------------------------------------

    def _step_dir(self, index: int) -> str:
        return os.path.join(self.work, "parts", "{0:03d}".format(index))

    def _run_step(self, executor: concurrent.futures.Executor, index: int, step: scope.Step) -> None:
        folder = self._step_dir(index)
        entity_type = self.schema.types[step.type_name]
        if os.path.exists(os.path.join(folder, DONE)):
            for row in _read_parts(folder):
                self._remember(step.type_name, row)
            return
        os.makedirs(folder, exist_ok=True)
        selection = self.source.selection(entity_type) if self.source.has_type(step.type_name) else []
        expression = self._expression(step, selection)
        chunks = self._chunks(step) if selection else []
        if len(chunks) > 1 and not self._any_rows(expression, entity_type):
            chunks = []
        finished = set()
        for chunk_index in range(len(chunks)):
            path = _part_path(folder, chunk_index)
            if os.path.exists(path):
                finished.add(chunk_index)
                for row in _read_part(path):
                    self._remember(step.type_name, row)
        self.progress("step", step=step.label, number=index + 1, steps=len(self.steps),
                      chunks=len(chunks), done=len(finished))
        futures = {executor.submit(self._read_chunk, step, entity_type, expression, chunk): chunk_index
                   for chunk_index, chunk in enumerate(chunks) if chunk_index not in finished}
        try:
            for future in concurrent.futures.as_completed(futures):
                rows = future.result()
                _write_part(_part_path(folder, futures[future]), rows)
                for row in rows:
                    self._remember(step.type_name, row)
                finished.add(futures[future])
                self.progress("chunk", step=step.label, done=len(finished), chunks=len(chunks), rows=len(rows))
        except BaseException:
            for future in futures:  # stop soon: the queries not started yet are read by the next run
                future.cancel()
            raise
        with open(os.path.join(folder, DONE), "w", encoding="utf-8") as handle:
            handle.write(step.label + "\n")

    def _any_rows(self, expression: str, entity_type: EntityType) -> bool:
        """Whether the server has any row for *expression* at all: one query instead of many that find nothing."""
        key = entity_type.primary_key[0]
        probe = "select {0} from {1}".format(key, expression.split(" from ", 1)[1])
        return bool(self.source.query(probe + " limit 1"))

    def _chunks(self, step: scope.Step) -> List[Optional[List[Any]]]:
        if step.attribute is None:
            return [None]
        ids = sorted(self.pools.get(step.pool or "", ()), key=str)
        return [ids[start:start + self.ids_per_query] for start in range(0, len(ids), self.ids_per_query)]

    def _expression(self, step: scope.Step, selection: List[str]) -> str:
        expression = "select {0} from {1}".format(", ".join(selection), step.type_name)
        conditions = []
        if step.since and self.options.since:
            conditions.append("{0} >= {1}".format(step.since, quoted(self.options.since)))
        if conditions:
            expression += " where " + " and ".join(conditions)
        return expression

    def _read_chunk(self, step: scope.Step, entity_type: EntityType, expression: str,
                    chunk: Optional[List[Any]]) -> List[Dict[str, Any]]:
        if chunk is not None:
            joiner = " and " if " where " in expression else " where "
            expression += joiner + where_in(step.attribute or "id", chunk)
        rows = self.source.rows(expression, entity_type.primary_key)
        return [normalised(row) for row in rows if row.get("__entity_type__", step.type_name) == step.type_name]

    def _remember(self, type_name: str, row: Dict[str, Any]) -> None:
        self._row_pools.add(self.pools, type_name, row)

    # -- writing ------------------------------------------------------------------

    def _gather(self) -> Dict[str, Dict[Tuple[Any, ...], Dict[str, Any]]]:
        """Type -> primary key -> row, over every step of the type."""
        rows: Dict[str, Dict[Tuple[Any, ...], Dict[str, Any]]] = {}
        for index, step in enumerate(self.steps):
            key_names = self.schema.types[step.type_name].primary_key
            of_type = rows.setdefault(step.type_name, {})
            for row in _read_parts(self._step_dir(index)):
                of_type[tuple(str(row.get(name)) for name in key_names)] = row
        return rows

    def _write_types(self, writer: SnapshotWriter,
                     rows: Dict[str, Dict[Tuple[Any, ...], Dict[str, Any]]]) -> None:
        anonymiser = Anonymiser(self.options.anonymise_salt) if self.options.anonymise_salt else None
        for type_name in sorted(name for name, of_type in rows.items() if of_type):
            entities: Any = rows[type_name].values()
            if anonymiser is not None:
                lineage = list(families.lineage(type_name))
                entities = [anonymiser.entity(entity, lineage) for entity in entities]
            writer.write_type(type_name, entities, self.schema.types[type_name].primary_key)


def normalised(row: Dict[str, Any]) -> Dict[str, Any]:
    """A row as a snapshot keeps it: references cut to type and key, collections sorted."""
    out = {}
    for name, value in row.items():
        if isinstance(value, dict) and "__entity_type__" in value:
            value = _reference(value)
        elif isinstance(value, list):
            value = sorted((_reference(item) for item in value if isinstance(item, dict)),
                           key=lambda item: str(item.get("id")))
        out[name] = value
    return out


def _reference(value: Dict[str, Any]) -> Dict[str, Any]:
    return {name: item for name, item in value.items() if name in ("__entity_type__", "id")}


def _part_path(folder: str, chunk_index: int) -> str:
    return os.path.join(folder, "{0:06d}.jsonl".format(chunk_index))


def _write_part(path: str, rows: List[Dict[str, Any]]) -> None:
    partial = path + ".tmp"
    with open(partial, "w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(entity_line(row) + "\n")
    os.replace(partial, path)


def _read_part(path: str) -> Iterator[Dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _read_parts(folder: str) -> Iterator[Dict[str, Any]]:
    if not os.path.isdir(folder):
        return
    for name in sorted(os.listdir(folder)):
        if name.endswith(".jsonl"):
            yield from _read_part(os.path.join(folder, name))
