"""Metadata on a shot: write, read back, update and delete keys, filter."""

from _common import create_tree, report, session

made = create_tree(session(), shots=("sh010", "sh020"))
shot_id = made["sh010"]["id"]
other_id = made["sh020"]["id"]


def read():
    reader = session()
    values = dict(reader.get("Shot", shot_id)["metadata"].items())
    reader.close()
    return values


def matching(value):
    reader = session()
    names = sorted(entity["id"] for entity in reader.query(
        'Shot where metadata any (key is "frame_padding" and value is '
        '"{0}")'.format(value)))
    reader.close()
    return names


observed = {"initial": read()}

writer = session()
shot = writer.get("Shot", shot_id)
shot["metadata"]["frame_padding"] = "4"
shot["metadata"]["focal_length"] = "70"
writer.get("Shot", other_id)["metadata"]["focal_length"] = "4"
writer.commit()
observed["written"] = read()
observed["filter_4"] = matching("4")

shot["metadata"]["frame_padding"] = "5"
writer.commit()
observed["updated"] = read()
observed["filter_4_after_update"] = matching("4")
observed["filter_5"] = matching("5")

del shot["metadata"]["focal_length"]
writer.commit()
observed["deleted"] = read()
observed["rows"] = sorted(
    [row["key"], row["value"]] for row in writer.query(
        'select key, value from Metadata where parent_id is "{0}"'.format(
            shot_id)))

shot["metadata"] = {"camera": "A"}
writer.commit()
observed["replaced"] = read()
writer.close()
observed["ids"] = {"sh010": shot_id, "sh020": other_id}
report(observed)
