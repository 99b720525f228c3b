"""Casts on relation steps, computed relations and escaped quotes in queries.

Builds a small tree (shots and folders, a user and a group with
appointments, assets with versions, a timelog), then reports what each
query returned as labels (``"parent/name"`` for tasks). Run by the official
client and by ours: both must observe the same.
"""

import arrow

from _common import error, report, session, still_answering, unique

writer = session()
project = writer.create("Project", {
    "name": unique("casts"), "full_name": "Casts",
    "project_schema": writer.query("ProjectSchema").first()})
sequence = writer.create("Sequence", {"name": "sq010", "parent": project})
parents = {
    "sh010": writer.create("Shot", {"name": "sh010", "parent": sequence}),
    "sh020": writer.create("Shot", {"name": "sh020", "parent": sequence}),
    "assets": writer.create("Folder", {"name": "assets", "parent": project}),
    # A folder named like a shot: only a cast tells them apart.
    "folder_sh010": writer.create("Folder", {"name": "sh010", "parent": project}),
    "sq010": sequence,
}
task_type = writer.query('Type where name is "Compositing"').one()
status = writer.query('Status where name is "Not started"').one()
tasks = {}
for parent, name in (("sh010", "anim"), ("sh020", "comp"), ("sh020", 'a "quoted" thing'),
                     ("sh020", "it's"), ("assets", "model"), ("folder_sh010", "paint"),
                     ("sq010", "edit")):
    tasks[parent + "/" + name] = writer.create("Task", {
        "name": name, "parent": parents[parent], "type": task_type, "status": status})

username = unique("jane")
user = writer.create("User", {"username": username, "first_name": "Jane",
                              "last_name": "Doe"})
group = writer.create("Group", {"name": unique("fx")})
writer.create("Membership", {"user": user, "group": group})
writer.create("Appointment", {"context": tasks["sh010/anim"], "resource": user,
                              "type": "assignment"})
writer.create("Appointment", {"context": tasks["assets/model"], "resource": group,
                              "type": "allocation"})
writer.create("Timelog", {"user": user, "context": tasks["sh010/anim"],
                          "start": arrow.now(), "duration": 3600})

asset_type = writer.query("AssetType").first()
assets = {name: writer.create("Asset", {"name": name, "parent": parents[parent],
                                        "type": asset_type})
          for name, parent in (("forest", "sh010"), ("rock", "assets"),
                               ("empty", "sh020"))}
for asset, number, task in (("forest", 1, "sh010/anim"), ("forest", 2, "sh020/comp"),
                            ("forest", 3, "assets/model"), ("rock", 1, "sh010/anim")):
    writer.create("AssetVersion", {"asset": assets[asset], "version": number,
                                   "task": tasks[task]})
writer.commit()
project_id, project_name, group_name = project["id"], project["name"], group["name"]
writer.close()

reader = session()
IN_PROJECT = 'project.id is "{0}"'.format(project_id)
ASSETS_IN_PROJECT = 'parent.project_id is "{0}"'.format(project_id)


def label(entity):
    kind = entity.entity_type
    if kind == "Task":
        return entity["parent"]["name"] + "/" + entity["name"]
    if kind == "AssetVersion":
        return "{0} v{1}".format(entity["asset"]["name"], entity["version"])
    if kind == "Appointment":
        return entity["resource"].entity_type + "/" + entity["context"]["name"]
    return entity["name"]


def fill(expression):
    return (expression.replace("$PROJECT_ID", project_id).replace("$PROJECT", project_name)
            .replace("$P", IN_PROJECT).replace("$A", ASSETS_IN_PROJECT)
            .replace("$USER", username).replace("$GROUP", group_name))


def labels(expression, ordered=False):
    found = [label(entity) for entity in reader.query(fill(expression))]
    return found if ordered else sorted(found)


def attempt_labels(expression, ordered=False):
    try:
        return labels(expression, ordered)
    except Exception as exception:  # noqa: BLE001 (it is the observation)
        return error(exception)


QUERIES = {
    "cast_has": 'Task where $P and parent[Folder] has (name is "assets")',
    "cast_path": 'Task where $P and parent[Shot].name is "sh010"',
    "no_cast_path": 'Task where $P and parent.name is "sh010"',
    "ancestors_cast": 'Task where $P and ancestors[Shot].name is "sh010"',
    "ancestors_any_cast": 'Task where $P and ancestors[Sequence] any (name is "sq010")',
    "appointment_user": ('Appointment where context.project_id is "$PROJECT_ID" and '
                         'resource[User].username is "$USER"'),
    "appointment_group": ('Appointment where context.project_id is "$PROJECT_ID" and '
                          'resource[Group] has (name is "$GROUP")'),
    "allocations_group": ('Task where $P and allocations.resource[Group].memberships '
                          'any (user.username is "$USER")'),
    "assignments_user": 'Task where $P and assignments any (resource[User].username is "$USER")',
    "assignments_group": 'Task where $P and assignments any (resource[Group].name is "$GROUP")',
    "subquery_cast": ('Task where id in (select id from Task where $P and '
                      'parent[Sequence].name is "sq010")'),
    "latest_version": "Asset where $A and latest_version.version > 2",
    "latest_version_path": 'Asset where $A and latest_version.task.parent[Folder] has '
                           '(name is "assets")',
    "latest_version_project": 'Asset where $A and latest_version.task.project has '
                              '(name is "$PROJECT")',
    "latest_version_none": "Asset where $A and not latest_version has ()",
    "asset_latest_version": "AssetVersion where asset.$A and asset.latest_version.version > 2",
    "is_latest_version": "AssetVersion where asset.$A and is_latest_version is true",
    "time_logged": "Task where $P and time_logged >= 3600",
    "escaped_double": r'Task where $P and name is "a \"quoted\" thing"',
    "escaped_single": r"Task where $P and name is 'it\'s'",
    "escaped_in_list": r'Task where $P and name in ("it\'s", "a \"quoted\" thing")',
}
observed = {key: attempt_labels(expression) for key, expression in QUERIES.items()}

observed["order_cast"] = attempt_labels(
    "select name, parent.name from Task where $P order by parent[Shot].name descending, name",
    ordered=True)

projected = reader.query(fill(
    "select name, parent[Shot].name from Task where $P and parent[Shot] has ()"))
with reader.auto_populating(False):
    observed["projection_cast"] = sorted(
        task["parent"]["name"] + "/" + task["name"] for task in projected)

ERRORS = {
    "unknown_cast": 'Task where parent[Nothing].name is "x"',
    "unrelated_cast": 'Task where parent[User].name is "x"',
    "cast_projection": "select parent[Nothing].name from Task",
    "computed_link": 'Task where link is "x"',
}
for key, expression in ERRORS.items():
    observed["error_" + key] = attempt_labels(expression)
observed["still_answering"] = still_answering(reader)

report(observed)
