"""The query compiler against a real SQLite database filled with Core inserts."""

import datetime
import os
import sys

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

try:
    from ftrack_local import schema
except ImportError:  # Package not installed: run from the source tree.
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "source"))
    from ftrack_local import schema

from ftrack_local.errors import (UnknownAttributeError, UnknownEntityTypeError,
                                 ValidationError)
from ftrack_local.query import ast, parse
from ftrack_local.query.compiler import compile_criteria, compile_select
from ftrack_local.storage import Storage

CONTEXTS = ["p1", "p2", "sq001", "sq002", "sh010", "sh020", "sh030",
            "t_anim", "t_comp", "t_layout", "t_fx"]
TASKS = ["t_anim", "t_comp", "t_layout", "t_fx"]


def _rows():
    """Table name -> rows (each with its _entity_type), inserted in this order."""
    day = datetime.datetime
    return {
        "resource": [
            dict(_entity_type="User", id="u_jane", username="jane", first_name="Jane",
                 last_name="Doe", is_active=True),
            dict(_entity_type="User", id="u_john", username="john", first_name="John",
                 last_name="Smith", is_active=False),
        ],
        "state": [
            dict(_entity_type="State", id="s_ns", name="Not started", short="NOT_STARTED"),
            dict(_entity_type="State", id="s_ip", name="In progress", short="IN_PROGRESS"),
            dict(_entity_type="State", id="s_done", name="Done", short="DONE"),
        ],
        "status": [
            dict(_entity_type="Status", id="status_ns", name="Not started", state_id="s_ns"),
            dict(_entity_type="Status", id="status_ip", name="In progress", state_id="s_ip"),
            dict(_entity_type="Status", id="status_done", name="Done", state_id="s_done"),
            dict(_entity_type="Status", id="status_omitted", name="Omitted", state_id="s_ns"),
        ],
        "type": [
            dict(_entity_type="Type", id="type_anim", name="Animation"),
            dict(_entity_type="Type", id="type_comp", name="Compositing"),
        ],
        "context": [
            dict(_entity_type="Project", id="p1", name="dev_tutorial", full_name="Dev Tutorial",
                 status="active", context_type="show", project_id="p1"),
            dict(_entity_type="Project", id="p2", name="game_of_thrones",
                 full_name="Game of Thrones", status="hidden", context_type="show",
                 project_id="p2"),
            dict(_entity_type="Sequence", id="sq001", name="001", parent_id="p1",
                 project_id="p1", context_type="task"),
            dict(_entity_type="Sequence", id="sq002", name="002", parent_id="p1",
                 project_id="p1", context_type="task"),
            dict(_entity_type="Shot", id="sh010", name="010", parent_id="sq001",
                 project_id="p1", context_type="task", bid=8.0),
            dict(_entity_type="Shot", id="sh020", name="020", parent_id="sq001",
                 project_id="p1", context_type="task"),
            dict(_entity_type="Shot", id="sh030", name="030", parent_id="sq002",
                 project_id="p1", context_type="task"),
            dict(_entity_type="Task", id="t_anim", name="anim", parent_id="sh010",
                 project_id="p1", context_type="task", status_id="status_done",
                 type_id="type_anim", bid=10.0, start_date=day(2024, 5, 1, 8, 0)),
            dict(_entity_type="Task", id="t_comp", name="Comp", parent_id="sh010",
                 project_id="p1", context_type="task", status_id="status_ns",
                 type_id="type_comp", bid=5.0, start_date=day(2024, 4, 1, 8, 0)),
            dict(_entity_type="Task", id="t_layout", name="layout", parent_id="sh020",
                 project_id="p1", context_type="task", status_id="status_ip",
                 description="my_task"),
            dict(_entity_type="Task", id="t_fx", name="fx", parent_id="p2", project_id="p2",
                 context_type="task", status_id="status_omitted", bid=20.0,
                 description="myXtask"),
        ],
        "metadata": [
            dict(_entity_type="Metadata", parent_id="sq001", parent_type="Sequence",
                 key="frame_padding", value="4"),
            dict(_entity_type="Metadata", parent_id="sq001", parent_type="Sequence",
                 key="focal_length", value="70"),
            dict(_entity_type="Metadata", parent_id="sq002", parent_type="Sequence",
                 key="frame_padding", value="5"),
            dict(_entity_type="Metadata", parent_id="p1", parent_type="Project",
                 key="some_key", value="some_value"),
            dict(_entity_type="Metadata", parent_id="p2", parent_type="Project",
                 key="some_key", value="other"),
            dict(_entity_type="Metadata", parent_id="p2", parent_type="Project",
                 key="other", value="some_value"),
        ],
        "custom_configuration_base": [
            dict(_entity_type="CustomAttributeConfiguration", id="c_fstart", key="fstart",
                 entity_type="task", default=1001, is_hierarchical=False),
            dict(_entity_type="CustomAttributeConfiguration", id="c_text", key="my_text_field",
                 entity_type="task", default="", is_hierarchical=False),
            dict(_entity_type="CustomAttributeConfiguration", id="c_flag", key="approved",
                 entity_type="task", default=False, is_hierarchical=False),
            dict(_entity_type="CustomAttributeConfiguration", id="c_due", key="due",
                 entity_type="task", default=None, is_hierarchical=False),
            dict(_entity_type="CustomAttributeLinkConfiguration", id="c_link", key="fstart",
                 entity_type="task"),
        ],
        "custom_attribute_value": [
            dict(_entity_type="ContextCustomAttributeValue", configuration_id="c_fstart",
                 entity_id="sh010", key="fstart", value=1001),
            # No stored key: the configuration's key applies.
            dict(_entity_type="ContextCustomAttributeValue", configuration_id="c_fstart",
                 entity_id="sh020", key=None, value=5),
            dict(_entity_type="ContextCustomAttributeValue", configuration_id="c_text",
                 entity_id="t_anim", key="my_text_field", value="bar"),
            dict(_entity_type="ContextCustomAttributeValue", configuration_id="c_text",
                 entity_id="t_comp", key="my_text_field", value="foo"),
            dict(_entity_type="ContextCustomAttributeValue", configuration_id="c_text",
                 entity_id="t_layout", key="my_text_field", value=None),
            dict(_entity_type="ContextCustomAttributeValue", configuration_id="c_flag",
                 entity_id="t_anim", key="approved", value=True),
            dict(_entity_type="ContextCustomAttributeValue", configuration_id="c_flag",
                 entity_id="t_comp", key="approved", value=False),
            dict(_entity_type="ContextCustomAttributeValue", configuration_id="c_due",
                 entity_id="t_anim", key="due",
                 value={"__type__": "datetime", "value": "2024-05-01T10:00:00"}),
            dict(_entity_type="ContextCustomAttributeValue", configuration_id="c_due",
                 entity_id="t_comp", key="due",
                 value={"__type__": "datetime", "value": "2024-03-01T10:00:00"}),
        ],
        "timelog": [
            dict(_entity_type="Timelog", id="tl1", context_id="t_anim", user_id="u_jane",
                 start=day(2024, 5, 1, 10, 0), duration=3600.0),
            dict(_entity_type="Timelog", id="tl2", context_id="t_comp", user_id="u_john",
                 start=day(2024, 4, 1, 9, 0), duration=60.0),
        ],
        "scope": [
            dict(_entity_type="Scope", id="scope_rig", name="rig"),
            dict(_entity_type="Scope", id="scope_anim", name="animation"),
        ],
        "_link": [
            dict(name="context.scopes", from_id="t_anim", to_id="scope_rig"),
            dict(name="context.scopes", from_id="sh010", to_id="scope_anim"),
            # Same ids under another relation name must not leak into scopes.
            dict(name="other.relation", from_id="t_comp", to_id="scope_rig"),
        ],
        "asset_version_link": [
            # v2 uses v1.
            dict(_entity_type="AssetVersionLink", id="avl1", from_id="v1", to_id="v2"),
        ],
        "asset": [
            dict(_entity_type="Asset", id="a_forest", name="forest", context_id="sh010"),
        ],
        "asset_version": [
            dict(_entity_type="AssetVersion", id="v1", asset_id="a_forest", version=1,
                 task_id="t_anim", user_id="u_jane", status_id="status_done",
                 is_published=True, date=day(2024, 5, 2)),
            dict(_entity_type="AssetVersion", id="v2", asset_id="a_forest", version=2,
                 task_id="t_comp", user_id="u_john", status_id="status_ns",
                 is_published=False, date=day(2024, 5, 3)),
            dict(_entity_type="AssetVersion", id="v3", asset_id="a_forest", version=3,
                 task_id=None, user_id="u_john", is_published=False),
        ],
        "note": [
            dict(_entity_type="Note", id="n1", parent_id="t_anim", parent_type="Task",
                 user_id="u_jane", content="Looks good"),
            dict(_entity_type="Note", id="n2", parent_id="t_anim", parent_type="Task",
                 user_id="u_john", content="Fix it"),
            dict(_entity_type="Note", id="n3", parent_id="t_anim", parent_type="Task",
                 user_id="u_john", content="Thanks", in_reply_to_id="n1"),
        ],
        "list": [
            dict(_entity_type="TypedContextList", id="l_dailies", name="dailies",
                 project_id="p1", is_open=True),
        ],
        "list_object": [
            dict(_entity_type="ListObject", id="lo1", list_id="l_dailies", entity_id="t_anim"),
        ],
        "appointment": [
            dict(_entity_type="Appointment", id="ap1", context_id="t_anim",
                 resource_id="u_jane", type="assignment"),
            dict(_entity_type="Appointment", id="ap2", context_id="t_comp",
                 resource_id="u_john", type="allocation"),
        ],
    }


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    path = tmp_path_factory.mktemp("query") / "compiler.sqlite"
    storage = Storage(schema.load(), "sqlite:///" + str(path))
    storage.create_all()
    with storage.engine.begin() as connection:
        for table_name, rows in _rows().items():
            table = storage.link if table_name == "_link" else storage.tables[table_name]
            for row in rows:
                connection.execute(table.insert().values(**row))
    yield storage
    storage.dispose()


