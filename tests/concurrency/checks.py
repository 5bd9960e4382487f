"""What the tests verify after a load, read straight from the database (not through the app)."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

BACKEND = os.environ.get("LEADCRM_TEST_BACKEND", "sqlite")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@contextmanager
def database(database_url: str):
    """A connection of our own, outside the app and its pool."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def rows(database_url: str, sql: str, **params) -> list[tuple]:
    with database(database_url) as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def scalar(database_url: str, sql: str, **params):
    return rows(database_url, sql, **params)[0][0]


def open_loads(database_url: str) -> dict[int, int]:
    """Open contacts per operator id."""
    return dict(
        rows(
            database_url,
            "SELECT operator_id, count(*) FROM contacts WHERE operator_id IS NOT NULL"
            " AND status IN ('new', 'in_progress') GROUP BY operator_id",
        )
    )


def overshoot(database_url: str, limits: dict[int, int]) -> int:
    """Open contacts held beyond the limits, summed over operators."""
    loads = open_loads(database_url)
    return sum(max(0, loads.get(operator_id, 0) - limit) for operator_id, limit in limits.items())


def stored_contacts(database_url: str) -> dict[int, tuple[int | None, str]]:
    """contact id -> (operator id, external id of its lead)."""
    return {
        contact_id: (operator_id, external_id)
        for contact_id, operator_id, external_id in rows(
            database_url,
            "SELECT contacts.id, contacts.operator_id, leads.external_id"
            " FROM contacts JOIN leads ON leads.id = contacts.lead_id",
        )
    }


def lost_acknowledgements(database_url: str, answers) -> list:
    """The 201 answers whose contact is not stored as answered (id, operator, external id)."""
    stored = stored_contacts(database_url)
    lost = []
    for answer in answers:
        body = answer.json()
        if stored.get(body["id"]) != (body["operator_id"], body["lead"]["external_id"]):
            lost.append(body)
    return lost


def orphan_leads(database_url: str) -> int:
    return scalar(
        database_url,
        "SELECT count(*) FROM leads WHERE NOT EXISTS"
        " (SELECT 1 FROM contacts WHERE contacts.lead_id = leads.id)",
    )


def integrity_problems(database_url: str) -> list[str]:
    """SQLite's own integrity and foreign-key checks; on PostgreSQL, the same questions in SQL."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            problems = [] if problems == ["ok"] else problems
            problems += [repr(row) for row in connection.execute("PRAGMA foreign_key_check")]
        finally:
            connection.close()
        return problems
    dangling = scalar(
        database_url,
        "SELECT count(*) FROM contacts WHERE lead_id NOT IN (SELECT id FROM leads)"
        " OR (operator_id IS NOT NULL AND operator_id NOT IN (SELECT id FROM operators))",
    )
    return [f"{dangling} contacts point at missing rows"] if dangling else []


@dataclass(frozen=True)
class Figures:
    """One line of RELIABILITY.md: what a load did."""

    test: str
    requests: int
    overshoot: int
    server_errors: int
    lost: int
    requests_per_second: float
    p99_ms: float

    def report(self) -> None:
        line = json.dumps({"backend": BACKEND} | self.__dict__ | {
            "requests_per_second": round(self.requests_per_second),
            "p99_ms": round(self.p99_ms, 1),
        })
        ARTIFACTS.mkdir(exist_ok=True)
        with open(ARTIFACTS / f"concurrency-{BACKEND}.jsonl", "a") as handle:
            handle.write(line + "\n")
        print(f"\n[concurrency] {line}", flush=True)


def figures(test: str, result, *, overshoot: int = 0, lost: int = 0) -> Figures:
    """Print and keep (test-artifacts/concurrency-<backend>.jsonl) the figures of one load."""
    line = Figures(
        test=test,
        requests=len(result.answers),
        overshoot=overshoot,
        server_errors=len(result.server_errors),
        lost=lost,
        requests_per_second=result.requests_per_second(),
        p99_ms=result.percentile_ms(0.99),
    )
    line.report()
    return line

