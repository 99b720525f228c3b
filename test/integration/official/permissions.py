"""A user with a role on one project only: reads, a refused update and a refused key reset."""

from _common import attempt, params, report, session

given = params()
user = session(api_user=given["user"], api_key=given["key"])
observed = {
    "own_task": (user.get("Task", given["task_a"]) or {}).get("name"),
    "other_task": user.get("Task", given["task_b"]),
    "other_version": user.get("AssetVersion", given["version_b"]),
    "other_note": user.get("Note", given["note_b"]),
    "other_tasks_queried": len(user.query(
        'Task where id is "{0}"'.format(given["task_b"])).all()),
}
user.close()

writer = session(api_user=given["user"], api_key=given["key"])


def update_other():
    # The entity is unknown to this user's session: write through a raw batch.
    return writer.call([{"action": "update", "entity_type": "Task",
                         "entity_key": [given["task_b"]], "entity_data": {"name": "taken"}}])


observed["update_other"] = attempt(update_other)
writer.close()

resetter = session(api_user=given["user"], api_key=given["key"])
admin = resetter.get("User", given["admin_id"])
observed["reset_admin"] = attempt(lambda: resetter.reset_remote("api_key", entity=admin) and None)
resetter.close()
report(observed)
