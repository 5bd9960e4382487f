"""Where an intake request's time goes: in-process cost beside the floors, and a cProfile of
intake grouped by package. No server, no network: the Flask test client in this process."""

from __future__ import annotations

import cProfile
import pstats
import time
from dataclasses import dataclass

from bench.databases import IntakeTarget, app_on
from bench.statements import post_contact

GROUPS = (
    ("database driver (sqlite3 / psycopg)", ("sqlite3", "psycopg")),
    ("SQLAlchemy", ("sqlalchemy",)),
    ("Flask / Werkzeug / Jinja", ("flask", "werkzeug", "jinja2", "itsdangerous", "markupsafe")),
    ("pydantic", ("pydantic",)),
    ("our code (webapp/)", ("/webapp/",)),
)


@dataclass(frozen=True)
class InProcessCosts:
    json_floor_ms: float
    commit_floor_ms: float
    intake_ms: float
    shares: dict[str, float]  # package group -> share of intake's profiled time


def _group(key, groups=GROUPS) -> str:
    filename, _line, name = key
    text = f"{filename} {name}".lower()
    for label, needles in groups:
        if any(needle in text for needle in needles):
            return label
    return "other (stdlib, json, hashlib, ...)"


def _per_request_ms(action, count: int) -> float:
    started = time.perf_counter()
    for number in range(count):
        action(number)
    return (time.perf_counter() - started) / count * 1000


def measure_in_process(target: IntakeTarget, requests: int) -> InProcessCosts:
    with app_on(target.database_url, with_floors=True) as app:
        client = app.test_client()

        def intake(number, prefix="inproc"):
            post_contact(client, target.token, target.source_id, f"{prefix}-{number}")

        _per_request_ms(lambda n: intake(n, "inproc-warm"), 20)
        json_ms = _per_request_ms(
            lambda n: client.post("/bench/floor/json", json={"external_id": n}), requests
        )
        commit_ms = _per_request_ms(
            lambda n: client.post("/bench/floor/commit", json={"external_id": n}), requests
        )
        intake_ms = _per_request_ms(intake, requests)
        profiler = cProfile.Profile()
        profiler.runcall(_per_request_ms, lambda n: intake(n, "inproc-profiled"), requests)
    return InProcessCosts(json_ms, commit_ms, intake_ms, _shares(pstats.Stats(profiler)))


def _shares(stats: pstats.Stats) -> dict[str, float]:
    totals: dict[str, float] = {}
    for key, (_cc, _nc, own_time, _cumulative, _callers) in stats.stats.items():
        totals[_group(key)] = totals.get(_group(key), 0.0) + own_time
    everything = sum(totals.values()) or 1.0
    return {label: seconds / everything for label, seconds in sorted(totals.items(), key=lambda kv: -kv[1])}
