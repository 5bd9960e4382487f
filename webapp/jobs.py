"""Work made of many units of work, each its own write transaction.

Called by views, CLI commands and (later) the worker, like a view is: these
functions own their transactions; the domain functions they call never commit.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from webapp import distribution, weight_plans
from webapp.clock import utcnow
from webapp.database import write_transaction
from webapp.errors import DomainError, StaleError
from webapp.models import OPEN_CONTACT_STATUSES, Contact, Operator, OperatorSourceWeight


@dataclass(frozen=True)
class RedistributionResult:
    assigned: int
    unassigned: int


def redistribute(
    session, source_id: int | None = None, rng: random.Random | None = None, *, actor: distribution.Actor
) -> RedistributionResult:
    """Run the distribution for every unassigned open contact, oldest first.

    Each contact is assigned in a write transaction of its own, so a long run
    never holds the database and a concurrent intake is never starved. A source
    whose contact found nobody is skipped for the rest of the run.
    """
    waiting = distribution.waiting_contacts(session, source_id)
    assigned = still_waiting = 0
    full_sources: set[int] = set()
    for contact_id, contact_source_id in waiting:
        if contact_source_id in full_sources:
            still_waiting += 1
            continue
        with write_transaction(session):
            outcome = distribution.assign_waiting(
                session, contact_id, rng, trigger="redistribute", actor=actor
            )
        if outcome is True:
            assigned += 1
        elif outcome is False:
            still_waiting += 1
            full_sources.add(contact_source_id)
    return RedistributionResult(assigned=assigned, unassigned=still_waiting)


# --- The backlog drains itself -------------------------------------------------
# A drain runs after the change that freed capacity has committed, in the same
# request (API.md allows "after its commit"): each contact in a write transaction of
# its own, through distribution.assign_waiting, which locks like the intake does. So
# two drains at once, or a drain and an intake, never assign a contact twice or fill
# an operator past the limit. A drain that fails (the database busy) is logged and left
# to the sweep: the change it followed is already committed and answered.

log = logging.getLogger(__name__)


def drain(
    session,
    source_ids: Iterable[int] | None = None,
    *,
    at_most: int | None = None,
    trigger: str = "drain",
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> int:
    """Assign the oldest waiting contacts of the draining sources (None: all), at most ``at_most``.

    A source whose contact found nobody is skipped for the rest of the pass. Returns
    how many contacts were assigned.
    """
    if at_most is not None and at_most <= 0:
        return 0
    waiting = distribution.drainable_contacts(session, source_ids, at_most)
    assigned = 0
    full_sources: set[int] = set()
    for contact_id, source_id in waiting:
        if source_id in full_sources:
            continue
        try:
            with write_transaction(session):
                outcome = distribution.assign_waiting(
                    session, contact_id, rng, trigger=trigger, actor=distribution.SYSTEM, now=now
                )
        except OperationalError as error:
            log.warning("drain stopped, the sweep will finish it: %s", error.orig)
            break
        if outcome is True:
            assigned += 1
            if assigned == at_most:
                break
        elif outcome is False:
            full_sources.add(source_id)
    return assigned


def drain_for_operator(
    session, operator_id: int, *, at_most: int | None = None, source_id: int | None = None, rng=None
) -> int:
    """Hand the room an operator has now (at most ``at_most``) to their sources' waiting contacts.

    ``source_id`` narrows it to one source (a weight raised there). The contacts go by
    the normal pick, not necessarily to this operator; the count is bounded all the same.
    """
    room = distribution.operator_room(session, operator_id)
    if at_most is not None:
        room = min(room, at_most)
    if room <= 0:
        return 0
    sources = [source_id] if source_id is not None else distribution.sources_of_operator(session, operator_id)
    return drain(session, sources, at_most=room, rng=rng)


def after_contact_change(session, operator_before: int | None, contact) -> int:
    """A contact closed, unassigned or handed elsewhere frees one place of its former operator."""
    if operator_before is None:
        return 0
    if contact.status == "closed" or contact.operator_id != operator_before:
        return drain_for_operator(session, operator_before, at_most=1)
    return 0


@dataclass
class BulkResult:
    """What a bulk action did: the contacts changed, those changed by someone else meanwhile
    (skipped, nothing overwritten), and those the rules refused, each with its refusal."""

    changed: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    refused: list[tuple[int, DomainError]] = field(default_factory=list)


def for_each_contact(
    session,
    targets: Iterable[tuple[int, frozenset[str] | None]],
    change: Callable[[int, frozenset[str] | None], Contact],
) -> BulkResult:
    """Apply ``change(contact_id, expected_versions)`` to each target; drain after each as after one action.

    ``change`` is the single action's own (the same domain function, with the version the
    row was drawn with) and opens its own unit of work: one per contact, as ``redistribute``
    does. So a contact refused or changed meanwhile skips only itself, what was done stays
    done, and SQLite's write lock is held a moment per contact, never for the whole batch
    while bots wait to store theirs.
    """
    result = BulkResult()
    for contact_id, expected in targets:
        current = session.get(Contact, contact_id, populate_existing=True)
        operator_before = current.operator_id if current is not None else None
        try:
            contact = change(contact_id, expected)
        except StaleError:
            result.stale.append(contact_id)
            continue
        except DomainError as error:
            result.refused.append((contact_id, error))
            continue
        result.changed.append(contact_id)
        after_contact_change(session, operator_before, contact)
    return result


def after_operator_change(session, operator_id: int, was_active: bool, old_limit: int) -> int:
    """An operator made active frees their whole room; a raised limit frees the difference."""
    operator = session.get(Operator, operator_id, populate_existing=True)
    if operator is None or not operator.is_active:
        return 0
    if not was_active:
        return drain_for_operator(session, operator_id)
    return drain_for_operator(session, operator_id, at_most=operator.max_active_contacts - old_limit)


def after_weights_change(session, source_id: int, weights_before: dict[int, int]) -> int:
    """Every operator whose weight on the source went up may take that source's waiting contacts."""
    weights_after = dict(
        session.execute(
            select(OperatorSourceWeight.operator_id, OperatorSourceWeight.weight).where(
                OperatorSourceWeight.source_id == source_id
            )
        ).all()
    )
    return sum(
        drain_for_operator(session, operator_id, source_id=source_id)
        for operator_id, weight in sorted(weights_after.items())
        if weight > weights_before.get(operator_id, 0)
    )


