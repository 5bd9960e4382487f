"""What migration 0020's triggers cost a new lead: INSERTs into leads with the shared-value
triggers on and off, interleaved, on each backend (inside one transaction, so the commit's
fsync does not drown the difference). Prints microseconds per INSERT and the ratio.

    .venv/bin/python -m bench.lead_triggers [--rows 3000] [--rounds 6]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.databases import database_factory
from bench.generate import _triggers_off

INSERT_LEAD = text(
    "INSERT INTO leads (external_id, phone, email, created_at) VALUES (:e, :p, :m, '2026-01-01')"
)


def _insert_leads(engine, rows: int, tag: str, triggers_on: bool) -> float:
    """Microseconds per INSERT of ``rows`` leads, each with a phone and an email of its own
    (``tag``: digits that make this run's values unique)."""
    with engine.begin() as connection:
        with nullcontext() if triggers_on else _triggers_off(connection, "leads", "leads_shared_%"):
            started = time.perf_counter()
            for number in range(rows):
                connection.execute(INSERT_LEAD, {
                    "e": f"{tag}-{number}", "p": f"+7{tag}{number:08d}",
                    "m": f"{tag}-{number}@example.com",
                })
            return (time.perf_counter() - started) / rows * 1e6


def measure(backend: str, rows: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as directory, database_factory(backend, Path(directory)) as factory:
        engine = create_engine(factory.new_migrated("lead_triggers"))
        times: dict[bool, list[float]] = {True: [], False: []}
        for round_number in range(rounds):
            for triggers_on in (True, False):
                tag = f"{round_number}{int(triggers_on)}"
                times[triggers_on].append(_insert_leads(engine, rows, tag, triggers_on))
        engine.dispose()
    on, off = statistics.median(times[True]), statistics.median(times[False])
    print(f"{backend}: {on:.0f} µs per INSERT with the triggers, {off:.0f} without "
          f"(median of {rounds} rounds of {rows}): {on - off:+.0f} µs, {on / off:.2f}×")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    arguments = parser.parse_args(argv)
    for backend in arguments.backends:
        measure(backend, arguments.rows, arguments.rounds)


if __name__ == "__main__":
    main()
