"""The weighted picks of a period, per source and operator: summed by day once a day is over.

Fairness over a period needs, per operator, the chances they had in every weighted pick,
which only the assignment records' candidate lists say (7 days at 1,000,000 contacts:
19,000 lists of 100 candidates, 1.5 s to read and parse). The records never change once
written, so the worker folds each finished day once into ``pick_tallies`` (the sums of
``webapp.fairness.Tally``), oldest first: every weighted record before the end of the last
day there is summed (a day without picks is passed over, so each day there has rows). A
period is then read from the sums for its whole folded days and from the records for the
rest: its first and last hours, and the days not folded yet.

A day is folded an hour after its end (``SETTLE``): a record is written in the transaction of
its pick, which ends long before that. ``flask --app wsgi check`` recounts the folded days
from the records and ``--repair`` starts the fold again should one ever differ.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Float, Integer, cast, delete, func, insert, null, select, text, union_all

from webapp import counters
from webapp.bulk_reads import collector_paused, plain_rows
from webapp.fairness import EXACT_BELOW_PICKS, Tally, pick_chances, tally_picks
from webapp.models import Assignment, Contact, PickTally
from webapp.queries.today import start_of_day

DAY = timedelta(days=1)
SETTLE = timedelta(hours=1)
# PostgreSQL: the advisory lock two folds take turns on (SQLite: BEGIN IMMEDIATE already does).
FOLD_LOCK_KEY = 0x1EAD_F01D

# {source id: (number of picks, {operator id: Tally})}
SourceTallies = dict[int, tuple[int, dict[int, Tally]]]


def day_of(moment: datetime) -> datetime:
    """The first moment of the UTC day ``moment`` falls in."""
    return start_of_day(moment.astimezone(UTC).date())


def folded_until(session) -> datetime | None:
    """Every weighted record before this moment is in the tallies (None: nothing folded yet)."""
    last_day = session.execute(select(func.max(PickTally.day))).scalar()
    return last_day + DAY if last_day else None


def period_tallies(session, start: datetime, end: datetime, source_ids: list[int]) -> SourceTallies:
    """The weighted picks of the sources in ``[start, end)``: folded days from their sums, the rest
    from the records.

    The folded days are those read first; their sums never change, so the records read after
    a fold that committed meanwhile are only counted once.
    """
    folded = folded_until(session)
    first = day_of(start) + (DAY if day_of(start) < start else timedelta())
    last = min(day_of(end), folded) if folded else first
    # Nothing folded inside the period: every pick from the records (the folded read still
    # runs, empty, so the page's statements stay the same).
    folded_part = (first, last) if first < last else None
    tallies: dict[int, dict[int, Tally]] = defaultdict(dict)
    picks: dict[int, int] = defaultdict(int)
    for source_id, operator_id, tally in _folded(session, first, last, source_ids):
        tallies[source_id][operator_id] = tally
        picks[source_id] += tally.assigned
    for source_id, source_picks in weighted_picks(session, start, end, source_ids, folded_part).items():
        count, found = tally_picks(source_picks)
        picks[source_id] += count
        for operator_id, tally in found.items():
            tallies[source_id].setdefault(operator_id, Tally()).add(tally)
    return {source_id: (picks[source_id], tallies[source_id]) for source_id in picks}


def _folded(session, first: datetime, last: datetime, source_ids) -> Iterator[tuple[int, int, Tally]]:
    """(source, operator, Tally) summed over the folded days in ``[first, last)``, by the database;
    in the same statement, each day's chances where the day gave fewer than ``EXACT_BELOW_PICKS``
    (the exact test needs them when the days give fewer in all)."""
    in_period = (PickTally.day >= first, PickTally.day < last, PickTally.source_id.in_(source_ids))
    # Typed NULLs: PostgreSQL types a UNION's columns from its first SELECT.
    no_int, no_float = cast(null(), Integer), cast(null(), Float)
    sums = (
        select(PickTally.source_id, PickTally.operator_id, func.sum(PickTally.assigned),
               func.sum(PickTally.trials), func.sum(PickTally.expected), func.sum(PickTally.variance),
               cast(null(), PickTally.few_chances.type))
        .where(*in_period)
        .group_by(PickTally.source_id, PickTally.operator_id)
    )
    few = select(PickTally.source_id, PickTally.operator_id, no_int, no_int, no_float, no_float,
                 PickTally.few_chances).where(*in_period, PickTally.trials < EXACT_BELOW_PICKS)
    totals, chances = [], defaultdict(list)
    for source_id, operator_id, assigned, trials, expected, variance, day_chances in session.execute(
        union_all(sums, few)
    ):
        if assigned is None:
            chances[(source_id, operator_id)].extend(day_chances)
        else:
            totals.append((source_id, operator_id, assigned, trials, expected, variance))
    for source_id, operator_id, assigned, trials, expected, variance in totals:
        few_chances = chances[(source_id, operator_id)] if trials < EXACT_BELOW_PICKS else []
        yield source_id, operator_id, Tally(assigned, trials, expected, variance, few_chances)


Picks = dict[int, list[tuple[int, dict[int, float]]]]


def weighted_picks(session, start, end, source_ids=None, besides=None) -> Picks:
    """{source id: [(chosen operator, chances)…]} of the weighted automatic picks in ``[start, end)``
    but for the range ``besides`` (one folded already), of the sources given (None: every
    source), oldest first."""
    ranges = [(start, end)] if besides is None else [(start, besides[0]), (besides[1], end)]
    # A SELECT per range, not an OR of the two: PostgreSQL took the OR for a hundred times the
    # records it held and read every contact instead of the few that the records name.
    record_id = Assignment.id.label("record_id")
    parts = [
        select(record_id, Contact.source_id, Assignment.operator_id, Assignment.candidates)
        .join(Contact, Contact.id == Assignment.contact_id)
        .where(Assignment.rule == "weighted", Assignment.at >= low, Assignment.at < high)
        for low, high in ranges
    ]
    if source_ids is not None:
        # "+ 0": the period is the selective part (SQLite read every contact of the sources).
        parts = [part.where((Contact.source_id + 0).in_(source_ids)) for part in parts]
    query = union_all(*parts) if len(parts) > 1 else parts[0]
    picks: dict[int, list] = defaultdict(list)
    for _id, source_id, operator_id, candidates in plain_rows(session, query.order_by("record_id")):
        picks[source_id].append((operator_id, pick_chances(candidates)))
    return picks


# --- The fold (the worker) ----------------------------------------------------------


@collector_paused()
def fold_next_day(session, now: datetime) -> datetime | None:
    """Fold the oldest day with weighted picks not folded yet, if it ended ``SETTLE`` before ``now``;
    the day folded, or None. Inside the caller's write transaction.

    Two workers folding at once take turns: the second finds the day folded and goes on to
    the next. (A second copy of a day would be refused by the tallies' key in any case.)
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FOLD_LOCK_KEY})
    folded = folded_until(session)
    next_pick = select(func.min(Assignment.at)).where(Assignment.rule == "weighted")
    if folded is not None:
        next_pick = next_pick.where(Assignment.at >= folded)
    first_at = session.execute(next_pick).scalar()
    if first_at is None or day_of(first_at) + DAY + SETTLE > now:
        return None
    day = day_of(first_at)
    rows = [
        {"day": day, "source_id": source_id, "operator_id": operator_id, "assigned": tally.assigned,
         "trials": tally.trials, "expected": tally.expected, "variance": tally.variance,
         "few_chances": tally.few_chances if tally.trials < EXACT_BELOW_PICKS else None}
        for source_id, picks in weighted_picks(session, day, day + DAY).items()
        for operator_id, tally in tally_picks(picks)[1].items()
    ]
    session.execute(insert(PickTally), rows)  # never empty: the day has a pick
    return day


