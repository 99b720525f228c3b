"""Metadata on a shot: write, read back, update and delete keys, filter.
Each step runs in a session of its own."""

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
    found = sorted(entity["id"] for entity in reader.query(
        'Shot where id in ({0}, {1}) and metadata any (key is '
        '"frame_padding" and value is "{2}")'.format(
            shot_id, other_id, value)))
    reader.close()
    return found


def change(function):
    writer = session()
    function(writer.get("Shot", shot_id), writer)
    writer.commit()
    writer.close()


def write(shot, writer):
    shot["metadata"]["frame_padding"] = "4"
    shot["metadata"]["focal_length"] = "70"
    writer.get("Shot", other_id)["metadata"]["focal_length"] = "4"


observed = {"ids": {"sh010": shot_id, "sh020": other_id},
            "initial": read()}
change(write)
observed["written"] = read()
observed["filter_4"] = matching("4")
observed["filter_key_dotted"] = sorted(entity["id"] for entity in session(
).query('Shot where metadata.key is "focal_length" and id in ({0}, {1})'
        .format(shot_id, other_id)))

change(lambda shot, writer: shot["metadata"].__setitem__(
    "frame_padding", "5"))
observed["updated"] = read()
observed["filter_4_after_update"] = matching("4")
observed["filter_5"] = matching("5")

change(lambda shot, writer: shot["metadata"].__delitem__("focal_length"))
observed["deleted"] = read()
observed["rows"] = sorted(
    [row["key"], row["value"]] for row in session().query(
        'select key, value from Metadata where parent_id is "{0}"'.format(
            shot_id)))

change(lambda shot, writer: shot.__setitem__("metadata", {"camera": "A"}))
observed["replaced"] = read()
report(observed)
