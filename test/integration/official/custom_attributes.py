"""A number custom attribute on shots: configure, write, read back, reject
a wrong value type and filter on it."""

import json

import ftrack_api.exception

from _common import create_tree, error, report, session, still_answering

admin = session()
shot_type = admin.query('ObjectType where name is "Shot"').one()
configuration = admin.create("CustomAttributeConfiguration", {
    "entity_type": "task",
    "object_type_id": shot_type["id"],
    "type": admin.query('CustomAttributeType where name is "number"').one(),
    "key": "fstart",
    "label": "Frame start",
    "default": 1001,
    "config": json.dumps({"isdecimal": False}),
})
admin.commit()
configuration_id = configuration["id"]
admin.close()

made = create_tree(session(), shots=("sh010", "sh020"),
                   tasks=[("sh010", "comp")])
ids = {key: made[key]["id"] for key in ("sh010", "sh020", "sh010/comp")}

writer = session()
writer.get("Shot", ids["sh010"])["custom_attributes"]["fstart"] = 1010
writer.commit()
writer.close()

reader = session()
sh010 = reader.get("Shot", ids["sh010"])
sh020 = reader.get("Shot", ids["sh020"])
task = reader.get("Task", ids["sh010/comp"])
observed = {
    "configuration": {
        key: value for key, value in reader.get(
            "CustomAttributeConfiguration", configuration_id).items()
        if key in ("key", "label", "entity_type", "object_type_id",
                   "default", "config", "project_id")},
    "shot_type_id": shot_type["id"],
    "sh010": dict(sh010["custom_attributes"].items()),
    "sh020": dict(sh020["custom_attributes"].items()),
    "task_keys": sorted(task["custom_attributes"].keys()),
    "filter_1010": sorted(entity["name"] for entity in reader.query(
        'Shot where custom_attributes any (key is "fstart" and value is 1010)')),
}

sh020["custom_attributes"]["fstart"] = "abc"
try:
    reader.commit()
    observed["wrong_type"] = None
except ftrack_api.exception.ServerError as exception:
    observed["wrong_type"] = error(exception)
    reader.rollback()
observed["still_answering"] = still_answering(reader)
reader.close()

checker = session()
observed["sh020_after_error"] = checker.get(
    "Shot", ids["sh020"])["custom_attributes"]["fstart"]
report(observed)
