"""What a session holds after committing creates, and what a fresh server's
default project schema offers: attributes left out of a create stay not
fetched, a component created under its base type keeps working, a note
labelled with a category keeps it, and the default scheme's workflows."""

import datetime

import ftrack_api.formatter
import ftrack_api.symbol

from _common import create_tree, report, session, unique

writer = session()
made = create_tree(writer, shots=("sh010",), tasks=(("sh010", "comp"),))
task = made["sh010/comp"]

# Users created with a username only: nothing else is known locally.
users = [writer.create("User", {"username": unique("user")}) for _ in range(2)]
writer.commit()
with writer.auto_populating(False):
    unset_after_commit = {
        name: [user[name] is ftrack_api.symbol.NOT_SET for user in users]
        for name in ("email", "first_name", "username", "id")}
writer.populate(users, "email")
with writer.auto_populating(False):
    email_after_populate = [user["email"] for user in users]

# A component created as a plain Component, attached to a version.
asset = writer.create("Asset", {"name": unique("asset"),
                                "type": writer.query("AssetType").first(),
                                "parent": made["sh010"]})
version = writer.create("AssetVersion", {"asset": asset, "task": task})
component = writer.create("Component", {"name": unique("component"),
                                        "version_id": version["id"]})
writer.commit()
component_id = component["id"]
reader = session()
components = reader.query(
    "select name, system_type from Component where version_id is {0}".format(
        version["id"])).all()
component_seen = [{"entity_type": c.entity_type, "id": c["id"],
                   "system_type": c["system_type"]} for c in components]
reader.close()
writer.delete(component)
writer.commit()

# A note created with a category.
category = writer.query("NoteCategory").first()
note = task.create_note(unique("note"), writer.query(
    "User").first(), category=category)
writer.commit()
note_id = note["id"]
reader = session()
retrieved = reader.get("Note", note_id)
note_seen = {"category_id": retrieved["category"]["id"]
             if retrieved["category"] else None,
             "labels": [link["label_id"] for link in retrieved["note_label_links"]]}
reader.close()

# A user with a timelog, formatted after fetching its timelogs' users.
logger = writer.create("User", {"username": unique("logger")})
writer.create("Timelog", {"user": logger, "context": task, "comment": "",
                          "start": datetime.datetime(2024, 5, 1, 9, 0),
                          "duration": 3600})
writer.commit()
viewer = session()
logger_seen = viewer.get("User", logger["id"])
viewer.populate(logger_seen, "timelogs.user")
with viewer.auto_populating(False):
    formatted = ftrack_api.formatter.format(logger_seen, recursive=True)
viewer.close()

# The default project schema.
schema = session().query('ProjectSchema where name is "VFX Scheme"').one()
statuses = {name: sorted(status["name"] for status in schema.get_statuses(name))
            for name in ("Task", "Shot", "AssetBuild", "AssetVersion")}
types = {name: sorted(type_["name"] for type_ in schema.get_types(name))
         for name in ("Task", "AssetBuild")}

report({
    "unset_after_commit": unset_after_commit,
    "email_after_populate": email_after_populate,
    "component_id": component_id,
    "component_seen": component_seen,
    "category_id": category["id"],
    "note_seen": note_seen,
    "formatted_user": formatted,
    "statuses": statuses,
    "types": types,
})
