"""Issue 4, tests 6-8: a killed server tree, recycled and reloaded workers, a lock held too long."""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from tests.concurrency.checks import (
    figures,
    integrity_problems,
    lost_acknowledgements,
    orphan_leads,
    overshoot,
    rows,
    scalar,
)
from tests.concurrency.conftest import CONTACTS_PATH, SERVER_ENV, contact_call, wait_for
from tests.concurrency.harness import Load
from tests.servers import gunicorn_server, kill_tree

pytestmark = pytest.mark.concurrency

KEYED_POSTS = 3000


def _run_in_background(load: Load) -> threading.Thread:
    thread = threading.Thread(target=lambda: setattr(load, "result", load.run()))
    thread.start()
    return thread


def _count_acknowledged(counter: list):
    def count(answer):
        if answer.status is not None:
            counter.append(answer.status)

    return count


def test_sigkill_mid_load_then_replay_with_the_same_keys(scenario):
    url_db = scenario.database_url
    calls = [contact_call(f"crash-{n}", key=f"crash-key-{n}") for n in range(KEYED_POSTS)]
    answered: list[int] = []
    with gunicorn_server(url_db, workers=4, env=SERVER_ENV) as (url, process):
        load = Load([url], calls, scenario.bot_token, threads=64, request_timeout=10,
                    on_answer=_count_acknowledged(answered))
        started = time.monotonic()
        thread = _run_in_background(load)
        # Two seconds into the load (and with some answers in, on a slow machine).
        wait_for(lambda: time.monotonic() - started >= 2.0 and len(answered) >= 50, timeout=30)
        kill_tree(process, signal.SIGKILL)
        thread.join()
    first = load.result
    acknowledged = first.with_status(201)
    lost = lost_acknowledgements(url_db, acknowledged)
    problems = integrity_problems(url_db)
    stored = scalar(url_db, "SELECT count(*) FROM contacts")
    figures("sigkill/before-restart", first, lost=len(lost))

    assert first.unanswered, "the kill came after the load: nothing was interrupted"
    assert set(first.statuses()) <= {201, None}
    assert lost == []  # every acknowledged contact is stored
    assert problems == []
    assert orphan_leads(url_db) == 0
    assert scalar(url_db, "SELECT count(*) FROM idempotency_keys WHERE status_code = 201") == stored

    with gunicorn_server(url_db, workers=4, env=SERVER_ENV) as (url, _process):
        replay = Load([url], calls, scenario.bot_token, threads=64).run()
    figures("sigkill/replay", replay, overshoot=overshoot(url_db, scenario.limits))

    assert replay.statuses() == {201: KEYED_POSTS}
    first_bodies = {answer.call.tag: answer.body for answer in acknowledged}
    assert all(answer.body == first_bodies[answer.call.tag] for answer in replay.answers
               if answer.call.tag in first_bodies)
    assert scalar(url_db, "SELECT count(*) FROM contacts") == KEYED_POSTS
    assert scalar(url_db, "SELECT count(DISTINCT lead_id) FROM contacts") == KEYED_POSTS
    assert scalar(url_db, "SELECT count(*) FROM leads") == KEYED_POSTS
    assert orphan_leads(url_db) == 0
    assert integrity_problems(url_db) == []
    assert overshoot(url_db, scenario.limits) == 0


RELOAD_POSTS = 3000