def _fetch(storage, query):
    if isinstance(query, str):
        query = parse(query)
    statement = compile_select(storage, query)
    with storage.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(statement)]


def ids(storage, query, key="id"):
    return [row[key] for row in _fetch(storage, query)]


# -- polymorphism -------------------------------------------------------------

def test_base_types_return_every_subtype(storage):
    assert ids(storage, "Context") == CONTEXTS
    assert ids(storage, "TypedContext") == CONTEXTS[2:]
    assert ids(storage, "Project") == ["p1", "p2"]


def test_subtypes_return_only_their_rows(storage):
    assert ids(storage, "Shot") == ["sh010", "sh020", "sh030"]
    assert ids(storage, "Task") == TASKS
    assert ids(storage, "Sequence where name like '0%'") == ["sq001", "sq002"]


def test_rows_carry_their_most_specific_type(storage):
    rows = _fetch(storage, "TypedContext where name in (anim, '010')")
    assert [(row["id"], row["_entity_type"]) for row in rows] == [
        ("sh010", "Shot"), ("t_anim", "Task")]


def test_value_types_share_a_table_but_not_rows(storage):
    assert ids(storage, "CustomAttributeConfiguration where key is fstart") == ["c_fstart"]
    assert ids(storage, "CustomConfigurationBase where key is fstart") == ["c_fstart", "c_link"]


