"""Load from a separate process: wrk with a Lua script (distinct external_id per request),
or, where wrk is missing (the smoke test), a small threaded generator of our own."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LUA_TEMPLATE = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%(auth)s
local prefix = "%(prefix)s"
local source_id = %(source_id)d
local counter = 0
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"external_id":"%%s-%%d-%%d","source_id":%%d,"email":"lead%%d@example.com",' ..
    '"name":"Bench lead","message":"bench"}',
    prefix, tid, counter, source_id, counter)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,' ..
    '"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def body_for(prefix: str, number: int, source_id: int) -> str:
    return json.dumps(
        {
            "external_id": f"{prefix}-{number}",
            "source_id": source_id,
            "email": f"lead{number}@example.com",
            "name": "Bench lead",
            "message": "bench",
        }
    )


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_load(
    base_url: str,
    path: str,
    *,
    token: str | None,
    source_id: int,
    concurrency: int,
    seconds: float,
    tool: str = "auto",
) -> LoadResult:
    """POST `path` for `seconds` at `concurrency` connections; every body a new external_id."""
    if tool == "auto":
        tool = "wrk" if have_wrk() else "python"
    runner = run_wrk if tool == "wrk" else run_python
    return runner(base_url, path, token=token, source_id=source_id, concurrency=concurrency, seconds=seconds)


def run_wrk(base_url, path, *, token, source_id, concurrency, seconds) -> LoadResult:
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    script = LUA_TEMPLATE % {"auth": auth, "prefix": uuid.uuid4().hex[:12], "source_id": source_id}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        threads = min(concurrency, 2)
        command = [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(concurrency),
            "-d",
            f"{max(seconds, 1):g}s",
            "--timeout",
            "5s",
            "-s",
            handle.name,
            base_url + path,
        ]
        output = subprocess.run(
            command, check=True, capture_output=True, text=True, timeout=seconds + 30
        ).stdout
    finally:
        Path(handle.name).unlink()
    line = next(line for line in output.splitlines() if line.startswith("WRK_RESULT "))
    data = json.loads(line.removeprefix("WRK_RESULT "))
    errors = sum(data[name] for name in ("connect", "read", "write", "status", "timeout"))
    return LoadResult(
        data["requests"],
        data["duration_us"] / 1e6,
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
        errors,
        "wrk",
    )


def run_python(base_url, path, *, token, source_id, concurrency, seconds) -> LoadResult:
    """The fallback generator: `concurrency` threads, one connection per request (like gunicorn sync)."""
    parts = urlsplit(base_url)
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    prefix = uuid.uuid4().hex[:12]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds

    def worker(number: int) -> None:
        sent = 0
        while time.monotonic() < deadline:
            sent += 1
            body = body_for(f"{prefix}-{number}", sent, source_id)
            begin = time.perf_counter()
            ok = _post(parts.hostname, parts.port, path, body, headers)
            elapsed = time.perf_counter() - begin
            with lock:
                latencies.append(elapsed)
                errors[0] += 0 if ok else 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return LoadResult(
        len(latencies),
        elapsed,
        _percentile(latencies, 50) * 1000,
        _percentile(latencies, 99) * 1000,
        errors[0],
        "python",
    )


def _post(host, port, path, body, headers) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return 200 <= response.status < 400
    except OSError:
        return False
    finally:
        connection.close()


def _percentile(sorted_values: list[float], percent: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(percent / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]
