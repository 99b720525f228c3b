"""Type casts on relation steps, computed attributes in conditions, escaped quotes.

A small hand-made database (Core inserts) and the expressions real code
writes against it.
"""

import datetime

import pytest
import sqlalchemy as sa

from ftrack_local import schema
from ftrack_local.api.loader import projection_tree
from ftrack_local.errors import (ParseError, UnknownAttributeError, UnknownEntityTypeError,
                                 ValidationError)
from ftrack_local.query import parse
from ftrack_local.query.compiler import compile_select
from ftrack_local.storage import Storage

DAY = datetime.datetime


def _rows():
    context = dict(context_type="task", project_id="p")
    return {
        "resource": [
            dict(_entity_type="User", id="u_jane", username="jane"),
            dict(_entity_type="User", id="u_bob", username="bob"),
            dict(_entity_type="Group", id="g_fx", name="fx"),
            dict(_entity_type="Group", id="g_anim", name="anim"),
        ],
        "membership": [
            dict(_entity_type="Membership", id="m1", user_id="u_jane", group_id="g_fx"),
            dict(_entity_type="Membership", id="m2", user_id="u_bob", group_id="g_anim"),
        ],
        "context": [
            dict(_entity_type="Project", id="p", name="p", context_type="show", project_id="p"),
            dict(_entity_type="Project", id="q", name="q", context_type="show", project_id="q"),
            dict(_entity_type="Sequence", id="sq", name="sq", parent_id="p", **context),
            dict(_entity_type="Shot", id="sh010", name="sh010", parent_id="sq", **context),
            dict(_entity_type="Folder", id="f_x", name="x", parent_id="p", **context),
            dict(_entity_type="Folder", id="f_y", name="sh010", parent_id="p", **context),
            dict(_entity_type="Folder", id="f_pct", name="50% done", parent_id="p", **context),
            dict(_entity_type="Folder", id="f_50x", name="50x", parent_id="p", **context),
            dict(_entity_type="Task", id="t_shot", name="anim", parent_id="sh010", bid=7200.0,
                 **context),
            dict(_entity_type="Task", id="t_folder", name="comp", parent_id="f_x", **context),
            dict(_entity_type="Task", id="t_seq", name="edit", parent_id="sq", bid=60.0,
                 **context),
            dict(_entity_type="Task", id="t_named", name='a "quoted" thing', parent_id="f_y",
                 **context),
            dict(_entity_type="Task", id="t_apos", name="it's", parent_id="q",
                 context_type="task", project_id="q"),
        ],
        "appointment": [
            dict(_entity_type="Appointment", id="ap1", context_id="t_shot",
                 resource_id="u_jane", type="assignment"),
            dict(_entity_type="Appointment", id="ap2", context_id="t_folder",
                 resource_id="g_fx", type="allocation"),
            dict(_entity_type="Appointment", id="ap3", context_id="t_seq",
                 resource_id="g_anim", type="allocation"),
        ],
        "timelog": [
            dict(_entity_type="Timelog", id="tl1", context_id="t_shot", user_id="u_jane",
                 duration=3600.0),
            dict(_entity_type="Timelog", id="tl2", context_id="t_shot", user_id="u_bob",
                 duration=1800.0),
            dict(_entity_type="Timelog", id="tl3", context_id="t_folder", user_id="u_bob",
                 duration=60.0),
        ],
        "asset": [
            dict(_entity_type="Asset", id="a1", name="forest", context_id="sh010"),
            dict(_entity_type="Asset", id="a2", name="rock", context_id="f_x"),
            dict(_entity_type="Asset", id="a3", name="empty", context_id="sh010"),
        ],
        "asset_version": [
            dict(_entity_type="AssetVersion", id="v1", asset_id="a1", version=1,
                 task_id="t_folder"),
            dict(_entity_type="AssetVersion", id="v3", asset_id="a1", version=3,
                 task_id="t_shot"),
            dict(_entity_type="AssetVersion", id="v2", asset_id="a1", version=2,
                 task_id="t_folder"),
            dict(_entity_type="AssetVersion", id="w1", asset_id="a2", version=1,
                 task_id="t_folder"),
            # Same number: the later one wins.
            dict(_entity_type="AssetVersion", id="w1b", asset_id="a2", version=1,
                 task_id="t_seq"),
        ],
        "review_session": [
            dict(_entity_type="ReviewSession", id="rs_open", name="open", end_date=None),
            dict(_entity_type="ReviewSession", id="rs_closed", name="closed",
                 end_date=DAY(2000, 1, 1)),
            dict(_entity_type="ReviewSession", id="rs_future", name="future",
                 end_date=DAY(2999, 1, 1)),
        ],
    }


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    path = tmp_path_factory.mktemp("casts") / "casts.sqlite"
    storage = Storage(schema.load(), "sqlite:///" + str(path))
    storage.create_all()
    with storage.engine.begin() as connection:
        for table_name, rows in _rows().items():
            for row in rows:
                connection.execute(storage.tables[table_name].insert().values(**row))
    yield storage
    storage.dispose()


