"""What happened in a period: target against actual per operator, waiting, response and handling times.

Read from the assignment records (``Assignment``), which keep every weighted pick
with the candidates it saw, so an operator's expected count accounts for the time
they were off shift, absent or at their limit (they were no candidate then). The
arithmetic of fairness is in ``webapp.fairness``; this module reads the rows and
shapes the report that the API, the stats page and its CSV share.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import Integer, case, cast, func, null, or_, select, union_all

from webapp import pick_tallies
from webapp.bulk_reads import MILLISECOND, collector_paused, epoch_seconds, plain_rows, to_the_millisecond
from webapp.clock import utcnow
from webapp.errors import InvalidError
from webapp.fairness import percentile
from webapp.models import Assignment, Contact, Operator, OperatorSourceWeight, Source

DEFAULT_DAYS = 7
MAX_DAYS = 366


@dataclass(frozen=True)
class OperatorShare:
    """One operator on one source over the period: weighted picks they got against their chances."""

    operator_id: int
    name: str
    assigned: int
    expected: float
    actual_share: float
    target_share: float
    flag: bool


@dataclass(frozen=True)
class OperatorTimes:
    """Median seconds from assignment to in progress, and from assignment to closed (None: no contact)."""

    operator_id: int
    name: str
    first_response_p50: float | None
    handling_p50: float | None
    closed: int


@dataclass
class SourceStats:
    source_id: int
    name: str
    contacts: int = 0
    picks: int = 0
    waited_seconds_p50: int | None = None
    waited_seconds_p90: int | None = None
    operators: list[OperatorShare] = field(default_factory=list)
    # Contacts created by hour of the day (0–23) of the report's time zone.
    arrivals_by_hour: list[int] = field(default_factory=lambda: [0] * 24)


def resolve_period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The period asked for: ``end`` defaults to now, ``start`` to seven days before ``end``.

    ``InvalidError`` when it is empty, reversed or longer than ``MAX_DAYS``.
    """
    end = end or utcnow()
    start = start or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise InvalidError("The period is empty: from must be before to.",
                           [{"field": "from", "message": "must be before to"}])
    if end - start > timedelta(days=MAX_DAYS):
        raise InvalidError(f"The period is longer than {MAX_DAYS} days.",
                           [{"field": "from", "message": f"at most {MAX_DAYS} days before to"}])
    return start, end


@collector_paused()
def stats_report(session, start: datetime, end: datetime, sources: list[tuple[int, str]],
                 names: dict[int, str], zone: tzinfo = UTC) -> list[SourceStats]:
    """The ``sources`` ((id, name) pairs) with their contacts, waiting and fairness in ``[start, end)``.

    ``names``: every operator's name by id (``operator_names``). Operators are listed when
    weighted on the source now, or a candidate or a pick in the period: an operator who
    got nothing is in the report with 0. Arrivals by hour are counted in ``zone``.
    """
    report = {source_id: SourceStats(source_id, name) for source_id, name in sources}
    ids = list(report)
    _add_arrivals(report, plain_rows(session, _first_assignments(start, end, ids)), zone)
    picks = pick_tallies.period_tallies(session, start, end, ids)
    weighted_now = _weighted_operators(session, ids)
    for source_id in ids:
        count, tallies = picks.get(source_id, (0, {}))
        # A tally stands for every operator who had a chance in a pick or got one.
        listed = sorted(weighted_now[source_id] | tallies.keys())
        report[source_id].picks = count
        report[source_id].operators = [_share(names, op, count, tallies.get(op)) for op in listed]
    return list(report.values())


