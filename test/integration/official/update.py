"""Change a shot's name, description and status; a new session sees it."""

from _common import create_tree, report, session

made = create_tree(session(), shots=("sh010",))
shot_id = made["sh010"]["id"]

editor = session()
shot = editor.get("Shot", shot_id)
before = {"name": shot["name"], "description": shot["description"],
          "status": shot["status"]["name"]}
approved = editor.query('Status where name is "Approved"').one()
shot["name"] = "sh010_renamed"
shot["description"] = "Hero shot."
shot["status"] = approved
editor.commit()
same_session = {"name": shot["name"], "description": shot["description"],
                "status": shot["status"]["name"]}
editor.close()

reader = session()
shot = reader.get("Shot", shot_id)
report({
    "before": before,
    "same_session": same_session,
    "new_session": {"name": shot["name"], "description": shot["description"],
                    "status": shot["status"]["name"],
                    "status_id": shot["status_id"]},
    "approved_id": approved["id"],
    # Within this run's project: other tests may rename shots of their own.
    "query_new_name": [entity["id"] for entity in reader.query(
        'Shot where name is "sh010_renamed" and project_id is "{0}"'.format(
            made["project"]["id"]))],
    "query_old_name": [entity["id"] for entity in reader.query(
        'Shot where id is "{0}" and name is "sh010"'.format(shot_id))],
})
