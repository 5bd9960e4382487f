"""The rules of distribution: who may get a contact, and the weighted pick.

Two layers, kept apart on purpose:

* the pure rules (``Candidate``, ``eligible_candidates``, ``weighted_choice``,
  ``choose_operator``) take plain values and an injected ``random.Random`` and
  know nothing of Flask, JSON or the database;
* the assignment service (``assign_automatically``, ``assign_manually``,
  ``unassign``, ``redistribute``) is the only code that changes a contact's
  operator. It loads candidates, locks the chosen operator (PostgreSQL), reads its
  load again under the lock and writes inside the caller's write transaction
  (``webapp.database.write_transaction``); it flushes and never commits.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, TypeVar

from sqlalchemy import and_, bindparam, insert, inspect, select
from sqlalchemy.orm import make_transient_to_detached

from webapp import schedules, webhooks
from webapp.clock import utcnow
from webapp.errors import ConflictError, InvalidError
from webapp.models import (
    Assignment,
    Contact,
    Operator,
    OperatorAbsence,
    OperatorSourceWeight,
    Source,
    UTCDateTime,
    unassigned_open_contacts,
)

T = TypeVar("T")

# Gunicorn forks workers: a module-level random.Random would give every worker the
# same sequence. SystemRandom draws from the OS and needs no seeding.
_default_rng = random.SystemRandom()

# How often the service re-picks when the chosen operator filled up between the
# candidate query and the lock (a race with another worker).
MAX_PICK_ATTEMPTS = 5


# --- Pure rules --------------------------------------------------------------


class Candidate(NamedTuple):
    """One operator as seen for one source at one moment.

    A NamedTuple rather than a frozen dataclass: a source may have thousands of
    candidates per contact, and building a tuple costs a fraction as much.
    """

    operator_id: int
    weight: int
    is_active: bool
    active_contacts: int
    max_active_contacts: int
    # This operator let this contact's response timeout pass: never picked for it again.
    timed_out: bool = False
    # Outside their weekly schedule, or in an absence, now (webapp/schedules.py).
    off_shift: bool = False
    absent: bool = False

    @property
    def is_eligible(self) -> bool:
        return (
            self.weight > 0
            and not (self.timed_out or self.off_shift or self.absent)
            and has_room(self.is_active, self.active_contacts, self.max_active_contacts)
        )


def has_room(is_active: bool, load: int, limit: int) -> bool:
    """The capacity rule: an active operator below their limit may take one more contact.

    Automatic distribution applies it to every candidate; a manual assignment
    applies it unless forced; the dashboard uses it to list who can take one now.
    """
    return is_active and load < limit


def eligible_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The candidates that may receive a contact now: active, weighted, below their limit."""
    return [candidate for candidate in candidates if candidate.is_eligible]


class Draw(NamedTuple):
    """The random point in ``[0, total)`` that chose among the weights."""

    point: int
    total: int


def weighted_draw(options: Sequence[T], weights: Sequence[int], rng: random.Random) -> tuple[T, Draw]:
    """Return one of ``options`` with probability ``weight / sum(weights)``, and the draw that chose it.

    Weights are non-negative integers; a zero weight is never chosen. The draw is
    one ``rng.randrange(total)`` located by bisection in the running totals, so
    the cost grows with the number of options and not with the size of the
    weights (the seed's "repeat each operator weight times" list would).

    Raises ``ValueError`` for mismatched lengths, an empty sequence, a negative
    or non-integer weight, or weights that add up to zero; ``TypeError`` when
    ``rng`` has no ``randrange``.
    """
    if len(options) != len(weights):
        raise ValueError("options and weights must have the same length")
    if not options:
        raise ValueError("cannot choose from an empty sequence")
    for weight in weights:
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise ValueError(f"weights must be integers, got {weight!r}")
        if weight < 0:
            raise ValueError(f"weights must be >= 0, got {weight}")
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]
    if total <= 0:
        raise ValueError("total of weights must be greater than zero")
    point = rng.randrange(total)
    return options[bisect.bisect_right(cumulative, point)], Draw(point, total)


