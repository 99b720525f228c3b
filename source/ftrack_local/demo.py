"""``ftrack-local demo``: the tutorial flow of the ftrack API against a throwaway server.

Starts a local server in a temporary data dir, connects an
``ftrack_api.Session`` to it, builds a small project (sequences, shots,
tasks), queries it with projections, updates a shot while a second session
listens for the server's ``ftrack.update`` events, sets custom attributes
and metadata, publishes a version with a file stored in the
``ftrack.server`` location, prints every step, and stops the server again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from typing import Callable, Optional, TextIO

import arrow
import ftrack_api
import requests
from ftrack_api.entity.base import Entity
from ftrack_api.session import Session

from .server import LocalServer


def run_tutorial(session: Session, say: Callable[[str], None],
                 listener: Optional["UpdateListener"] = None) -> None:
    """Run the tutorial steps with *session*, reporting each through *say*.

    *listener* is an optional :class:`UpdateListener` that reports the
    server's event for the shot update.
    """
    say("The server knows {0} entity types, among them Project, Shot and Task.".format(len(session.types)))
    project = _build_project(session, say)

    tasks = session.query(
        'select name, parent.name, status.name, type.name from Task '
        'where project.id is "{0}" and type.name is "Compositing" order by parent.name'.format(project["id"]))
    for task in tasks:
        say("  {0:<14} {1:<12} {2}".format(task["parent"]["name"], task["name"], task["status"]["name"]))

    shot = session.query('Shot where name is "sq010_sh020" and project.id is "{0}"'.format(project["id"])).one()
    approved = session.query('Status where name is "Approved"').one()
    shot["status"] = approved
    shot["description"] = "Hero shot, approved by the client."
    session.commit()
    say("Updated {0}: status {1!r}.".format(shot["name"], shot["status"]["name"]))
    if listener is not None:
        listener.report(shot, say)

    _set_frame_start(session, shot, say)
    say("Link of {0}: {1}.".format(shot["name"], " / ".join(entry["name"] for entry in shot["link"])))
    publish_version(session, shot, say)


def _build_project(session: Session, say: Callable[[str], None]) -> Entity:
    """Create a project of two sequences of three shots with two tasks each, in one commit."""
    project_schema = session.query('ProjectSchema where name is "VFX Scheme"').one()
    project = session.create("Project", {
        "name": "starlord", "full_name": "Starlord", "project_schema": project_schema,
        "start_date": arrow.utcnow(), "end_date": arrow.utcnow().shift(weeks=+8)})
    sequences = []
    for sequence_name in ("sq010", "sq020"):
        sequence = session.create("Sequence", {"name": sequence_name, "parent": project})
        sequence["description"] = "Sequence {0} of the reveal.".format(sequence_name)
        sequences.append(sequence)
    compositing = session.query('Type where name is "Compositing"').one()
    animation = session.query('Type where name is "Animation"').one()
    for sequence in sequences:
        for number in (10, 20, 30):
            shot = session.create("Shot", {"name": "{0}_sh{1:03d}".format(sequence["name"], number)})
            sequence["children"].append(shot)
            for task_type in (animation, compositing):
                session.create("Task", {"name": task_type["name"].lower(), "parent": shot, "type": task_type})
    session.commit()
    say("Created project {0!r} with 2 sequences, 6 shots and 12 tasks in one commit.".format(project["name"]))
    return project


def _set_frame_start(session: Session, shot: Entity, say: Callable[[str], None]) -> None:
    """Give *shot* an ``fstart`` custom attribute and metadata, then query by the attribute."""
    number = session.query('CustomAttributeType where name is "number"').one()
    configuration = session.create("CustomAttributeConfiguration", {
        "entity_type": "task", "object_type_id": shot["object_type_id"], "type": number,
        "key": "fstart", "label": "Frame start", "default": 1001, "config": json.dumps({"isdecimal": False})})
    session.commit()
    shot["custom_attributes"]["fstart"] = 1009
    shot["metadata"]["frame_padding"] = "4"
    session.commit()
    say("Custom attribute {0!r} of {1}: {2}; metadata: {3}.".format(
        configuration["key"], shot["name"], shot["custom_attributes"]["fstart"], dict(shot["metadata"])))
    found = session.query(
        'select name from Shot where custom_attributes any (key is "fstart" and value is 1009)').all()
    say("Shots whose fstart is 1009: {0}.".format(", ".join(s["name"] for s in found)))


class UpdateListener:
    """A session whose connected event hub collects ``ftrack.update`` events."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.received: list = []
        session.event_hub.subscribe("topic=ftrack.update", self.received.append)
        session.event_hub.connect()

    def report(self, entity: Entity, say: Callable[[str], None], timeout: float = 10) -> None:
        """Wait until an update of *entity* arrives and report it through *say*."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.received:
                for changed in event["data"].get("entities", []):
                    if changed.get("entityId") == entity["id"] and changed.get("action") == "update":
                        say("A second session heard ftrack.update: {0} {1} changed {2}.".format(
                            changed["entity_type"], entity["name"], ", ".join(sorted(changed["keys"]))))
                        return
            self.session.event_hub.wait(0.05)
        say("A second session heard no ftrack.update for {0}.".format(entity["name"]))


def publish_version(session: Session, shot: Entity, say: Callable[[str], None]) -> None:
    """Publish a version of a plate on *shot* with a file in ``ftrack.server``."""
    asset_type = session.query('AssetType where name is "Upload"').first() or \
        session.query("AssetType").first()
    asset = session.create("Asset", {"name": "plate", "type": asset_type, "parent": shot})
    version = session.create("AssetVersion", {"asset": asset, "comment": "First plate."})
    session.commit()
    server_location = session.query('Location where name is "ftrack.server"').one()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "plate.txt")
        with open(path, "wb") as handle:
            handle.write(b"A plate for " + shot["name"].encode("utf-8") + b".\n" * 1000)
        with open(path, "rb") as handle:
            digest = hashlib.md5(handle.read()).hexdigest()
        component = version.create_component(path, data={"name": "main"}, location=server_location)
        session.commit()
    downloaded = requests.get(server_location.get_url(component), timeout=60)
    downloaded.raise_for_status()
    same = hashlib.md5(downloaded.content).hexdigest() == digest
    say("Published version {0} of {1!r} on {2} with a {3:,}-byte file in ftrack.server; "
        "downloaded it back {4}.".format(
            version["version"], asset["name"], shot["name"], component["size"],
            "byte-identical" if same else "DIFFERENT"))


def main(stream: TextIO = sys.stdout) -> int:
    """Start a throwaway server, run the tutorial with ``ftrack_api`` and stop it."""
    def say(text: str) -> None:
        print(text, file=stream, flush=True)

    with LocalServer() as server:
        say("Started a throwaway ftrack-local server at {0}.".format(server.url))
        options = dict(server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                       auto_connect_event_hub=False, plugin_paths=[])
        with ftrack_api.Session(**options) as session, ftrack_api.Session(**options) as other:
            run_tutorial(session, say, listener=UpdateListener(other))
    say("Stopped the server; its data dir has been removed.")
    return 0
