"""Tests for :mod:`ftrack_api.logging`."""

import logging
import warnings

import pytest

import ftrack_api.logging
from ftrack_api.logging import LazyLogMessage


def test_lazy_message_formats_on_str():
    message = LazyLogMessage("{0} and {name}", "first", name="second")
    assert str(message) == "first and second"


def test_lazy_message_defers_formatting():
    calls = []

    class Expensive(object):
        def __format__(self, spec):
            calls.append(spec)
            return "expensive"

    message = LazyLogMessage("value: {0}", Expensive())
    assert calls == []
    assert str(message) == "value: expensive"
    assert calls == [""]


def test_lazy_message_not_formatted_when_level_disabled(caplog):
    calls = []

    class Expensive(object):
        def __format__(self, spec):
            calls.append(spec)
            return "expensive"

    logger = logging.getLogger("ftrack_api.test.lazy")
    with caplog.at_level(logging.INFO, logger="ftrack_api.test.lazy"):
        logger.debug(LazyLogMessage("value: {0}", Expensive()))
        assert calls == []
        logger.info(LazyLogMessage("value: {0}", Expensive()))

    assert "value: expensive" in caplog.text


def test_lazy_message_with_bad_template_never_raises():
    message = LazyLogMessage("missing {0} {name}")
    text = str(message)
    assert "missing {0} {name}" in text


def test_deprecation_warning_decorator():
    @ftrack_api.logging.deprecation_warning("Use something else.")
    def old(value, extra=1):
        """Old function."""
        return value + extra

    with pytest.warns(PendingDeprecationWarning, match="Use something else."):
        assert old(1, extra=2) == 3

    assert old.__name__ == "old"
    assert old.__doc__ == "Old function."


def test_deprecation_warning_points_at_caller():
    @ftrack_api.logging.deprecation_warning("Old.")
    def old():
        return None

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old()

    assert len(caught) == 1
    assert caught[0].filename == __file__


def test_deprecation_warning_on_method():
    class Thing(object):
        @ftrack_api.logging.deprecation_warning("Thing.old is deprecated.")
        def old(self):
            return "result"

    with pytest.warns(PendingDeprecationWarning):
        assert Thing().old() == "result"
