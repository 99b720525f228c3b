"""A realistic studio project, built through ``ftrack_api`` only.

:func:`seed_studio_project` fills a server with one project the way a
pipeline would: sequences of shots with tasks (types, statuses,
priorities, dates, bids, unicode descriptions), assets and versions with
comments and dates, file components stored in the ``ftrack.server``
location (small files of distinct bytes), a container and an image
sequence with members,
notes with replies and labels, lists with items, custom attributes of
every common type on projects, shots, tasks and versions, metadata,
assignments of extra users, time logs, status changes, dependencies and a
review session. Creates are batched into few commits so a 10,000-entity
project takes seconds.

It is shared by the snapshot round-trip tests and the snapshot benchmark.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import tempfile
import uuid
from typing import Any, Dict, List, Optional, Tuple

import arrow

#: Custom attributes the seed configures: key -> (type name, entity type, object type name or None, config).
CUSTOM_ATTRIBUTES: Dict[str, tuple] = {
    "studio_client": ("text", "show", None, {"markdown": False}),
    "studio_fps": ("number", "show", None, {"isdecimal": True}),
    "studio_fstart": ("number", "task", "Shot", {"isdecimal": False}),
    "studio_hero": ("boolean", "task", "Shot", {}),
    "studio_delivery": ("date", "task", "Shot", {"format": "date"}),
    "studio_difficulty": ("enumerator", "task", "Task", {
        "multiSelect": False,
        "data": json.dumps([{"menu": "Easy", "value": "easy"}, {"menu": "Hard", "value": "hard"},
                            {"menu": "Très dur", "value": "tres_dur"}])}),
    "studio_notes": ("text", "task", "Task", {"markdown": False}),
    "studio_review_ready": ("boolean", "assetversion", None, {}),
    "studio_frames": ("number", "assetversion", None, {"isdecimal": False}),
}
TASK_TYPES = ("Animation", "Lighting", "Compositing", "FX")
TASK_STATUSES = ("Not started", "In progress", "Awaiting approval", "Approved")
PRIORITIES = ("Low", "Medium", "High", "Urgent")
DESCRIPTIONS = ("Plan de coupe — ciel étoilé ✨", "雨のシーン、夜", "Ünïcödé ströke test", "Κάμερα κινείται αργά")
EPOCH = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.timezone.utc)


@dataclasses.dataclass
class StudioSize:
    """How big a project :func:`seed_studio_project` makes."""

    sequences: int = 10
    shots_per_sequence: int = 20
    tasks_per_shot: int = 4
    versions_per_asset: int = 3
    notes_per_shot: int = 2
    components: int = 30


class _Studio:
    """One seeding run: its session, its size, the creates waiting for a commit and what was made."""

    def __init__(self, session: Any, name: str, size: StudioSize, commit_every: int) -> None:
        self.session = session
        self.name = name
        self.size = size
        self.commit_every = commit_every
        self.pending = 0
        self.made: Dict[str, List[Any]] = {}

    def create(self, type_name: str, data: Dict[str, Any]) -> Any:
        """Create an entity, committing once enough creates are pending."""
        entity = self.session.create(type_name, data)
        self.made.setdefault(type_name, []).append(entity)
        self.pending += 1
        if self.pending >= self.commit_every:
            self.commit()
        return entity

    def commit(self) -> None:
        """Send the pending creates."""
        self.session.commit()
        self.pending = 0

    def one(self, expression: str) -> Any:
        """The single entity *expression* finds."""
        return self.session.query(expression).one()

    def by_name(self, type_name: str, names: Any) -> List[Any]:
        """Entities of *type_name* named *names*, in that order."""
        return [self.one('{0} where name is "{1}"'.format(type_name, name)) for name in names]


def seed_studio_project(session: Any, name: str, size: Optional[StudioSize] = None,
                        commit_every: int = 2000) -> Dict[str, Any]:
    """Build the project *name* through *session*; return what was made.

    The answer holds ``project_id``, ``counts`` (type -> entities created,
    by the type name given to ``create``), ``component_ids`` (the file
    components with data in ``ftrack.server``, members included),
    ``container_ids`` (the container and the image sequence),
    ``version_ids``, ``shot_ids``, ``usernames`` and
    ``custom_attribute_keys``.
    """
    studio = _Studio(session, name, size or StudioSize(), commit_every)
    users = _create_users(studio)
    configurations = _create_custom_attributes(studio)
    project = _create_tree(studio)
    versions = _create_versions(studio, users)
    _create_people_work(studio, users)
    _create_notes(studio, users)
    _create_links_and_lists(studio, users, versions)
    studio.commit()
    _set_custom_attributes(studio, project)
    components, containers = _create_components(studio, versions)
    return {
        "project_id": project["id"],
        "counts": {type_name: len(entities) for type_name, entities in sorted(studio.made.items())},
        "component_ids": [component["id"] for component in components],
        "container_ids": [container["id"] for container in containers],
        "version_ids": [version["id"] for version in versions],
        "shot_ids": [shot["id"] for shot in studio.made["Shot"]],
        "usernames": [user["username"] for user in users],
        "custom_attribute_keys": sorted(configurations),
    }


def _create_users(studio: _Studio) -> List[Any]:
    """Three artists of the studio (their names are unique per project name)."""
    suffix = hashlib.sha1(studio.name.encode("utf-8")).hexdigest()[:8]
    people = (("Ana", "Lúcia"), ("Kenji", "Satō"), ("Zoë", "Brontë"))
    users = [studio.create("User", {
        "username": "{0}.{1}".format(first.lower(), suffix), "first_name": first, "last_name": last,
        "email": "{0}.{1}@studio.example".format(first.lower(), suffix), "is_active": True})
        for first, last in people]
    studio.commit()
    return users


def _create_custom_attributes(studio: _Studio) -> Dict[str, Any]:
    """The configurations of :data:`CUSTOM_ATTRIBUTES` that do not exist yet, and those that do."""
    configurations = {}
    for key, (type_name, entity_type, object_type, config) in CUSTOM_ATTRIBUTES.items():
        existing = studio.session.query(
            'CustomAttributeConfiguration where key is "{0}"'.format(key)).first()
        if existing is not None:
            configurations[key] = existing
            continue
        data = {"key": key, "label": key.replace("_", " ").title(), "entity_type": entity_type,
                "type": studio.one('CustomAttributeType where name is "{0}"'.format(type_name)),
                "config": json.dumps(config)}
        if object_type is not None:
            data["object_type_id"] = studio.one('ObjectType where name is "{0}"'.format(object_type))["id"]
        configurations[key] = studio.create("CustomAttributeConfiguration", data)
    studio.commit()
    return configurations


def _create_tree(studio: _Studio) -> Any:
    """The project, its sequences, shots and their tasks."""
    size = studio.size
    project = studio.create("Project", {
        "name": studio.name, "full_name": studio.name.replace("_", " ").title() + " — Ünïcode",
        "project_schema": studio.one('ProjectSchema where name is "VFX Scheme"'),
        "start_date": arrow.get(EPOCH), "end_date": arrow.get(EPOCH).shift(months=6)})
    project["metadata"]["pipeline"] = "studio-v2"
    task_types = studio.by_name("Type", TASK_TYPES)
    statuses = studio.by_name("Status", TASK_STATUSES)
    priorities = studio.by_name("Priority", PRIORITIES)
    for sequence_number in range(size.sequences):
        sequence = studio.create("Sequence", {"name": "sq{0:03d}".format((sequence_number + 1) * 10),
                                              "parent": project, "description": DESCRIPTIONS[sequence_number % 4]})
        for shot_number in range(size.shots_per_sequence):
            shot = studio.create("Shot", {
                "name": "{0}_sh{1:04d}".format(sequence["name"], (shot_number + 1) * 10), "parent": sequence,
                "description": DESCRIPTIONS[shot_number % 4], "priority_id": priorities[shot_number % 4]["id"]})
            shot["metadata"]["plate"] = "plate_{0}.exr".format(shot["name"])
            shot["metadata"]["lens"] = str(24 + shot_number % 5 * 10)
            for task_number in range(size.tasks_per_shot):
                start = EPOCH + datetime.timedelta(days=shot_number + task_number * 3)
                studio.create("Task", {
                    "name": TASK_TYPES[task_number % 4].lower(), "parent": shot,
                    "type": task_types[task_number % 4], "status": statuses[(shot_number + task_number) % 4],
                    "priority_id": priorities[task_number % 4]["id"], "bid": 3600.0 * (task_number + 1) * 8,
                    "start_date": arrow.get(start), "end_date": arrow.get(start + datetime.timedelta(days=4)),
                    "description": "{0} — {1}".format(DESCRIPTIONS[task_number % 4], shot["name"])})
    studio.commit()
    return project


def _create_versions(studio: _Studio, users: List[Any]) -> List[Any]:
    """A plate asset on each shot with its versions (comments, users, tasks, statuses, some dates)."""
    asset_type = studio.one('AssetType where name is "Upload"')
    statuses = studio.by_name("Status", ("Pending", "Approved"))
    versions = []
    for shot_number, shot in enumerate(studio.made["Shot"]):
        asset = studio.create("Asset", {"name": "plate", "type": asset_type, "parent": shot})
        task = studio.made["Task"][shot_number * studio.size.tasks_per_shot]
        for number in range(1, studio.size.versions_per_asset + 1):
            data = {"asset": asset, "version": number, "task": task, "user": users[number % len(users)],
                    "status": statuses[number % 2], "comment": "v{0:03d} — révision {0} ✓".format(number)}
            if number % 2:
                data["date"] = arrow.get(EPOCH + datetime.timedelta(days=shot_number, hours=number))
            version = studio.create("AssetVersion", data)
            if number == 1:
                version["metadata"]["colourspace"] = "ACEScg"
            versions.append(version)
    return versions


def _create_people_work(studio: _Studio, users: List[Any]) -> None:
    """Assignments, time logs and status changes on the tasks."""
    statuses = studio.by_name("Status", TASK_STATUSES)
    for number, task in enumerate(studio.made["Task"]):
        user = users[number % len(users)]
        studio.create("Appointment", {"context": task, "resource": user, "type": "assignment"})
        studio.create("Timelog", {
            "user": user, "context": task, "start": arrow.get(EPOCH + datetime.timedelta(hours=number)),
            "duration": 1800 + number % 7 * 600, "comment": "Travail sur {0} ✎".format(task["name"])})
        if number % 2 == 0:
            studio.create("TypedContextStatusChange", {
                "id": str(uuid.uuid4()), "parent_id": task["id"], "parent_type": "TypedContext", "user": user,
                "from_status": statuses[0], "status": task["status"],
                "date": arrow.get(EPOCH + datetime.timedelta(hours=number, minutes=5))})


def _create_notes(studio: _Studio, users: List[Any]) -> None:
    """Notes on the shots, each with a reply; labels on the first note of a shot."""
    labels = list(studio.session.query("NoteLabel"))
    for shot_number, shot in enumerate(studio.made["Shot"]):
        for number in range(studio.size.notes_per_shot):
            author = users[(shot_number + number) % len(users)]
            note = studio.create("Note", {
                "content": "Note {0} sur {1}: plus de contraste ☀".format(number, shot["name"]),
                "author": author, "parent_id": shot["id"], "parent_type": shot.entity_type,
                "date": arrow.get(EPOCH + datetime.timedelta(days=shot_number, minutes=number))})
            if number == 0 and labels:
                label = labels[shot_number % len(labels)]
                studio.create("NoteLabelLink", {"note_id": note["id"], "label_id": label["id"]})
            studio.create("Note", {
                "content": "Réponse: d'accord 👍", "author": users[(shot_number + number + 1) % len(users)],
                "parent_id": shot["id"], "parent_type": shot.entity_type, "in_reply_to": note})


def _create_links_and_lists(studio: _Studio, users: List[Any], versions: List[Any]) -> None:
    """Shot and version dependencies, two lists with items and a review session."""
    shots = studio.made["Shot"]
    for previous, shot in zip(shots, shots[1:]):
        studio.create("TypedContextLink", {"from": previous, "to": shot})
    per_asset = studio.size.versions_per_asset
    for index in range(0, len(versions) - 1):
        if (index + 1) % per_asset:
            studio.create("AssetVersionLink", {"from": versions[index], "to": versions[index + 1]})
    project = studio.made["Project"][0]
    category = studio.session.query("ListCategory").first()
    shot_list = studio.create("TypedContextList", {
        "name": "Hero shots ★", "project": project, "category": category, "owner": users[0]})
    version_list = studio.create("AssetVersionList", {
        "name": "Dailies", "project": project, "category": category, "owner": users[1]})
    for shot in shots[::4]:
        studio.create("ListObject", {"list_id": shot_list["id"], "entity_id": shot["id"]})
    for version in versions[::6]:
        studio.create("ListObject", {"list_id": version_list["id"], "entity_id": version["id"]})
    review = studio.create("ReviewSession", {
        "name": "Client review ✔", "project": project, "description": "Première revue",
        "start_date": arrow.get(EPOCH), "end_date": arrow.get(EPOCH + datetime.timedelta(hours=2))})
    for order, version in enumerate(versions[:12]):
        studio.create("ReviewSessionObject", {
            "review_session": review, "asset_version": version, "name": "item {0}".format(order),
            "version": str(version["version"]), "description": "à revoir", "sort_order": order})


def _set_custom_attributes(studio: _Studio, project: Any) -> None:
    """Values for every configured key, set through ``entity['custom_attributes']``."""
    session = studio.session
    where = ' where project_id is "{0}"'.format(project["id"])
    session.query('select custom_attributes from Project where id is "{0}"'.format(project["id"])).one()
    project["custom_attributes"]["studio_client"] = "Ñandú Films"
    project["custom_attributes"]["studio_fps"] = 23.976
    for number, shot in enumerate(session.query("select custom_attributes from Shot" + where)):
        shot["custom_attributes"]["studio_fstart"] = 1001 + number
        shot["custom_attributes"]["studio_hero"] = number % 3 == 0
        if number % 2:
            shot["custom_attributes"]["studio_delivery"] = arrow.get(EPOCH + datetime.timedelta(days=number))
    for number, task in enumerate(session.query("select custom_attributes from Task" + where)):
        task["custom_attributes"]["studio_difficulty"] = ["easy", "hard", "tres_dur"][number % 3]
        if number % 3 == 0:
            task["custom_attributes"]["studio_notes"] = "Attention au flou ✋ {0}".format(number)
    versions = session.query('select custom_attributes from AssetVersion where asset.parent.project_id is "{0}"'
                             .format(project["id"]))
    for number, version in enumerate(versions):
        version["custom_attributes"]["studio_review_ready"] = number % 2 == 0
        version["custom_attributes"]["studio_frames"] = 48 + number
    session.commit()


def _create_components(studio: _Studio, versions: List[Any]) -> Tuple[List[Any], List[Any]]:
    """File components with small distinct files in ``ftrack.server``, then a container and an image sequence."""
    location = studio.one('Location where name is "ftrack.server"')
    components = []
    with tempfile.TemporaryDirectory() as folder:
        step = max(1, len(versions) // max(1, studio.size.components))
        for number in range(studio.size.components):
            path = _write_file(folder, "file_{0:03d}.bin".format(number), studio.name, number)
            components.append(versions[number * step].create_component(
                path, data={"name": "main_{0:03d}".format(number)}, location=location))
        studio.session.commit()
        containers = [_create_container(studio, versions[-1], folder, location),
                      _create_image_sequence(studio, versions[-2], folder, location)]
    members = studio.session.query("select id from FileComponent where {0}".format(
        " or ".join('container_id is "{0}"'.format(container["id"]) for container in containers))).all()
    components.extend(members)
    studio.made.setdefault("FileComponent", []).extend(components)
    return components, containers


def _create_container(studio: _Studio, version: Any, folder: str, location: Any) -> Any:
    """A container component holding two file members stored in ``ftrack.server``."""
    container = studio.create("ContainerComponent", {"name": "bundle", "version": version})
    studio.commit()
    for number in range(2):
        path = _write_file(folder, "member_{0}.bin".format(number), studio.name + "/member", number)
        studio.session.create_component(path, data={"name": "member_{0}".format(number), "container": container},
                                        location=location)
    studio.commit()
    return container


def _create_image_sequence(studio: _Studio, version: Any, folder: str, location: Any) -> Any:
    """An image sequence of three frames stored in ``ftrack.server``."""
    for frame in (1001, 1002, 1003):
        _write_file(folder, "render.{0:04d}.exr".format(frame), studio.name + "/render", frame)
    sequence = version.create_component(os.path.join(folder, "render.%04d.exr [1001-1003]"),
                                        data={"name": "render"}, location=location)
    studio.commit()
    studio.made.setdefault("SequenceComponent", []).append(sequence)
    return sequence


def _write_file(folder: str, name: str, seed: str, number: int) -> str:
    """Write distinct bytes as *folder*/*name*; return its path."""
    path = os.path.join(folder, name)
    with open(path, "wb") as handle:
        handle.write(_file_bytes(seed, number))
    return path


def _file_bytes(seed: str, number: int) -> bytes:
    """Distinct bytes for file *number* (a few kilobytes, every byte value present)."""
    head = hashlib.sha256("{0}:{1}".format(seed, number).encode("utf-8")).digest()
    return head + bytes(range(256)) * (4 + number % 5) + uuid.uuid5(uuid.NAMESPACE_URL, seed).bytes
