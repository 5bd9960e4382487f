"""Shifts and absences on a clock the tests hold: wall-clock shifts in IANA zones (tzdata),
across midnight and across daylight-saving changes; who the pick leaves out, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.builders import committed, make_contact, make_operator, make_source
from webapp import directory, distribution, jobs, schedules
from webapp.extensions import db
from webapp.models import Assignment, Contact

BERLIN = ZoneInfo("Europe/Berlin")


def local(*args, zone=BERLIN):
    return datetime(*args, tzinfo=zone).astimezone(UTC)


def weekly(*shifts, timezone="Europe/Berlin"):
    return {"timezone": timezone, "weekly": [{"day": d, "start": s, "end": e} for d, s, e in shifts]}


# --- The pure rules ----------------------------------------------------------------------

# 2026-12-07 is a Monday.
OFFICE = weekly((0, "09:00", "17:00"))


def test_no_schedule_is_always_on_shift():
    assert schedules.shift_state(None, local(2026, 12, 7, 3, 0)) == (True, None, None)


def test_an_office_day_starts_and_ends_on_the_local_clock():
    assert schedules.shift_state(OFFICE, local(2026, 12, 7, 8, 59)) == (False, None, local(2026, 12, 7, 9, 0))
    assert schedules.shift_state(OFFICE, local(2026, 12, 7, 9, 0)) == (True, local(2026, 12, 7, 17, 0), None)
    next_monday = local(2026, 12, 14, 9, 0)
    assert schedules.shift_state(OFFICE, local(2026, 12, 7, 17, 0)) == (False, None, next_monday)


def test_nine_o_clock_is_nine_o_clock_in_summer_and_in_winter():
    summer = schedules.shift_state(OFFICE, local(2026, 7, 6, 10, 0)).until  # a Monday in July
    winter = schedules.shift_state(OFFICE, local(2026, 12, 7, 10, 0)).until
    assert (summer.hour, winter.hour) == (15, 16)  # 17:00 CEST and 17:00 CET, in UTC


def test_a_night_shift_runs_past_midnight_into_the_next_day():
    night = weekly((4, "22:00", "06:00"))  # Friday night
    assert not schedules.on_shift(night, local(2026, 12, 11, 21, 59))
    assert schedules.shift_state(night, local(2026, 12, 12, 5, 59)) == (True, local(2026, 12, 12, 6, 0), None)
    assert not schedules.on_shift(night, local(2026, 12, 12, 6, 0))
    assert not schedules.on_shift(night, local(2026, 12, 13, 1, 0))  # Saturday night is not a shift


def test_shifts_that_touch_are_one_until_the_last_ends():
    split = weekly((0, "18:00", "24:00"), (1, "00:00", "02:00"))
    assert schedules.shift_state(split, local(2026, 12, 7, 23, 0)).until == local(2026, 12, 8, 2, 0)


def test_the_night_the_clocks_go_forward_is_an_hour_shorter():
    night = weekly((5, "22:00", "06:00"))  # Saturday 28 March 2026; at 02:00 it becomes 03:00
    start = local(2026, 3, 28, 22, 0)
    state = schedules.shift_state(night, start)
    assert state.on_shift and state.until == local(2026, 3, 29, 6, 0)
    assert state.until - start == timedelta(hours=7)
    assert schedules.on_shift(night, local(2026, 3, 29, 5, 59))


def test_the_night_the_clocks_go_back_is_an_hour_longer():
    night = weekly((5, "22:00", "06:00"))  # Saturday 24 October 2026; at 03:00 it becomes 02:00
    start = local(2026, 10, 24, 22, 0)
    state = schedules.shift_state(night, start)
    assert state.until - start == timedelta(hours=9)
    # 02:30 happens twice that night; both are on shift.
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=0).astimezone(UTC)
    second = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1).astimezone(UTC)
    assert second - first == timedelta(hours=1)
    assert schedules.on_shift(night, first) and schedules.on_shift(night, second)


def test_a_shift_starting_in_the_skipped_hour_starts_when_the_clock_says_so():
    odd = weekly((6, "02:30", "04:00"))  # Sunday 29 March 2026: 02:30 does not exist in Berlin
    assert not schedules.on_shift(odd, local(2026, 3, 29, 1, 59))
    assert schedules.on_shift(odd, local(2026, 3, 29, 3, 30))
    assert not schedules.on_shift(odd, local(2026, 3, 29, 4, 0))


def test_another_zone():
    new_york = weekly((0, "09:00", "17:00"), timezone="America/New_York")
    assert schedules.on_shift(new_york, datetime(2026, 12, 7, 14, 0, tzinfo=UTC))  # 09:00 EST
    assert not schedules.on_shift(new_york, datetime(2026, 12, 7, 13, 59, tzinfo=UTC))


# --- Eligibility, on the held clock -----------------------------------------------------

MONDAY_MORNING = local(2026, 12, 7, 8, 0)
MONDAY_OPEN = local(2026, 12, 7, 9, 0)


def waiting_for(operator_setup):
    """A contact that waits for Anna (she was off when it came); she is on again, no drain."""
    anna = make_operator("Anna", status="inactive")
    source = make_source(weights={anna: 1})
    contact = make_contact(source)
    operator_setup(anna)
    committed(directory.set_operator_status, anna.id, "active")
    return anna, contact.id


def operator_of(contact_id):
    db.session.rollback()
    return db.session.get(Contact, contact_id, populate_existing=True).operator_id


def last_record(contact_id):
    db.session.rollback()
    return db.session.execute(
        select(Assignment).where(Assignment.contact_id == contact_id).order_by(Assignment.id.desc())
    ).scalars().first()


def test_the_sweep_hands_waiting_contacts_over_when_the_shift_starts(app):
    anna, contact_id = waiting_for(lambda anna: committed(schedules.set_schedule, anna.id, OFFICE))
    assert jobs.sweep(db.session, now=MONDAY_MORNING) == 0
    assert operator_of(contact_id) is None
    assert jobs.sweep(db.session, now=MONDAY_OPEN) == 1
    assert operator_of(contact_id) == anna.id
    assert last_record(contact_id).trigger == "sweep"


def test_an_absence_keeps_contacts_away_until_it_ends(app):
    start, end = local(2026, 12, 7, 0, 0), local(2026, 12, 8, 0, 0)
    anna, contact_id = waiting_for(
        lambda anna: committed(schedules.add_absence, anna.id, start, end, "dentist"))
    assert jobs.sweep(db.session, now=start + timedelta(hours=12)) == 0
    assert jobs.sweep(db.session, now=end) == 1
    assert operator_of(contact_id) == anna.id


def test_the_record_says_who_was_off_shift_or_absent(app):
    anna, boris = make_operator("Anna"), make_operator("Boris")
    clara = make_operator("Clara", status="inactive")
    committed(schedules.set_schedule, anna.id, OFFICE)
    committed(schedules.add_absence, boris.id, local(2026, 12, 1, 0, 0), local(2026, 12, 31, 0, 0), None)
    source = make_source(weights={anna: 1, boris: 1, clara: 1})
    contact = make_contact(source)
    committed(directory.set_operator_status, clara.id, "active")
    assert jobs.sweep(db.session, now=MONDAY_MORNING) == 1
    record = last_record(contact.id)
    assert record.operator_id == clara.id
    assert {c["operator_id"]: c["excluded_because"] for c in record.candidates} == {
        anna.id: "off_shift", boris.id: "absent", clara.id: None}


@pytest.mark.parametrize("away", ["off_shift", "absent"])
def test_a_manual_assignment_needs_force_for_someone_away(app, away):
    anna = make_operator("Anna")
    never_now = weekly(((datetime.now(UTC) + timedelta(days=3)).weekday(), "03:00", "03:01"), timezone="UTC")
    if away == "off_shift":
        committed(schedules.set_schedule, anna.id, never_now)
    else:
        now = datetime.now(UTC)
        committed(schedules.add_absence, anna.id, now - timedelta(hours=1), now + timedelta(hours=1), None)
    contact = make_contact(make_source())
    with pytest.raises(distribution.AssignmentRefused) as refused:
        committed(distribution.assign_manually, db.session.get(Contact, contact.id), anna.id,
                  actor=distribution.SYSTEM)
    assert refused.value.reason == away
    committed(distribution.assign_manually, db.session.get(Contact, contact.id), anna.id,
              actor=distribution.SYSTEM, force=True, reason="she said she would")
    assert operator_of(contact.id) == anna.id


def test_operators_sharing_a_schedule_and_those_with_their_own_each_get_theirs(app):
    # availability works a shared schedule out once: the others must still get their own.
    office, night = make_operator("Office A"), make_operator("Night")
    office_too, always = make_operator("Office B"), make_operator("Always")
    nights = weekly((0, "20:00", "04:00"))
    for operator, schedule in ((office, OFFICE), (office_too, OFFICE), (night, nights)):
        committed(schedules.set_schedule, operator.id, schedule)
    db.session.rollback()

    states = schedules.availability(db.session, [office, night, office_too, always], MONDAY_OPEN)

    on_shift = [states[op.id].shift.on_shift for op in (office, night, office_too, always)]
    assert on_shift == [True, False, True, True]
    assert states[office.id].shift.until == local(2026, 12, 7, 17, 0)
    assert states[night.id].shift.next_start == local(2026, 12, 7, 20, 0)


@pytest.mark.parametrize("asked", [3, schedules.NAMED_OPERATORS + 5])
def test_absent_now_names_exactly_the_operators_asked_for_who_are_away(app, asked):
    """A few operators are named in the query, many are read from the absences of the moment:
    either way only those asked for and away at that moment."""
    operators = [make_operator(f"Operator {number}") for number in range(asked + 1)]
    away_now, away_before, away_later, not_asked = operators[0], operators[1], operators[2], operators[-1]
    hour = timedelta(hours=1)
    for operator, start, end in ((away_now, MONDAY_OPEN - hour, MONDAY_OPEN + hour),
                                 (away_before, MONDAY_OPEN - 2 * hour, MONDAY_OPEN),
                                 (away_later, MONDAY_OPEN + hour, MONDAY_OPEN + 2 * hour),
                                 (not_asked, MONDAY_OPEN - hour, MONDAY_OPEN + hour)):
        committed(schedules.add_absence, operator.id, start, end, None)
    asked_ids = [operator.id for operator in operators[:-1]]
    assert schedules.absent_now(db.session, asked_ids, MONDAY_OPEN) == {away_now.id}
