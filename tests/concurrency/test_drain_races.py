"""The backlog drains itself under load, and the intake limit holds across workers.

Real gunicorn with four workers on this run's backend (SQLite or PostgreSQL). The drain
that activating an operator starts runs in the request that activated them, in another
worker each time, through the same locks as the intake (distribution.assign_waiting).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.builders import committed
from tests.concurrency.checks import figures, open_loads, overshoot, rows, scalar, stored_contacts
from tests.concurrency.conftest import SERVER_ENV, contact_call, external_ids, wait_for
from tests.concurrency.harness import Call, Load
from tests.servers import gunicorn_server
from webapp import directory
from webapp.extensions import db

pytestmark = pytest.mark.concurrency

WAITING_BEFORE = 120  # contacts waiting while every operator is off
BOT_POSTS = 120  # posted while two managers switch the operators on
WORKERS = 4
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def activations(operator_ids: list[int]):
    return [Call("PUT", f"/api/v1/operators/{op}/status", {"status": "active"}) for op in operator_ids]


def test_two_managers_freeing_capacity_while_bots_post(scenario):
    url_db = scenario.database_url
    operators = sorted(scenario.limits)
    for operator_id in operators:
        committed(directory.set_operator_status, operator_id, "inactive")
    posted: list[int] = []

    def remember(answer):
        if answer.status == 201:
            posted.append(answer.json()["id"])

    early = [contact_call(f"early-{n}") for n in range(WAITING_BEFORE)]
    late = [contact_call(external_id) for external_id in external_ids(BOT_POSTS, 0.2, seed=12)]
    db.session.remove()
    with gunicorn_server(url_db, workers=WORKERS, env=SERVER_ENV) as (url, _process):
        assert Load([url], early, scenario.bot_token, threads=8).run().statuses() == {201: WAITING_BEFORE}
        assert scalar(url_db, "SELECT count(*) FROM contacts WHERE operator_id IS NULL") == WAITING_BEFORE
        bots = Load([url], late, scenario.bot_token, threads=16, on_answer=remember)
        bot_thread = threading.Thread(target=lambda: setattr(bots, "result", bots.run()))
        bot_thread.start()
        wait_for(lambda: len(posted) >= 10, timeout=30)
        # Two managers, each switching on half of the operators, at the same moment.
        managers = [
            Load([url], activations(half), scenario.admin_token, threads=len(half))
            for half in (operators[0::2], operators[1::2])
        ]
        threads = [threading.Thread(target=lambda m=m: setattr(m, "result", m.run())) for m in managers]
        for thread in threads:
            thread.start()
        for thread in (*threads, bot_thread):
            thread.join()
    for manager in managers:
        assert manager.result.statuses() == {200: len(operators) // 2}
    assert bots.result.statuses() == {201: BOT_POSTS}
    drained = scalar(url_db, "SELECT count(*) FROM assignments WHERE \"trigger\" = 'drain'")
    # What no event covered (a contact committed after the drain had read the backlog): the sweep.
    sweep = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "sweep"],
        env=os.environ | {"DATABASE_URL": url_db} | SERVER_ENV, cwd=PROJECT_ROOT,
        capture_output=True, text=True, check=True,
    )
    figures("drain-race/bots", bots.result, overshoot=overshoot(url_db, scenario.limits))

    assert drained > 0, "no drain ran: the test proves nothing"
    assert overshoot(url_db, scenario.limits) == 0, open_loads(url_db)
    assert "Sweep assigned" in sweep.stdout
    stored = stored_contacts(url_db)
    assert len(stored) == WAITING_BEFORE + BOT_POSTS  # fewer than the capacity: all can be assigned
    assert [contact_id for contact_id, (operator, _s) in stored.items() if operator is None] == []
    given_twice = rows(
        url_db,
        "SELECT contact_id FROM assignments WHERE operator_id IS NOT NULL"
        " GROUP BY contact_id HAVING count(*) > 1",
    )
    assert given_twice == []


LIMIT_PER_MINUTE = 40
FLOOD = 240


def test_the_intake_limit_holds_across_four_workers(scenario):
    url_db = scenario.database_url
    committed(directory.update_source, scenario.source_id, {"intake_per_minute": LIMIT_PER_MINUTE})
    db.session.remove()
    calls = [contact_call(f"flood-{n}") for n in range(FLOOD)]
    with gunicorn_server(url_db, workers=WORKERS, env=SERVER_ENV) as (url, _process):
        result = Load([url], calls, scenario.bot_token, threads=16).run()
    figures("intake-limit/bots", result)

    assert result.seconds < 55, "the flood outlasted the minute: the bound below would not apply"
    statuses = result.statuses()
    assert set(statuses) == {201, 429}, statuses
    # Exact on SQLite (one writer at a time); on PostgreSQL each worker's transaction in
    # flight may count before another's commit: at most one more per worker (RELIABILITY.md).
    assert LIMIT_PER_MINUTE <= statuses[201] <= LIMIT_PER_MINUTE + WORKERS
    assert len(stored_contacts(url_db)) == statuses[201]  # a 429 stored nothing
    assert all(1 <= int(a.headers["Retry-After"]) <= 60 for a in result.with_status(429))