def ids(storage, expression):
    statement = compile_select(storage, parse(expression))
    with storage.engine.connect() as connection:
        return [row._mapping["id"] for row in connection.execute(statement)]


# -- casts ---------------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ('Task where parent[Folder] has (name is "x")', ["t_folder"]),
    ('Task where parent[Folder] has ()', ["t_folder", "t_named"]),
    ('Task where parent[Shot].name is "sh010"', ["t_shot"]),
    # Without the cast a folder named sh010 matches too.
    ('Task where parent.name is "sh010"', ["t_shot", "t_named"]),
    ('Task where parent[TypedContext].name is "sh010"', ["t_shot", "t_named"]),
    ('Task where parent[Project].name is "q"', ["t_apos"]),
    ('Task where ancestors[Shot].name is "sh010"', ["t_shot"]),
    ('Task where ancestors[Sequence] any (name is "sq")', ["t_shot", "t_seq"]),
    ('Task where not ancestors[Shot] any ()', ["t_folder", "t_seq", "t_named", "t_apos"]),
    ('Appointment where resource[User].username is "jane"', ["ap1"]),
    ('Appointment where resource[Group].name is "fx"', ["ap2"]),
    ('Appointment where resource[ Group ] has (name is "anim")', ["ap3"]),
    ('Task where allocations.resource[Group].memberships any (user.username is "jane")',
     ["t_folder"]),
    ('Task where assignments any (resource[User].username is "jane")', ["t_shot"]),
    ('Task where assignments any (resource[Group].name is "fx")', []),
    ('Task where id in (select id from Task where parent[Sequence].name is "sq")', ["t_seq"]),
    ('Task where id in (select id from Task where parent[Shot].name is "sq")', []),
    ('Asset where versions[AssetVersion] any (version > 2)', ["a1"]),
    ('Sequence where children[Task] any (name is "edit")', ["sq"]),
    ('Sequence where children[Shot] any (name is "edit")', []),
])
def test_casts_in_conditions(storage, expression, expected):
    assert ids(storage, expression) == expected


def test_casts_in_ordering(storage):
    ordered = ids(storage, 'Task where project.name is "p" order by parent[Folder].name descending')
    # Folder names first (descending, nulls first when descending), then the rest.
    assert ordered[:2] == ["t_shot", "t_seq"]
    assert ordered[2:] == ["t_folder", "t_named"]


def test_casts_in_sub_query_projections(storage):
    assert ids(storage, 'Task where id in (select parent[Shot].id from Task)') == []
    assert ids(storage, 'Context where id in (select parent[Shot].id from Task)') == ["sh010"]


def test_cast_projections_select_the_type_attributes(storage):
    assert projection_tree([("parent[Shot]", "name"), ("parent", "id")]) == {
        "parent": {"name": {}, "id": {}}}
    assert ids(storage, 'select parent[Shot].name from Task where name is "anim"') == ["t_shot"]


@pytest.mark.parametrize("expression, error, words", [
    ('Task where parent[Nothing].name is "x"', UnknownEntityTypeError,
     ['"Nothing"', "does not exist", '"parent"']),
    ('Task where parent[User].name is "x"', ValidationError,
     ['"User"', '"parent"', '"Context"', "subtypes"]),
    ('Task where name[Shot] is "x"', ValidationError, ['"name"', "not a relation"]),
    ('Task where parent[Shot] is "x"', ValidationError, ["must be followed"]),
    ('Task order by parent[Shot]', ValidationError, ["must be followed"]),
    ('Task order by parent[Nothing].name', UnknownEntityTypeError, ['"Nothing"']),
    ('select parent[Nothing].name from Task', UnknownEntityTypeError, ['"Nothing"']),
    ('select parent[User].name from Task', ValidationError, ['"User"']),
    ('Task where id in (select parent[Group].id from Task)', ValidationError, ['"Group"']),
    ('Task where parent[Shot].nothing is 1', UnknownAttributeError, ['"nothing"', '"Shot"']),
])
def test_bad_casts(storage, expression, error, words):
    with pytest.raises(error) as raised:
        ids(storage, expression)
    for word in words:
        assert word in str(raised.value)


