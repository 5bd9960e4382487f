"""The real worker process: it finds waiting work on its own, on SQLite and on Redis storage,
and a worker killed in the middle of a task leaves the work to the next, done once."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.builders import committed, make_contact, make_operator, make_source
from tests.conftest import BACKEND
from tests.worker_process import wait_for, worker_process
from webapp import directory
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import Assignment, Contact


def waiting_contact():
    """A contact that waits while its only operator is off; then the operator is switched on
    without the drain a request would run, so only the worker's sweep can hand it out."""
    operator = make_operator(status="inactive")
    source = make_source(weights={operator: 1})
    contact = make_contact(source)
    assert contact.operator_id is None
    committed(directory.set_operator_status, operator.id, "active")
    ids = contact.id, operator.id
    db.session.remove()  # nothing of ours stays open while the worker works
    return ids


def operator_of(contact_id):
    db.session.rollback()
    return db.session.get(Contact, contact_id, populate_existing=True).operator_id


def records_of(contact_id):
    db.session.rollback()
    return db.session.execute(
        select(Assignment.trigger, Assignment.actor_kind, Assignment.operator_id)
        .where(Assignment.contact_id == contact_id)
        .order_by(Assignment.id)
    ).all()


@pytest.mark.parametrize("storage", ["sqlite", "redis"])
def test_the_worker_hands_out_what_no_request_did(request, app, database_url, queue_file, storage):
    contact_id, operator_id = waiting_contact()
    redis_url = request.getfixturevalue("redis") if storage == "redis" else None
    with worker_process(database_url, queue_file, redis_url=redis_url) as worker:
        wait_for(lambda: operator_of(contact_id) == operator_id, what="the sweep to assign the contact")
        worker.wait_for_log("Executing webapp.worker.tick")
    assert records_of(contact_id) == [("intake", "system", None), ("sweep", "system", operator_id)]
    if storage == "redis":
        assert not Path(queue_file).exists()  # the queue lived in Redis


@contextmanager
def contact_locked(contact_id):
    """Hold the lock a drain needs for the contact: a write transaction (SQLite: the database's
    write lock) that has locked the contact's row (PostgreSQL)."""
    with write_transaction(db.session):
        db.session.execute(select(Contact.id).where(Contact.id == contact_id).with_for_update())
        yield


def blocked_on_our_lock(worker) -> bool:
    """The worker waits for the lock we hold: in the writers' line (SQLite, an flock the kernel
    lists in /proc/locks as waiting) or on the contact's row (PostgreSQL, pg_stat_activity)."""
    if BACKEND == "postgresql":
        with db.engine.connect() as connection:
            waiting = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar_one()
        return waiting > 0
    return any(
        "->" in fields and str(worker.process.pid) in fields
        for fields in map(str.split, Path("/proc/locks").read_text().splitlines())
    )


def test_a_worker_killed_mid_task_leaves_the_work_to_the_next_done_once(app, database_url, queue_file):
    contact_id, operator_id = waiting_contact()
    patient = {"SQLITE_BUSY_TIMEOUT_MS": "60000", "PG_LOCK_TIMEOUT_MS": "60000"}
    with contact_locked(contact_id):
        with worker_process(database_url, queue_file, env=patient) as first:
            first.wait_for_log("Executing webapp.worker.tick")
            wait_for(lambda: blocked_on_our_lock(first), what="the worker to wait for our lock")
            first.kill()
            assert not re.search(r"INFO huey: webapp\.worker\.tick: .* executed in", first.log())
    assert operator_of(contact_id) is None  # the killed task changed nothing
    with worker_process(database_url, queue_file):
        wait_for(lambda: operator_of(contact_id) == operator_id, what="the next worker to assign it")
    assert records_of(contact_id) == [("intake", "system", None), ("sweep", "system", operator_id)]