def weighted_choice(options: Sequence[T], weights: Sequence[int], rng: random.Random) -> T:
    """``weighted_draw`` without the draw."""
    return weighted_draw(options, weights, rng)[0]


@dataclass(frozen=True)
class Decision:
    """What the pick decided and why: the operator (or None), the candidates it saw, the draw."""

    operator_id: int | None
    rule: str  # "weighted", "sticky", or "none" when nobody was eligible
    candidates: tuple[Candidate, ...]
    draw: Draw | None
    # The lead's recent operator that sticky_days preferred, honoured or not.
    preferred_operator_id: int | None = None


def decide(
    candidates: Sequence[Candidate], rng: random.Random, preferred_operator_id: int | None = None
) -> Decision:
    """The pick among the eligible candidates, with what explains it.

    The preferred operator (a returning lead's, see ``sticky_days``) gets the contact
    when eligible now (rule "sticky", no draw); otherwise the weighted pick.
    """
    eligible = eligible_candidates(candidates)
    preferred = preferred_operator_id
    if not eligible:
        return Decision(None, "none", tuple(candidates), None, preferred)
    if preferred is not None and any(candidate.operator_id == preferred for candidate in eligible):
        return Decision(preferred, "sticky", tuple(candidates), None, preferred)
    operator_id, draw = weighted_draw(
        [candidate.operator_id for candidate in eligible],
        [candidate.weight for candidate in eligible],
        rng,
    )
    return Decision(operator_id, "weighted", tuple(candidates), draw, preferred)


def choose_operator(candidates: Iterable[Candidate], rng: random.Random) -> int | None:
    """The operator id picked among the eligible candidates, or None when nobody is eligible."""
    return decide(list(candidates), rng).operator_id


def suggested_operator(candidates: Iterable[Candidate], *, besides: int | None = None) -> int | None:
    """The operator a person is offered first for a contact: one the distribution could pick now.

    Among the eligible candidates (the same rule as the pick), the one with the most room
    left, then the higher weight; None when nobody is eligible. ``besides``: the contact's
    current operator, never offered as a reassignment.
    """
    eligible = [c for c in eligible_candidates(candidates) if c.operator_id != besides]
    if not eligible:
        return None
    most_room = max(
        eligible,
        key=lambda c: (c.max_active_contacts - c.active_contacts, c.weight, -c.operator_id),
    )
    return most_room.operator_id


def excluded_because(candidate: Candidate) -> str | None:
    """Why a weighted candidate may not get a contact now (None: eligible)."""
    if candidate.timed_out:
        return "timed_out"
    if not candidate.is_active:
        return "inactive"
    if candidate.absent:
        return "absent"
    if candidate.off_shift:
        return "off_shift"
    if not has_room(True, candidate.active_contacts, candidate.max_active_contacts):
        return "at_limit"
    return None


def shares_now(candidates: Sequence[Candidate]) -> dict[int, float]:
    """Each candidate's chance (0..1) of getting the next contact if it arrived now.

    The pick's own rule: only the eligible count, each by its weight; an excluded
    candidate's chance is 0. Empty when nobody is eligible.
    """
    eligible = eligible_candidates(candidates)
    total = sum(candidate.weight for candidate in eligible)
    return {candidate.operator_id: candidate.weight / total for candidate in eligible} if total else {}


class WaitReason(NamedTuple):
    """Why a source's contacts wait unassigned, in the pick's terms.

    ``kind``: "unweighted" (nobody is weighted on the source), "inactive" (every
    weighted operator is inactive), "at_limit" (every one is at their limit),
    "mixed" (each is inactive or at their limit), or "eligible" (somebody could take
    one now: the contacts wait only for the next drain or redistribution).
    ``excluded`` counts the weighted operators by ``excluded_because``.
    """

    kind: str
    weighted: int
    excluded: dict[str, int]