# -- computed attributes -------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ('Asset where latest_version.version > 2', ["a1"]),
    ('Asset where latest_version.id is "w1b"', ["a2"]),
    ('Asset where latest_version.task.parent has (name is "sh010")', ["a1"]),
    ('Asset where latest_version.task.project has (name is "p")', ["a1", "a2"]),
    ('Asset where latest_version has ()', ["a1", "a2"]),
    ('Asset where not latest_version has ()', ["a3"]),
    ('Asset where latest_version[AssetVersion] has (version is 1)', ["a2"]),
    ('AssetVersion where asset.latest_version.version > 2', ["v1", "v3", "v2"]),
    ('AssetVersion where is_latest_version is true', ["v3", "w1b"]),
    ('AssetVersion where is_latest_version is false', ["v1", "v2", "w1"]),
    ('Task where time_logged > 3600', ["t_shot"]),
    ('Task where time_logged is 0', ["t_seq", "t_named", "t_apos"]),
    ('Task where bid_time_logged_difference >= 1800', ["t_shot"]),
    ('Task where bid_time_logged_difference < 0', ["t_folder"]),
    ('ReviewSession where is_open is true', ["rs_open", "rs_future"]),
    ('ReviewSession where is_open is_not true', ["rs_closed"]),
    # thumbnail is a stored reference, not a computed one.
    ('Task where thumbnail has ()', []),
    ('Task where thumbnail.id is none and name is "anim"', ["t_shot"]),
])
def test_computed_attributes_in_conditions(storage, expression, expected):
    assert ids(storage, expression) == expected


def test_computed_attributes_in_ordering(storage):
    assert ids(storage, 'Asset order by latest_version.version descending') == ["a3", "a1", "a2"]
    assert ids(storage, 'Task where time_logged > 0 order by time_logged') == [
        "t_folder", "t_shot"]
    assert ids(storage, 'Asset where id in (select asset.id from AssetVersion '
                        'where asset.latest_version.version is 1)') == ["a2"]


@pytest.mark.parametrize("expression, name", [
    ('Task where link like "%x%"', "link"),
    ('Task where _link is "x"', "_link"),
    ('Task where thumbnail_url is "x"', "thumbnail_url"),
    ('ComponentLocation where url is "x"', "url"),
    ('ReviewSession where thumbnail_id is "x"', "thumbnail_id"),
    ('Task order by link', "link"),
    ('Asset where latest_version is "v1"', "latest_version"),
])
def test_computed_attributes_without_sql_are_refused(storage, expression, name):
    with pytest.raises(ValidationError) as raised:
        ids(storage, expression)
    assert '"{0}"'.format(name) in str(raised.value)


# -- escaped quotes -------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    (r'Task where name is "a \"quoted\" thing"', ["t_named"]),
    (r"Task where name is 'it\'s'", ["t_apos"]),
    (r'Task where name is "it\'s"', ["t_apos"]),
    (r'Task where name in ("it\'s", "a \"quoted\" thing")', ["t_named", "t_apos"]),
    (r'Task where name like "%\"quoted\"%"', ["t_named"]),
    (r'Task where parent has (name is "sh010") or name is "a \"quoted\" thing"',
     ["t_shot", "t_named"]),
])
def test_escaped_quotes(storage, expression, expected):
    assert ids(storage, expression) == expected


def test_escaped_percent_in_like_is_literal(storage):
    # ftrack-query escapes % in startswith/contains as \%.
    assert ids(storage, r'Task where name like "50\%%"') == []
    assert ids(storage, r'Folder where name like "50\%%"') == ["f_pct"]
    assert ids(storage, r'Folder where name like "50%"') == ["f_pct", "f_50x"]
    assert ids(storage, r'Folder where name like "%\% d%"') == ["f_pct"]
    assert ids(storage, r'Folder where name not_like "50\%%"') == ["f_x", "f_y", "f_50x"]
    assert ids(storage, r'Task where name like "an%"') == ["t_shot"]


