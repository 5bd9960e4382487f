"""Planned weight changes: applied at the start, reverted at the end by the sweep, on the test's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import committed, make_operator, make_source
from tests.histories import T0, arrive
from webapp import jobs, weight_plans
from webapp.clock import replaying_at
from webapp.distribution import SYSTEM
from webapp.errors import ConflictError, InvalidError
from webapp.extensions import db
from webapp.models import Contact, OperatorSourceWeight, WeightPlan

HOUR = timedelta(hours=1)


def weights(source_id):
    rows = db.session.execute(
        OperatorSourceWeight.__table__.select().where(OperatorSourceWeight.source_id == source_id)
    ).all()
    return {row.operator_id: row.weight for row in rows}


def plan(source, items, start, end, now=T0):
    return committed(weight_plans.create_plan, source.id, items, start, end, SYSTEM, now).id


def status(plan_id):
    db.session.expire_all()
    return db.session.get(WeightPlan, plan_id).status


@pytest.fixture
def floor(app):
    anna, nina = make_operator("Anna"), make_operator("Nina")
    return anna, nina, make_source("Telegram", weights={anna: 4})


def test_a_new_hire_at_half_weight_for_two_weeks(floor):
    anna, nina, source = floor
    plan_id = plan(source, [(anna.id, 4), (nina.id, 2)], T0 + HOUR, T0 + timedelta(days=14))
    jobs.sweep(db.session, now=T0 + HOUR / 2)
    assert status(plan_id) == "scheduled" and weights(source.id) == {anna.id: 4}
    jobs.sweep(db.session, now=T0 + HOUR)
    assert status(plan_id) == "active" and weights(source.id) == {anna.id: 4, nina.id: 2}
    jobs.sweep(db.session, now=T0 + timedelta(days=14))
    assert status(plan_id) == "done" and weights(source.id) == {anna.id: 4}
    done = db.session.get(WeightPlan, plan_id)
    assert (done.applied_at, done.reverted_at) == (T0 + HOUR, T0 + timedelta(days=14))


def test_a_raised_weight_hands_waiting_contacts_out(app):
    anna = make_operator("Anna")
    source = make_source("Campaign")  # nobody weighted: contacts wait
    waiting = arrive(source.id, T0)
    plan_id = plan(source, [(anna.id, 1)], T0 + HOUR, None)
    assert jobs.apply_weight_plans(db.session, T0 + HOUR) == 1
    assert status(plan_id) == "done"  # no end: the weights stay
    assert db.session.get(Contact, waiting).operator_id == anna.id


def test_the_sweep_command_runs_the_plans_on_the_clock(floor, runner):
    anna, nina, source = floor
    plan_id = plan(source, [(nina.id, 1)], T0 + HOUR, T0 + 2 * HOUR)
    with replaying_at(T0 + HOUR):
        result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert status(plan_id) == "active" and weights(source.id) == {nina.id: 1}


def test_a_period_missed_entirely_changes_nothing(floor):
    anna, nina, source = floor
    plan_id = plan(source, [(nina.id, 1)], T0 + HOUR, T0 + 2 * HOUR)
    jobs.sweep(db.session, now=T0 + 3 * HOUR)
    assert status(plan_id) == "missed" and weights(source.id) == {anna.id: 4}


def test_cancelling_a_scheduled_or_an_active_plan(floor):
    anna, nina, source = floor
    later = plan(source, [(nina.id, 1)], T0 + 5 * HOUR, T0 + 6 * HOUR)
    committed(weight_plans.cancel_plan, source.id, later, T0)
    assert status(later) == "cancelled"
    running = plan(source, [(nina.id, 1)], T0 + HOUR, T0 + 3 * HOUR)
    jobs.sweep(db.session, now=T0 + HOUR)
    committed(weight_plans.cancel_plan, source.id, running, T0 + 2 * HOUR)
    assert status(running) == "cancelled" and weights(source.id) == {anna.id: 4}
    jobs.sweep(db.session, now=T0 + 4 * HOUR)  # its end comes and goes: nothing changes
    assert weights(source.id) == {anna.id: 4}
    with pytest.raises(ConflictError):
        committed(weight_plans.cancel_plan, source.id, running, T0 + 4 * HOUR)


def test_plans_that_cannot_be(floor):
    anna, nina, source = floor
    with pytest.raises(InvalidError):
        plan(source, [(nina.id, 1)], T0 + HOUR, T0 + HOUR)
    with pytest.raises(InvalidError):
        plan(source, [(nina.id, 1)], T0 - 2 * HOUR, T0 - HOUR)
    with pytest.raises(InvalidError):
        plan(source, [(999, 1)], T0 + HOUR, None)
    plan(source, [(nina.id, 1)], T0 + HOUR, T0 + 3 * HOUR)
    with pytest.raises(ConflictError):
        plan(source, [(nina.id, 2)], T0 + 2 * HOUR, None)
    plan(source, [(nina.id, 2)], T0 + 3 * HOUR, T0 + 4 * HOUR)  # back to back is fine
