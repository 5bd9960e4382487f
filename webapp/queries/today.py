"""Counts by day: what "today" means and the day's contacts per source.

A day is a day of a time zone (the viewer's; UTC when none is given): the counts
are over the UTC range from that day's midnight, where the times are stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo

from sqlalchemy import func, select

from webapp.clock import utcnow
from webapp.models import Contact


def local_today(zone: tzinfo = UTC) -> date:
    return utcnow().astimezone(zone).date()


def start_of_day(day: date, zone: tzinfo = UTC) -> datetime:
    """The UTC moment at which ``day`` begins in ``zone``."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def start_of_today(zone: tzinfo = UTC) -> datetime:
    return start_of_day(local_today(zone), zone)


def source_id_for_grouping():
    # "source_id + 0" is no longer the indexed column: SQLite would otherwise scan the
    # whole table in source_id order to group, instead of reading the date range from
    # ix_contacts_created_at (seen: 650 ms against 1 ms at 1,000,000 contacts).
    return (Contact.source_id + 0).label("source_id")


def todays_contacts_by_source_id(session, zone: tzinfo = UTC) -> dict[int, int]:
    """{source id: contacts received today (in ``zone``)}; one grouped query over today's range."""
    source_id = source_id_for_grouping()
    return dict(
        session.execute(
            select(source_id, func.count())
            .where(Contact.created_at >= start_of_today(zone))
            .group_by(source_id)
        ).all()
    )
