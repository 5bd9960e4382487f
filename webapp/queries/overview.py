"""The overview's headline numbers and the per-source counts of today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy import case, func, select

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
    """The headline numbers: two queries."""
    unassigned = Contact.operator_id.is_(None)
    # Filtered by status in WHERE, so only open contacts are read (ix_contacts_status_id),
    # however much closed history there is.
    open_count, unassigned_count, oldest = session.execute(
        select(
            func.count(),
            func.count().filter(unassigned),
            func.min(case((unassigned, Contact.created_at))),
        ).where(Contact.status.in_(OPEN_CONTACT_STATUSES))
    ).one()
    active, total = session.execute(
        select(func.count().filter(Operator.status == "active"), func.count()).select_from(Operator)
    ).one()
    return Overview(open_count, unassigned_count, oldest, active, total)






def contacts_today_by_source(session, zone: tzinfo = UTC) -> list[tuple[Source, int]]:
    """Every source with the number of contacts it received today (in ``zone``); one query."""
    counts = todays_contacts_by_source_id(session, zone)
    pairs = ((source, counts.get(source.id, 0)) for source in sources_by_name(session))
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0].name))
