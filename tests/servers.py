"""Real WSGI servers (gunicorn) on 127.0.0.1 for browser and concurrency tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.postgres import free_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def wait_until_healthy(base_url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Poll /healthz until the server answers (a readiness check, not a sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{base_url} did not become healthy")


def kill_tree(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to the master and every worker at once (they share a process group)."""
    os.killpg(process.pid, sig)
    if sig == signal.SIGKILL:
        process.wait(timeout=10)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def gunicorn_server(
    database_url: str,
    *,
    workers: int = 2,
    env: dict | None = None,
    args: tuple = (),
    app_module: str = "wsgi:app",
):
    """Run `gunicorn wsgi:app` (or ``app_module``) on a free port; yields (base_url, process).

    The server's log goes to a file (a pipe nobody reads would fill up and stall
    it); ``process.log_path`` names it, for a failing test to show.
    """
    port = free_port()
    environment = os.environ | {"DATABASE_URL": database_url} | (env or {})
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [
            GUNICORN,
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "5",
            "--no-control-socket",
            *args,
            app_module,
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    process.log_path = log.name
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process)
        yield base_url, process
    finally:
        _stop(process)
        log.close()
        os.unlink(log.name)
