"""Job leases: which background jobs a live server process still holds."""

import os
import socket
import subprocess
import sys
import time

from ftrack_local.components.leases import JobLeases


def test_a_lease_of_a_running_process_of_the_host_is_held(tmp_path):
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "job-1.lease").write_text(
            "{0} {1} token".format(socket.gethostname(), running.pid))
        leases = JobLeases(str(tmp_path))
        assert leases.is_held("job-1")
        assert not leases.is_held("job-2")
    finally:
        running.kill()
        running.wait()


def test_this_process_holds_its_own_leases(tmp_path):
    leases = JobLeases(str(tmp_path))
    try:
        leases.hold("job-1")
        assert leases.is_held("job-1")
        assert (tmp_path / "job-1.lease").read_text() == leases.owner
    finally:
        leases.close()


def test_a_lease_of_a_process_that_has_ended_is_not_held(tmp_path):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    (tmp_path / "job-1.lease").write_text(
        "{0} {1} token".format(socket.gethostname(), ended.stdout.strip()))
    assert not JobLeases(str(tmp_path)).is_held("job-1")


def test_a_lease_of_an_earlier_run_with_this_process_id_is_not_held(tmp_path):
    (tmp_path / "job-1.lease").write_text(
        "{0} {1} earlier".format(socket.gethostname(), os.getpid()))
    assert not JobLeases(str(tmp_path)).is_held("job-1")


def test_a_fresh_lease_of_another_host_is_held_until_it_goes_stale(tmp_path):
    path = tmp_path / "job-1.lease"
    path.write_text("render-node-7 4242 token")
    leases = JobLeases(str(tmp_path), lifetime=60)
    assert leases.is_held("job-1")
    old = time.time() - 61
    os.utime(path, (old, old))
    assert not leases.is_held("job-1")


def test_renewal_keeps_a_lease_fresh_and_sweeps_stale_files(tmp_path):
    swept = []
    leases = JobLeases(str(tmp_path), lifetime=1.0, renew_interval=0.05,
                       on_renew=lambda: swept.append(True))
    stale = tmp_path / "gone.lease"
    stale.write_text("render-node-7 4242 token")
    old = time.time() - 10
    os.utime(stale, (old, old))
    try:
        leases.hold("job-1")
        held = tmp_path / "job-1.lease"
        os.utime(held, (old, old))
        deadline = time.monotonic() + 10
        while (stale.exists() or os.path.getmtime(held) < time.time() - 5) \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not stale.exists()
        assert os.path.getmtime(held) > time.time() - 5
        assert swept
    finally:
        leases.close()


def test_a_released_lease_stays_held_until_it_goes_stale(tmp_path):
    leases = JobLeases(str(tmp_path), lifetime=60)
    try:
        leases.hold("job-1")
        leases.release("job-1")
        # A process that read the job as running just before it ended must
        # still find the lease: the file stays, fresh, naming this process.
        assert leases.is_held("job-1")
        assert (tmp_path / "job-1.lease").read_text() == leases.owner
    finally:
        leases.close()
