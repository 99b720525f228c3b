"""What a snapshot takes: the ordered query steps derived from the schema, and the pools rows fill."""

import pytest

from ftrack_local import families
from ftrack_local.api.permissions import ACCOUNTS, SITE_CONFIGURATION
from ftrack_local.schema import load
from ftrack_local.snapshot import scope


@pytest.fixture(scope="module")
def schema():
    return load()


@pytest.fixture(scope="module")
def steps(schema):
    return scope.plan(schema)


def filled_by(schema, step):
    """The pools the rows a step reads add ids to."""
    return set(scope.pools_of(step.type_name)) | set(scope.reference_pools(schema.types[step.type_name]).values())


def test_every_pool_read_is_filled_by_earlier_steps_only(schema, steps):
    for index, step in enumerate(steps):
        if step.pool in (None, scope.PROJECTS, scope.EVERYTHING):
            continue
        fillers = [position for position, other in enumerate(steps)
                   if position != index and step.pool in filled_by(schema, other)]
        assert fillers, "nothing fills the pool {0!r} of {1}".format(step.pool, step.label)
        assert max(fillers) < index, "{0} runs before {1} fills {2!r}".format(
            step.label, steps[max(fillers)].label, step.pool)


def test_projects_are_read_by_id_before_anything_reads_their_pool(schema, steps):
    project_steps = [index for index, step in enumerate(steps) if step.type_name == "Project"]
    assert [steps[index] for index in project_steps] == [scope.Step("Project", "id", scope.PROJECTS)]
    readers = [index for index, step in enumerate(steps) if step.pool in ("Project", "Context")]
    assert readers and project_steps[0] < min(readers)
    # The project tree is read by project, not by the ids of other rows.
    for step in steps:
        if step.type_name in families.TYPED_CONTEXT_TYPES:
            assert (step.attribute, step.pool) == ("project_id", scope.PROJECTS)


def test_metadata_comes_last_and_reads_everything(steps):
    assert steps[-1] == scope.Step("Metadata", "parent_id", scope.EVERYTHING)
    assert [step for step in steps if step.pool == scope.EVERYTHING] == steps[-1:]


def test_no_step_is_planned_twice(steps):
    keys = [(step.type_name, step.attribute, step.pool) for step in steps]
    assert len(keys) == len(set(keys))


def test_site_configuration_is_taken_whole(schema, steps):
    whole = {step.type_name for step in steps if step.attribute is None}
    configuration = {name for name in scope.stored_types(schema) if name in SITE_CONFIGURATION}
    assert {"Status", "Priority", "ProjectSchema", "WorkflowSchema", "CustomAttributeConfiguration"} <= configuration
    assert configuration <= whole
    for step in steps:
        if step.type_name in configuration:
            assert step.attribute is None and step.pool is None, step


def test_accounts_are_taken_only_through_the_users_rows_reference(schema, steps):
    user_steps = [step for step in steps if step.type_name == "User"]
    assert user_steps == [scope.Step("User", "id", "refs:Resource")]
    for step in steps:
        if step.type_name in ACCOUNTS and step.type_name not in scope.WHOLE_TYPES:
            assert step.attribute is not None, "{0} is taken whole".format(step.type_name)
    for type_name, (attribute, pool) in scope.ACCOUNT_STEPS.items():
        assert scope.Step(type_name, attribute, pool) in steps
        # Rows read for a user add no references of their own.
        assert scope.reference_pools(schema.types[type_name]) == {}
    assert "refs:Resource" in scope.reference_pools(schema.types["AssetVersion"]).values()


def test_working_data_and_skipped_types_are_left_out(steps):
    taken = {step.type_name for step in steps}
    assert not taken & scope.SKIPPED
    assert not taken & {"Event", "Job", "Dashboard", "Conversation"}


def test_history_types_carry_the_since_attribute(steps):
    by_type = {}
    for step in steps:
        by_type.setdefault(step.type_name, set()).add(step.since)
    assert by_type["AssetVersion"] == {"date"}
    assert by_type["Note"] == {"date"}
    assert by_type["Timelog"] == {"start"}
    assert by_type["Shot"] == {None}
    assert by_type["Status"] == {None}


def test_a_cycle_between_steps_is_refused(schema):
    # Shots read by the ids of tasks and tasks by the ids of shots: neither can go first.
    cycle = [scope.Step("Shot", "id", "Task"), scope.Step("Task", "id", "Shot"), scope.Step("Status")]
    with pytest.raises(ValueError, match="cycle") as raised:
        scope.order(schema, cycle)
    assert "Shot by id" in str(raised.value) and "Task by id" in str(raised.value)


def test_order_keeps_the_given_order_where_it_can(schema):
    given = [scope.Step("Task", "id", "Shot"), scope.Step("Status"), scope.Step("Shot", "project_id", scope.PROJECTS)]
    assert scope.order(schema, given) == [given[1], given[2], given[0]]


def test_a_row_adds_its_own_id_to_its_lineage_and_the_ids_it_references(schema):
    pools = {}
    row_pools = scope.RowPools(schema)
    row_pools.add(pools, "Task", {"id": "t1", "created_by_id": "u1", "thumbnail_id": None, "parent_id": "s1"})
    assert pools == {"Task": {"t1"}, "TypedContext": {"t1"}, "Context": {"t1"}, scope.EVERYTHING: {"t1"},
                     "refs:Resource": {"u1"}}
    row_pools.add(pools, "Note", {"id": "n1", "user_id": "u2", "completed_by_id": "u1", "parent_id": "t1"})
    assert pools["refs:Resource"] == {"u1", "u2"}
    assert pools["Note"] == {"n1"}


def test_rows_without_an_id_key_add_only_their_references(schema):
    pools = {}
    row_pools = scope.RowPools(schema)
    row_pools.add(pools, "Metadata", {"parent_id": "t1", "key": "frames", "value": "1-10"})
    assert pools == {}
    row_pools.add(pools, "NoteComponent", {"note_id": "n1", "component_id": "c1"})
    assert pools == {"refs:Component": {"c1"}}
