"""A file cache shared between this client and the official one.

Both clients are configured the documented way, with a
:class:`ftrack_api.cache.SerialisedCache` over a
:class:`ftrack_api.cache.FileCache` encoding entities with the session's
``encode``/``decode``. What one client queries and stores there, the other
must find under the same keys, in a format it reads, without asking the
server. To show that the values come from the cache, the entities are
renamed on the server after the cache was written.

The official client runs in its own interpreter through
``official/shared_file_cache.py`` (see ``test/integration/conftest.py``).
"""

import ast
import dbm
import importlib
import json

import pytest

import ftrack_api.cache

from client_helpers import RequestCounter, unique_name

SCRIPT = "shared_file_cache"


def file_cache(session, path):
    """Return the shared cache layer of *session* at *path*."""
    return ftrack_api.cache.SerialisedCache(
        ftrack_api.cache.FileCache(path),
        encode=session.encode,
        decode=session.decode,
    )


def entity_key(entity_type, entity_id):
    """Return the key both clients store *entity_type* *entity_id* under."""
    return "('{0}', ['{1}'])".format(entity_type, entity_id)


def stored_records(path):
    """Return the records of the file cache at *path* as decoded JSON."""
    cache = ftrack_api.cache.FileCache(path)
    return {key: json.loads(cache.get(key)) for key in cache.keys()}


def require_readable(path):
    """Skip unless this interpreter reads the dbm database at *path*."""
    kind = dbm.whichdb(path)
    assert kind, "no database at {0}".format(path)
    try:
        importlib.import_module(kind)
    except ImportError:
        pytest.skip(
            "the official client stored the cache as {0}, which this "
            "interpreter cannot read".format(kind)
        )


@pytest.fixture
def tree(ftrack_session, project_schema):
    """A committed project > sequence > two shots; values by name."""
    name = unique_name("shared_cache")
    project = ftrack_session.create(
        "Project",
        {"name": name, "full_name": name + "_full", "project_schema": project_schema},
    )
    sequence = ftrack_session.create(
        "Sequence", {"name": "sq010", "parent": project}
    )
    shots = [
        ftrack_session.create(
            "Shot",
            {"name": shot_name, "parent": sequence, "description": shot_name + " notes"},
        )
        for shot_name in ("sh010", "sh020")
    ]
    ftrack_session.commit()
    return {
        "session": ftrack_session,
        "sequence": sequence,
        "shots": shots,
        "query": (
            "select name, description, parent.name from Shot "
            'where parent.id is "{0}"'.format(sequence["id"])
        ),
    }


def rename_on_server(tree):
    """Rename the sequence and shots of *tree* on the server only."""
    session = tree["session"]
    tree["sequence"]["name"] = "sq010_renamed"
    for shot in tree["shots"]:
        shot["name"] = shot["name"] + "_renamed"
        shot["description"] = "changed"
    session.commit()


def names_on_server(new_session, tree):
    """Return the names the server holds, read by a session without cache."""
    session = new_session()
    ids = [shot["id"] for shot in tree["shots"]]
    shots = session.query(
        'select name from Shot where id in ("{0}")'.format('", "'.join(ids))
    ).all()
    sequence = session.query(
        'select name from Sequence where id is "{0}"'.format(tree["sequence"]["id"])
    ).one()
    return sorted(shot["name"] for shot in shots), sequence["name"]


def test_ours_reads_what_official_stored(
    tree, new_session, reference_python, run_reference, ftrack_server, tmp_path
):
    path = str(tmp_path / "official.dbm")
    observed = run_reference(
        reference_python, ftrack_server, SCRIPT, cache_path=path, queries=[tree["query"]]
    )
    require_readable(path)

    sequence_id = tree["sequence"]["id"]
    shot_ids = [shot["id"] for shot in tree["shots"]]
    for shot_id in shot_ids:
        assert entity_key("Shot", shot_id) in observed["stored"]
    assert entity_key("Sequence", sequence_id) in observed["stored"]

    rename_on_server(tree)
    assert names_on_server(new_session, tree) == (
        ["sh010_renamed", "sh020_renamed"],
        "sq010_renamed",
    )

    session = new_session(cache=lambda session: file_cache(session, path))
    counter = RequestCounter(session)
    with session.auto_populating(False):
        first = session.get("Shot", shot_ids[0])
        second = session.get("Shot", [shot_ids[1]])

        assert first["name"] == "sh010"
        assert first["description"] == "sh010 notes"
        assert second["name"] == "sh020"
        assert first["parent"]["id"] == sequence_id
        assert session.get("Shot", shot_ids[0]) is first
    assert counter.count == 0

    # The sequence stored by the official client is found as well.
    session = new_session(cache=lambda session: file_cache(session, path))
    counter = RequestCounter(session)
    with session.auto_populating(False):
        assert session.get("Sequence", sequence_id)["name"] == "sq010"
    assert counter.count == 0

    # Keys missing from the cache are still fetched from the server.
    counter.reset()
    project_id = tree["sequence"]["parent"]["id"]
    assert session.get("Project", project_id)["id"] == project_id
    assert counter.count >= 1


