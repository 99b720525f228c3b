"""Leases on background jobs, kept as files in the shared data directory.

Several server processes may share one database and one data directory
(see ``doc/local_server_processes.rst``). Each process runs the jobs it
accepted; when a process starts, or every so often, it fails the jobs left
queued or running by a process that is gone. A job is *held* while its
lease file is fresh: the holding process touches it every
``renew_interval`` seconds, and a file untouched for ``lifetime`` seconds —
or naming a process of this host that no longer runs — is stale.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from typing import Callable, Optional, Set

log = logging.getLogger(__name__)

#: Seconds a lease stays valid without being renewed.
LEASE_LIFETIME = 120.0
#: Seconds between renewals of the leases a process holds.
RENEW_INTERVAL = 30.0


class JobLeases:
    """The leases of this process in *directory*, renewed by a thread of its own.

    *on_renew* (optional) is called after each renewal round, from the
    renewal thread; the media encoder uses it to sweep up abandoned jobs.
    """

    def __init__(self, directory: str, lifetime: float = LEASE_LIFETIME,
                 renew_interval: float = RENEW_INTERVAL,
                 on_renew: Optional[Callable[[], None]] = None) -> None:
        self.directory = directory
        self.lifetime = lifetime
        self.renew_interval = renew_interval
        self.on_renew = on_renew
        os.makedirs(directory, exist_ok=True)
        #: Who holds a lease: host, process id and a token for this run.
        self.owner = "{0} {1} {2}".format(socket.gethostname(), os.getpid(),
                                          secrets.token_hex(8))
        self._held: Set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def _path(self, job_id: str) -> str:
        return os.path.join(self.directory, job_id.replace(os.sep, "_") + ".lease")

    def hold(self, job_id: str) -> None:
        """Take (or renew) the lease on *job_id* for this process."""
        path = self._path(job_id)
        temporary = "{0}.{1}".format(path, secrets.token_hex(4))
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(self.owner)
        os.replace(temporary, path)
        with self._lock:
            self._held.add(job_id)
        self._start()

    def release(self, job_id: str) -> None:
        """Stop renewing the lease on *job_id* (the job has ended).

        The file stays until it is long stale: a process that read the job
        as running just before it ended must still find it held.
        """
        with self._lock:
            self._held.discard(job_id)

    def is_held(self, job_id: str) -> bool:
        """Whether a live process holds *job_id* (this one included)."""
        path = self._path(job_id)
        try:
            age = time.time() - os.path.getmtime(path)
            with open(path, encoding="utf-8") as handle:
                owner = handle.read().strip()
        except (OSError, ValueError):
            return False
        if owner == self.owner:
            return True
        if age > self.lifetime:
            return False
        return not _gone_from_this_host(owner)

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._renew_loop, daemon=True,
                                            name="ftrack-local-job-leases")
            self._thread.start()

    def start(self) -> None:
        """Start renewing (and calling *on_renew*) even before a lease is held."""
        self._start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.renew_interval):
            with self._lock:
                held = list(self._held)
            now = time.time()
            for job_id in held:
                try:
                    os.utime(self._path(job_id), (now, now))
                except FileNotFoundError:
                    self.hold(job_id)
                except OSError as error:
                    log.warning("Could not renew the lease of job %s: %s", job_id, error)
            self._remove_stale(now)
            if self.on_renew is not None:
                try:
                    self.on_renew()
                except Exception:  # noqa: BLE001 - keep renewing
                    log.exception("Sweeping abandoned jobs failed")

    def _remove_stale(self, now: float) -> None:
        """Delete lease files nobody has renewed for twice their lifetime."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            path = os.path.join(self.directory, name)
            try:
                if now - os.path.getmtime(path) > 2 * self.lifetime:
                    os.unlink(path)
            except OSError:
                pass

    def close(self) -> None:
        """Stop renewing; leases still held go stale for other processes to sweep."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(5.0)


def _gone_from_this_host(owner: str) -> bool:
    """Whether *owner* names a process of this host that no longer runs."""
    parts = owner.split()
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return True  # an earlier run of this process id: our own owner differs
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False
