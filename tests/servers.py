"""Real WSGI servers (gunicorn) on 127.0.0.1 for browser and concurrency tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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


@contextmanager
def gunicorn_server(database_url: str, *, workers: int = 2, env: dict | None = None, args: tuple = ()):
    """Run `gunicorn wsgi:app` on a free port; yields (base_url, process)."""
    port = free_port()
    environment = os.environ | {"DATABASE_URL": database_url} | (env or {})
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
            "wsgi:app",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process)
        yield base_url, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        process.stderr.close()
