"""SQL statements per request, counted in-process with a `before_cursor_execute` listener."""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event

from bench.databases import app_on


@dataclass
class StatementLog:
    statements: list[str] = field(default_factory=list)
    # When each statement was sent; with `ended`, the time from one statement to the next,
    # which includes fetching its rows (SQLite computes many of them during the fetch).
    started: list[float] = field(default_factory=list)
    ended: float = 0.0
    commits: int = 0

    @property
    def count(self) -> int:
        return len(self.statements)

    def slowest(self) -> tuple[float, str]:
        """(ms until the next statement or the end, statement) of the slowest statement."""
        if not self.statements:
            return 0.0, ""
        bounds = self.started[1:] + [self.ended]
        spans = [(end - start) * 1000 for start, end in zip(self.started, bounds, strict=True)]
        index = max(range(len(spans)), key=spans.__getitem__)
        return spans[index], self.statements[index]


@contextmanager
def counting_statements(engine):
    """Record every statement sent to the driver (and every COMMIT) on `engine` while inside."""
    log = StatementLog()

    def before_cursor_execute(_conn, _cursor, statement, _parameters, _context, _executemany):
        log.statements.append(" ".join(statement.split()))
        log.started.append(time.perf_counter())

    def commit(_conn):
        log.commits += 1

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    event.listen(engine, "commit", commit)
    try:
        yield log
    finally:
        log.ended = time.perf_counter()
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
        event.remove(engine, "commit", commit)


def post_contact(client, token: str, source_id: int, external_id: str):
    return client.post(
        "/api/v1/contacts/",
        json={
            "external_id": external_id,
            "source_id": source_id,
            "email": "lead@example.com",
            "name": "Bench lead",
            "message": "bench",
        },
        headers={"Authorization": f"Bearer {token}"},
    )


def statements_per_post(database_url: str, token: str, source_id: int) -> StatementLog:
    """The statements of one POST /api/v1/contacts/ with a new lead, after one warm-up POST
    (the warm-up takes the once-a-minute `last_used_at` write of the token)."""
    from webapp.extensions import db

    with app_on(database_url) as app:
        client = app.test_client()
        run = uuid.uuid4().hex[:12]
        response = post_contact(client, token, source_id, f"statement-count-warm-up-{run}")
        assert response.status_code == 201, response.get_data(as_text=True)
        with counting_statements(db.engine) as log:
            response = post_contact(client, token, source_id, f"statement-count-measured-{run}")
        assert response.status_code == 201, response.get_data(as_text=True)
        return log
