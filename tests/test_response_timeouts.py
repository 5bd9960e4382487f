"""Response timeouts on a clock the tests hold: ``timeouts.expire(session, now)`` is what the
worker runs each tick with the time it read; here ``now`` is whatever the test says."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.builders import committed, make_contact, make_operator, make_source
from webapp import contacts, directory, distribution, jobs, timeouts
from webapp.extensions import db
from webapp.models import Assignment, Contact


def with_timeout(source, minutes=10):
    committed(directory.update_source, source.id, {"response_timeout_minutes": minutes})


def fresh(contact_id) -> Contact:
    db.session.rollback()
    return db.session.get(Contact, contact_id, populate_existing=True)


def records(contact_id):
    db.session.rollback()
    return db.session.execute(
        select(Assignment).where(Assignment.contact_id == contact_id).order_by(Assignment.id)
    ).scalars().all()


def anna_has_it_boris_is_back():
    """A contact auto-assigned to Anna (Boris was off); then Boris is on again."""
    anna, boris = make_operator("Anna"), make_operator("Boris", status="inactive")
    source = make_source(weights={anna: 1, boris: 1})
    with_timeout(source, 10)
    contact = make_contact(source)
    assert contact.operator_id == anna.id
    committed(directory.set_operator_status, boris.id, "active")
    return anna, boris, source, fresh(contact.id)


def test_a_contact_still_new_after_the_timeout_goes_to_someone_else(app):
    anna, boris, _source, contact = anna_has_it_boris_is_back()
    assigned_at = contact.assigned_at
    assert timeouts.expire(db.session, assigned_at + timedelta(minutes=9, seconds=59)) == 0
    assert fresh(contact.id).operator_id == anna.id
    assert timeouts.expire(db.session, assigned_at + timedelta(minutes=10)) == 1
    moved = fresh(contact.id)
    assert (moved.operator_id, moved.status) == (boris.id, "new")
    record = records(contact.id)[-1]
    assert (record.trigger, record.rule, record.from_operator_id, record.operator_id, record.actor_kind) == (
        "timeout", "weighted", anna.id, boris.id, "system")
    assert {c["operator_id"]: c["excluded_because"] for c in record.candidates} == {anna.id: "timed_out",
                                                                                 boris.id: None}


def test_with_nobody_else_it_waits_and_never_goes_back_to_who_let_it_time_out(app):
    anna = make_operator("Anna")
    source = make_source(weights={anna: 1})
    with_timeout(source, 5)
    contact = make_contact(source)
    now = contact.assigned_at + timedelta(minutes=5)
    assert timeouts.expire(db.session, now) == 1
    waiting = fresh(contact.id)
    assert (waiting.operator_id, waiting.status) == (None, "new")
    last = records(contact.id)[-1]
    assert (last.trigger, last.rule, last.from_operator_id, last.operator_id) == (
        "timeout", "none", anna.id, None)
    # Anna has room, yet neither the sweep nor a redistribution gives it back to her ...
    assert jobs.sweep(db.session) == 0
    assert jobs.redistribute(db.session, actor=distribution.SYSTEM).assigned == 0
    assert fresh(contact.id).operator_id is None
    # ... while the source's next contact still goes to her: one contact does not block the source.
    assert make_contact(source).operator_id == anna.id
    # A manager may still give it to her by hand.
    committed(distribution.assign_manually, fresh(contact.id), anna.id, actor=distribution.SYSTEM)
    assert fresh(contact.id).operator_id == anna.id


def test_a_second_timeout_leaves_out_both_operators(app):
    anna, boris, source, contact = anna_has_it_boris_is_back()
    clara = make_operator("Clara", status="inactive")
    committed(directory.replace_weights, source.id, [(anna.id, 1), (boris.id, 1), (clara.id, 1)])
    timeouts.expire(db.session, contact.assigned_at + timedelta(minutes=10))
    assert fresh(contact.id).operator_id == boris.id
    committed(directory.set_operator_status, clara.id, "active")
    timeouts.expire(db.session, fresh(contact.id).assigned_at + timedelta(minutes=10))
    assert fresh(contact.id).operator_id == clara.id
    excluded = {c["operator_id"]: c["excluded_because"] for c in records(contact.id)[-1].candidates}
    assert excluded == {anna.id: "timed_out", boris.id: "timed_out", clara.id: None}


def test_taken_manual_and_untimed_contacts_never_time_out(app):
    anna, boris = make_operator("Anna"), make_operator("Boris")
    timed, untimed = make_source(weights={anna: 1}), make_source(weights={anna: 1})
    with_timeout(timed, 1)
    taken = make_contact(timed)
    committed(contacts.change_status, taken.id, "in_progress")
    by_hand = make_contact(timed)
    committed(distribution.assign_manually, fresh(by_hand.id), boris.id, actor=distribution.SYSTEM)
    elsewhere = make_contact(untimed)
    later = fresh(by_hand.id).assigned_at + timedelta(days=1)
    assert timeouts.expire(db.session, later) == 0
    assert [fresh(c.id).operator_id for c in (taken, by_hand, elsewhere)] == [anna.id, boris.id, anna.id]


def test_turning_the_timeout_off_stops_it(app):
    anna, _boris, source, contact = anna_has_it_boris_is_back()
    committed(directory.update_source, source.id, {"response_timeout_minutes": None})
    assert timeouts.expire(db.session, contact.assigned_at + timedelta(days=1)) == 0
    assert fresh(contact.id).operator_id == anna.id


def test_the_deadline_the_board_shows():
    contact = Contact(status="new")
    assert timeouts.deadline(contact, 10) is None  # not assigned
    contact.assigned_at = now = distribution.utcnow()
    assert timeouts.deadline(contact, 10) == now + timedelta(minutes=10)
    assert timeouts.deadline(contact, None) is None
    contact.status = "in_progress"
    assert timeouts.deadline(contact, 10) is None
