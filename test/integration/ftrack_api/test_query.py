"""Queries: lazy results, paging, one() and first()."""

import pytest

import ftrack_api.exception
import ftrack_api.query
import ftrack_api.symbol

from client_helpers import unique_name

NOT_SET = ftrack_api.symbol.NOT_SET


@pytest.fixture
def twelve_sequences(ftrack_session, new_project):
    sequences = [
        ftrack_session.create(
            "Sequence", {"name": "seq_{0:02d}".format(index), "parent": new_project}
        )
        for index in range(12)
    ]
    ftrack_session.commit()
    return new_project, sequences


def test_query_is_lazy(ftrack_session, request_counter):
    result = ftrack_session.query("User")
    assert isinstance(result, ftrack_api.query.QueryResult)
    assert request_counter.count == 0
    list(result)
    assert request_counter.count == 1
    assert request_counter.expressions() == [
        "select {0} from User offset 0 limit 500".format(
            ", ".join(ftrack_session.types["User"].default_projections)
        )
    ]


def test_paging(ftrack_session, twelve_sequences, request_counter):
    project, sequences = twelve_sequences
    expression = "Sequence where parent_id is {0}".format(project["id"])

    request_counter.reset()
    result = ftrack_session.query(expression, page_size=5)
    assert result[0] in sequences
    assert request_counter.count == 1
    assert len(result) == 12
    assert request_counter.count == 3
    expressions = request_counter.expressions()
    assert [text.rsplit(" ", 4)[1:] for text in expressions] == [
        ["offset", "0", "limit", "5"],
        ["offset", "5", "limit", "5"],
        ["offset", "10", "limit", "5"],
    ]
    assert set(result) == set(sequences)


def test_iteration_fetches_pages_on_demand(ftrack_session, twelve_sequences, request_counter):
    project, sequences = twelve_sequences
    request_counter.reset()
    result = ftrack_session.query(
        "Sequence where parent_id is {0}".format(project["id"]), page_size=5
    )
    iterator = iter(result)
    for _ in range(5):
        next(iterator)
    assert request_counter.count == 1
    next(iterator)
    assert request_counter.count == 2
    assert len(list(iterator)) == 6
    assert request_counter.count == 3


def test_offset_and_limit(ftrack_session, twelve_sequences, request_counter):
    project, sequences = twelve_sequences
    base = "Sequence where parent_id is {0}".format(project["id"])
    everything = ftrack_session.query(base).all()

    request_counter.reset()
    limited = ftrack_session.query(base + " offset 2 limit 8", page_size=6).all()
    assert limited == everything[2:10]
    assert request_counter.count == 2
    assert request_counter.expressions()[0].endswith(" offset 2 limit 6")
    assert request_counter.expressions()[1].endswith(" offset 8 limit 6")

    request_counter.reset()
    small = ftrack_session.query(base + " limit 3").all()
    assert small == everything[:3]
    assert request_counter.count == 1
    assert request_counter.expressions()[0].endswith(" offset 0 limit 3")


def test_indexing_and_slicing(ftrack_session, twelve_sequences):
    project, sequences = twelve_sequences
    result = ftrack_session.query(
        "Sequence where parent_id is {0}".format(project["id"]), page_size=5
    )
    everything = ftrack_session.query(
        "Sequence where parent_id is {0}".format(project["id"])
    ).all()
    assert result[1:3] == everything[1:3]
    assert result[-1] == everything[-1]
    with pytest.raises(IndexError):
        result[12]
    assert result.count(everything[0]) == 1
    assert result.index(everything[3]) == 3


def test_first(ftrack_session, twelve_sequences, request_counter):
    project, sequences = twelve_sequences
    base = "Sequence where parent_id is {0}".format(project["id"])
    everything = ftrack_session.query(base).all()

    request_counter.reset()
    first = ftrack_session.query(base).first()
    assert first is everything[0]
    assert request_counter.expressions()[0].endswith(
        "where parent_id is {0} limit 1".format(project["id"])
    )

    assert ftrack_session.query(base + " offset 3").first() is everything[3]
    assert request_counter.expressions()[-1].endswith(" offset 3 limit 1")

    assert ftrack_session.query(
        'Sequence where name is "{0}"'.format(unique_name())
    ).first() is None

    with pytest.raises(ValueError):
        ftrack_session.query(base + " limit 1").first()


def test_one(ftrack_session, twelve_sequences, request_counter):
    project, sequences = twelve_sequences
    base = "Sequence where parent_id is {0}".format(project["id"])

    request_counter.reset()
    sequence = ftrack_session.query(
        base + ' and name is "seq_03"'
    ).one()
    assert sequence["name"] == "seq_03"
    assert request_counter.expressions()[0].endswith(
        'and name is "seq_03" limit 2'
    )

    with pytest.raises(ftrack_api.exception.MultipleResultsFoundError):
        ftrack_session.query(base).one()

    with pytest.raises(ftrack_api.exception.NoResultFoundError):
        ftrack_session.query(base + ' and name is "missing"').one()

    with pytest.raises(ftrack_api.exception.IncorrectResultError):
        ftrack_session.query(base + ' and name is "missing"').one()

    with pytest.raises(ValueError):
        ftrack_session.query(base + " limit 1").one()

    with pytest.raises(ValueError):
        ftrack_session.query(base + " offset 1").one()


def test_projections_replace_defaults(ftrack_session, new_user, new_session):
    other = new_session()
    user = other.query(
        "select id, first_name from User where id is {0}".format(new_user["id"])
    ).one()
    with other.auto_populating(False):
        assert user["first_name"] == new_user["first_name"]
        assert user["username"] is NOT_SET


def test_nested_projections(ftrack_session, twelve_sequences, new_session):
    project, sequences = twelve_sequences
    other = new_session()
    result = other.query(
        "select name, parent.name, parent.full_name from Sequence "
        "where parent_id is {0}".format(project["id"])
    ).all()
    with other.auto_populating(False):
        parents = set(sequence["parent"] for sequence in result)
        assert len(parents) == 1
        parent = parents.pop()
        assert parent["name"] == project["name"]
        assert parent["full_name"] == project["full_name"]


def test_results_share_identity(ftrack_session, new_user):
    first = ftrack_session.query("User where id is {0}".format(new_user["id"])).one()
    second = ftrack_session.query(
        'select email from User where id is "{0}"'.format(new_user["id"])
    ).one()
    assert first is second is new_user


def test_uncommitted_changes_not_visible(ftrack_session):
    username = unique_name()
    user = ftrack_session.create("User", {"username": username})
    query = 'User where username is "{0}"'.format(user["username"])
    assert len(ftrack_session.query(query)) == 0
    ftrack_session.commit()
    assert len(ftrack_session.query(query)) == 1


def test_unknown_type(ftrack_session):
    with pytest.raises(ftrack_api.exception.UnrecognisedEntityTypeError):
        ftrack_session.query("NoSuchType where id is 1")


def test_relation_criteria(ftrack_session, twelve_sequences):
    project, sequences = twelve_sequences
    result = ftrack_session.query(
        'Sequence where parent.name is "{0}" and name like "seq_1%"'.format(
            project["name"]
        )
    ).all()
    assert sorted(sequence["name"] for sequence in result) == ["seq_10", "seq_11"]
