"""Fixtures for the tests of :mod:`ftrack_local.api.writing`: an empty SQLite database and a batch on it."""

import pytest

from ftrack_local import schema as schema_module
from ftrack_local.api.writing.batch import Batch
from ftrack_local.storage import Storage

#: The request user of :func:`write_batch`.
WRITING_USER_ID = "0f5c1b3e-8a7d-4e8c-9b61-2d4f6a8c0e11"


@pytest.fixture(scope="module")
def writing_storage(tmp_path_factory):
    """A storage with every table and no rows, shared by a test module."""
    storage = Storage(schema_module.load(), "sqlite:///" + str(tmp_path_factory.mktemp("writing") / "db.sqlite"))
    storage.create_all()
    yield storage
    storage.dispose()


@pytest.fixture()
def write_batch(writing_storage):
    """A batch of :data:`WRITING_USER_ID` whose transaction is rolled back after the test."""
    with writing_storage.engine.connect() as connection:
        transaction = connection.begin()
        yield Batch(writing_storage, connection, user_id=WRITING_USER_ID)
        transaction.rollback()
