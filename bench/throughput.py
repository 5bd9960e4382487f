"""Intake throughput and latency beside the two floors, on one server, in one run."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

from bench.databases import DatabaseFactory, seed_intake
from bench.load import LoadResult, run_load
from bench.servers import gunicorn, memory_kib

FLOOR_JSON = "trivial JSON floor"
FLOOR_COMMIT = "one-commit floor"
INTAKE = "intake"
INTAKE_FEATURES = "intake, every source feature on"
ENDPOINTS = (
    (FLOOR_JSON, "/bench/floor/json"),
    (FLOOR_COMMIT, "/bench/floor/commit"),
    (INTAKE, "/api/v1/contacts/"),
    (INTAKE_FEATURES, "/api/v1/contacts/"),
)
# What the per-source features cost: the same intake to a second source that has them all on.
# The intake limit is the contract's highest (100,000 a minute): counted on every POST, never
# reached at these rates. The response timeout only schedules work for the worker; the webhook
# (to a port nobody listens on: no worker runs here) writes the outbox rows of every change.
EVERY_FEATURE = {
    "sticky_days": 30,
    "intake_per_minute": 100_000,
    "wait_target_minutes": 60,
    "response_timeout_minutes": 30,
}
WEBHOOK_URL = "http://127.0.0.1:9/hook"


def _add_webhook(database_url: str, source_id: int) -> None:
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()  # made for the run, never kept
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE sources SET webhook_url = :url, webhook_secret = :secret WHERE id = :id"),
            {"url": WEBHOOK_URL, "secret": secret, "id": source_id},
        )
    engine.dispose()


@dataclass
class ServerRun:
    backend: str
    workers: int
    # (concurrency, endpoint name) -> result
    results: dict[tuple[int, str], LoadResult] = field(default_factory=dict)
    worker_rss_kib: list[int] = field(default_factory=list)


def measure_server(
    factory: DatabaseFactory, workers: int, concurrencies, seconds: float, tool: str = "auto", rounds: int = 2
) -> ServerRun:
    """Serve a fresh database with `workers` workers; per concurrency, load each endpoint in turn.

    The three endpoints run one after the other, `rounds` times over, and each keeps its best
    round (highest req/s): other work on a shared machine only ever slows a run down, so the
    best of a few short interleaved runs is the steadiest estimate of what the server can do.
    """
    url = factory.new_migrated(f"bench_intake_w{workers}")
    default = seed_intake(url, operators=10)
    featured = seed_intake(url, operators=10, name="Featured", settings=EVERY_FEATURE)
    _add_webhook(url, featured.source_id)
    run = ServerRun(factory.backend, workers)

    def load(name, path, concurrency, duration):
        target = featured if name == INTAKE_FEATURES else default
        return run_load(
            server.base_url,
            path,
            token=target.token,
            source_id=target.source_id,
            concurrency=concurrency,
            seconds=duration,
            tool=tool,
        )

    with gunicorn(url, workers=workers) as server:
        for name, path in ENDPOINTS:  # warm every worker up: imports, pools, statement caches
            load(name, path, workers * 2, min(seconds, 1) / 2)
        for concurrency in concurrencies:
            for _round in range(rounds):
                for name, path in ENDPOINTS:
                    result = load(name, path, concurrency, seconds)
                    best = run.results.get((concurrency, name))
                    if best is None or result.rps > best.rps:
                        run.results[concurrency, name] = result
        run.worker_rss_kib = [memory_kib(pid)["VmRSS"] for pid in server.worker_pids()]
    return run