def source_names(session, source_id: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of every source, or of the one given."""
    query = select(Source.id, Source.name).order_by(Source.id)
    if source_id is not None:
        query = query.where(Source.id == source_id)
    return [tuple(row) for row in session.execute(query).all()]


def operator_names(session) -> dict[int, str]:
    return dict(session.execute(select(Operator.id, Operator.name)).all())


def _share(names: dict[int, str], operator_id: int, picks: int, tally) -> OperatorShare:
    assigned = tally.assigned if tally else 0
    expected = tally.expected if tally else 0.0
    return OperatorShare(
        operator_id=operator_id,
        name=names.get(operator_id, str(operator_id)),
        assigned=assigned,
        expected=round(expected, 3),
        actual_share=round(assigned / picks, 4) if picks else 0.0,
        target_share=round(expected / picks, 4) if picks else 0.0,
        flag=tally is not None and tally.beyond_chance(),
    )


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else int(round(seconds))


def _weighted_operators(session, source_ids) -> dict[int, set[int]]:
    """{source id: the operators weighted on it now}."""
    weighted = session.execute(
        select(OperatorSourceWeight.source_id, OperatorSourceWeight.operator_id).where(
            OperatorSourceWeight.source_id.in_(source_ids)
        )
    ).all()
    operators: dict[int, set[int]] = {source_id: set() for source_id in source_ids}
    for source_id, operator_id in weighted:
        operators[source_id].add(operator_id)
    return operators


def _first_assignments(start, end, source_ids):
    """Each contact created in the period: its source, when it came, and when it first got an
    operator, else was closed (NULL: still waiting), in seconds since 1970.

    The period's contacts by ix_contacts_created_at, each one's first record looked up by
    ix_assignments_contact_id_id (a subquery: as a join, PostgreSQL read every record).
    """
    first_assigned = (
        select(func.min(Assignment.at))
        .where(Assignment.contact_id == Contact.id, Assignment.operator_id.is_not(None))
        .scalar_subquery()
    )
    return select(
        Contact.source_id,
        epoch_seconds(Contact.created_at),
        epoch_seconds(func.coalesce(first_assigned, Contact.closed_at)),
    ).where(Contact.created_at >= start, Contact.created_at < end, Contact.source_id.in_(source_ids))


def _add_arrivals(report: dict[int, SourceStats], rows, zone: tzinfo) -> None:
    """Count each source's contacts, their arrivals by hour, and how long they waited for an operator.

    A contact still waiting counts the time it has waited so far (one closed
    unassigned, until it was closed).
    """
    now = utcnow().timestamp()
    hour_of = _hours_in(zone)
    waits: dict[int, list[float]] = defaultdict(list)
    for source_id, created, until in rows:
        stats = report[source_id]
        stats.contacts += 1
        stats.arrivals_by_hour[hour_of(created)] += 1
        waits[source_id].append(max((now if until is None else until) - created, 0.0))
    for source_id, values in waits.items():
        values.sort()
        report[source_id].waited_seconds_p50 = _whole(percentile(values, 0.5))
        report[source_id].waited_seconds_p90 = _whole(percentile(values, 0.9))


def _hours_in(zone: tzinfo):
    """The hour of the day in ``zone`` of a time in seconds since 1970, worked out once per
    quarter of an hour: every zone's offset is a whole number of quarters, so a quarter lies
    within one hour of the day."""
    hours: dict[int, int] = {}

    def hour_of(seconds: float) -> int:
        quarter = int(to_the_millisecond(seconds) // 900)
        if quarter not in hours:
            hours[quarter] = datetime.fromtimestamp(quarter * 900, zone).hour
        return hours[quarter]

    return hour_of


# --- The charts of the stats page ---------------------------------------------


@collector_paused()
def operator_times(session, start, end, source_ids, names: dict[int, str]) -> dict[int, list[OperatorTimes]]:
    """{source id: per operator, median first-response and handling time in the period}; one query.

    First response: assigned → in progress, for contacts that started in the period;
    handling: assigned → closed, for contacts closed in the period.
    """

    def in_period(moment):
        return (moment >= start) & (moment < end)

    def since_assigned(moment):
        return epoch_seconds(moment) - epoch_seconds(Contact.assigned_at)

    rows = plain_rows(
        session,
        select(
            Contact.source_id,
            Contact.operator_id,
            case((in_period(Contact.started_at) & (Contact.started_at >= Contact.assigned_at),
                  since_assigned(Contact.started_at))),
            case((in_period(Contact.closed_at), since_assigned(Contact.closed_at))),
        )
        # "+ 0": the period's two time ranges are the selective part (SQLite would read every
        # contact of the sources by their index otherwise).
        .where((Contact.source_id + 0).in_(source_ids), Contact.operator_id.is_not(None))
        .where(in_period(Contact.started_at) | in_period(Contact.closed_at)),
    )
    responses: dict[tuple[int, int], list[float]] = defaultdict(list)
    handling: dict[tuple[int, int], list[float]] = defaultdict(list)
    for source_id, operator_id, response, handled in rows:
        key = (source_id, operator_id)
        if response is not None:
            responses[key].append(response)
        if handled is not None:
            handling[key].append(handled)
    times: dict[int, list[OperatorTimes]] = {source_id: [] for source_id in source_ids}
    for source_id, operator_id in sorted(set(responses) | set(handling)):
        key = (source_id, operator_id)
        times[source_id].append(OperatorTimes(
            operator_id, names.get(operator_id, str(operator_id)),
            _median_millis(responses[key]),
            _median_millis(handling[key]),
            len(handling[key]),
        ))
    return times


def _median_millis(seconds: list[float]) -> float | None:
    median = percentile(sorted(seconds), 0.5)
    return None if median is None else to_the_millisecond(median)


def sample_times(start: datetime, end: datetime, points: int = 48) -> list[datetime]:
    """About ``points`` moments from ``start`` to ``end`` at a whole number of hours apart."""
    hours = max(1, round((end - start).total_seconds() / 3600 / points))
    step = timedelta(hours=hours)
    moments, moment = [], start
    while moment <= end:
        moments.append(moment)
        moment += step
    return moments


@collector_paused()
def load_over_time(session, moments: list[datetime], operator_ids: list[int]) -> dict[int, list[int]]:
    """{operator id: open contacts they held at each moment}, counted back from their loads now.

    An operator's load at a moment is their open contacts now (``Operator.open_contacts``)
    less what changed since: every change of a contact's operator is a record (from -> to),
    and a closing ends its holder's place. So only the records and closings after the first
    moment are read, not every contact open at some point of the range with all its records
    (in the bench's 1,000,000 contacts, the 200,000 still open). One statement: the loads and
    the changes after them are one snapshot.
    """
    if not moments:
        return {}
    first = moments[0]
    # (moment, from, to, open contacts): a change or a closing at a moment, or a load now.
    no_count = cast(null(), Integer)  # typed: PostgreSQL takes two bare NULLs in a UNION for text
    # Of these operators only, but found by time ("+ 0": an operator's index holds all their history).
    changes = select(
        epoch_seconds(Assignment.at), Assignment.from_operator_id, Assignment.operator_id, no_count
    ).where(
        Assignment.at > first,
        or_((Assignment.from_operator_id + 0).in_(operator_ids),
            (Assignment.operator_id + 0).in_(operator_ids)),
    )
    closings = select(epoch_seconds(Contact.closed_at), Contact.operator_id, null(), no_count).where(
        Contact.closed_at > first, (Contact.operator_id + 0).in_(operator_ids)
    )
    loads_now = select(null(), null(), Operator.id, Operator.open_contacts).where(
        Operator.id.in_(operator_ids)
    )
    load: dict[int, int] = defaultdict(int)
    events: list[tuple[float, int | None, int | None]] = []
    for moment, before, after, count in plain_rows(session, union_all(changes, closings, loads_now)):
        if moment is None:
            load[after] = count
        else:
            events.append((moment, before, after))
    events.sort(key=lambda event: event[0])
    # A change is after a moment when it is a millisecond or more later (half a millisecond
    # on: cheaper than taking each of 140,000 changes to the millisecond).
    late_moments = [moment.timestamp() + MILLISECOND / 2 for moment in moments]
    return _loads_back(events, late_moments, operator_ids, load)


def _loads_back(events, moments, operator_ids, load) -> dict[int, list[int]]:
    """Undo the ``events`` (oldest first) from the last to the first, reading ``load`` at each moment."""
    series: dict[int, list[int]] = {operator_id: [0] * len(moments) for operator_id in operator_ids}
    position = len(events)
    for index in range(len(moments) - 1, -1, -1):
        while position and events[position - 1][0] > moments[index]:
            position -= 1
            _at, before, after = events[position]
            if before is not None:
                load[before] += 1
            if after is not None:
                load[after] -= 1
        for operator_id in operator_ids:
            series[operator_id][index] = load[operator_id]
    return series
