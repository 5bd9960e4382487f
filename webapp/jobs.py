"""Work made of many units of work, each its own write transaction.

Called by views, CLI commands and (later) the worker, like a view is: these
functions own their transactions; the domain functions they call never commit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select

from webapp import distribution
from webapp.database import write_transaction
from webapp.models import OPEN_CONTACT_STATUSES, Contact


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
