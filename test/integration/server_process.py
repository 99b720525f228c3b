"""Run ``python -m ftrack_local serve`` as a child process for tests that
need a server of its own: its memory use, several processes on one
database, or a server that must survive what a test does to it.

    with ServerProcess(tmp_path / "data") as server:
        requests.post(server.url + "/api", headers=server.headers, ...)
        server.rss_bytes()
"""

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

#: Seconds a server gets to print that it is serving.
START_TIMEOUT = 60.0
#: Seconds a server gets to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 15.0

_EXPORT = re.compile(r"^export (FTRACK_SERVER|FTRACK_API_USER|FTRACK_API_KEY)=(\S+)$")


class ServerProcess:
    """One ``ftrack_local serve`` child process on a free loopback port.

    *database* is a SQLAlchemy URL (default: SQLite in *data_dir*);
    *arguments* are extra ``serve`` options. Output goes to
    ``<data_dir>/../<name>.log`` so a failing test can show it.
    """

    def __init__(self, data_dir: Union[str, Path], database: Optional[str] = None,
                 arguments: Sequence[str] = (), name: str = "server",
                 environment: Optional[Dict[str, str]] = None):
        self.data_dir = Path(data_dir)
        self.database = database
        self.arguments = list(arguments)
        self.log_path = self.data_dir.parent / "{0}.log".format(name)
        self.environment = environment
        self.process: Optional[subprocess.Popen] = None
        self.url = ""
        self.api_user = ""
        self.api_key = ""

    @property
    def headers(self) -> Dict[str, str]:
        """The credential headers of the server's API user."""
        return {"ftrack-user": self.api_user, "ftrack-api-key": self.api_key,
                "Content-Type": "application/json"}

    def command(self) -> List[str]:
        """The command line that starts the server."""
        command = [sys.executable, "-m", "ftrack_local", "serve", "--port", "0",
                   "--data-dir", str(self.data_dir), "--log-level", "warning"]
        if self.database:
            command += ["--database", self.database]
        return command + self.arguments

    def start(self) -> "ServerProcess":
        """Start the process and wait until it serves (RuntimeError otherwise)."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        environment = dict(os.environ if self.environment is None else self.environment)
        environment.pop("FTRACK_API_KEY", None)
        environment["PYTHONUNBUFFERED"] = "1"
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
            env=environment)
        log.close()
        values = self._read_ready_text()
        self.url = values["FTRACK_SERVER"]
        self.api_user = values["FTRACK_API_USER"]
        self.api_key = values["FTRACK_API_KEY"]
        return self

    def _read_ready_text(self) -> Dict[str, str]:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        values: Dict[str, str] = {}
        buffer = b""
        while len(values) < 3:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None:
                self.stop()
                raise RuntimeError("The server did not start; its log:\n" + self.log_text())
            ready, _, _ = select.select([self.process.stdout], [], [], min(remaining, 0.5))
            if not ready:
                continue
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                continue
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                match = _EXPORT.match(line.decode("utf-8", "replace").strip())
                if match:
                    values[match.group(1)] = match.group(2).strip("'")
        return values

    def log_text(self) -> str:
        """What the server wrote to standard error so far."""
        try:
            return self.log_path.read_text("utf-8", "replace")
        except OSError:
            return ""

    def _status(self, field: str) -> int:
        """A ``/proc/<pid>/status`` memory field in bytes (Linux only)."""
        assert self.process is not None
        with open("/proc/{0}/status".format(self.process.pid), encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise KeyError(field)

    def rss_bytes(self) -> int:
        """The server's resident memory now."""
        return self._status("VmRSS")

    def peak_rss_bytes(self) -> int:
        """The most resident memory the server has had so far."""
        return self._status("VmHWM")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL); safe to call repeatedly."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def memory_measurable() -> bool:
    """Whether this platform reports process memory the way ServerProcess reads it."""
    return sys.platform.startswith("linux") and os.path.exists("/proc/self/status")
