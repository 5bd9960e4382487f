"""Helpers for the /api/v1 tests: problem documents and database snapshots."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.builders import make_operator, make_source
from webapp.extensions import db

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$")

# Every table a request could change, with the columns that identify its rows.
SNAPSHOT_TABLES = {
    "operators": "*",
    "sources": "*",
    "operator_source_weights": "*",
    "leads": "*",
    "contacts": "*",
    "idempotency_keys": "*",
    "assignments": "*",
    "lead_aliases": "*",
    "lead_merges": "*",
    "users": "*",
    # last_used_at moves when a token is first used: that is not a change a request asked for.
    "api_tokens": "id, name, token_hash, is_admin, source_id, revoked_at",
}


def assert_problem(response, status: int, *, field: str | None = None, detail: str | None = None) -> dict:
    """The response is an RFC 9457 problem document with this status (and field, detail text)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert field in [error["field"] for error in body.get("errors", [])], body
    if detail is not None:
        assert detail.lower() in body["detail"].lower(), body["detail"]
    return body


def snapshot() -> dict:
    """Every row of every application table, read on a fresh connection."""
    db.session.rollback()
    with db.engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT {columns} FROM {table} ORDER BY id")).all()
            for table, columns in SNAPSHOT_TABLES.items()
        }


@pytest.fixture
def unchanged():
    """Call the fixture's value around a failing request: ``with unchanged(): ...``."""

    class Unchanged:
        def __enter__(self):
            self.before = snapshot()

        def __exit__(self, *exc_info):
            if exc_info[0] is None:
                assert snapshot() == self.before

    return Unchanged


@pytest.fixture
def team(app):
    """Two active operators weighted on one source."""
    anna = make_operator("Anna", limit=5)
    boris = make_operator("Boris", limit=5)
    source = make_source("Telegram", weights={anna: 1, boris: 1})
    return {"anna": anna.id, "boris": boris.id, "source": source.id}