def after_source_change(session, source_id: int, was_draining: bool) -> int:
    """A source resumed (or given auto_drain) hands its waiting contacts to whoever has room."""
    if was_draining:
        return 0
    return drain(session, [source_id])


def sweep(session, rng: random.Random | None = None, now: datetime | None = None) -> int:
    """One pass over every draining source, for capacity that no event handed out (a shift
    that began, an absence that ended), eligibility judged at ``now`` (default: the clock).

    Planned weight changes due at ``now`` are applied or reverted first. The worker runs it
    every tick; the command ``flask --app wsgi sweep`` once.
    """
    apply_weight_plans(session, now)
    return drain(session, None, trigger="sweep", rng=rng, now=now)


@dataclass(frozen=True)
class HandOverResult:
    moved: int
    kept: int


def hand_over_open_contacts(
    session, operator_id: int, rng: random.Random | None = None, *, actor: distribution.Actor
) -> HandOverResult:
    """Hand an inactive operator's open contacts to others by the normal pick, oldest first.

    Each contact moves in a write transaction of its own (like ``redistribute``); one
    that nobody eligible can take now stays with the operator.
    """
    held = session.execute(
        select(Contact.id)
        .where(Contact.operator_id == operator_id, Contact.status.in_(OPEN_CONTACT_STATUSES))
        .order_by(Contact.id)
    ).scalars().all()
    moved = 0
    for contact_id in held:
        with write_transaction(session):
            moved += distribution.hand_over(session, contact_id, rng, actor=actor)
    return HandOverResult(moved=moved, kept=len(held) - moved)


def apply_weight_plans(session, now: datetime | None = None) -> int:
    """Start the weight plans due at ``now`` and end those past their end, each in its own unit of work.

    A source whose weights went up hands its waiting contacts out (``after_weights_change``).
    Returns how many plans changed weights.
    """
    now = now or utcnow()
    changed = 0
    for plan_id in weight_plans.due_plan_ids(session, now):
        with write_transaction(session):
            change = weight_plans.advance_plan(session, plan_id, now)
        if change is not None:
            changed += 1
            after_weights_change(session, change.source_id, change.weights_before)
    return changed
