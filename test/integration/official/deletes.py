"""Delete a task, then the whole project."""

from _common import create_tree, report, session

made = create_tree(session(), shots=("sh010", "sh020"),
                   tasks=[("sh010", "comp"), ("sh010", "light"),
                          ("sh020", "comp")])
ids = {key: entity["id"] for key, entity in made.items()}
project_id = ids["project"]
in_project = 'project_id is "{0}"'.format(project_id)


def state():
    reader = session()
    found = {
        "tasks": sorted(task["parent"]["name"] + "/" + task["name"]
                        for task in reader.query("Task where " + in_project)),
        "typed_contexts": len(reader.query(
            "TypedContext where " + in_project).all()),
        "projects": len(reader.query(
            'Project where id is "{0}"'.format(project_id)).all()),
        "get": {key: reader.get("Context", value) is not None
                for key, value in sorted(ids.items())},
    }
    reader.close()
    return found


observed = {"created": state()}

deleter = session()
deleter.delete(deleter.get("Task", ids["sh010/light"]))
deleter.commit()
observed["task_deleted"] = state()

deleter.delete(deleter.get("Project", project_id))
deleter.commit()
observed["project_deleted"] = state()
deleter.close()
report(observed)
