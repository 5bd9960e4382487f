"""The stats page: contacts per source per day, operators' received and closed."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from webapp.clock import utcnow
from webapp.models import Contact, Operator
from webapp.queries.today import source_id_for_grouping, start_of_today


def last_days(days: int) -> list[date]:
    today = utcnow().date()
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def contacts_per_source_per_day(session, days: int = 14) -> dict[int, dict[date, int]]:
    """{source id: {day: contacts}} over the last ``days`` days (UTC); one grouped query."""
    since = start_of_today() - timedelta(days=days - 1)
    day = func.date(Contact.created_at)
    source_id = source_id_for_grouping()
    rows = session.execute(
        select(source_id, day, func.count())
        .where(Contact.created_at >= since)
        .group_by(source_id, day)
    ).all()
    result: dict[int, dict[date, int]] = {}
    for source_id, when, count in rows:
        when = date.fromisoformat(when) if isinstance(when, str) else when
        result.setdefault(source_id, {})[when] = count
    return result


def operator_activity(session, days: int = 14, limit: int = 100) -> list[tuple[Operator, int, int]]:
    """Per operator: contacts received and closed in the last ``days`` days; busiest first."""
    since = start_of_today() - timedelta(days=days - 1)
    received = func.count().filter(Contact.assigned_at >= since)
    closed = func.count().filter((Contact.closed_at >= since) & (Contact.status == "closed"))
    rows = session.execute(
        select(Operator, received, closed)
        .join(Contact, Contact.operator_id == Operator.id)
        .where((Contact.assigned_at >= since) | (Contact.closed_at >= since))
        .group_by(Operator.id)
        .order_by(received.desc(), Operator.name)
        .limit(limit)
    ).all()
    return [(operator, got, done) for operator, got, done in rows]
