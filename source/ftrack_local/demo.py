"""``ftrack-local demo``: the tutorial flow of the ftrack API against a throwaway server.

Starts a local server in a temporary data dir, connects an
``ftrack_api.Session`` to it, builds a small project (sequences, shots,
tasks), queries it with projections, updates a shot, sets custom attributes
and metadata, prints every step, and stops the server again.
"""

import json
import sys
from typing import Callable, TextIO

from .server import LocalServer


def run_tutorial(session, say: Callable[[str], None]) -> None:
    """Run the tutorial steps with *session*, reporting each through *say*."""
    import arrow

    say("The server knows {0} entity types, among them Project, Shot and Task.".format(len(session.types)))

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
    say("Link of {0}: {1}.".format(shot["name"], " / ".join(entry["name"] for entry in shot["link"])))


def main(stream: TextIO = sys.stdout) -> int:
    """Start a throwaway server, run the tutorial with ``ftrack_api`` and stop it."""
    import ftrack_api

    def say(text: str) -> None:
        print(text, file=stream, flush=True)

    with LocalServer() as server:
        say("Started a throwaway ftrack-local server at {0}.".format(server.url))
        with ftrack_api.Session(server_url=server.url, api_user=server.api_user, api_key=server.api_key,
                                auto_connect_event_hub=False, plugin_paths=[]) as session:
            run_tutorial(session, say)
    say("Stopped the server; its data dir has been removed.")
    return 0
