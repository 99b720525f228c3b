"""The documentation's metadata pattern in one session: set keys, commit,
set one of them again, commit."""

from _common import attempt, create_tree, report, session

writer = session()
shot = create_tree(writer, shots=("sh010",))["sh010"]
shot["metadata"]["frame_padding"] = "4"
writer.commit()
observed = {"keys_after_commit": sorted(shot["metadata"].keys())}


def update():
    shot["metadata"]["frame_padding"] = "5"
    writer.commit()
    return True


observed["update"] = attempt(update)
reader = session()
observed["stored"] = dict(reader.get("Shot", shot["id"])["metadata"].items())
report(observed)