def test_recycled_and_reloaded_workers_fail_no_request(scenario):
    url_db = scenario.database_url
    calls = [contact_call(f"reload-{n}") for n in range(RELOAD_POSTS)]
    answered: list[int] = []
    recycling = ("--max-requests", "400", "--max-requests-jitter", "100")
    with gunicorn_server(url_db, workers=4, env=SERVER_ENV, args=recycling) as (url, process):
        load = Load([url], calls, scenario.bot_token, threads=64, on_answer=_count_acknowledged(answered))
        thread = _run_in_background(load)
        wait_for(lambda: len(answered) >= RELOAD_POSTS // 3, timeout=150)
        os.kill(process.pid, signal.SIGHUP)  # graceful reload: new workers, old ones finish
        thread.join()
        with open(process.log_path) as log_file:
            log = log_file.read()
    result = load.result
    lost = lost_acknowledgements(url_db, result.with_status(201))
    over = overshoot(url_db, scenario.limits)
    figures("max-requests-and-sighup", result, overshoot=over, lost=len(lost))

    assert "Hang up" in log, "the reload did not happen"
    assert "Autorestarting worker" in log, "no worker was recycled"
    assert result.statuses() == {201: RELOAD_POSTS}, result.unanswered[:3]
    assert lost == []
    assert over == 0
    assert scalar(url_db, "SELECT count(*) FROM contacts") == RELOAD_POSTS


# --- Test 8: a write lock held past the timeout ----------------------------------

LOCK_TIMEOUT_MS = 300


@pytest.fixture
def app_config(app_config):
    return app_config | {"SQLITE_BUSY_TIMEOUT_MS": LOCK_TIMEOUT_MS, "PG_LOCK_TIMEOUT_MS": LOCK_TIMEOUT_MS}


@contextmanager
def sqlite_write_lock(database_url: str, *, in_writer_queue: bool):
    """Another program holding SQLite's write lock (and, if asked, our writers' queue too)."""
    path = database_url.removeprefix("sqlite:///")
    queue_fd = None
    if in_writer_queue:
        queue_fd = os.open(f"{path}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(queue_fd, fcntl.LOCK_EX)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()
        if queue_fd is not None:
            os.close(queue_fd)


@contextmanager
def postgres_lock(database_url: str, statement: str):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))  # held until the block ends (rollback)
            yield
            connection.rollback()
    finally:
        engine.dispose()


def held_locks(database_url: str):
    if database_url.startswith("sqlite"):
        return {
            "sqlite-begin-immediate": lambda: sqlite_write_lock(database_url, in_writer_queue=False),
            "sqlite-writer-in-line-too": lambda: sqlite_write_lock(database_url, in_writer_queue=True),
        }
    return {
        "contacts-table": lambda: postgres_lock(database_url, "LOCK TABLE contacts IN EXCLUSIVE MODE"),
        "operator-rows": lambda: postgres_lock(database_url, "SELECT id FROM operators FOR UPDATE"),
    }


def test_a_write_lock_held_past_the_timeout_answers_503_and_writes_nothing(scenario, client):
    headers = {"Authorization": f"Bearer {scenario.bot_token}"}
    assert client.get(CONTACTS_PATH, headers=headers).status_code == 200  # token use recorded now
    body = {"external_id": "blocked", "message": "during the lock"}
    for name, hold in held_locks(scenario.database_url).items():
        keyed = headers | {"Idempotency-Key": f"blocked-{name}"}
        with hold():
            answers = [client.post(CONTACTS_PATH, json=body, headers=h) for h in (headers, keyed)]
        for answer in answers:
            assert answer.status_code == 503, (name, answer.status_code, answer.get_data(as_text=True))
            assert answer.mimetype == "application/problem+json"
            assert answer.get_json()["status"] == 503
            assert int(answer.headers["Retry-After"]) >= 1
        counts = rows(
            scenario.database_url,
            "SELECT (SELECT count(*) FROM contacts), (SELECT count(*) FROM leads),"
            " (SELECT count(*) FROM idempotency_keys), (SELECT count(*) FROM assignments)",
        )
        assert counts == [(0, 0, 0, 0)], name
        retried = client.post(CONTACTS_PATH, json=body, headers=keyed)  # the same key, the lock gone
        assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
        _empty_contacts(scenario.database_url)


def _empty_contacts(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        for table in ("idempotency_keys", "assignments", "contacts", "leads"):
            connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()
