"""Response timeouts: an automatically assigned contact still ``new`` after its source's
``response_timeout_minutes`` goes back to the pool, never again to the operator who let it wait.

The worker runs ``expire`` on every tick with the time it reads once; tests pass their own
``now``. Each contact is one write transaction that locks it and checks again, so two
workers on one database time a contact out once.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from webapp import distribution
from webapp.database import write_transaction
from webapp.models import Assignment, Contact, Source

log = logging.getLogger(__name__)

# The rules of automatic picks: a manager's own choice never times out.
AUTOMATIC_RULES = ("weighted", "sticky")


def deadline(contact: Contact, timeout_minutes: int | None) -> datetime | None:
    """When ``contact`` times out (None: it does not), whoever assigned it."""
    if timeout_minutes is None or contact.status != "new" or contact.assigned_at is None:
        return None
    return contact.assigned_at + timedelta(minutes=timeout_minutes)


def deadlines(session, contacts: list[Contact]) -> dict[int, datetime]:
    """When each of ``contacts`` (their sources loaded) times out, for those that will: one query.

    Only a contact still ``new`` whose source has a timeout and whose latest assignment was
    an automatic pick (a manual one never times out) gets a deadline.
    """
    due = {
        contact.id: limit
        for contact in contacts
        if contact.operator_id is not None
        and (limit := deadline(contact, contact.source.response_timeout_minutes)) is not None
    }
    # Asked even when no row can time out: a board costs the same statements whatever it shows.
    latest = (
        select(func.max(Assignment.id)).where(Assignment.contact_id.in_(due)).group_by(Assignment.contact_id)
    )
    automatic = session.execute(
        select(Assignment.contact_id).where(Assignment.id.in_(latest), Assignment.rule.in_(AUTOMATIC_RULES))
    ).scalars()
    return {contact_id: due[contact_id] for contact_id in automatic}


def stale_contacts(session, now: datetime) -> list[int]:
    """Ids of the assigned ``new`` contacts past their source's timeout, oldest first.

    One query per source with a timeout; whether the assignment was automatic is checked
    per contact, under its lock (``time_out``).
    """
    sources = session.execute(
        select(Source.id, Source.response_timeout_minutes).where(Source.response_timeout_minutes.is_not(None))
    ).all()
    found: list[int] = []
    for source_id, minutes in sources:
        found.extend(
            session.execute(
                select(Contact.id)
                .where(Contact.source_id == source_id, Contact.status == "new")
                .where(Contact.operator_id.is_not(None))
                .where(Contact.assigned_at <= now - timedelta(minutes=minutes))
            ).scalars()
        )
    return sorted(found)


def time_out(session, contact_id: int, now: datetime, rng: random.Random | None = None) -> bool:
    """Hand one stale contact on, inside the caller's write transaction; False if it is not stale now.

    The contact is locked and re-read: taken, closed or handed over meanwhile, it stays. The
    new pick leaves out every operator who let it time out (an empty pick: it waits).
    """
    contact = session.execute(
        select(Contact).where(Contact.id == contact_id).with_for_update(of=Contact)
    ).scalar_one_or_none()
    if contact is None or contact.operator_id is None:
        return False
    limit = deadline(contact, contact.source.response_timeout_minutes)
    if limit is None or limit > now or not _assigned_automatically(session, contact):
        return False
    distribution.assign_automatically(
        session, contact, rng, trigger="timeout", actor=distribution.SYSTEM, now=now
    )
    return True


def _assigned_automatically(session, contact: Contact) -> bool:
    latest = session.execute(
        select(Assignment.rule, Assignment.operator_id)
        .where(Assignment.contact_id == contact.id)
        .order_by(Assignment.id.desc())
        .limit(1)
    ).first()
    return latest is not None and latest.operator_id == contact.operator_id and latest.rule in AUTOMATIC_RULES


def expire(session, now: datetime, rng: random.Random | None = None) -> int:
    """Time out every stale contact, each in a write transaction of its own; how many moved."""
    moved = 0
    for contact_id in stale_contacts(session, now):
        try:
            with write_transaction(session):
                moved += time_out(session, contact_id, now, rng)
        except OperationalError as error:
            log.warning("timeouts stopped, the next tick finishes them: %s", error.orig)
            break
    return moved
