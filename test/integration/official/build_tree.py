"""Build a project tree as the documentation's examples do, then read it
back in a new session."""

from _common import report, session, unique

writer = session()
project_schema = writer.query("ProjectSchema").first()
name = unique("tree")
project = writer.create("Project", {
    "name": name, "full_name": name + "_full",
    "project_schema": project_schema})
shot_status = project_schema.get_statuses("Shot")[0]
task_type = writer.query('Type where name is "Compositing"').one()
task_status = project_schema.get_statuses("Task", task_type["id"])[0]
sequence = writer.create("Sequence", {"name": "sq010", "parent": project})
ids = {"project": project["id"], "sq010": sequence["id"]}
for shot_name in ("sh010", "sh020"):
    shot = writer.create("Shot", {"name": shot_name, "parent": sequence,
                                  "status": shot_status})
    ids[shot_name] = shot["id"]
    for task_name in ("comp", "light"):
        task = writer.create("Task", {
            "name": task_name, "parent": shot, "status": task_status,
            "type": task_type})
        ids[shot_name + "/" + task_name] = task["id"]
writer.commit()
expected_statuses = {"shot": shot_status["name"], "task": task_status["name"]}
writer.close()

reader = session()


def describe(entity):
    return {
        "entity_type": entity.entity_type,
        "name": entity["name"],
        "parent_id": entity["parent"]["id"] if entity["parent"] else None,
        "parent_type": entity["parent"].entity_type
        if entity["parent"] else None,
        "project_id": entity["project_id"],
        "context_type": entity["context_type"],
        "object_type_id": entity["object_type_id"],
        "object_type": entity["object_type"]["name"],
        "link": entity["link"],
        "ancestors": sorted(item["id"] for item in entity["ancestors"]),
        "descendants": sorted(item["id"] for item in entity["descendants"]),
        "status": entity["status"]["name"],
        "type": entity["type"]["name"] if entity["type"] else None,
    }


read_project = reader.query(
    'Project where name is "{0}"'.format(name)).one()
by_type = reader.get("TypedContext", ids["sh010"])
report({
    "ids": ids,
    "statuses": expected_statuses,
    "project": {
        "entity_type": read_project.entity_type,
        "name": read_project["name"],
        "full_name": read_project["full_name"],
        "context_type": read_project["context_type"],
        "status": read_project["status"],
        "project_schema_id": read_project["project_schema"]["id"],
        "expected_schema_id": project_schema["id"],
        "link": read_project["link"],
        "children": sorted(child["id"] for child in read_project["children"]),
    },
    "entities": {key: describe(reader.get("TypedContext", value))
                 for key, value in ids.items() if key != "project"},
    "get_typed_context": {"entity_type": by_type.entity_type,
                          "is_shot": isinstance(by_type, reader.types["Shot"]),
                          "name": by_type["name"]},
    "shots_in_sequence": sorted(
        shot["name"] for shot in reader.query(
            'Shot where parent.id is "{0}"'.format(ids["sq010"]))),
})
