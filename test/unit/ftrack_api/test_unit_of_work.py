"""Entity state, identities and the unit of work of a session (offline)."""

import threading

import pytest

import ftrack_api._unit_of_work
import ftrack_api.inspection
import ftrack_api.operation
import ftrack_api.symbol

NOT_SET = ftrack_api.symbol.NOT_SET
state_of = ftrack_api.inspection.entity_state


@pytest.fixture
def session(offline_session):
    return offline_session


def feed_user(session, user_id="u1", **values):
    values = ", ".join('"{0}": "{1}"'.format(name, value) for name, value in values.items())
    return session.feed('{{"__entity_type__": "User", "id": "{0}"{1}}}'.format(
        user_id, ", " + values if values else ""))


def test_entity_state_is_the_entity_storage(session):
    user = feed_user(session, username="martin")
    state = state_of(user)
    assert state.remote == {"id": "u1", "username": "martin"}
    assert state.local == {} and state.created is False
    user["username"] = "bjorn"
    assert state.local == {"username": "bjorn"}
    state.remote["email"] = "m@example.com"
    assert user["email"] == "m@example.com"
    assert ftrack_api.inspection.is_entity(user)
    assert not ftrack_api.inspection.is_entity({"id": "u1"})


def test_identity_key_reads_held_values_only(session):
    user = feed_user(session)
    assert ftrack_api.inspection.identity_key(user) == ("User", ("u1",))
    metadata = session.create("Metadata", {"parent_id": "p1", "key": "frame"}, reconstructing=True)
    assert ftrack_api.inspection.identity_key(metadata)[1] == ("p1", "frame")
    partial = session.create("Metadata", {"key": "frame"}, reconstructing=True)
    assert ftrack_api.inspection.identity_key(partial) == ("Metadata", ("NOT_SET", "frame"))
    assert len(session.recorded_operations) == 0


def test_operation_identity_matches_entity_identity(session):
    user = feed_user(session)
    user["username"] = "x"
    operation = list(session.recorded_operations)[-1]
    assert ftrack_api.inspection.operation_identity(operation) == ftrack_api.inspection.identity_key(user)
    by_list = ftrack_api.operation.DeleteEntityOperation("User", ["u1"])
    by_text = ftrack_api.operation.DeleteEntityOperation("User", "u1")
    assert ftrack_api.inspection.operation_identity(by_list) == ("User", ("u1",))
    assert ftrack_api.inspection.operation_identity(by_text) == ("User", ("u1",))


def test_one_state_machine_for_session_and_inspection(session):
    changed = feed_user(session, "u1")
    gone = feed_user(session, "u2")
    new = session.create("User", {"username": "new"})
    changed["username"] = "x"
    new["username"] = "y"
    session.delete(gone)
    found = ftrack_api.inspection.states_by_identity(session.recorded_operations)
    assert list(found.values()) == [ftrack_api.symbol.CREATED, ftrack_api.symbol.MODIFIED,
                                    ftrack_api.symbol.DELETED]
    assert session.created == [new] and session.modified == [changed] and session.deleted == [gone]
    assert ftrack_api.inspection.states([new, changed, gone]) == list(found.values())


def test_discard_changes_forgets_pending_work(session):
    kept = feed_user(session, "u1")
    kept["username"] = "kept"
    refused = session.create("User", {"username": "refused"})
    refused_id = refused["id"]
    ftrack_api._unit_of_work.discard_changes(refused)
    assert [op.entity_key["id"] for op in session.recorded_operations] == ["u1"]
    assert state_of(refused).local == {}
    assert refused not in session.created
    assert not [key for key in session._local_cache.keys() if refused_id in key]
    assert [key for key in session._local_cache.keys() if "u1" in key]


def test_operation_log_keep_is_atomic_with_pushes(session):
    log = session.recorded_operations
    assert isinstance(log, ftrack_api._unit_of_work.OperationLog)
    stop = threading.Event()

    def push():
        while not stop.is_set():
            log.push(ftrack_api.operation.DeleteEntityOperation("User", {"id": "pushed"}))

    worker = threading.Thread(target=push)
    worker.start()
    try:
        for _ in range(200):
            log.keep(lambda operation: operation.entity_key["id"] == "pushed")
    finally:
        stop.set()
        worker.join()
    total = len(log)
    log.keep(lambda operation: False)
    assert total > 0 and len(log) == 0


def test_merge_copies_entities_of_another_session(session):
    other = type(session)()
    try:
        theirs = feed_user(other, "u9", username="theirs")
        mine = session.merge(theirs)
        assert mine is not theirs and mine.session is session and theirs.session is other
        assert mine["username"] == "theirs"
        assert session.merge(theirs) is mine
    finally:
        other.close()


def test_answer_values_outside_the_schema_are_dropped(session):
    user = session.feed('{"__entity_type__": "User", "id": "u1", "no_such_attribute": 1}')
    assert state_of(user).remote == {"id": "u1"}


def test_commit_settles_local_values(session):
    sent = []
    session._call = sent.append
    user = feed_user(session, username="before")
    user["username"] = "after"
    new = session.create("User", {"username": "new"})
    session.commit()
    assert [payload["action"] for payload in sent[0]] == ["update", "create"]
    assert state_of(user).local == {} and state_of(user).remote["username"] == "after"
    assert state_of(new).created is False and len(session.recorded_operations) == 0
