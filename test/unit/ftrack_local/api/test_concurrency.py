"""The write gate, the read-only test of a request and the splitting of
large ``ftrack.update`` events."""

import threading

from ftrack_local.api.concurrency import WriteGate, writes_data
from ftrack_local.events.updates import split

WAIT = 10.0


def test_reads_and_writes_told_apart():
    assert not writes_data([{"action": "query", "expression": "Project"},
                            {"action": "query_schemas"}])
    assert writes_data([{"action": "query", "expression": "Project"},
                        {"action": "create", "entity_type": "Project", "entity_data": {}}])
    assert writes_data([{"action": "no_such_action"}])
    assert writes_data(["not an operation"])


def test_shared_holders_overlap_and_exclusive_waits_for_them():
    gate = WriteGate()
    inside, leave, entered = threading.Event(), threading.Event(), threading.Event()

    def shared():
        with gate.hold(exclusive=False):
            inside.set()
            leave.wait(WAIT)

    def exclusive():
        with gate.hold(exclusive=True):
            entered.set()

    holder = threading.Thread(target=shared)
    holder.start()
    assert inside.wait(WAIT)
    with gate.hold(exclusive=False):  # a second shared holder gets in meanwhile
        pass
    waiting = threading.Thread(target=exclusive)
    waiting.start()
    waiting.join(0.2)
    assert not entered.is_set()  # cannot enter while the shared holder is inside
    leave.set()
    assert entered.wait(WAIT)
    for thread in (holder, waiting):
        thread.join(WAIT)


def test_waiting_exclusive_holder_goes_before_new_shared_ones():
    gate = WriteGate()
    order = []
    release = threading.Event()
    queued = threading.Event()

    def first():
        with gate.hold(exclusive=False):
            queued.wait(WAIT)
            release.wait(WAIT)
            order.append("first")

    def exclusive():
        with gate.hold(exclusive=True):
            order.append("exclusive")

    def late_shared():
        with gate.hold(exclusive=False):
            order.append("late")

    threads = [threading.Thread(target=first)]
    threads[0].start()
    threads.append(threading.Thread(target=exclusive))
    threads[1].start()
    while not gate._exclusive_waiting:
        threading.Event().wait(0.01)
    queued.set()
    threads.append(threading.Thread(target=late_shared))
    threads[2].start()
    release.set()
    for thread in threads:
        thread.join(WAIT)
    assert order == ["first", "exclusive", "late"]


def test_large_update_events_are_split_with_their_own_parents():
    def entity(number, parent):
        return {"entityId": "e{0}".format(number), "parents": [
            {"entityId": "e{0}".format(number)}, {"entityId": parent}]}

    data = {"entities": [entity(n, "p{0}".format(n // 2)) for n in range(5)],
            "parents": [], "user": {"userid": "u", "name": "U"}}
    assert split(data, 10) == [data]
    parts = split(data, 2)
    assert [[e["entityId"] for e in part["entities"]] for part in parts] == [
        ["e0", "e1"], ["e2", "e3"], ["e4"]]
    assert parts[0]["parents"] == ["e0", "p0", "e1"]
    assert parts[2]["parents"] == ["e4", "p2"]
    assert all(part["user"] == data["user"] for part in parts)
