"""Tables, indexes and planner statistics of :mod:`ftrack_local.storage`."""

import uuid

import pytest
import sqlalchemy as sa

from ftrack_local import schema as schema_module
from ftrack_local.storage import Storage


@pytest.fixture(scope="module")
def schema():
    return schema_module.load()


def index_names(storage, table_name):
    return {index["name"] for index in sa.inspect(storage.engine).get_indexes(table_name)}


def test_reference_name_and_discriminator_columns_are_indexed(schema, tmp_path):
    storage = Storage(schema, "sqlite:///" + str(tmp_path / "db.sqlite"))
    storage.create_all()
    names = index_names(storage, "context")
    assert {"ix_context_parent_id", "ix_context_project_id", "ix_context_status_id",
            "ix_context_name", "ix_context__type", "ix_context_parent_project"} <= names
    assert "ix_asset_version_task_id" in index_names(storage, "asset_version")
    assert "ix_custom_attribute_value_entity_id" in index_names(storage, "custom_attribute_value")
    assert storage.missing_indexes() == []
    storage.dispose()


def test_reopening_an_older_database_adds_missing_indexes(schema, tmp_path):
    url = "sqlite:///" + str(tmp_path / "db.sqlite")
    storage = Storage(schema, url)
    storage.create_all()
    with storage.engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_context_name")
        connection.exec_driver_sql("DROP INDEX ix_asset_version_task_id")
    storage.dispose()

    reopened = Storage(schema, url)
    assert {index.name for index in reopened.missing_indexes()} == {
        "ix_context_name", "ix_asset_version_task_id"}
    assert reopened.create_all() is False
    assert "ix_context_name" in index_names(reopened, "context")
    assert "ix_asset_version_task_id" in index_names(reopened, "asset_version")
    assert reopened.create_missing_indexes() == []  # idempotent
    assert reopened.create_all() is False
    reopened.dispose()


def test_sqlite_statistics_make_key_lookups_use_the_key_index(schema, tmp_path):
    """Without statistics SQLite reads a whole subtype through the
    discriminator index to find a few rows by id; with them, the key index."""
    url = "sqlite:///" + str(tmp_path / "db.sqlite")
    storage = Storage(schema, url)
    storage.create_all()
    context = storage.tables["context"]
    rows = [{"_entity_type": "Task", "id": str(uuid.uuid4()), "name": "task_{0}".format(i),
             "context_type": "task"} for i in range(3000)]
    with storage.engine.begin() as connection:
        connection.execute(context.insert(), rows)
    storage.analyze()

    statement = sa.select(context).where(
        context.c.id.in_([row["id"] for row in rows[:40]]),
        context.c._entity_type.in_(["Task", "Shot"])).order_by(context.c._seq)
    compiled = statement.compile(storage.engine, compile_kwargs={"literal_binds": True})
    with storage.engine.connect() as connection:
        stats = connection.exec_driver_sql(
            "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'context'").scalar()
        plan = " ".join(row[3] for row in connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + str(compiled)))
    assert stats > 0
    assert "ix_context__type" not in plan, plan
    storage.dispose()


def test_sqlite_statistics_make_parent_lookups_use_the_parent_index(schema, tmp_path):
    """The discriminator's estimate is corrected after a bounded ANALYZE,
    also for connections opened before it."""
    url = "sqlite:///" + str(tmp_path / "db.sqlite")
    storage = Storage(schema, url)
    storage.create_all()
    context = storage.tables["context"]
    with storage.engine.connect() as early:  # reads the schema before the statistics exist
        early.exec_driver_sql("SELECT COUNT(*) FROM context").scalar()
        rows = [{"_entity_type": "Task", "id": str(uuid.uuid4()), "name": "task_{0}".format(i),
                 "parent_id": "shot_{0}".format(i // 5), "context_type": "task"}
                for i in range(5000)]
        early.execute(context.insert(), rows)
        early.commit()
    storage.analyze()
    statement = sa.select(context).where(
        context.c.parent_id.in_(["shot_{0}".format(i) for i in range(40)]),
        context.c._entity_type.in_(["Task", "Shot", "Sequence"])).order_by(context.c._seq)
    compiled = str(statement.compile(storage.engine, compile_kwargs={"literal_binds": True}))
    for _ in range(3):  # every pooled connection, old or new
        with storage.engine.connect() as connection:
            plan = " ".join(row[3] for row in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + compiled))
            # Either index starting with parent_id serves the look-up.
            assert "ix_context_parent_id" in plan or "ix_context_parent_project" in plan, plan
    storage.dispose()
