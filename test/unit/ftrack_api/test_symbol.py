"""Tests for :mod:`ftrack_api.symbol`."""

import copy
import pickle

import pytest

import ftrack_api.symbol
from ftrack_api.symbol import Symbol


STATE_SYMBOLS = ["NOT_SET", "CREATED", "MODIFIED", "DELETED", "JOB_SYNC_USERS_LDAP"]


def test_not_set_is_falsy():
    assert not ftrack_api.symbol.NOT_SET
    assert bool(ftrack_api.symbol.NOT_SET) is False


@pytest.mark.parametrize("name", ["CREATED", "MODIFIED", "DELETED", "JOB_SYNC_USERS_LDAP"])
def test_other_symbols_are_truthy(name):
    assert getattr(ftrack_api.symbol, name)


def test_custom_value_controls_truth():
    assert Symbol("A")
    assert not Symbol("B", value=False)
    assert not Symbol("C", 0)


def test_str_and_repr():
    assert str(ftrack_api.symbol.NOT_SET) == "NOT_SET"
    assert repr(ftrack_api.symbol.NOT_SET) == "Symbol(NOT_SET)"
    assert str(ftrack_api.symbol.JOB_SYNC_USERS_LDAP) == "SYNC_USERS_LDAP"
    assert "{0}".format(ftrack_api.symbol.CREATED) == "CREATED"


def test_name_attribute():
    assert ftrack_api.symbol.MODIFIED.name == "MODIFIED"


def test_compared_by_identity():
    first = Symbol("SAME")
    second = Symbol("SAME")
    assert first == first
    assert first != second
    assert ftrack_api.symbol.CREATED != ftrack_api.symbol.MODIFIED
    assert len({ftrack_api.symbol.CREATED, ftrack_api.symbol.CREATED}) == 1


@pytest.mark.parametrize("name", STATE_SYMBOLS)
def test_copies_are_same_object(name):
    symbol = getattr(ftrack_api.symbol, name)
    assert copy.copy(symbol) is symbol
    assert copy.deepcopy(symbol) is symbol
    assert copy.deepcopy({"value": [symbol]})["value"][0] is symbol


@pytest.mark.parametrize("name", STATE_SYMBOLS)
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_keeps_singleton(name, protocol):
    symbol = getattr(ftrack_api.symbol, name)
    assert pickle.loads(pickle.dumps(symbol, protocol=protocol)) is symbol


def test_pickle_custom_symbol():
    symbol = Symbol("CUSTOM", False)
    restored = pickle.loads(pickle.dumps(symbol))
    assert isinstance(restored, Symbol)
    assert restored.name == "CUSTOM"
    assert not restored


def test_constant_values():
    assert ftrack_api.symbol.COMPONENT_ADDED_TO_LOCATION_TOPIC == (
        "ftrack.location.component-added"
    )
    assert ftrack_api.symbol.COMPONENT_REMOVED_FROM_LOCATION_TOPIC == (
        "ftrack.location.component-removed"
    )
    assert ftrack_api.symbol.ORIGIN_LOCATION_ID == "ce9b348f-8809-11e3-821c-20c9d081909b"
    assert ftrack_api.symbol.UNMANAGED_LOCATION_ID == (
        "cb268ecc-8809-11e3-a7e2-20c9d081909b"
    )
    assert ftrack_api.symbol.REVIEW_LOCATION_ID == "cd41be70-8809-11e3-b98a-20c9d081909b"
    assert ftrack_api.symbol.CONNECT_LOCATION_ID == (
        "07b82a97-8cf9-11e3-9383-20c9d081909b"
    )
    assert ftrack_api.symbol.SERVER_LOCATION_ID == "3a372bde-05bc-11e4-8908-20c9d081909b"


def test_chunk_size_default(monkeypatch):
    monkeypatch.delenv("FTRACK_API_FILE_CHUNK_SIZE", raising=False)
    assert ftrack_api.symbol._chunk_size() == 1024 * 1024


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2048", 2048), (" 10 ", 10), ("nonsense", 1024 * 1024), ("0", 1024 * 1024), ("", 1024 * 1024)],
)
def test_chunk_size_from_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("FTRACK_API_FILE_CHUNK_SIZE", raw)
    assert ftrack_api.symbol._chunk_size() == expected


def test_chunk_size_constant_is_integer():
    assert isinstance(ftrack_api.symbol.CHUNK_SIZE, int)
    assert ftrack_api.symbol.CHUNK_SIZE > 0
