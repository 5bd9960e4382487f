"""The what-if simulator on a source with 100,000 contacts in 30 days: how long one answer takes.

Times ``POST /api/v1/sources/{id}/simulate`` (the whole request through the Flask test
client, in process) and the replay alone, best of a few runs; the target is under a
second. Measured and reported, never asserted.

    .venv/bin/python -m bench.simulate            # 100,000 contacts on a fresh SQLite file
    .venv/bin/python -m bench.simulate --contacts 2000
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.databases import DatabaseFactory, add_operators, app_on
from bench.generate import _insert, _timestamp_writer

OPERATORS = 20
DAYS = 30


@dataclass(frozen=True)
class SimulationTiming:
    contacts: int
    operators: int
    days: int
    request_seconds: float
    request_cpu_seconds: float  # the process's CPU time: what another busy process cannot inflate
    replay_seconds: float
    waited: int


def fill_traffic(database_url: str, contacts: int, *, seed: int = 3) -> tuple[int, list[int]]:
    """A source with OPERATORS weighted operators and ``contacts`` contacts over the last DAYS days,
    each with its intake record; about half closed within hours. Returns (source id, operator ids)."""
    from webapp import directory
    from webapp.database import write_transaction
    from webapp.extensions import db

    rng = random.Random(seed)
    with app_on(database_url):
        operator_ids = add_operators(db.session, OPERATORS, prefix="Simulated", limit=40)
        with write_transaction(db.session):
            source = directory.create_source(db.session, "Simulated traffic")
            weights = [(op, rng.randint(1, 5)) for op in operator_ids]
            directory.replace_weights(db.session, source.id, weights)
        source_id = source.id
    engine = create_engine(database_url)
    stamp = _timestamp_writer(engine.dialect.name)
    now = datetime.now(UTC).replace(tzinfo=None)
    start = now - timedelta(days=DAYS) + timedelta(minutes=1)  # inside the window of a request a moment later
    step = (DAYS * 86400 - 120) / contacts  # all of them a minute inside the window, none in the future
    with engine.begin() as connection:
        _insert(connection, "leads", ("external_id", "created_at"),
                ((f"sim-{n}", stamp(start)) for n in range(contacts)))
        lead_ids = connection.execute(
            text("SELECT id FROM leads WHERE external_id LIKE 'sim-%' ORDER BY id")).scalars().all()
        rows = []
        for number, lead_id in enumerate(lead_ids):
            created = start + timedelta(seconds=number * step)
            closed = created + timedelta(minutes=rng.randrange(5, 600))
            closed = closed if closed < now else None  # the last hours' contacts are still open
            operator_id = rng.choice(operator_ids)
            status = "closed" if closed else "new"
            rows.append((lead_id, source_id, operator_id, status, stamp(created), stamp(created),
                         closed and stamp(closed)))
        columns = ("lead_id", "source_id", "operator_id", "status", "created_at", "assigned_at", "closed_at")
        _insert(connection, "contacts", columns, rows)
        connection.execute(text(
            "INSERT INTO assignments (contact_id, at, \"trigger\", rule, actor_kind, actor_name, "
            "operator_id, forced, candidates) SELECT id, created_at, 'intake', 'weighted', 'system', "
            "'bench', operator_id, false, '[]' FROM contacts WHERE source_id = :source"),
            {"source": source_id})
    engine.dispose()
    return source_id, operator_ids


def measure_simulation(database_url: str, source_id: int, operator_ids: list[int], repeats: int = 3):
    """Best of ``repeats``: the whole API request, and the replay alone (the rows already read)."""
    from webapp import simulator
    from webapp.database import write_transaction
    from webapp.extensions import db
    from webapp.tokens import create_token

    weights = [{"operator_id": op, "weight": 1 + index % 3} for index, op in enumerate(operator_ids)]
    with app_on(database_url) as app:
        with write_transaction(db.session):
            _row, token = create_token(db.session, "bench admin", is_admin=True)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        request_best = request_cpu = replay_best = float("inf")
        for _ in range(repeats):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.post(f"/api/v1/sources/{source_id}/simulate", headers=headers,
                                   json={"weights": weights, "days": DAYS})
            request_best = min(request_best, time.perf_counter() - started)
            request_cpu = min(request_cpu, time.process_time() - started_cpu)
            assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        start, end = simulator.window(DAYS)
        traffic, _holdings = simulator.load_traffic(db.session, source_id, start, end)
        limits = simulator.real_limits(db.session, operator_ids)
        for _ in range(repeats):
            started = time.perf_counter()
            sandbox = {w["operator_id"]: w["weight"] for w in weights}
            simulator.replay(traffic, sandbox, limits, random.Random(1))
            replay_best = min(replay_best, time.perf_counter() - started)
    return SimulationTiming(
        body["contacts"], len(operator_ids), DAYS, request_best, request_cpu, replay_best, body["waited"]
    )


def simulation_section(timing: SimulationTiming) -> list[str]:
    verdict = "within" if timing.request_seconds < 1 else "OVER"
    return [
        "## 6. What-if simulator",
        "",
        f"`POST /api/v1/sources/{{id}}/simulate` over {timing.days} days of a source with "
        f"{timing.contacts:,} contacts and {timing.operators} operators (SQLite, in process, best of 3):",
        "",
        "| whole request | its CPU time | replay alone | contacts that waited |",
        "| ---: | ---: | ---: | ---: |",
        f"| {timing.request_seconds * 1000:.0f} ms | {timing.request_cpu_seconds * 1000:.0f} ms "
        f"| {timing.replay_seconds * 1000:.0f} ms | {timing.waited:,} |",
        "",
        f"Target: under a second ({verdict}; the CPU time is what the request itself costs when the "
        "machine is shared).",
        "",
    ]


def run_simulation_bench(factory: DatabaseFactory, contacts: int):
    """(timing, report lines) on a new database of ``factory`` with ``contacts`` contacts."""
    url = factory.new_migrated("bench_simulate")
    source_id, operator_ids = fill_traffic(url, contacts)
    timing = measure_simulation(url, source_id, operator_ids)
    return timing, simulation_section(timing)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Time the what-if simulator.")
    parser.add_argument("--contacts", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="leadcrm-simulate-") as tmp:
        _timing, lines = run_simulation_bench(DatabaseFactory("sqlite", Path(tmp)), args.contacts)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