# -- operators ------------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ('Task where name is "anim"', ["t_anim"]),
    ("Task where name = anim", ["t_anim"]),
    ('Task where name is_not "anim"', ["t_comp", "t_layout", "t_fx"]),
    ('Task where name != "anim"', ["t_comp", "t_layout", "t_fx"]),
    ("Task where bid > 5", ["t_anim", "t_fx"]),
    ("Task where bid greater_than 5", ["t_anim", "t_fx"]),
    ("Task where bid >= 10", ["t_anim", "t_fx"]),
    ("Task where bid < 10", ["t_comp"]),
    ("Task where bid less_than 10", ["t_comp"]),
    ("Task where bid <= 10", ["t_anim", "t_comp"]),
    ("Task where bid is None", ["t_layout"]),
    ("Task where bid = null", ["t_layout"]),
    ("Task where bid is_not None", ["t_anim", "t_comp", "t_fx"]),
    # NULL never matches other operators (plain SQL semantics).
    ("Task where bid != 5", ["t_anim", "t_fx"]),
    ("Task where bid < None", []),
    ('Task where name like "%om%"', ["t_comp"]),
    ('Task where name like "c%"', ["t_comp"]),  # case-insensitive
    ('Task where name like "%A%"', ["t_anim", "t_layout"]),
    ('Task where name not_like "%a%"', ["t_comp", "t_fx"]),
    ('Task where description like "my_%"', ["t_layout"]),  # "_" is no wildcard
    ('Task where bid like "1%"', ["t_anim"]),
    ("Task where name in (anim, fx)", ["t_anim", "t_fx"]),
    ('Task where name in ("anim", "Comp")', ["t_anim", "t_comp"]),
    ("Task where name in ()", []),
    ("Task where name not_in (anim,fx)", ["t_comp", "t_layout"]),
    ("Task where bid in (5, None)", ["t_comp", "t_layout"]),
    ("Task where bid not_in (5, None)", ["t_anim", "t_fx"]),
    ("Task where bid is 10", ["t_anim"]),
    ('Task where bid is "10.0"', ["t_anim"]),
    ('Task where id is "does-not-exist"', []),
    ("Task where id is 5671dcb0-66de-11e1-8e6e-f23c91df25eb", []),
    ("User where is_active is True", ["u_jane"]),
    ("User where is_active is false", ["u_john"]),
    ("User where username is jenkins", []),
    ('Task where name is "anim" and bid > 5', ["t_anim"]),
    ('Task where name is "anim" or name is "fx"', ["t_anim", "t_fx"]),
    ('Task where name is "fx" or name is "anim" and bid > 50', ["t_fx"]),
    ('Task where (name is "fx" or name is "anim") and bid > 15', ["t_fx"]),
    ('Task where not name is "anim"', ["t_comp", "t_layout", "t_fx"]),
    # SQL logic: "bid > 15" is unknown for a NULL bid, and so is its negation.
    ('Task where not (name is "anim" or bid > 15)', ["t_comp"]),
    ('Project where status is active and name like "%thrones"', []),
    ('Project where status is hidden and (name like "%thrones" or full_name like "%thrones")',
     ["p2"]),
])
def test_operators(storage, expression, expected):
    assert ids(storage, expression) == [i for i in TASKS + ["p1", "p2", "u_jane", "u_john"]
                                        if i in expected]


