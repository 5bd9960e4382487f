"""How the routing of each source is doing: the waiting pool, the sticky preference,
the intake limit. Shared by the API (Source's ``waiting``) and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import case, func, select, union_all
from sqlalchemy.orm import lazyload

from webapp.clock import utcnow
from webapp.models import OPEN_CONTACT_STATUSES, Assignment, Contact, Source
from webapp.queries.today import start_of_today


@dataclass(frozen=True)
class Waiting:
    """A source's unassigned open contacts, the age of the oldest, and how many are overdue."""

    count: int = 0
    oldest_seconds: int | None = None
    overdue: int = 0


def waiting_by_source(session, sources: list[Source]) -> dict[int, Waiting]:
    """{source id: Waiting} for the given sources: two grouped queries, whatever their number.

    Overdue counts contacts waiting (unassigned, or assigned and still ``new``) longer
    than the source's ``wait_target_minutes``.
    """
    now = utcnow()
    waiting = session.execute(
        select(Contact.source_id, func.count(), func.min(Contact.created_at))
        .where(Contact.operator_id.is_(None), Contact.status.in_(OPEN_CONTACT_STATUSES))
        .where(Contact.source_id.in_([source.id for source in sources]))
        .group_by(Contact.source_id)
    ).all()
    overdue = _overdue_by_source(session, sources, now)
    result = {source.id: Waiting(overdue=overdue.get(source.id, 0)) for source in sources}
    for source_id, count, oldest in waiting:
        seconds = max(int((now - oldest).total_seconds()), 0) if oldest else None
        result[source_id] = Waiting(count, seconds, overdue.get(source_id, 0))
    return result


def is_overdue(contact: Contact, now: datetime) -> bool:
    """Waiting (unassigned, or assigned and still new) past its source's wait target (source loaded)."""
    moment = overdue_from(contact)
    return moment is not None and moment < now


def overdue_from(contact: Contact) -> datetime | None:
    """When the contact, waiting as it is now, is past its source's wait target; None if it never is."""
    target = contact.source.wait_target_minutes
    waiting = contact.is_open and (contact.operator_id is None or contact.status == "new")
    return contact.created_at + timedelta(minutes=target) if target and waiting else None


def waiting_targets(session) -> list[tuple[Source, Waiting]]:
    """Every source with a wait target, by name, and how many of its contacts wait and are overdue."""
    sources = list(
        session.execute(
            # Without their weights (Source loads them by default): only the names are shown.
            select(Source)
            .options(lazyload(Source.weights))
            .where(Source.wait_target_minutes.is_not(None))
            .order_by(Source.name)
        ).scalars()
    )
    if not sources:
        return []
    waiting = waiting_by_source(session, sources)
    return [(source, waiting[source.id]) for source in sources]


def _overdue_by_source(session, sources: list[Source], now: datetime) -> dict[int, int]:
    cutoffs = {
        source.id: now - timedelta(minutes=source.wait_target_minutes)
        for source in sources
        if source.wait_target_minutes
    }
    if not cutoffs:
        return {}
    older = Contact.created_at < case(cutoffs, value=Contact.source_id)
    on_sources = Contact.source_id.in_(list(cutoffs))
    # Waiting is "new" (with or without an operator) or in progress without one. Two index
    # ranges, never a source's closed history: the new ones from ix_contacts_source_id_status_created_at
    # alone, the others from ix_contacts_operator_status (110 ms against 8 at 1,000,000 contacts).
    waiting = union_all(
        select(Contact.source_id).where(on_sources, Contact.status == "new", older),
        select(Contact.source_id).where(
            Contact.operator_id.is_(None), Contact.status == "in_progress", on_sources, older
        ),
    ).subquery()
    return dict(
        session.execute(select(waiting.c.source_id, func.count()).group_by(waiting.c.source_id)).all()
    )


@dataclass(frozen=True)
class StickyHeld:
    """Automatic picks where sticky_days preferred a lead's recent operator, and how many went there."""

    preferred: int = 0
    held: int = 0

    @property
    def percent(self) -> float | None:
        return 100 * self.held / self.preferred if self.preferred else None


STICKY_PERIOD = timedelta(days=7)


def sticky_held_by_source(session, since: datetime | None = None) -> dict[int, StickyHeld]:
    """{source id: StickyHeld} over the assignment records since ``since`` (default: 7 days)."""
    since = since or utcnow() - STICKY_PERIOD
    rows = session.execute(
        select(Contact.source_id, func.count(), func.count().filter(Assignment.rule == "sticky"))
        .join(Contact, Contact.id == Assignment.contact_id)
        .where(Assignment.at >= since, Assignment.preferred_operator_id.is_not(None))
        .group_by(Contact.source_id)
    ).all()
    return {source_id: StickyHeld(preferred, held) for source_id, preferred, held in rows}


def limited_today(sources: list[Source], zone: tzinfo) -> set[int]:
    """Ids of the sources whose intake_per_minute refused a contact today (in ``zone``); no query."""
    start = start_of_today(zone)
    return {source.id for source in sources if source.intake_limited_at and source.intake_limited_at >= start}
