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
    assert "import exploded" in text
    assert "e_syntax_error.py" in text
    assert "g_register_not_callable.py" in text
    assert "f_not_python.txt" not in caplog.text


def _records(caplog):
    """Return ``(logger name, level, message)`` of the captured records."""
    return [
        (record.name, record.levelno, record.getMessage())
        for record in caplog.get_records("call")
    ]


def test_broken_plugin_records_warning_then_traceback(tmp_path, store, caplog):
    path = _write(tmp_path, "broken.py", "def broken(:\n")
    caplog.set_level(logging.DEBUG)

    ftrack_api.plugin.discover([str(tmp_path)])

    records = _records(caplog)
    assert len(records) == 2
    (warning_name, warning_level, warning), (debug_name, debug_level, debug) = records
    assert warning_name == debug_name == "ftrack_api.plugin.discover"
    assert warning_level == logging.WARNING
    assert warning.startswith('Failed to load plugin from "{0}": '.format(path))
    assert debug_level == logging.DEBUG
    assert debug.startswith("Traceback (most recent call last):")
    assert "SyntaxError" in debug


def test_plugin_raising_on_import_records_error_text(tmp_path, store, caplog):
    path = _write(tmp_path, "explodes.py", "raise ValueError('no luck')\n")
    caplog.set_level(logging.DEBUG)

    ftrack_api.plugin.discover([str(tmp_path)])

    records = _records(caplog)
    assert [level for _, level, _ in records] == [logging.WARNING, logging.DEBUG]
    assert records[0][2] == 'Failed to load plugin from "{0}": no luck'.format(path)
    assert "ValueError: no luck" in records[1][2]


@pytest.mark.parametrize(
    "source", ["VALUE = 1\n", "register = 'not callable'\n"], ids=["none", "value"]
)
def test_plugin_without_register_records_one_warning(tmp_path, store, caplog, source):
    path = _write(tmp_path, "no_register.py", source)
    caplog.set_level(logging.DEBUG)

    ftrack_api.plugin.discover([str(tmp_path)])

    assert _records(caplog) == [
        (
            "ftrack_api.plugin.discover",
            logging.WARNING,
            'Failed to load plugin that did not define a "register" function '
            "at the module level: {0}".format(path),
        )
    ]


CULLING = (
    "ftrack_api.plugin.discover",
    logging.WARNING,
    "Culling passed arguments to match register function signature.",
)


@pytest.mark.parametrize(
    "signature, positional, keyword, expected",
    [
        ("*args, **kwargs", ["s"], {"a": 1}, []),
        ("session, flag=False", ["s"], {"flag": True}, []),
        ("session", ["s"], {}, []),
        ("session", ["s", "extra"], {}, [CULLING]),
        ("session, flag=False", ["s"], {"flag": True, "other": 2}, [CULLING]),
        ("session, *args", ["s", "t"], {"other": 2}, [CULLING]),
        ("", ["s"], {"other": 2}, [CULLING]),
    ],
    ids=[
        "variable",
        "exact",
        "positional-only",
        "extra-positional",
        "extra-keyword",
        "varargs-extra-keyword",
        "no-parameters",
    ],
)
def test_register_signature_records(
    tmp_path, store, caplog, signature, positional, keyword, expected
):
    _write(tmp_path, "plugin.py", "def register({0}):\n    pass\n".format(signature))
    caplog.set_level(logging.DEBUG)

    ftrack_api.plugin.discover([str(tmp_path)], positional, keyword)

    assert _records(caplog) == expected


def test_successful_discovery_records_nothing(tmp_path, store, caplog):
    _recording(tmp_path, "valid.py", "valid")
    _recording(tmp_path / "nested", "other.py", "other")
    _write(tmp_path, "notes.txt", "not a plugin")
    caplog.set_level(logging.DEBUG)

    ftrack_api.plugin.discover(
        ["", "   ", str(tmp_path / "missing"), str(tmp_path)], ["session"]
    )

    assert len(store) == 2
    assert _records(caplog) == []


def test_register_exception_propagates(tmp_path, store):
    _write(
        tmp_path,
        "a_raises.py",
        """
        def register(*args, **kwargs):
            raise RuntimeError('register exploded')
        """,
    )
    _recording(tmp_path, "b_valid.py", "after")

    with pytest.raises(RuntimeError, match="register exploded"):
        ftrack_api.plugin.discover([str(tmp_path)])

    assert store == []


def test_discover_strips_whitespace_around_paths(tmp_path, store):
    _recording(tmp_path, "valid.py", "valid")
    ftrack_api.plugin.discover(["  {0}\n".format(tmp_path)])
    assert [name for name, _, _ in store] == ["valid"]


def test_discover_includes_hidden_files_and_folders(tmp_path, store):
    _recording(tmp_path, ".hidden.py", "hidden")
    _recording(tmp_path / ".folder", "inside.py", "inside")
    ftrack_api.plugin.discover([str(tmp_path)])
    assert sorted(name for name, _, _ in store) == ["hidden", "inside"]


def test_load_source_reads_any_extension(tmp_path):
    path = _write(tmp_path, "plugin.txt", "VALUE = 'text'\n")
    module = ftrack_api.plugin.load_source("_ftrack_test_text_module", path)
    try:
        assert module.VALUE == "text"
    finally:
        sys.modules.pop("_ftrack_test_text_module", None)


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
    assert "Culling passed arguments" in caplog.text


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
