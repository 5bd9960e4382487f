"""What would other weights or limits have done? The source's real traffic replayed in a sandbox.

The replay takes a source's real arrivals (``created_at``) and closings (``closed_at``) of
the last days, and hands each arriving contact out by the same weighted pick as the
real distribution (``distribution.weighted_draw``'s one ``randrange`` over the eligible
operators, in operator id order), under the weights and limits given: an operator may
take a contact while they hold fewer than their limit. A contact that finds nobody waits,
and is handed out, oldest first, when a closing frees a place (as the drain does). A
contact closes at the moment it really closed; one still waiting then leaves the queue.
The contacts open when the window starts are held by their real operators and count
against their limits until they close. Only this source's contacts are counted: the
replay knows nothing of what other sources gave the same operators. Nothing is saved.

``replay`` is the pure part (plain values and an injected ``random.Random``);
``simulate`` reads the rows and also reports what really happened to the same contacts.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import random
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import case, func, select

from webapp.bulk_reads import collector_paused, epoch_seconds, plain_rows
from webapp.clock import utcnow
from webapp.directory import check_weight_items
from webapp.errors import InvalidError
from webapp.models import OPEN_CONTACT_STATUSES, Assignment, Contact, Operator

# Seeds for each replay's own generator (see ``simulate``).
_seeds = random.SystemRandom()


# The replay only compares times: epoch seconds as read from the database, or datetimes.
Moment = float | datetime


@dataclass(frozen=True)
class Traffic:
    """A source's window: arrivals as (at, closes at or None), oldest first; who held what at the start."""

    arrivals: list[tuple[Moment, Moment | None]]
    # (operator id, closes at or None) of each contact open when the window starts.
    held: list[tuple[int, Moment | None]]


@dataclass(frozen=True)
class Outcome:
    contacts: int
    assigned: dict[int, int]
    peak_load: dict[int, int]
    waited: int

    def share(self, operator_id: int) -> float:
        return round(self.assigned.get(operator_id, 0) / self.contacts, 4) if self.contacts else 0.0


# Events at one moment: closings before arrivals (the place frees up first), then in order of arrival.
CLOSING, ARRIVAL = 0, 1


class _Floor:
    """The operators during a replay: loads, limits and the weighted pick over the eligible ones."""

    def __init__(self, weights: dict[int, int], limits: dict[int, int], rng: random.Random):
        self.weights = {op: w for op, w in sorted(weights.items()) if w > 0}
        self.limits = limits
        self.rng = rng
        self.load: dict[int, int] = dict.fromkeys(self.weights, 0)
        self.peak: dict[int, int] = dict.fromkeys(self.weights, 0)
        self.eligible: list[int] = []
        self.cumulative: list[int] = []
        self.stale = True  # the eligible set changes only when a load reaches or leaves a limit

    def hold(self, operator_id: int) -> None:
        load = self.load.get(operator_id, 0) + 1
        self.load[operator_id] = load
        self.peak[operator_id] = max(self.peak.get(operator_id, 0), load)
        if load == self.limits.get(operator_id, 0):
            self.stale = True

    def release(self, operator_id: int) -> None:
        self.load[operator_id] -= 1
        if self.load[operator_id] == self.limits.get(operator_id, 0) - 1:
            self.stale = True

    def pick(self) -> int | None:
        if self.stale:
            self.eligible = [op for op in self.weights if self.load[op] < self.limits.get(op, 0)]
            self.cumulative = list(itertools.accumulate(self.weights[op] for op in self.eligible))
            self.stale = False
        if not self.eligible:
            return None
        point = self.rng.randrange(self.cumulative[-1])
        return self.eligible[bisect.bisect_right(self.cumulative, point)]


