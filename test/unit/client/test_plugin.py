"""Tests for :mod:`ftrack_api.plugin`."""

import logging
import os
import sys
import textwrap

import pytest

import ftrack_api.plugin


RECORDING_PLUGIN = """
import {store_module}

def register(*args, **kwargs):
    {store_module}.CALLS.append(({name!r}, args, kwargs))
"""


@pytest.fixture
def store(monkeypatch):
    """Return list receiving ``(name, args, kwargs)`` of register calls."""
    module = type(sys)("_ftrack_plugin_test_store")
    module.CALLS = []
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module.CALLS


def _write(directory, filename, source):
    path = os.path.join(str(directory), filename)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        os.makedirs(folder)
    with open(path, "w") as handle:
        handle.write(textwrap.dedent(source))
    return path


def _recording(directory, filename, name):
    return _write(
        directory,
        filename,
        RECORDING_PLUGIN.format(store_module="_ftrack_plugin_test_store", name=name),
    )


def test_discover_calls_register_with_arguments(tmp_path, store):
    _recording(tmp_path, "valid.py", "valid")
    ftrack_api.plugin.discover(
        [str(tmp_path)], positional_arguments=["session"], keyword_arguments={"a": 1}
    )
    assert store == [("valid", ("session",), {"a": 1})]


def test_discover_defaults_to_no_arguments(tmp_path, store):
    _recording(tmp_path, "valid.py", "valid")
    ftrack_api.plugin.discover([str(tmp_path)])
    assert store == [("valid", (), {})]


def test_discover_searches_recursively_in_order(tmp_path, store):
    _recording(tmp_path, "b.py", "b")
    _recording(tmp_path, "a.py", "a")
    _recording(tmp_path / "sub" / "deeper", "c.py", "c")
    ftrack_api.plugin.discover([str(tmp_path)])
    assert [name for name, _, _ in store] == ["a", "b", "c"]


def test_discover_multiple_paths(tmp_path, store):
    first = tmp_path / "first"
    second = tmp_path / "second"
    _recording(first, "one.py", "one")
    _recording(second, "two.py", "two")
    ftrack_api.plugin.discover([str(first), str(second)])
    assert [name for name, _, _ in store] == ["one", "two"]


def test_discover_skips_problem_plugins(tmp_path, store, caplog):
    _recording(tmp_path, "a_valid.py", "valid")
    _write(tmp_path, "b_no_register.py", "VALUE = 1\n")
    _write(
        tmp_path,
        "c_register_raises.py",
        """
        def register(*args, **kwargs):
            raise RuntimeError('register exploded')
        """,
    )
    _write(tmp_path, "d_import_error.py", "raise ValueError('import exploded')\n")
    _write(tmp_path, "e_syntax_error.py", "def broken(:\n")
    _write(tmp_path, "f_not_python.txt", "def register(): raise SystemExit\n")
    _write(tmp_path, "g_register_not_callable.py", "register = 5\n")
    _recording(tmp_path, "z_valid.py", "last")

    with caplog.at_level(logging.DEBUG, logger="ftrack_api.plugin"):
        ftrack_api.plugin.discover([str(tmp_path)], ["session"])

    assert [name for name, _, _ in store] == ["valid", "last"]

    warnings = [
        record for record in caplog.records if record.levelno == logging.WARNING
    ]
    text = "\n".join(record.getMessage() for record in warnings)
    assert "b_no_register.py" in text
    assert "register exploded" in text
    assert "import exploded" in text
    assert "e_syntax_error.py" in text
    assert "g_register_not_callable.py" in text
    assert "Traceback" in text
    assert "f_not_python.txt" not in caplog.text


def test_discover_skips_missing_and_empty_paths(tmp_path, store):
    _recording(tmp_path, "valid.py", "valid")
    ftrack_api.plugin.discover(
        [str(tmp_path / "missing"), "", None, str(tmp_path / "valid.py"), str(tmp_path)]
    )
    assert [name for name, _, _ in store] == ["valid"]