@pytest.mark.parametrize("expression, expected", [
    ('Task where start_date >= "2024-05-01"', ["t_anim"]),
    ('Task where start_date after "2024-04-15T00:00:00"', ["t_anim"]),
    ('Task where start_date before "2024-05-01T08:00:00"', ["t_comp"]),
    # 09:00+02:00 is 07:00 UTC, before 08:00 UTC.
    ('Task where start_date >= "2024-05-01T09:00:00+02:00"', ["t_anim"]),
    ('Task where start_date >= "2024-05-01T09:00:00Z"', []),
    ('Task where start_date is "2024-05-01T08:00:00"', ["t_anim"]),
    ('Task where timelogs.start >= "2024-05-01T00:00:00+02:00"', ["t_anim"]),
    ('Task where timelogs.start >= "2024-03-01"', ["t_anim", "t_comp"]),
])
def test_dates(storage, expression, expected):
    assert ids(storage, expression) == expected


def test_bad_literals_are_validation_errors(storage):
    with pytest.raises(ValidationError, match="bid"):
        ids(storage, "Task where bid > lots")
    with pytest.raises(ValidationError, match="date"):
        ids(storage, 'Task where start_date > "yesterday"')
    with pytest.raises(ValidationError, match="is_active"):
        ids(storage, "User where is_active is maybe")


# -- paths through references and collections -------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ('Task where status.state.short is "DONE"', ["t_anim"]),
    ('Task where status.state.short is "NOT_STARTED"', ["t_comp", "t_fx"]),
    ('Task where status.name not_in ("Omitted", "On Hold")', ["t_anim", "t_comp", "t_layout"]),
    ('Task where status.state.short in ("DONE", "IN_PROGRESS")', ["t_anim", "t_layout"]),
    ('Task where type.name is "Animation"', ["t_anim"]),
    ('Task where project.id is "p1"', ["t_anim", "t_comp", "t_layout"]),
    ('Task where project.name is "dev_tutorial"', ["t_anim", "t_comp", "t_layout"]),
    ('Task where project.id is "p1" and status.state.short is "DONE"', ["t_anim"]),
    ('Task where parent.name is "010"', ["t_anim", "t_comp"]),
    ('Task where parent.parent.name is "001"', ["t_anim", "t_comp", "t_layout"]),
    ('Task where parent.parent.parent.name is "dev_tutorial"',
     ["t_anim", "t_comp", "t_layout"]),
    ('Task where parent is "sh010"', ["t_anim", "t_comp"]),
    ("Task where parent_id is sh020", ["t_layout"]),
    ('Task where parent.id in (sh010, sh020)', ["t_anim", "t_comp", "t_layout"]),
    # The parent of t_fx is a Project: Shot is restricted to shots.
    ('Task where parent has (name like "%thrones")', ["t_fx"]),
    ('Task where timelogs.user.username is "john"', ["t_comp"]),
    ('Task where assignments any ()', ["t_anim"]),
    ('Task where appointments any ()', ["t_anim", "t_comp"]),
    ('Task where assignments any (resource_id is "u_john")', []),
    ('Task where allocations any (resource_id is "u_john")', ["t_comp"]),
    ('Task where scopes.name is "rig"', ["t_anim"]),
    ('TypedContext where scopes any ()', ["sh010", "t_anim"]),
    ('Task where lists any (name is "dailies")', ["t_anim"]),
    ('Task where notes.author.first_name is "John"', ["t_anim"]),
    ('Task where not notes any ()', ["t_comp", "t_layout", "t_fx"]),
])
def test_paths(storage, expression, expected):
    assert ids(storage, expression) == expected


