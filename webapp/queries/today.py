"""Counts by day: what "today" means and the day's contacts per source."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from webapp.clock import utcnow
from webapp.models import Contact


def start_of_today() -> datetime:
    now = utcnow()
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


def source_id_for_grouping():
    # "source_id + 0" is no longer the indexed column: SQLite would otherwise scan the
    # whole table in source_id order to group, instead of reading the date range from
    # ix_contacts_created_at (seen: 650 ms against 1 ms at 1,000,000 contacts).
    return (Contact.source_id + 0).label("source_id")


def todays_contacts_by_source_id(session) -> dict[int, int]:
    """{source id: contacts received today (UTC)}; one grouped query over today's range."""
    source_id = source_id_for_grouping()
    return dict(
        session.execute(
            select(source_id, func.count())
            .where(Contact.created_at >= start_of_today())
            .group_by(source_id)
        ).all()
    )
