"""The ``ftrack_local.testing`` pytest plugin without the server extra.

The plugin is registered through a ``pytest11`` entry point, so every pytest
run of an environment where the package is installed imports it. These tests
run pytest in a child interpreter where the server's dependencies cannot be
imported and check that only the tests using the server fixtures are hurt.
"""

import subprocess
import sys
import textwrap

import pytest

#: Run pytest with the server's third-party dependencies made unimportable.
RUNNER = textwrap.dedent("""
    import sys
    for name in ("aiohttp", "sqlalchemy"):
        sys.modules[name] = None
    import pytest
    sys.exit(pytest.main(sys.argv[1:]))
""")


def run_pytest(directory, *arguments):
    """Run pytest on *directory* with the server dependencies blocked."""
    return subprocess.run(
        [sys.executable, "-c", RUNNER, "-p", "ftrack_local.testing",
         "-p", "no:cacheprovider", "-q", "-rA", str(directory)] + list(arguments),
        cwd=str(directory), capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_plugin_imports_without_server_dependencies(tmp_path):
    (tmp_path / "test_plain.py").write_text(textwrap.dedent("""
        import ftrack_local.testing as testing


        def test_plain():
            assert "ftrack_local.server" not in __import__("sys").modules


        def test_names_still_importable():
            from ftrack_local.testing import (  # noqa: F401
                ApiClient, ApiClientError, database_url, running_server,
                start_server, throwaway_database)
    """))
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


@pytest.mark.slow
def test_server_fixture_fails_with_install_hint(tmp_path):
    (tmp_path / "test_server.py").write_text(textwrap.dedent("""
        def test_needs_server(ftrack_server):
            pass


        def test_needs_session(ftrack_session):
            pass


        def test_plain():
            pass
    """))
    result = run_pytest(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 passed, 2 errors" in result.stdout, output
    assert "ftrack-local server dependencies are not installed" in output
    assert "pip install 'ftrack-python-api[server]'" in output
    assert "missing module 'aiohttp'" in output


@pytest.mark.slow
def test_server_helpers_raise_clear_error(tmp_path):
    (tmp_path / "test_helpers.py").write_text(textwrap.dedent("""
        import pytest

        import ftrack_local.testing as testing


        def test_start_server(tmp_path):
            with pytest.raises(testing.ServerDependenciesMissing,
                               match="ftrack-python-api\\\\[server\\\\]"):
                testing.start_server(str(tmp_path))


        def test_running_server(tmp_path):
            with pytest.raises(ImportError, match="not installed"):
                with testing.running_server(str(tmp_path)):
                    pass


        def test_local_server_attribute():
            with pytest.raises(testing.ServerDependenciesMissing):
                testing.LocalServer


        def test_unknown_attribute():
            with pytest.raises(AttributeError):
                testing.no_such_name
    """))
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_local_server_attribute_resolves_with_server_installed():
    import ftrack_local.testing as testing
    from ftrack_local.server import LocalServer

    assert testing.LocalServer is LocalServer