def test_shot_by_path_from_the_docs(storage):
    expression = ('Shot where project.name is "dev_tutorial" '
                  'and parent.name is "001" and name is "010"')
    assert ids(storage, expression) == ["sh010"]


@pytest.mark.parametrize("expression, expected", [
    ("Sequence where children.name is '020'", ["sq001"]),
    ("Context where children any ()", ["p1", "p2", "sq001", "sq002", "sh010", "sh020"]),
    ("TypedContext where not children any ()", ["sh030"] + TASKS),
    # At least one member matches, also for negative operators.
    ("Sequence where children.name != '020'", ["sq001", "sq002"]),
    ("Sequence where not children.name is '020'", ["sq002"]),
    ("Shot where children any (name is anim and name like 'a%')", ["sh010"]),
    ("Shot where children any (name is anim and name like 'c%')", []),
    # children are Contexts: attributes of subtypes are unknown there.
    ("Shot where children any (name is anim)", ["sh010"]),
    ("Shot where children.name is anim and children.name is Comp", ["sh010"]),
    ("Shot where children any (name is anim and name is Comp)", []),
])
def test_collections(storage, expression, expected):
    assert ids(storage, expression) == expected


def test_many_to_many_through_private_link(storage):
    assert ids(storage, "AssetVersion where uses_versions any (version is 1)") == ["v2"]
    assert ids(storage, "AssetVersion where used_in_versions.version is 2") == ["v1"]
    assert ids(storage, "AssetVersion where not uses_versions any ()") == ["v1", "v3"]


def test_has_on_references(storage):
    assert ids(storage, 'Note where author has (first_name is "Jane" and last_name is "Doe")') \
        == ["n1"]
    assert ids(storage, 'Note where author.first_name is "Jane" and author.last_name is "Doe"') \
        == ["n1"]
    assert ids(storage, "Note where in_reply_to has ()") == ["n3"]
    assert ids(storage, "Note where not in_reply_to has ()") == ["n1", "n2"]
    assert ids(storage, "Note where replies any (author.username is john)") == ["n1"]
    assert ids(storage, "AssetVersion where asset.parent.parent has (name is '001')") \
        == ["v1", "v2", "v3"]


# -- metadata -------------------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ("Project where metadata any (key=some_key and value=some_value)", ["p1"]),
    # Without any: one row may match the key and another the value.
    ("Project where metadata.key is some_key and metadata.value is some_value", ["p1", "p2"]),
    ('Sequence where metadata any (key is "frame_padding" and value is "4")', ["sq001"]),
    ('Sequence where metadata.key is "focal_length"', ["sq001"]),
    ('Sequence where metadata.value is "5"', ["sq002"]),
    ("Sequence where not metadata any (key is focal_length)", ["sq002"]),
])
def test_metadata(storage, expression, expected):
    assert ids(storage, expression) == expected


def test_expressions_of_the_reference_client(storage):
    # Session.populate for composite keys (no space before "and").
    expression = ('select key, value from Metadata where (parent_id is "sq001"and key is '
                  '"frame_padding") or (parent_id is "p2"and key is "other")')
    assert ids(storage, expression, key="value") == ["4", "some_value"]
    # Session.ensure: typed literals and "limit 2" through one().
    expression = ('select id from Task where name is "anim" and bid is 10 and start_date is '
                  '"2024-05-01T08:00:00" and parent_id is sh010 limit 2')
    assert ids(storage, expression) == ["t_anim"]
    # Session.get and populate of several ids.
    assert ids(storage, 'select id, name from Task where (id is "t_comp")') == ["t_comp"]
    assert ids(storage, "select name from Context where id in (t_fx,p1,sh030)") == [
        "p1", "sh030", "t_fx"]


