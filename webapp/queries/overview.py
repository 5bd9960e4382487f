"""The overview's headline numbers and the per-source counts of today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy import func, select

from webapp.distribution import WaitReason, load_candidates_by_source, why_waiting
from webapp.models import OPEN_CONTACT_STATUSES, Contact, Operator, Source
from webapp.queries.sources import sources_by_name
from webapp.queries.today import todays_contacts_by_source_id


@dataclass(frozen=True)
class Overview:
    open_contacts: int
    unassigned: int
    oldest_unassigned_at: datetime | None
    operators_active: int
    operators_total: int


def overview(session) -> Overview:
    """The headline numbers: two queries, whatever the number of contacts.

    Open contacts are the operators' ``open_contacts`` summed, plus the unassigned ones
    (read from ix_contacts_operator_status); counting every open contact took 100 ms at
    1,000,000 contacts.
    """
    unassigned, oldest = session.execute(
        select(func.count(), func.min(Contact.created_at)).where(
            Contact.operator_id.is_(None), Contact.status.in_(OPEN_CONTACT_STATUSES)
        )
    ).one()
    assigned, active, total = session.execute(
        select(
            func.coalesce(func.sum(Operator.open_contacts), 0),
            func.count().filter(Operator.status == "active"),
            func.count(),
        ).select_from(Operator)
    ).one()
    return Overview(assigned + unassigned, unassigned, oldest, active, total)


@dataclass(frozen=True)
class WaitingSource:
    """A source with unassigned open contacts, and why the pick finds nobody for them now."""

    source: Source
    count: int
    oldest_at: datetime
    reason: WaitReason


def why_contacts_wait(session) -> list[WaitingSource]:
    """Sources whose contacts wait unassigned, most waiting first: three queries, whatever the count.

    The reason is the distribution's own (``why_waiting`` over ``load_candidates``), never a
    rule of this page.
    """
    waiting = session.execute(
        select(Contact.source_id, func.count(), func.min(Contact.created_at))
        .where(Contact.operator_id.is_(None), Contact.status.in_(OPEN_CONTACT_STATUSES))
        .group_by(Contact.source_id)
    ).all()
    ids = [source_id for source_id, _count, _oldest in waiting]
    sources = {source.id: source for source in sources_by_name(session) if source.id in ids}
    candidates = load_candidates_by_source(session, ids)
    rows = [
        WaitingSource(sources[source_id], count, oldest, why_waiting(candidates.get(source_id, [])))
        for source_id, count, oldest in waiting
    ]
    return sorted(rows, key=lambda row: (-row.count, row.source.name))


def contacts_today_by_source(session, zone: tzinfo = UTC) -> list[tuple[Source, int]]:
    """Every source with the number of contacts it received today (in ``zone``); one query."""
    counts = todays_contacts_by_source_id(session, zone)
    pairs = ((source, counts.get(source.id, 0)) for source in sources_by_name(session))
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0].name))