def test_official_reads_what_ours_stored(
    tree, new_session, reference_python, run_reference, ftrack_server, tmp_path
):
    path = str(tmp_path / "ours.dbm")
    session = new_session(cache=lambda session: file_cache(session, path))
    session.query(tree["query"]).all()
    session.close()

    sequence_id = tree["sequence"]["id"]
    shot_ids = [shot["id"] for shot in tree["shots"]]
    records = stored_records(path)
    for shot_id in shot_ids:
        assert records[entity_key("Shot", shot_id)]["__entity_type__"] == "Shot"
    assert records[entity_key("Sequence", sequence_id)]["name"] == "sq010"

    rename_on_server(tree)

    reads = [
        ["Shot", shot_ids[0], ["name", "description", "parent.name"]],
        ["Shot", shot_ids[1], ["name"]],
        ["Sequence", sequence_id, ["name"]],
    ]
    observed = run_reference(
        reference_python, ftrack_server, SCRIPT, cache_path=path, reads=reads
    )
    assert observed["reads"] == [
        {"name": "sh010", "description": "sh010 notes", "parent.name": "sq010"},
        {"name": "sh020"},
        {"name": "sq010"},
    ]
    assert observed["read_requests"] == 0

    # With auto population on, the official client still finds everything
    # in the cache rather than loading the renamed values.
    observed = run_reference(
        reference_python,
        ftrack_server,
        SCRIPT,
        cache_path=path,
        reads=reads,
        auto_populate=True,
    )
    assert observed["reads"][0] == {
        "name": "sh010",
        "description": "sh010 notes",
        "parent.name": "sq010",
    }
    assert observed["read_requests"] == 0


def test_both_clients_store_the_same_records(
    tree, new_session, reference_python, run_reference, ftrack_server, tmp_path
):
    official_path = str(tmp_path / "official.dbm")
    run_reference(
        reference_python,
        ftrack_server,
        SCRIPT,
        cache_path=official_path,
        queries=[tree["query"]],
    )
    require_readable(official_path)

    ours_path = str(tmp_path / "ours.dbm")
    session = new_session(cache=lambda session: file_cache(session, ours_path))
    session.query(tree["query"]).all()
    session.close()

    official = stored_records(official_path)
    ours = stored_records(ours_path)
    expected_keys = [entity_key("Sequence", tree["sequence"]["id"])] + [
        entity_key("Shot", shot["id"]) for shot in tree["shots"]
    ]
    for key in expected_keys:
        assert ours[key] == official[key]

    # The raw text is the same too: both encode with sorted keys.
    official_cache = ftrack_api.cache.FileCache(official_path)
    ours_cache = ftrack_api.cache.FileCache(ours_path)
    for key in expected_keys:
        assert ours_cache.get(key) == official_cache.get(key)


def test_key_makers_agree(reference_python, run_reference, ftrack_server):
    item_lists = [
        "(('Shot', ['6f1e0c1a-0000-4000-8000-000000000001']),)",
        "(('Link', ['a', 'b']),)",
        "({},)",
        "({}, {})",
        "({'b': [1, 2.5, None], 'a': ('x', b'y')}, [1, 2])",
        "('text', 'cl\u00e9', 42, True, None)",
        "({'x': {'nested': [{'deep': 1}]}},)",
    ]
    observed = run_reference(
        reference_python, ftrack_server, SCRIPT, key_items=item_lists
    )

    ours = []
    for text in item_lists:
        items = ast.literal_eval(text)
        ours.append(
            {
                "string": ftrack_api.cache.StringKeyMaker().key(*items),
                "object": ftrack_api.cache.ObjectKeyMaker().key(*items).hex(),
            }
        )
    assert ours == observed["keys"]


def test_our_session_keys_entities_like_official(tree, new_session, tmp_path):
    """The keys our session stores under are the official ones."""
    path = str(tmp_path / "keys.dbm")
    session = new_session(cache=lambda session: file_cache(session, path))
    shot = session.get("Shot", tree["shots"][0]["id"])
    assert shot is not None

    stored = ftrack_api.cache.FileCache(path).keys()
    assert entity_key("Shot", shot["id"]) in stored
    identity = ("Shot", [str(shot["id"])])
    assert session.cache_key_maker.key(identity) == entity_key("Shot", shot["id"])


def test_references_expanded_from_shared_cache(
    tree, new_session, reference_python, run_reference, ftrack_server, tmp_path
):
    path = str(tmp_path / "official.dbm")
    run_reference(
        reference_python, ftrack_server, SCRIPT, cache_path=path, queries=[tree["query"]]
    )
    require_readable(path)
    rename_on_server(tree)

    session = new_session(cache=lambda session: file_cache(session, path))
    counter = RequestCounter(session)
    with session.auto_populating(False):
        shot = session.get("Shot", tree["shots"][0]["id"])
        assert shot["parent"]["name"] == "sq010"
        assert session.get("Sequence", tree["sequence"]["id"])["name"] == "sq010"
    assert counter.count == 0
