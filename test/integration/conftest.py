"""Run scenarios with the official ftrack client (``ftrack-python-api``
3.1.0 from PyPI) against the local server.

The official client lives in an interpreter of its own and is only driven
through the scripts in ``official/``: each reads its parameters as JSON on
stdin and prints one JSON object of observations as its last line.

``FTRACK_REFERENCE_PYTHON`` names an interpreter that already has the client.
Otherwise a virtual environment is kept at ``FTRACK_LOCAL_REFERENCE_VENV``
(default ``~/.cache/ftrack-local/reference-venv``) and built when missing.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REFERENCE_REQUIREMENT = "ftrack-python-api==3.1.0"
OFFICIAL_DIR = Path(__file__).parent / "official"
SCRIPT_TIMEOUT = 120
INSTALL_TIMEOUT = 900


def _venv_python(venv):
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _has_client(python):
    try:
        return subprocess.run(
            [str(python), "-c", "import ftrack_api"], env=_clean_env(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=SCRIPT_TIMEOUT).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _clean_env():
    """The environment without anything that could put another ftrack_api
    (e.g. this repository's) on the reference interpreter's path."""
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"):
        env.pop(name, None)
    env["PYTHONNOUSERSITE"] = "1"
    return env


class _FileLock:
    """An exclusive lock on *path* held between processes."""

    def __init__(self, path):
        self.path = path
        self.handle = None

    def __enter__(self):
        self.handle = open(self.path, "a+")
        if os.name == "nt":
            import msvcrt
            self.handle.seek(0)
            while True:
                try:
                    msvcrt.locking(self.handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    continue
        else:
            import fcntl
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc_info):
        if os.name == "nt":
            import msvcrt
            self.handle.seek(0)
            msvcrt.locking(self.handle.fileno(), msvcrt.LK_UNLCK, 1)
        self.handle.close()


def _build_venv(venv):
    """Create *venv* with the official client; return an error text or None.

    Built beside the target and renamed into place, so a broken or half
    finished build never sits at the final path.
    """
    building = venv.with_name(venv.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    steps = (
        [sys.executable, "-m", "venv", str(building)],
        [str(_venv_python(building)), "-m", "pip", "install",
         "--disable-pip-version-check", "--no-input", REFERENCE_REQUIREMENT],
    )
    for step in steps:
        try:
            result = subprocess.run(step, env=_clean_env(), text=True,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT,
                                    timeout=INSTALL_TIMEOUT)
        except (OSError, subprocess.SubprocessError) as error:
            shutil.rmtree(building, ignore_errors=True)
            return "{0}: {1}".format(" ".join(step), error)
        if result.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            return "{0} failed:\n{1}".format(" ".join(step),
                                             result.stdout[-1000:])
    shutil.rmtree(venv, ignore_errors=True)
    os.replace(str(building), str(venv))
    return None


@pytest.fixture(scope="session")
def reference_python():
    """Path of an interpreter with the official ftrack client 3.1.0."""
    given = os.environ.get("FTRACK_REFERENCE_PYTHON")
    if given:
        return given
    venv = Path(os.environ.get("FTRACK_LOCAL_REFERENCE_VENV")
                or "~/.cache/ftrack-local/reference-venv").expanduser().absolute()
    python = _venv_python(venv)
    if not _has_client(python):
        venv.parent.mkdir(parents=True, exist_ok=True)
        with _FileLock(str(venv) + ".lock"):
            if not _has_client(python):
                error = _build_venv(venv)
                if error is not None:
                    pytest.skip("cannot install the official client {0} "
                                "into {1} (no network?): {2}".format(
                                    REFERENCE_REQUIREMENT, venv, error))
            if not _has_client(python):
                pytest.skip("{0} cannot import ftrack_api".format(python))
    return str(python)


def _script_path(script):
    """*script* as a path: a file, a name in ``official/``, or script text
    (written to a temporary file)."""
    if isinstance(script, os.PathLike):
        return Path(script), None
    if "\n" not in script:
        for candidate in (Path(script), OFFICIAL_DIR / script,
                          OFFICIAL_DIR / (script + ".py")):
            if candidate.is_file():
                return candidate, None
    handle, path = tempfile.mkstemp(suffix=".py", prefix="official-")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(script)
    return Path(path), path


def run_reference(reference_python, server, script, **params):
    """Run *script* with the official client against *server*; return the
    JSON object printed on its last stdout line.

    The parameters go to the script as a JSON object on stdin. Unless
    *schema_cache_path* is given, each run gets a new schema cache directory
    (named by ``FTRACK_API_SCHEMA_CACHE_PATH``, which the scripts pass to
    their sessions).
    """
    path, temporary = _script_path(script)
    cache_dir = None
    if not params.get("schema_cache_path"):
        cache_dir = tempfile.mkdtemp(prefix="ftrack-schema-cache-")
        params["schema_cache_path"] = cache_dir
    env = _clean_env()
    env.update({
        "FTRACK_SERVER": server.url,
        "FTRACK_API_USER": server.api_user,
        "FTRACK_API_KEY": server.api_key,
        "FTRACK_API_SCHEMA_CACHE_PATH": params["schema_cache_path"],
        "FTRACK_EVENT_PLUGIN_PATH": "",
        "PYTHONPATH": str(OFFICIAL_DIR),
        "PYTHONIOENCODING": "utf-8",
    })
    try:
        result = subprocess.run(
            [reference_python, str(path)], input=json.dumps(params), env=env,
            text=True, encoding="utf-8", stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=SCRIPT_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        pytest.fail("{0} timed out after {1} s\n--- stdout\n{2}\n--- stderr\n"
                    "{3}".format(path.name, SCRIPT_TIMEOUT, error.stdout,
                                 error.stderr), pytrace=False)
    finally:
        if temporary:
            os.unlink(temporary)
        if cache_dir:
            shutil.rmtree(cache_dir, ignore_errors=True)
    output = "--- stdout\n{0}\n--- stderr\n{1}".format(result.stdout,
                                                      result.stderr)
    if result.returncode != 0:
        pytest.fail("{0} exited with {1}\n{2}".format(
            path.name, result.returncode, output), pytrace=False)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    try:
        observed = json.loads(lines[-1])
    except (IndexError, ValueError):
        pytest.fail("{0} printed no JSON result\n{1}".format(path.name, output),
                    pytrace=False)
    assert isinstance(observed, dict), output
    return observed


@pytest.fixture(scope="session", name="run_reference")
def run_reference_fixture():
    """The :func:`run_reference` helper, for tests."""
    return run_reference