def test_unclosed_escaped_quote_is_a_parse_error():
    with pytest.raises(ParseError) as raised:
        parse(r'Task where name is "abc\"')
    assert "unclosed quote" in str(raised.value)


def test_statements_compile_for_postgresql(storage):
    from sqlalchemy.dialects import postgresql
    for expression in ('Asset where latest_version.version > 2',
                       'AssetVersion where is_latest_version is true',
                       'Task where time_logged > 1 order by parent[Shot].name',
                       'Appointment where resource[User].username is "x"'):
        statement = compile_select(storage, parse(expression))
        assert "SELECT" in str(statement.compile(dialect=postgresql.dialect()))
        assert isinstance(statement, sa.Select)


# -- what ftrack-query 2.0.0 writes ------------------------------------------------

#: Expressions as ftrack-query 2.0.0 renders them (its ``select(...)`` objects
#: turned into text), with the rows of this module's database they select.
FTRACK_QUERY_OUTPUT = [
    (r'Task where name is "a \"quoted\" thing"', ["t_named"]),
    (r'Task where name is "it\'s"', ["t_apos"]),
    (r'Task where name like "50\%%"', []),
    (r'Task where name like "%a\"b%"', []),
    ('Task where name like "%it"', ["t_seq"]),
    ('select name, parent[Shot].name from Task where parent[Shot] has (name is "sh010") '
     'order by name descending offset 0 limit 5', ["t_shot"]),
    ('Task where not children any (name like "%Animation%") and (bid > 1 or bid <= 1.5)',
     ["t_shot", "t_seq"]),
    (r'Task where name in ("anim", "b\"c")', ["t_shot"]),
    ('Task where name not_in ("")', ["t_shot", "t_folder", "t_seq", "t_named", "t_apos"]),
    ('Task where id in (select id from Task where name is "edit")', ["t_seq"]),
    ('Context where id in (select parent_id from Task where name is "edit")', ["sq"]),
    ('Task where start_date > "2024-01-02 03:04:05" and end_date before "2024-01-01"', []),
    ('Task where name is none and bid is 3', []),
    ('User where username is none and is_active is True', []),
    # Without a bid, "bid is 60" is unknown, and so is its negation (as in SQL).
    ('Task where not (name is "anim" or bid is 60)', []),
    ('Task where not (name is "anim" or name is "edit")', ["t_folder", "t_named", "t_apos"]),
    ('Task where (name is "anim" or bid is 1) and (name is "b" or bid is 7200)', ["t_shot"]),
    ('Task where assignments any (resource[User] has (username is "jane"))', ["t_shot"]),
    ('Task where parent any ()', ["t_shot", "t_folder", "t_seq", "t_named", "t_apos"]),
    ('Task where project.id is p order by name descending, bid',
     ["t_seq", "t_folder", "t_shot", "t_named"]),
]


@pytest.mark.parametrize("expression, expected", FTRACK_QUERY_OUTPUT)
def test_what_ftrack_query_writes(storage, expression, expected):
    assert ids(storage, expression) == expected


# -- nesting ------------------------------------------------------------------------

@pytest.mark.parametrize("expression", [
    'Task where ' + 'parent.' * 9 + 'name is "x"',
    'Task where ' + 'parent has (' * 9 + 'name is "x"' + ')' * 9,
    'Task where ' + 'id in (select id from Task where ' * 9 + 'name is "x"' + ')' * 9,
    'Asset where ' + 'latest_version.asset.' * 5 + 'name is "x"',
    'Task order by ' + 'parent.' * 9 + 'name',
    'Task where ' + 'not (name is "a" or not (name is "b" and ' * 12 + 'name is "x"' + '))' * 12,
])
def test_statements_nested_too_deeply_are_refused(storage, expression):
    with pytest.raises(ValidationError) as raised:
        ids(storage, expression)
    assert "nests too deeply" in str(raised.value)


def test_deepest_accepted_statements_run(storage):
    assert ids(storage, 'Task where ' + 'parent.' * 8 + 'name is "x"') == []
    assert ids(storage, 'Task where ' + 'ancestors any (' * 8 + 'name is "x"' + ')' * 8) == []
