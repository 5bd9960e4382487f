"""A throwaway PostgreSQL cluster for the test run, started and stopped by the tests."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager


def _bin_dir() -> str:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found; run scripts/ensure-system-packages.sh")
    return os.path.dirname(candidates[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(*command: str) -> list[str]:
    # initdb and pg_ctl refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@contextmanager
def postgres_cluster():
    """Yield the URL prefix (without database name) of a fresh cluster on 127.0.0.1."""
    bin_dir = _bin_dir()
    data_dir = tempfile.mkdtemp(prefix="leadcrm-pg-")
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres(f"{bin_dir}/initdb", "-D", data_dir, "-A", "trust", "-U", "postgres", "--no-sync"),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
    subprocess.run(
        _as_postgres(
            f"{bin_dir}/pg_ctl", "-D", data_dir, "-o", options, "-w", "-l", f"{data_dir}/log", "start"
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_postgres(f"{bin_dir}/pg_ctl", "-D", data_dir, "-m", "immediate", "-w", "stop"),
            capture_output=True,
        )
        shutil.rmtree(data_dir, ignore_errors=True)