def replay(traffic: Traffic, weights: dict[int, int], limits: dict[int, int], rng: random.Random) -> Outcome:
    """Hand the traffic's arrivals out under ``weights`` and ``limits`` ({operator id: n}); see the module."""
    floor = _Floor(weights, limits, rng)
    holder: dict[int, int | None] = {}  # contact number -> operator (None: waiting)
    closings: list[tuple[Moment, int, int]] = []
    for number, (operator_id, closes_at) in enumerate(traffic.held, start=-len(traffic.held)):
        floor.hold(operator_id)
        holder[number] = operator_id
        if closes_at is not None:
            closings.append((closes_at, CLOSING, number))
    heapq.heapify(closings)
    waiting: deque[int] = deque()
    assigned: dict[int, int] = {}
    waited = 0
    for number, (arrives_at, closes_at) in enumerate(traffic.arrivals):
        while closings and closings[0][0] <= arrives_at:
            _at, _kind, closed = heapq.heappop(closings)
            _close(floor, holder, closed, waiting, assigned)
        chosen = floor.pick()
        holder[number] = chosen
        if chosen is None:
            waited += 1
            waiting.append(number)
        else:
            floor.hold(chosen)
            assigned[chosen] = assigned.get(chosen, 0) + 1
        if closes_at is not None:
            heapq.heappush(closings, (closes_at, CLOSING, number))
    while closings:  # the window's last closings still hand waiting contacts out
        _at, _kind, closed = heapq.heappop(closings)
        _close(floor, holder, closed, waiting, assigned)
    return Outcome(len(traffic.arrivals), assigned, floor.peak, waited)


def _close(floor: _Floor, holder: dict, closed: int, waiting: deque, assigned: dict) -> None:
    operator_id = holder.pop(closed)
    if operator_id is None:
        return  # closed while waiting: it leaves the queue (skipped when reached)
    floor.release(operator_id)
    while waiting:
        if waiting[0] not in holder:
            waiting.popleft()
            continue
        chosen = floor.pick()
        if chosen is None:
            return
        holder[waiting.popleft()] = chosen
        floor.hold(chosen)
        assigned[chosen] = assigned.get(chosen, 0) + 1


# --- Reading the source's real traffic ----------------------------------------
#
# Times are read as seconds since 1970 (floats, ``epoch_seconds``), not datetimes: the replay
# only compares them, and building 200,000 aware datetimes costs more than the whole replay.


