"""The real background worker (`flask --app wsgi worker`) and a real Redis server, for tests.

Both are separate processes the test starts and stops; the worker's log goes to a file
the test can wait on ("Executing ..." marks a task that began).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from tests.postgres import free_port

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))


def wait_for(condition, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"):
    """Poll ``condition`` until it returns something truthy (a readiness check, not a sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Worker:
    def __init__(self, process: subprocess.Popen, log_path: str):
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 30.0) -> None:
        def seen():
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited ({self.process.returncode}):\n{self.log()}")
            return text in self.log()

        wait_for(seen, timeout, what=f"{text!r} in the worker's log")

    def kill(self) -> None:
        """kill -9: no cleanup, no graceful stop, whatever it was doing."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)  # huey's graceful stop
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@contextmanager
def worker_process(database_url: str, queue_file: str, *,
                   redis_url: str | None = None, env: dict | None = None):
    """Run `flask --app wsgi worker` on ``database_url`` with a tick every second."""
    environment = os.environ | {
        "DATABASE_URL": database_url,
        "WORKER_QUEUE_FILE": queue_file,
        "WORKER_TICK_SECONDS": "1",
        "SECRET_KEY": "worker-tests",
    }
    environment.pop("REDIS_URL", None)
    if redis_url:
        environment["REDIS_URL"] = redis_url
    environment |= env or {}
    log = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [FLASK, "--app", "wsgi", "worker"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = Worker(process, log.name)
    try:
        yield worker
    finally:
        worker.stop()
        log.close()
        os.unlink(log.name)


@contextmanager
def redis_server():
    """Debian's redis-server on a free port of 127.0.0.1, nothing saved; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found; run scripts/ensure-system-packages.sh")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        client = redis.Redis.from_url(url)

        def answers():
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        wait_for(answers, 10, what="redis-server to answer")
        client.close()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