def test_metadata_rows_are_queryable(storage):
    rows = _fetch(storage, "Metadata where parent_id is sq001 and key is frame_padding")
    assert [(row["parent_id"], row["value"]) for row in rows] == [("sq001", "4")]


# -- custom attributes ------------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ('Shot where custom_attributes any (key is "fstart" and value > 10)', ["sh010"]),
    ('Shot where custom_attributes any (key is "fstart" and value <= 10)', ["sh020"]),
    ('Shot where custom_attributes any (key is "fstart" and value is 1001)', ["sh010"]),
    ('Shot where custom_attributes any (key is "fstart" and value is "1001.0")', ["sh010"]),
    ('Shot where custom_attributes.key is "fstart"', ["sh010", "sh020"]),
    ('Task where custom_attributes any (key is "my_text_field" and value is "bar")', ["t_anim"]),
    ('Task where custom_attributes.value is "bar"', ["t_anim"]),
    ('Task where custom_attributes any (key is my_text_field and value in (bar, foo))',
     ["t_anim", "t_comp"]),
    ('Task where custom_attributes any (key is my_text_field and value like "B%")', ["t_anim"]),
    ('Task where custom_attributes any (key is my_text_field and value != "bar")', ["t_comp"]),
    ('Task where custom_attributes any (key is my_text_field and value is None)', ["t_layout"]),
    ('Task where custom_attributes any (key is my_text_field and value is_not None)',
     ["t_anim", "t_comp"]),
    ('Task where custom_attributes any (key is approved and value is True)', ["t_anim"]),
    ('Task where custom_attributes any (key is approved and value is false)', ["t_comp"]),
    ('Task where custom_attributes any (key is due and value after "2024-04-01")', ["t_anim"]),
    ('Task where custom_attributes any (key is due and value < "2024-05-01T12:00:00+02:00")',
     ["t_comp"]),
    ('Task where custom_attributes any (key is due and value is "2024-05-01T12:00:00+02:00")',
     ["t_anim"]),
    ('Task where custom_attributes.configuration.key is "approved"', ["t_anim", "t_comp"]),
    ("Task where custom_attributes.configuration.key is customNumber", []),
    ('Task where not custom_attributes any ()', ["t_fx"]),
])
def test_custom_attributes(storage, expression, expected):
    assert ids(storage, expression) == expected


def test_custom_attribute_value_types(storage):
    assert ids(storage, 'ContextCustomAttributeValue where configuration.key is "fstart"',
               key="entity_id") == ["sh010", "sh020"]
    assert ids(storage, "CustomAttributeValue where configuration.key is my_text_field",
               key="entity_id") == ["t_anim", "t_comp", "t_layout"]
    assert ids(storage, 'ContextCustomAttributeValue where key is "fstart" and value > 100',
               key="entity_id") == ["sh010"]
    # JSON values sort by their scalar text: "2024-05-01T10:00:00" < "bar" < "true".
    assert ids(storage, "CustomAttributeValue where entity_id is t_anim order by value",
               key="configuration_id") == ["c_due", "c_text", "c_flag"]
    assert ids(storage, "AssetCustomAttributeValue") == []
    # An attribute of the subtypes can filter the base type.
    assert ids(storage, "CustomAttributeValue where key is fstart",
               key="entity_id") == ["sh010", "sh020"]
    with pytest.raises(UnknownAttributeError, match='"nonsense" does not exist on type '
                                                    '"CustomAttributeValue"'):
        ids(storage, "CustomAttributeValue where nonsense is fstart")


# -- ancestors and descendants ------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ('Task where ancestors.name is "001"', ["t_anim", "t_comp", "t_layout"]),
    ('Task where ancestors any (id is "sh020")', ["t_layout"]),
    ('Task where ancestors any (name is "010" and bid > 5)', ["t_anim", "t_comp"]),
    # Projects are no typed contexts: they are not among the ancestors.
    ('TypedContext where ancestors any (name is "dev_tutorial")', []),
    ("TypedContext where not ancestors any ()", ["sq001", "sq002", "t_fx"]),
    ('Sequence where descendants any (name is "anim")', ["sq001"]),
    ('Project where descendants.name is "fx"', ["p2"]),
    ("Project where descendants any (name is '030')", ["p1"]),
    ("Shot where descendants any ()", ["sh010", "sh020"]),
    ('Task where ancestors.name is "001" and not ancestors any (name is "010")', ["t_layout"]),
    ('Task where ancestors any (descendants any (name is "fx"))', []),
    # sq001 is an ancestor of every task below it and has the layout task below it.
    ('Task where ancestors any (descendants any (name is "layout"))',
     ["t_anim", "t_comp", "t_layout"]),
    ('Shot where ancestors any (descendants any (name is "030"))', ["sh030"]),
    ("Sequence where descendants any (ancestors any (name is '002'))", ["sq002"]),
])
def test_lineage(storage, expression, expected):
    assert ids(storage, expression) == expected