def window(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    end = now or utcnow()
    return end - timedelta(days=days), end


class Holding(NamedTuple):
    """A contact of the window as it really went: its current operator from when they got it.

    A NamedTuple: one is built per contact, and a tuple costs a fraction of a dataclass.
    """

    operator_id: int
    since: float
    until: float | None
    arrived_in_window: bool


def load_traffic(session, source_id: int, start: datetime, end: datetime) -> tuple[Traffic, list[Holding]]:
    """The traffic of the window and the real holdings, times in epoch seconds; three queries.

    A closing after ``end`` has not happened yet. Each query reads one index range: the
    window's arrivals, the earlier contacts closed since ``start``, and the earlier contacts
    still open, counted per operator and the time they got it (all before ``start`` count as
    one). One query with an OR of the three read every contact the source ever had
    (1,000,000 contacts: 71 -> 25 ms on SQLite).
    """
    start_seconds, end_seconds = start.timestamp(), end.timestamp()
    held_before = (Contact.created_at < start, Contact.operator_id.is_not(None))
    arrived = plain_rows(
        session,
        select(epoch_seconds(Contact.created_at), epoch_seconds(Contact.closed_at), Contact.operator_id,
               epoch_seconds(Contact.assigned_at))
        .where(Contact.source_id == source_id, Contact.created_at >= start, Contact.created_at < end)
        .order_by(Contact.created_at, Contact.id),
    )
    # "+ 0": read by closed_at, the narrow range, not by every earlier contact of the source.
    closed_since = plain_rows(
        session,
        select(Contact.operator_id, epoch_seconds(Contact.assigned_at), epoch_seconds(Contact.closed_at))
        .where((Contact.source_id + 0) == source_id, *held_before, Contact.closed_at >= start),
    )
    # Closing sets closed_at and is final: the ones still open are those of an open status (indexed).
    open_ones = (
        select(Contact.operator_id, case((Contact.assigned_at > start, Contact.assigned_at)).label("late"))
        .where(Contact.source_id == source_id, *held_before, Contact.status.in_(OPEN_CONTACT_STATUSES))
        .subquery()
    )
    still_open = session.execute(
        select(open_ones.c.operator_id, epoch_seconds(open_ones.c.late), func.count())
        .group_by(open_ones.c.operator_id, open_ones.c.late)
    ).all()

    def closing(closed_at):
        return closed_at if closed_at is not None and closed_at < end_seconds else None

    # The earlier contacts are the replay's held ones, each from when its operator got it.
    earlier = [
        Holding(operator_id, max(assigned_at or start_seconds, start_seconds), closing(closed_at), False)
        for operator_id, assigned_at, closed_at in closed_since
    ]
    for operator_id, late, count in still_open:
        earlier += [Holding(operator_id, late or start_seconds, None, False)] * count
    arrivals, in_window = [], []
    for created_at, closed_at, operator_id, assigned_at in arrived:
        closes_at = closing(closed_at)
        arrivals.append((created_at, closes_at))
        if operator_id is not None:
            since = max(assigned_at or created_at, start_seconds)
            in_window.append(Holding(operator_id, since, closes_at, True))
    held = [(holding.operator_id, holding.until) for holding in earlier]
    return Traffic(arrivals, held), earlier + in_window


def real_limits(session, operator_ids) -> dict[int, int]:
    return dict(
        session.execute(
            select(Operator.id, Operator.max_active_contacts).where(Operator.id.in_(list(operator_ids)))
        ).all()
    )


def simulate(session, source_id: int, weights: list[tuple[int, int]], limits: dict[int, int], days: int,
             rng: random.Random | None = None) -> tuple[Outcome, Outcome]:
    """(the replay under ``weights`` and ``limits``, what really happened) for the last ``days`` days.

    ``limits`` overrides operators' own ``max_active_contacts``. ``InvalidError`` for
    weights or limits naming unknown or repeated operators. Without ``rng``, a generator
    seeded from the system's: a sandbox needs no cryptographic draws, and the system's
    own generator costs several times as much per draw.
    """
    check_weight_items(session, weights)
    own_limits = real_limits(session, [op for op, _w in weights] + list(limits))
    unknown = sorted(set(limits) - set(own_limits))
    if unknown:
        errors = [{"field": f"limits.{op}", "message": "no operator with this id"} for op in unknown]
        raise InvalidError("Some limits name unknown operators.", errors)
    start, end = window(days)
    with collector_paused():
        traffic, holdings = load_traffic(session, source_id, start, end)
        rng = rng or random.Random(_seeds.getrandbits(64))
        outcome = replay(traffic, dict(weights), own_limits | limits, rng)
        actual = actual_outcome(traffic, holdings, waited_at_intake(session, source_id, start, end))
    return outcome, actual




def waited_at_intake(session, source_id: int, start: datetime, end: datetime) -> int:
    """How many of the window's contacts really found nobody at intake (the record's operator is NULL)."""
    window_contacts = select(Contact.id).where(
        Contact.source_id == source_id, Contact.created_at >= start, Contact.created_at < end
    )
    return session.execute(
        select(func.count()).select_from(Assignment).where(
            Assignment.contact_id.in_(window_contacts), Assignment.trigger == "intake",
            Assignment.operator_id.is_(None),
        )
    ).scalar_one()


def actual_outcome(traffic: Traffic, holdings: list[Holding], waited: int) -> Outcome:
    """What really happened: who holds the window's contacts, and each operator's highest load.

    A contact counts for its current operator from when they got it (or the window's
    start) until it closed: a contact handed over between operators counts for the last.
    """
    assigned: dict[int, int] = {}
    events: list[tuple[float, int, int]] = []
    for holding in holdings:
        if holding.arrived_in_window:
            assigned[holding.operator_id] = assigned.get(holding.operator_id, 0) + 1
        events.append((holding.since, ARRIVAL, holding.operator_id))
        if holding.until is not None:
            events.append((holding.until, CLOSING, holding.operator_id))
    load: dict[int, int] = {}
    peak: dict[int, int] = {}
    # At one moment the releases come first, as in the replay.
    for _at, kind, operator_id in sorted(events):
        load[operator_id] = load.get(operator_id, 0) + (1 if kind == ARRIVAL else -1)
        peak[operator_id] = max(peak.get(operator_id, 0), load[operator_id])
    return Outcome(len(traffic.arrivals), assigned, peak, waited)