def test_discover_accepts_path_objects(tmp_path, store):
    _recording(tmp_path, "valid.py", "valid")
    ftrack_api.plugin.discover([tmp_path])
    assert len(store) == 1


def test_discover_reduces_arguments_to_signature(tmp_path, store, caplog):
    _write(
        tmp_path,
        "narrow.py",
        """
        import _ftrack_plugin_test_store

        def register(session, reticulate_splines=False):
            _ftrack_plugin_test_store.CALLS.append(
                ('narrow', (session,), {'reticulate_splines': reticulate_splines})
            )
        """,
    )
    with caplog.at_level(logging.WARNING, logger="ftrack_api.plugin"):
        ftrack_api.plugin.discover(
            [str(tmp_path)],
            positional_arguments=["session"],
            keyword_arguments={"reticulate_splines": True, "some_other_argument": 42},
        )

    assert store == [("narrow", ("session",), {"reticulate_splines": True})]
    assert "some_other_argument" in caplog.text


def test_discover_reduces_positional_arguments(tmp_path, store):
    _write(
        tmp_path,
        "no_args.py",
        """
        import _ftrack_plugin_test_store

        def register():
            _ftrack_plugin_test_store.CALLS.append(('no_args', (), {}))
        """,
    )
    ftrack_api.plugin.discover([str(tmp_path)], ["session"], {"x": 1})
    assert store == [("no_args", (), {})]


def test_discover_does_not_pass_keyword_filled_positionally(tmp_path, store):
    _write(
        tmp_path,
        "dupe.py",
        """
        import _ftrack_plugin_test_store

        def register(session, **kwargs):
            _ftrack_plugin_test_store.CALLS.append(('dupe', (session,), kwargs))
        """,
    )
    ftrack_api.plugin.discover([str(tmp_path)], ["s"], {"other": 1})
    assert store == [("dupe", ("s",), {"other": 1})]


def test_plugins_loaded_as_separate_modules(tmp_path, store):
    _write(
        tmp_path,
        "counter.py",
        """
        import _ftrack_plugin_test_store

        LOADS = []

        def register(*args, **kwargs):
            LOADS.append(1)
            _ftrack_plugin_test_store.CALLS.append(('counter', (__name__,), {'loads': len(LOADS)}))
        """,
    )
    ftrack_api.plugin.discover([str(tmp_path)])
    ftrack_api.plugin.discover([str(tmp_path)])

    assert [kwargs["loads"] for _, _, kwargs in store] == [1, 1]
    first_name = store[0][1][0]
    second_name = store[1][1][0]
    assert first_name != second_name
    assert first_name in sys.modules


def test_load_source(tmp_path):
    path = _write(tmp_path, "module_file.py", "VALUE = 42\n")
    module = ftrack_api.plugin.load_source("_ftrack_test_loaded_module", path)
    try:
        assert module.VALUE == 42
        assert module.__name__ == "_ftrack_test_loaded_module"
        assert sys.modules["_ftrack_test_loaded_module"] is module
    finally:
        sys.modules.pop("_ftrack_test_loaded_module", None)


def test_load_source_failure_cleans_up(tmp_path):
    path = _write(tmp_path, "bad.py", "raise ValueError('bad')\n")
    with pytest.raises(ValueError):
        ftrack_api.plugin.load_source("_ftrack_test_bad_module", path)
    assert "_ftrack_test_bad_module" not in sys.modules


def test_dataclass_in_plugin(tmp_path, store):
    _write(
        tmp_path,
        "with_dataclass.py",
        """
        import dataclasses
        import _ftrack_plugin_test_store

        @dataclasses.dataclass
        class Options:
            value: int = 1

        def register(*args, **kwargs):
            _ftrack_plugin_test_store.CALLS.append(('dc', (), {'value': Options().value}))
        """,
    )
    ftrack_api.plugin.discover([str(tmp_path)])
    assert store == [("dc", (), {"value": 1})]
