"""``ftrack-local demo`` runs the tutorial flow end to end with our ftrack_api."""

import subprocess
import sys

import pytest


@pytest.mark.timeout(180)
@pytest.mark.slow
def test_demo_runs_the_tutorial(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "ftrack_local", "demo"], capture_output=True, text=True, timeout=170,
        cwd=str(tmp_path), env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("Started a throwaway ftrack-local server at http://127.0.0.1:")
    assert "Created project 'starlord' with 2 sequences, 6 shots and 12 tasks in one commit." in lines
    assert sum(1 for line in lines if line.strip().endswith("Not started")) == 6
    assert "Updated sq010_sh020: status 'Approved'." in lines
    assert ("A second session heard ftrack.update: Shot sq010_sh020 changed description, "
            "status_id.") in lines
    assert "Custom attribute 'fstart' of sq010_sh020: 1009; metadata: {'frame_padding': '4'}." in lines
    assert "Shots whose fstart is 1009: sq010_sh020." in lines
    assert "Link of sq010_sh020: starlord / sq010 / sq010_sh020." in lines
    assert ("Published version 1 of 'plate' on sq010_sh020 with a 2,023-byte file in "
            "ftrack.server; downloaded it back byte-identical.") in lines
    assert lines[-1] == "Stopped the server; its data dir has been removed."
    # Nothing went wrong behind the scenes either.
    assert "ERROR" not in completed.stderr and "Traceback" not in completed.stderr, (
        completed.stderr)
