"""Helpers shared by the scenario scripts (run by the official client's
interpreter, not by pytest).

A script reads its parameters with :func:`params`, opens sessions with
:func:`session` and ends with :func:`report`, which prints one JSON object.
"""

import json
import os
import sys
import uuid

import ftrack_api
import ftrack_api.exception  # noqa: F401 (used by the scripts)

_PARAMS = None


def params():
    """The JSON object given on stdin."""
    global _PARAMS
    if _PARAMS is None:
        text = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
        _PARAMS = json.loads(text) if text.strip() else {}
    return _PARAMS


def session(**options):
    """A new session configured from the environment."""
    options.setdefault("auto_connect_event_hub", False)
    options.setdefault("schema_cache_path", params().get(
        "schema_cache_path") or os.environ["FTRACK_API_SCHEMA_CACHE_PATH"])
    return ftrack_api.Session(**options)


def unique(prefix):
    """A name no other run uses."""
    return "{0}_{1}".format(prefix, uuid.uuid4().hex[:12])


def error(exception):
    """An exception as an observation."""
    return {"class": type(exception).__name__, "message": str(exception)}


def attempt(function, *args, **kwargs):
    """``{"result": …}`` or ``{"error": …}`` from calling *function*."""
    try:
        return {"result": function(*args, **kwargs)}
    except Exception as exception:  # noqa: BLE001 (it is the observation)
        return {"error": error(exception)}


def still_answering(a_session):
    """Whether the server still answers queries after an error."""
    information = a_session.call([{"action": "query_server_information"}])[0]
    users = a_session.query("select username from User").all()
    return bool(information.get("schema_hash")) and len(users) > 0


def create_tree(a_session, shots=("sh010",), tasks=()):
    """Create a project with sequence ``sq010`` holding *shots*; *tasks* is
    a list of ``(shot name, task name)``. Commits; returns the entities by
    name (``project``, ``sequence``, shot names, ``"shot/task"``)."""
    project_schema = a_session.query("ProjectSchema").first()
    project = a_session.create("Project", {
        "name": unique("project"), "full_name": "Test project",
        "project_schema": project_schema})
    sequence = a_session.create("Sequence", {"name": "sq010",
                                             "parent": project})
    made = {"project": project, "sequence": sequence}
    for name in shots:
        made[name] = a_session.create("Shot", {"name": name,
                                               "parent": sequence})
    task_type = a_session.query('Type where name is "Compositing"').one()
    status = a_session.query('Status where name is "Not started"').one()
    for shot_name, task_name in tasks:
        made[shot_name + "/" + task_name] = a_session.create("Task", {
            "name": task_name, "parent": made[shot_name],
            "type": task_type, "status": status})
    a_session.commit()
    return made


def report(observations):
    """Print the observations as the last line of output."""
    sys.stdout.write(json.dumps(observations, sort_keys=True, default=str))
    sys.stdout.write("\n")
    sys.stdout.flush()