# --- The proof (flask check) ----------------------------------------------------------


class TallyDrift(NamedTuple):
    source_id: int
    operator_id: int
    stored: int  # picks the folded days hold
    counted: int  # weighted records before the end of the folded days


def tallies_drift(session) -> list[TallyDrift]:
    """Every (source, operator) whose picks in the folded days differ from their records.

    Both sides stop at the end of the folded days as first read: a day folded meanwhile is
    left out of both, and what came before it never changes."""
    folded = folded_until(session)
    if folded is None:
        return []
    stored_rows = (
        select(PickTally.source_id, PickTally.operator_id, func.sum(PickTally.assigned))
        .where(PickTally.day < folded)
        .group_by(PickTally.source_id, PickTally.operator_id)
    )
    counted_rows = (
        select(Contact.source_id, Assignment.operator_id, func.count())
        .join(Contact, Contact.id == Assignment.contact_id)
        .where(Assignment.rule == "weighted", Assignment.at < folded)
        .group_by(Contact.source_id, Assignment.operator_id)
    )
    return [TallyDrift(*row) for row in counters.differences(session, stored_rows, counted_rows, missing=0)]


def refold(session) -> None:
    """Forget every folded day, inside the caller's write transaction: the worker folds them again."""
    session.execute(delete(PickTally))