def why_waiting(candidates: Sequence[Candidate]) -> WaitReason:
    """The reason the pick would find nobody for this source now (see ``WaitReason``)."""
    excluded: dict[str, int] = {}
    for candidate in candidates:
        reason = excluded_because(candidate)
        if reason is not None:
            excluded[reason] = excluded.get(reason, 0) + 1
    if not candidates:
        kind = "unweighted"
    elif sum(excluded.values()) < len(candidates):
        kind = "eligible"
    elif len(excluded) == 1:
        kind = next(iter(excluded))
    else:
        kind = "mixed"
    return WaitReason(kind, len(candidates), excluded)


# --- Assignment service ------------------------------------------------------


class AssignmentRefused(ConflictError):
    """A manual assignment that the rules forbid; ``reason`` says which rule."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def load_candidates(
    session, source_id: int, timed_out: frozenset[int] = frozenset(), now: datetime | None = None
) -> list[Candidate]:
    """Every operator weighted on the source, with status, load, schedule and absence: one query.

    ``timed_out``: the operators who let this contact's response timeout pass. Shifts are
    judged at ``now`` (default: the clock) in Python, from the schedule the row carries.

    Run on the session's connection (Core): plain rows, without the ORM's
    per-row loading work, in the same transaction.
    """
    return load_candidates_by_source(session, [source_id], timed_out, now).get(source_id, [])


def load_candidates_by_source(
    session, source_ids: Sequence[int], timed_out: frozenset[int] = frozenset(), now: datetime | None = None
) -> dict[int, list[Candidate]]:
    """``load_candidates`` for several sources in one query (pages that explain many sources)."""
    now = now or utcnow()
    rows = session.connection().execute(_CANDIDATES_BY_SOURCE, {"source_ids": list(source_ids), "now": now})
    by_source: dict[int, list[Candidate]] = {}
    for source_id, *candidate in rows:
        by_source.setdefault(source_id, []).append(_candidate(candidate, timed_out, now))
    return by_source


def source_with_candidates_query(source_columns: Sequence):
    """The query of ``source_with_candidates``: built once by its caller, run with parameters."""
    weighted = OperatorSourceWeight.__table__.join(Operator, OperatorSourceWeight.operator_id == Operator.id)
    return (
        select(*source_columns, *_CANDIDATE_COLUMNS)
        .select_from(Source)
        .outerjoin(weighted, and_(OperatorSourceWeight.source_id == Source.id,
                                  OperatorSourceWeight.weight > 0))
        .where(Source.id == bindparam("source_id"))
        .order_by(Operator.id)
    )


def source_with_candidates(session, query, source_id: int, now: datetime | None = None, **parameters):
    """(the source's columns of ``query``, its candidates) in one query; (None, []) without the source.

    For the intake, which needs both: a statement fewer per contact than reading them apart.
    ``parameters`` are those of the source's columns, if any.
    """
    now = now or utcnow()
    rows = session.connection().execute(query, {"source_id": source_id, "now": now, **parameters}).all()
    if not rows:
        return None, []
    width = len(rows[0]) - len(_CANDIDATE_COLUMNS)
    candidates = [_candidate(row[width:], frozenset(), now) for row in rows if row[width] is not None]
    return rows[0][:width], candidates


# Built once, run with parameters: building a statement costs more than running this one.
_NOW = bindparam("now", type_=UTCDateTime)
_CANDIDATE_COLUMNS = (
    Operator.id,
    OperatorSourceWeight.weight,
    Operator.status,
    Operator.max_active_contacts,
    Operator.open_contacts,
    Operator.schedule,
    # Uncorrelated: the absent operators are found once, not looked up again for each candidate.
    Operator.id.in_(
        select(OperatorAbsence.operator_id).where(OperatorAbsence.start <= _NOW, OperatorAbsence.end > _NOW)
    ),
)
_CANDIDATES_BY_SOURCE = (
    select(OperatorSourceWeight.source_id, *_CANDIDATE_COLUMNS)
    .join(
        OperatorSourceWeight,
        and_(
            OperatorSourceWeight.operator_id == Operator.id,
            OperatorSourceWeight.source_id.in_(bindparam("source_ids", expanding=True)),
        ),
    )
    .where(OperatorSourceWeight.weight > 0)
    .order_by(Operator.id)
)


def _candidate(row, timed_out: frozenset[int], now: datetime) -> Candidate:
    operator_id, weight, status, limit, load, schedule, is_absent = row
    return Candidate(operator_id, weight, status == "active", load, limit, operator_id in timed_out,
                     not schedules.on_shift(schedule, now), bool(is_absent))


def _lock_operators(session, operator_ids: Iterable[int | None]) -> dict[int, Operator]:
    """Lock the operators' rows (PostgreSQL: FOR UPDATE) and return them fresh, by id.

    Every path that gives an operator a contact takes this lock first, so the load it
    reads (``open_contacts``: the latest committed value once the lock is held) and the
    write after it cannot interleave with another worker's. A move locks the operator it
    takes the contact from too, whose count the contact's trigger lowers: both rows in
    id order, so two moves in opposite directions cannot deadlock. On SQLite the write
    transaction (BEGIN IMMEDIATE) already serialises writers and FOR UPDATE is not emitted.
    """
    ids = sorted({operator_id for operator_id in operator_ids if operator_id is not None})
    operators = session.execute(
        select(Operator)
        .where(Operator.id.in_(ids))
        .order_by(Operator.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalars()
    return {operator.id: operator for operator in operators}


def _set_operator(contact: Contact, operator_id: int | None) -> None:
    contact.operator_id = operator_id
    contact.assigned_at = utcnow() if operator_id is not None else None


class Actor(NamedTuple):
    """Who changed a contact's operator, as the assignment record names them."""

    kind: str  # "user", "token" or "system"
    name: str


SYSTEM = Actor("system", "system")


def _candidate_record(candidate: Candidate) -> dict:
    reason = excluded_because(candidate)
    return {
        "operator_id": candidate.operator_id,
        "weight": candidate.weight,
        "load": candidate.active_contacts,
        "limit": candidate.max_active_contacts,
        "eligible": reason is None,
        "excluded_because": reason,
    }


def _record(session, contact: Contact, from_operator_id, *, trigger, rule, actor: Actor,
            forced=False, reason=None, decision: Decision | None = None) -> None:
    """Write the assignment record of a change, in the transaction of the change (one INSERT)."""
    draw = decision.draw if decision is not None else None
    # Core, with the values as parameters: no statement is built per change.
    session.connection().execute(
        _INSERT_ASSIGNMENT,
        {
            "contact_id": contact.id,
            "at": utcnow(),
            "trigger": trigger,
            "rule": rule,
            "actor_kind": actor.kind,
            "actor_name": actor.name,
            "from_operator_id": from_operator_id,
            "operator_id": contact.operator_id,
            "forced": forced,
            "reason": reason,
            "candidates": [_candidate_record(c) for c in decision.candidates] if decision is not None else [],
            "draw_point": draw.point if draw is not None else None,
            "draw_total": draw.total if draw is not None else None,
            "preferred_operator_id": decision.preferred_operator_id if decision is not None else None,
        },
    )


_INSERT_ASSIGNMENT = insert(Assignment.__table__)


class SourceRouting(NamedTuple):
    """The settings of a source that the automatic pick obeys."""

    paused: bool
    sticky_days: int


# Selected with the source by whoever already reads it (the intake), to save a query.
ROUTING_COLUMNS = (Source.paused, Source.sticky_days)


def load_routing(session, source_id: int) -> SourceRouting:
    row = session.execute(select(*ROUTING_COLUMNS).where(Source.id == source_id)).one()
    return SourceRouting(*row)


def preferred_operator(session, contact: Contact, sticky_days: int) -> int | None:
    """The operator of the lead's most recent contact within ``sticky_days`` (0: none).

    One indexed query (ix_contacts_lead_id_id), and only when the source asks for it.
    """
    if sticky_days <= 0 or contact.lead_id is None:
        return None
    query = (
        select(Contact.operator_id)
        .where(Contact.lead_id == contact.lead_id)
        .where(Contact.operator_id.is_not(None))
        .where(Contact.created_at >= utcnow() - timedelta(days=sticky_days))
        .order_by(Contact.id.desc())
        .limit(1)
    )
    if contact.id is not None:
        query = query.where(Contact.id != contact.id)
    return session.execute(query).scalar_one_or_none()


def assign_automatically(
    session,
    contact: Contact,
    rng: random.Random | None = None,
    *,
    trigger: str,
    actor: Actor,
    routing: SourceRouting | None = None,
    now: datetime | None = None,
    candidates: list[Candidate] | None = None,
) -> int | None:
    """Give ``contact`` an operator by its source's weights, inside the caller's write transaction.

    ``routing`` (read here when not given) decides first: a paused source distributes
    nothing, and with ``sticky_days`` the lead's recent operator is preferred while
    eligible. Loads the candidates with their loads (one query; or takes ``candidates``,
    already read in this transaction by ``source_with_candidates``) and picks by weight.
    On PostgreSQL it then locks the chosen operator (``FOR UPDATE``, with the operator
    a move takes the contact from, in id order), whose ``open_contacts`` the lock returns
    as last committed; if it filled up (or was switched off) meanwhile, picks again, up
    to ``MAX_PICK_ATTEMPTS`` times. Each attempt runs in a savepoint that is rolled back
    when the operator turns out full, which releases that operator's row lock, so two
    re-picking transactions cannot deadlock. On
    SQLite the write transaction (BEGIN IMMEDIATE) already makes the loads
    current. Leaves the contact unassigned when nobody is eligible.

    A new contact is inserted here, already carrying its operator; the change (or,
    at intake, finding nobody) is recorded with the candidates and the draw.
    Shifts and absences are judged at ``now`` (default: the clock). Returns the operator
    id or None. Flushes, never commits.
    """
    routing = routing or load_routing(session, contact.source_id)
    from_operator_id = contact.operator_id
    if routing.paused:
        decision = Decision(None, "none", (), None)
    else:
        preferred = preferred_operator(session, contact, routing.sticky_days)
        timed_out = timed_out_operators(session, contact, trigger)
        rng = rng or _default_rng
        decision = _pick_and_lock(session, contact, preferred, rng, timed_out, now, candidates)
    _set_operator(contact, decision.operator_id)
    if contact.id is None:
        _insert_contact(session, contact)
    else:
        session.add(contact)
        session.flush()
    # Every change is recorded (a held contact left without anybody — a hand-over or a timeout —
    # too), and an intake that found nobody (it explains the wait); a drain that found nobody
    # changed nothing.
    if decision.operator_id is not None or trigger == "intake" or from_operator_id is not None:
        _record(session, contact, from_operator_id, trigger=trigger, rule=decision.rule, actor=actor,
                decision=decision)
    return decision.operator_id


# The new contact as written, read back: its id and the model's defaults (change_seq, which
# the database's trigger sets after the row, is left to be read when asked for).
_INSERT_CONTACT = insert(Contact.__table__).returning(
    *(column for column in Contact.__table__.c if column.key != "change_seq")
)


def _insert_contact(session, contact: Contact) -> None:
    """Write a new contact with one Core INSERT and give it to the session as if loaded.

    The ORM's unit of work cost more than the statement (about 0.3 ms of a 2.75 ms intake).
    Its webhook events are written here: the flush hook that records the others never sees it.
    """
    given = inspect(contact).dict
    values = {column.key: given[column.key] for column in Contact.__table__.c if column.key in given}
    row = session.connection().execute(_INSERT_CONTACT, values).one()
    for name, value in row._mapping.items():
        setattr(contact, name, value)
    make_transient_to_detached(contact)
    session.add(contact)
    webhooks.record_inserted_contact(session, contact)


def timed_out_operators(session, contact: Contact, trigger: str) -> frozenset[int]:
    """The operators who let ``contact``'s response timeout pass (one indexed query; none at intake).

    A pick made because of a timeout also leaves out the operator it takes the contact from.
    """
    if contact.id is None:
        return frozenset()
    earlier = session.execute(
        select(Assignment.from_operator_id)
        .where(Assignment.contact_id == contact.id, Assignment.trigger == "timeout")
        .where(Assignment.from_operator_id.is_not(None))
    ).scalars()
    current = {contact.operator_id} if trigger == "timeout" and contact.operator_id is not None else set()
    return frozenset(earlier) | current


def _pick_and_lock(
    session, contact: Contact, preferred: int | None, rng: random.Random, timed_out: frozenset[int],
    now: datetime | None, candidates: list[Candidate] | None,
) -> Decision:
    for _ in range(MAX_PICK_ATTEMPTS):
        if candidates is None:
            candidates = load_candidates(session, contact.source_id, timed_out, now)
        decision = decide(candidates, rng, preferred)
        if decision.operator_id is None or _lock_if_room(session, decision.operator_id, contact.operator_id):
            return decision
        candidates = None  # the pick filled up meanwhile: read them again
    # Every pick filled up under us: the contact waits.
    return Decision(None, "none", decision.candidates, None, preferred)


def _lock_if_room(session, operator_id: int, moving_from: int | None) -> bool:
    """Lock the operator and keep the lock only if it may take one more contact now.

    ``moving_from``: the contact's operator so far, locked with it (see ``_lock_operators``).
    """
    if not _row_locks_supported(session):
        # The candidates' loads were read inside this write transaction, which on SQLite
        # holds the database's only write lock (BEGIN IMMEDIATE): nobody can have
        # changed them since, so reading them again would find the same. (Were it a read
        # transaction, SQLite would refuse its first write once another writer had
        # committed - a 503, never a stale write.)
        return True
    attempt = session.begin_nested()
    operator = _lock_operators(session, [operator_id, moving_from]).get(operator_id)
    room = operator is not None and has_room(
        operator.is_active, operator.open_contacts, operator.max_active_contacts
    )
    if room:
        attempt.commit()  # RELEASE SAVEPOINT: the lock stays with the transaction
        return True
    attempt.rollback()  # ROLLBACK TO SAVEPOINT: the lock on the full operator goes
    return False


def _row_locks_supported(session) -> bool:
    # SQLite has no row locks: BEGIN IMMEDIATE already serialises every writer.
    return session.get_bind().dialect.name != "sqlite"


def assign_manually(
    session,
    contact: Contact,
    operator_id: int,
    *,
    actor: Actor,
    force: bool = False,
    reason: str | None = None,
) -> None:
    """A manager hands ``contact`` to an operator, inside the caller's write transaction.

    Refuses (``AssignmentRefused``) a closed contact, an unknown operator, and —
    unless ``force`` — an inactive operator or one at their limit. The change is
    recorded with ``reason``.
    """
    if not contact.is_open:
        raise AssignmentRefused("closed", "A closed contact cannot be reassigned.")
    operator = _lock_operators(session, [operator_id, contact.operator_id]).get(operator_id)
    if operator is None:
        raise InvalidError(
            f"Operator {operator_id} does not exist.",
            [{"field": "operator_id", "message": "no operator with this id"}],
        )
    if contact.operator_id == operator_id:
        return
    if not force:
        _check_room_for_manual(session, operator)
    from_operator_id = contact.operator_id
    _set_operator(contact, operator_id)
    session.flush()
    _record(session, contact, from_operator_id, trigger="manual", rule="manual", actor=actor,
            forced=force, reason=reason)


def _check_room_for_manual(session, operator: Operator) -> None:
    if not operator.is_active:
        raise AssignmentRefused("inactive", f"Operator {operator.name} is inactive; use force to override.")
    now = utcnow()
    if schedules.absent_now(session, [operator.id], now):
        raise AssignmentRefused("absent", f"Operator {operator.name} is absent; use force to override.")
    if not schedules.on_shift(operator.schedule, now):
        raise AssignmentRefused("off_shift", f"Operator {operator.name} is off shift; use force to override.")
    load = operator.open_contacts
    if load >= operator.max_active_contacts:
        raise AssignmentRefused(
            "at_limit",
            f"Operator {operator.name} is at their limit "
            f"({load}/{operator.max_active_contacts}); use force to override.",
        )


def unassign(session, contact: Contact, *, actor: Actor, reason: str | None = None) -> None:
    """Take the operator off an open contact; it waits as ``new`` for the next one."""
    if not contact.is_open:
        raise AssignmentRefused("closed", "A closed contact cannot be reassigned.")
    from_operator_id = contact.operator_id
    _set_operator(contact, None)
    contact.status = "new"
    session.flush()
    if from_operator_id is not None:
        _record(session, contact, from_operator_id, trigger="unassign", rule="manual", actor=actor,
                reason=reason)


def waiting_contacts(session, source_id: int | None = None) -> list[tuple[int, int]]:
    """(contact id, source id) of every unassigned open contact, oldest first."""
    return session.execute(
        unassigned_open_contacts(source_id).with_only_columns(Contact.id, Contact.source_id)
    ).all()


def assign_waiting(
    session, contact_id: int, rng: random.Random | None = None, *, trigger: str, actor: Actor,
    now: datetime | None = None,
) -> bool | None:
    """Give one waiting contact an operator, inside the caller's write transaction.

    The contact is locked and re-read first: True when it was assigned, False when
    nobody is eligible, None when someone took or closed it meanwhile, or when nobody is
    eligible for this contact alone (every eligible operator let it time out): the
    source's other contacts may still go.
    """
    contact = session.execute(
        select(Contact).where(Contact.id == contact_id).with_for_update(of=Contact)
    ).scalar_one_or_none()
    if contact is None or contact.operator_id is not None or not contact.is_open:
        return None
    if assign_automatically(session, contact, rng, trigger=trigger, actor=actor, now=now) is not None:
        return True
    return None if timed_out_operators(session, contact, trigger) else False


# --- What a drain may hand out -------------------------------------------------


def drainable_contacts(
    session, source_ids: Iterable[int] | None, limit_per_source: int | None = None
) -> list[tuple[int, int]]:
    """(contact id, source id) of the waiting contacts a drain may assign, oldest first.

    Only sources that drain (``auto_drain`` and not ``paused``); ``source_ids`` None is
    every source. With ``limit_per_source``, only that many of each (one indexed query
    per source), so a drain that may assign one contact does not read a whole backlog.
    """
    sources = select(Source.id).where(Source.auto_drain.is_(True), Source.paused.is_(False))
    if source_ids is not None:
        sources = sources.where(Source.id.in_(list(source_ids)))
    draining = session.execute(sources.order_by(Source.id)).scalars().all()
    if limit_per_source is None:
        wanted = set(draining)
        return [row for row in waiting_contacts(session) if row[1] in wanted]
    found = []
    for source_id in draining:
        query = unassigned_open_contacts(source_id).with_only_columns(Contact.id, Contact.source_id)
        found.extend(session.execute(query.limit(limit_per_source)).all())
    return sorted(found)


def operator_room(session, operator_id: int) -> int:
    """How many more contacts the operator may take now (0 when inactive or unknown)."""
    operator = session.get(Operator, operator_id, populate_existing=True)
    if operator is None or not operator.is_active:
        return 0
    return max(operator.max_active_contacts - operator.open_contacts, 0)


def sources_of_operator(session, operator_id: int) -> list[int]:
    """The sources on which the operator has a weight."""
    query = select(OperatorSourceWeight.source_id).where(OperatorSourceWeight.operator_id == operator_id)
    return list(session.execute(query.order_by(OperatorSourceWeight.source_id)).scalars())

def hand_over(session, contact_id: int, rng: random.Random | None = None, *, actor: Actor) -> bool:
    """Move one open contact from its operator to the one the weighted pick chooses now.

    For an operator switched off with contacts in hand. The contact is locked and
    re-read; it moves only when the pick finds somebody eligible (never back to an
    operator who is inactive), else it stays where it is. True when it moved.
    """
    contact = session.execute(
        select(Contact).where(Contact.id == contact_id).with_for_update(of=Contact)
    ).scalar_one_or_none()
    if contact is None or contact.operator_id is None or not contact.is_open:
        return False
    held_by = contact.operator_id
    if session.get(Operator, held_by).is_active:  # only an operator switched off gives contacts away
        return False
    if not eligible_candidates(load_candidates(session, contact.source_id)):
        return False
    return assign_automatically(session, contact, rng, trigger="redistribute", actor=actor) is not None
