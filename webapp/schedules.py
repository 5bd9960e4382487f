"""Shifts and absences: when an operator may get contacts.

An operator's ``schedule`` is ``None`` (always on shift) or ``{"timezone": IANA name,
"weekly": [{"day": 0..6 (Monday 0), "start": "HH:MM", "end": "HH:MM"}...]}``. Times are wall
clock in that zone (tzdata ships the zones), so a 09:00 shift starts at 09:00 in summer and
in winter; a shift whose end is not after its start runs past midnight into the next day
("22:00"-"06:00"), and "24:00" ends at midnight. An absence is a span of UTC time.

The pure part (``shift_state``) takes plain values and ``at``; the rest reads and writes
inside the caller's transaction and never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select

from webapp.directory import get_existing
from webapp.errors import InvalidError, NotFoundError
from webapp.models import Operator, OperatorAbsence

DAY = 24 * 60


def minutes(clock: str) -> int:
    """"HH:MM" as minutes after midnight (0..1440)."""
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def zone_or_none(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _shifts_of_day(schedule: dict, day, zone: ZoneInfo):
    """The (start, end) UTC spans of the shifts that begin on local ``day``."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    for shift in schedule["weekly"]:
        if shift["day"] != day.weekday():
            continue
        start, end = minutes(shift["start"]), minutes(shift["end"])
        if end <= start:
            end += DAY  # past midnight, into the next day
        # Wall-clock arithmetic on an aware datetime, then to UTC: 22:00 stays 22:00 local on
        # a day that gains or loses an hour, and the shift is that much longer or shorter.
        yield ((midnight + timedelta(minutes=start)).astimezone(UTC),
               (midnight + timedelta(minutes=end)).astimezone(UTC))


def shifts_around(schedule: dict, at: datetime, days_after: int = 7) -> list[tuple[datetime, datetime]]:
    """The shifts from the day before ``at`` to ``days_after`` after, joined where they touch."""
    zone = ZoneInfo(schedule["timezone"])
    today = at.astimezone(zone).date()
    spans = sorted(
        span
        for offset in range(-1, days_after + 1)
        for span in _shifts_of_day(schedule, today + timedelta(days=offset), zone)
    )
    joined: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


class ShiftState(NamedTuple):
    on_shift: bool
    until: datetime | None  # on shift: when it ends (None: always on)
    next_start: datetime | None  # off shift: when the next one starts (None: none within a week)


# Operators mostly share a few schedules (a team's hours), and a page asks about all of them at
# one moment: each distinct (schedule, moment) is worked out once (1,000 operators: 60 ms to 2).
_KNOWN_STATES: dict[tuple[str, datetime], ShiftState] = {}
KNOWN_STATES_KEPT = 1024


def shift_state(schedule: dict | None, at: datetime) -> ShiftState:
    """Whether ``at`` falls in a shift of ``schedule``, and until when (or when the next starts)."""
    if schedule is None:
        return ShiftState(True, None, None)
    key = (str(schedule), at)
    state = _KNOWN_STATES.get(key)
    if state is None:
        if len(_KNOWN_STATES) >= KNOWN_STATES_KEPT:
            _KNOWN_STATES.clear()
        state = _KNOWN_STATES[key] = _shift_state(schedule, at)
    return state


def _shift_state(schedule: dict, at: datetime) -> ShiftState:
    spans = shifts_around(schedule, at)
    for start, end in spans:
        if start <= at < end:
            return ShiftState(True, end, None)
    upcoming = [start for start, _end in spans if start > at]
    return ShiftState(False, None, upcoming[0] if upcoming else None)


def on_shift(schedule: dict | None, at: datetime) -> bool:
    return shift_state(schedule, at).on_shift


# --- Reading and writing ----------------------------------------------------------------


def set_schedule(session, operator_id: int, schedule: dict | None) -> Operator:
    """Replace the operator's weekly schedule (None: always on shift). Validated by the caller's schema."""
    operator = get_existing(session, Operator, operator_id)
    operator.schedule = schedule
    session.flush()
    return operator


def add_absence(
    session, operator_id: int, start: datetime, end: datetime, note: str | None
) -> OperatorAbsence:
    get_existing(session, Operator, operator_id)
    if end <= start:
        raise InvalidError("An absence ends after it starts.",
                           [{"field": "end", "message": "must be after start"}])
    absence = OperatorAbsence(operator_id=operator_id, start=start, end=end, note=note)
    session.add(absence)
    session.flush()
    return absence


def absences_of(session, operator_id: int) -> list[OperatorAbsence]:
    get_existing(session, Operator, operator_id)
    query = select(OperatorAbsence).where(OperatorAbsence.operator_id == operator_id)
    return list(session.execute(query.order_by(OperatorAbsence.start, OperatorAbsence.id)).scalars())


def delete_absence(session, operator_id: int, absence_id: int) -> None:
    removed = session.execute(
        delete(OperatorAbsence).where(
            OperatorAbsence.id == absence_id, OperatorAbsence.operator_id == operator_id
        )
    ).rowcount
    if not removed:
        raise NotFoundError(f"Absence {absence_id} of operator {operator_id} does not exist.")


# Up to this many operators are named in the query (their index); for more, every absence at
# that moment is read and the rest left out here: binding 1,000 ids cost 7 ms on PostgreSQL,
# reading the absences of the moment 0.3 ms.
NAMED_OPERATORS = 20


def absent_now(session, operator_ids: Iterable[int], at: datetime) -> set[int]:
    """Which of the operators an absence covers at ``at`` (one query)."""
    ids = set(operator_ids)
    if not ids:
        return set()
    query = select(OperatorAbsence.operator_id).where(OperatorAbsence.start <= at, OperatorAbsence.end > at)
    if len(ids) <= NAMED_OPERATORS:
        query = query.where(OperatorAbsence.operator_id.in_(ids))
    return set(session.execute(query).scalars()) & ids


class Availability(NamedTuple):
    available: bool  # active, on shift, not absent
    shift: ShiftState
    absent: bool


def availability(session, operators, at: datetime) -> dict[int, Availability]:
    """Each operator's availability at ``at``: one query for the absences, the shifts in Python.

    ``operators``: Operator rows, or rows with their id, status and schedule."""
    absent = absent_now(session, [operator.id for operator in operators], at)
    found = {}
    for operator in operators:
        state = shift_state(operator.schedule, at)
        away = operator.id in absent
        active = operator.status == "active"
        found[operator.id] = Availability(active and state.on_shift and not away, state, away)
    return found
