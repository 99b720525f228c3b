"""One session shared by several threads."""

import threading

import ftrack_api.inspection
import ftrack_api.symbol

from client_helpers import unique_name

THREADS = 4
USERS_PER_THREAD = 8


def test_threads_share_session(ftrack_session, new_project, new_session):
    prefix = unique_name("thread")
    errors = []
    created = {}
    seen = []

    def work(index):
        try:
            for number in range(USERS_PER_THREAD):
                username = "{0}_{1}_{2}".format(prefix, index, number)
                user = ftrack_session.create(
                    "User", {"username": username, "first_name": str(index)}
                )
                created[username] = user
                user["last_name"] = "L{0}".format(number)

                # Query while other threads create and commit.
                for found in ftrack_session.query(
                    'select username, first_name from User where username like "{0}%"'.format(
                        prefix
                    )
                ):
                    seen.append(found)

                if number % 2:
                    ftrack_session.commit()

                sequence = ftrack_session.create(
                    "Sequence", {"name": username, "parent": new_project}
                )
                created[username + "/sequence"] = sequence
                new_project["metadata"]["{0}_{1}".format(index, number)] = username
                ftrack_session.commit()
        except Exception as error:  # pragma: no cover - reported below.
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    ftrack_session.commit()
    assert len(ftrack_session.recorded_operations) == 0

    # Identity map intact: one instance per entity, every query result is it.
    for entity in created.values():
        assert ftrack_session.get(entity.entity_type, entity["id"]) is entity
        assert ftrack_api.inspection.state(entity) is ftrack_api.symbol.NOT_SET
    for found in seen:
        assert created[found["username"]] is found

    # Nothing lost on the server.
    other = new_session()
    users = other.query(
        'select username, first_name, last_name from User where username like "{0}%"'.format(
            prefix
        )
    ).all()
    assert len(users) == THREADS * USERS_PER_THREAD
    for user in users:
        index, number = user["username"].rsplit("_", 2)[1:]
        assert user["first_name"] == index
        assert user["last_name"] == "L{0}".format(number)

    sequences = other.query(
        'select name from Sequence where parent_id is "{0}"'.format(new_project["id"])
    ).all()
    assert len(sequences) == THREADS * USERS_PER_THREAD

    project = other.get("Project", new_project["id"])
    assert len(project["metadata"]) == THREADS * USERS_PER_THREAD