# -- sub-queries ----------------------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ('Task where parent_id in (select id from Shot where name is "010")', ["t_anim", "t_comp"]),
    ('Task where parent.id in (select id from Shot where name is "010")', ["t_anim", "t_comp"]),
    ("Task where id in (select task_id from AssetVersion)", ["t_anim", "t_comp"]),
    # NULL task ids in the sub-query do not make not_in match nothing.
    ("Task where id not_in (select task_id from AssetVersion)", ["t_layout", "t_fx"]),
    ("Context where id in (select parent_id from Context where name is anim)", ["sh010"]),
    ("Context where id in (select asset.context_id from AssetVersion where version is 2)",
     ["sh010"]),
    ("Context where id in (select asset.parent.parent_id from AssetVersion)", ["sq001"]),
    ("Task where id in (select task_id from AssetVersion where user_id in "
     "(select id from User where username is john))", ["t_comp"]),
    ("Task where id in (select id from Task order by name descending limit 2)",
     ["t_layout", "t_fx"]),
    ("Task where id in (select id from Task offset 3)", ["t_fx"]),
    ("Task where status_id in (select id from Status where state.short is DONE)", ["t_anim"]),
])
def test_subqueries(storage, expression, expected):
    assert ids(storage, expression) == expected


def test_subquery_needs_one_projection(storage):
    query = ast.Query("Task", criteria=ast.Comparison(("id",), "in", ast.Query("Task")))
    with pytest.raises(ValidationError, match="exactly one"):
        ids(storage, query)
    with pytest.raises(ValidationError, match="exactly one"):
        ids(storage, "Task where id in (select id, name from Task)")
    with pytest.raises(ValidationError, match="children"):
        ids(storage, "Task where id in (select children.id from Task)")


# -- ordering and paging ---------------------------------------------------------------------

def test_default_order_is_insertion_order(storage):
    assert ids(storage, "Task") == TASKS
    assert ids(storage, "Task where bid > 0") == ["t_anim", "t_comp", "t_fx"]


@pytest.mark.parametrize("expression, expected", [
    # Text sorts by code point (upper case first), as SQLite and the C collation do.
    ("Task order by name", ["t_comp", "t_anim", "t_fx", "t_layout"]),
    ("Task order by name ascending", ["t_comp", "t_anim", "t_fx", "t_layout"]),
    ("Task order by name descending", ["t_layout", "t_fx", "t_anim", "t_comp"]),
    # NULLs last ascending, first descending.
    ("Task order by bid", ["t_comp", "t_anim", "t_fx", "t_layout"]),
    ("Task order by bid descending", ["t_layout", "t_fx", "t_anim", "t_comp"]),
    ("Task order by project_id descending, bid", ["t_fx", "t_comp", "t_anim", "t_layout"]),
    ("Task order by status.name", ["t_anim", "t_layout", "t_comp", "t_fx"]),
    ("Task order by status.state.short, name descending",
     ["t_anim", "t_layout", "t_fx", "t_comp"]),
    ("Task order by parent.name descending", ["t_fx", "t_layout", "t_anim", "t_comp"]),
    ("Task order by parent.id", ["t_fx", "t_anim", "t_comp", "t_layout"]),
    # Ties keep the insertion order.
    ("Task order by project_id", ["t_anim", "t_comp", "t_layout", "t_fx"]),
    ("Task where bid > 0 order by name descending", ["t_fx", "t_anim", "t_comp"]),
])
def test_ordering(storage, expression, expected):
    assert ids(storage, expression) == expected


