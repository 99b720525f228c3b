"""Narrowing ``ftrack.update`` events to the projects a receiver may read."""

from ftrack_local.events.hub import visible_update


def entity(entity_id, project_id=None):
    parents = [{"entityId": entity_id, "entity_type": "Shot"}]
    if project_id is not None:
        parents.append({"entityId": project_id, "entity_type": "Project"})
    return {"entityId": entity_id, "entity_type": "Shot", "parents": parents}


def event(*entities):
    return {"topic": "ftrack.update", "data": {"entities": list(entities),
                                               "parents": ["x"], "user": {"userid": "u"}}}


def test_nothing_left_out_gives_the_event_itself():
    whole = event(entity("s1", "A"), entity("site"))
    assert visible_update(whole, frozenset({"A"})) is whole


def test_other_projects_are_left_out_with_their_parents():
    narrowed = visible_update(event(entity("s1", "A"), entity("s2", "B"), entity("site")),
                              frozenset({"A"}))
    assert [e["entityId"] for e in narrowed["data"]["entities"]] == ["s1", "site"]
    assert narrowed["data"]["parents"] == ["s1", "A", "site"]
    assert narrowed["data"]["user"] == {"userid": "u"}


def test_nothing_left_gives_none():
    assert visible_update(event(entity("s2", "B")), frozenset()) is None


def test_odd_payloads_pass_unchanged():
    odd = {"topic": "ftrack.update", "data": "text"}
    assert visible_update(odd, frozenset()) is odd
