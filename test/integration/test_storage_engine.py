"""Settings each database connection of the server gets."""

import sqlalchemy as sa

import pytest

from ftrack_local.storage import create_engine
from ftrack_local.testing import database_url, throwaway_database


def test_sqlite_connections_use_wal(tmp_path):
    engine = create_engine("sqlite:///" + str(tmp_path / "data.sqlite"))
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_postgresql_connections_prefer_index_look_ups():
    url = database_url()
    if not url or not url.startswith("postgresql"):
        pytest.skip("runs with FTRACK_LOCAL_DATABASE_URL naming a PostgreSQL server")
    with throwaway_database(url) as throwaway:
        engine = create_engine(throwaway)
        try:
            for _ in range(2):  # a fresh connection and one from the pool
                with engine.connect() as connection:
                    setting = connection.execute(sa.text("SHOW random_page_cost")).scalar()
                    assert float(setting) == pytest.approx(1.1)
                    connection.rollback()
        finally:
            engine.dispose()