def test_offset_and_limit_plus_one(storage):
    assert ids(storage, "Task limit 2") == ["t_anim", "t_comp", "t_layout"]
    assert ids(storage, "Task offset 1 limit 2") == ["t_comp", "t_layout", "t_fx"]
    assert ids(storage, "Task offset 3 limit 2") == ["t_fx"]
    assert ids(storage, "Task offset 4 limit 2") == []
    assert ids(storage, "Task offset 2") == ["t_layout", "t_fx"]
    assert ids(storage, "Task limit 0") == ["t_anim"]
    assert ids(storage, "Task order by name descending offset 1 limit 1") == ["t_fx", "t_anim"]


def test_pages_are_stable(storage):
    everything = ids(storage, "Context")
    pages = []
    for offset in range(0, len(everything), 3):
        pages.extend(ids(storage, "Context offset {0} limit 3".format(offset))[:3])
    assert pages == everything


def test_ordering_errors(storage):
    with pytest.raises(ValidationError, match="children"):
        ids(storage, "Task order by children.name")
    with pytest.raises(ValidationError, match="link"):
        ids(storage, "Task order by link")
    with pytest.raises(UnknownAttributeError):
        ids(storage, "Task order by nme")
    with pytest.raises(UnknownAttributeError, match='"budget" does not exist on type "Context"'):
        ids(storage, "Shot where children any (budget > 5)")


# -- errors ------------------------------------------------------------------------------------

def test_unknown_attribute(storage):
    with pytest.raises(UnknownAttributeError) as error:
        ids(storage, 'Task where nme is "x"')
    assert error.value.content == 'Attribute "nme" does not exist on type "Task".'
    with pytest.raises(UnknownAttributeError, match='"nme" does not exist on type "Status"'):
        ids(storage, 'Task where status.nme is "x"')
    with pytest.raises(UnknownAttributeError, match='"bogus" does not exist on type "Metadata"'):
        ids(storage, "Task where metadata any (bogus is 1)")


def test_unknown_entity_type(storage):
    with pytest.raises(UnknownEntityTypeError, match='"Tsk"'):
        ids(storage, "Tsk")
    with pytest.raises(UnknownEntityTypeError, match='"Tsk"'):
        ids(storage, "Task where id in (select id from Tsk)")


@pytest.mark.parametrize("expression, words", [
    ('Task where children is "x"', ['"children"', "collection", "any"]),
    ('Task where metadata is "x"', ['"metadata"', "collection"]),
    ('Task where link is "x"', ['"link"', "cannot be used in a query condition"]),
    ('Task where thumbnail_url is "x"', ['"thumbnail_url"', "cannot be used"]),
    ('Asset where latest_version.link is "x"', ['"link"', "cannot be used"]),
    ('Task where name.first is "x"', ['"name"', "not a relation"]),
    ('Task where name has (id is "x")', ['"name"', "not a relation"]),
])
def test_invalid_conditions(storage, expression, words):
    with pytest.raises(ValidationError) as error:
        ids(storage, expression)
    for word in words:
        assert word in error.value.content


# -- building blocks -----------------------------------------------------------------------------

def test_compile_criteria_inside_other_statements(storage):
    task = storage.schema.types["Task"]
    alias = storage.table(task).alias("t")
    condition = compile_criteria(storage, task, alias,
                                 parse("Task where status.state.short is DONE").criteria)
    statement = sa.select(sa.func.count()).select_from(alias).where(condition)
    with storage.engine.connect() as connection:
        assert connection.execute(statement).scalar() == 1
    assert compile_criteria(storage, task, alias, None) is not None


def test_ast_built_directly(storage):
    query = ast.Query(
        "Task",
        criteria=ast.Or((
            ast.Comparison(("name",), "=", ast.Literal("anim", quoted=True)),
            ast.Related(("parent",), "has", ast.Comparison(
                ("name",), "like", ast.Literal("0%", quoted=True))),
        )),
        order=(ast.Order(("name",), descending=True),),
        limit=1,
    )
    assert ids(storage, query) == ["t_layout", "t_anim"]


def test_statements_compile_for_postgresql(storage):
    expressions = [
        "Task where custom_attributes any (key is fstart and value > 10 and value is bar)",
        "Task where ancestors any (name is x) and descendants.name like 'a%'",
        "Task where scopes.name is rig and lists any () order by status.name descending",
        "Task where id not_in (select task_id from AssetVersion) limit 10",
    ]
    for expression in expressions:
        text = str(compile_select(storage, parse(expression)).compile(
            dialect=postgresql.dialect()))
        assert "SELECT" in text
    text = str(compile_select(storage, parse(expressions[0])).compile(
        dialect=postgresql.dialect()))
    assert "json_typeof" in text and "#>> '{}'" in text
