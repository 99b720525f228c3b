"""Batches are atomic: the 2nd of 3 creates fails and nothing is stored;
required attributes are checked at the end of the batch."""

import uuid

from _common import attempt, report, session, still_answering, unique

a_session = session()
first, third, late = (str(uuid.uuid4()) for _ in range(3))


def create(identifier, **data):
    data.update({"__entity_type__": "AssetType", "id": identifier})
    return {"action": "create", "entity_type": "AssetType",
            "entity_key": [identifier], "entity_data": data}


def stored(identifier):
    return [entity["name"] for entity in a_session.query(
        'select name from AssetType where id is "{0}"'.format(identifier))]


failing = attempt(a_session.call, [
    create(first, name=unique("first"), short=unique("a")),
    create(first, name=unique("second"), short=unique("b")),  # same id
    create(third, name=unique("third"), short=unique("c")),
])
late_name = unique("late")
deferred = attempt(a_session.call, [
    create(late, short=unique("d")),
    {"action": "update", "entity_type": "AssetType", "entity_key": [late],
     "entity_data": {"__entity_type__": "AssetType", "name": late_name}},
])
report({
    "failing": failing,
    "first_stored": stored(first),
    "third_stored": stored(third),
    "deferred_ok": "error" not in deferred,
    "deferred": deferred.get("error"),
    "late_stored": stored(late),
    "late_name": late_name,
    "still_answering": still_answering(a_session),
})
