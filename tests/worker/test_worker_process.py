"""The real worker process: it finds waiting work on its own, on SQLite and on Redis storage,
and a worker killed in the middle of a task leaves the work to the next, done once."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

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


def backdate_assignments(source_id, seconds):
    """The clock the tests hold: the source's assignments made ``seconds`` earlier than they were."""
    with write_transaction(db.session):
        for contact in db.session.scalars(select(Contact).where(Contact.source_id == source_id)):
            contact.assigned_at -= timedelta(seconds=seconds)
    db.session.remove()


def test_the_real_worker_times_a_contact_out_within_seconds(app, database_url, queue_file):
    anna, boris = make_operator("Anna"), make_operator("Boris", status="inactive")
    anna_id, boris_id = anna.id, boris.id
    source = make_source(weights={anna: 1, boris: 1})
    committed(directory.update_source, source.id, {"response_timeout_minutes": 1})
    contact_id = make_contact(source).id
    committed(directory.set_operator_status, boris_id, "active")
    backdate_assignments(source.id, 57)  # a minute's timeout, 3 s from now
    due = db.session.get(Contact, contact_id).assigned_at + timedelta(minutes=1)
    db.session.remove()
    with worker_process(database_url, queue_file):
        wait_for(lambda: operator_of(contact_id) == boris_id, what="the timeout to hand it to Boris")
    timeout_records = db.session.execute(
        select(Assignment.at, Assignment.from_operator_id).where(
            Assignment.contact_id == contact_id, Assignment.trigger == "timeout")
    ).all()
    assert len(timeout_records) == 1
    at, from_operator = timeout_records[0]
    assert (from_operator, at >= due) == (anna_id, True)


def test_two_workers_on_one_database_move_each_contact_once(app, database_url, tmp_path):
    """40 contacts time out and 40 wait for an operator switched on behind the requests' back;
    two workers tick every second over them at once."""
    anna, boris = make_operator("Anna", limit=100), make_operator("Boris", limit=100, status="inactive")
    boris_id = boris.id
    timed = make_source(weights={anna: 1, boris: 1})
    committed(directory.update_source, timed.id, {"response_timeout_minutes": 1})
    timed_ids = [make_contact(timed).id for _ in range(40)]
    clara = make_operator("Clara", limit=100, status="inactive")
    clara_id = clara.id
    waiting = make_source(weights={clara: 1})
    waiting_ids = [make_contact(waiting).id for _ in range(40)]
    for operator_id in (boris_id, clara_id):
        committed(directory.set_operator_status, operator_id, "active")
    backdate_assignments(timed.id, 60)
    with worker_process(database_url, str(tmp_path / "one.sqlite3")), \
            worker_process(database_url, str(tmp_path / "two.sqlite3")):
        wait_for(lambda: all(operator_of(c) == boris_id for c in timed_ids)
                 and all(operator_of(c) == clara_id for c in waiting_ids), what="both kinds of work")
    db.session.rollback()
    per_contact = dict(db.session.execute(
        select(Assignment.contact_id, func.count())
        .where(Assignment.trigger.in_(("timeout", "sweep")))
        .group_by(Assignment.contact_id)
    ).all())
    assert per_contact == dict.fromkeys(timed_ids + waiting_ids, 1)
