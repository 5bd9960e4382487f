"""gunicorn serving bench.floor_app on 127.0.0.1, and the memory of its workers."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.postgres import free_port
from tests.servers import GUNICORN, ROOT, wait_until_healthy

# The floors and the app are served by the same process with the same settings.
WSGI_TARGET = "bench.floor_app:app"


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen

    def worker_pids(self) -> list[int]:
        return worker_pids(self.process.pid)


def _wait_for_workers(master_pid: int, workers: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while len(worker_pids(master_pid)) < workers and time.monotonic() < deadline:
        time.sleep(0.05)


@contextmanager
def gunicorn(database_url: str, *, workers: int, env: dict | None = None):
    """Serve the bench app with `workers` sync workers; yields a Server."""
    port = free_port()
    environment = os.environ | {"DATABASE_URL": database_url} | (env or {})
    command = [
        GUNICORN,
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--graceful-timeout",
        "5",
        "--timeout",
        "120",
        "--no-control-socket",
        WSGI_TARGET,
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process)
        _wait_for_workers(process.pid, workers)
        yield Server(base_url, process)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    process.stderr.close()


def worker_pids(master_pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return []
    return sorted(int(pid) for pid in children)


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak since start) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values
