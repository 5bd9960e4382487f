"""The demo's month: history made by the real domain functions, for every chart and the fairness flag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.builders import committed
from webapp import demo, insight
from webapp.clock import replaying_at
from webapp.extensions import db
from webapp.models import Assignment, Contact, Operator

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # a Monday, half past noon in Moscow


def test_thirty_days_with_a_skewed_week_the_flag_catches(app):
    with replaying_at(NOW):
        committed(demo.seed)
    first, last = db.session.execute(select(func.min(Contact.created_at), func.max(Contact.created_at))).one()
    assert NOW - timedelta(days=31) < first < NOW - timedelta(days=29)
    assert NOW - timedelta(hours=6) < last < NOW

    def counts(column):
        return dict(db.session.execute(select(column, func.count()).group_by(column)).all())

    statuses = counts(Contact.status)
    assert statuses["closed"] > 400 and statuses.get("new", 0) + statuses.get("in_progress", 0) > 0
    assert counts(Assignment.trigger)["drain"] > 0  # some waited for a shift to start or a contact to close
    assert counts(Operator.status) == {"active": 4, "inactive": 1}  # Vera left

    def report(days):
        sources = insight.source_names(db.session)
        stats = insight.stats_report(db.session, NOW - timedelta(days=days), NOW, sources,
                                     insight.operator_names(db.session))
        return {item.name: item for item in stats}

    week = report(7)
    telegram = {share.name: share for share in week["Telegram bot"].operators}
    assert telegram["Anna"].flag and telegram["Anna"].assigned > telegram["Anna"].expected
    assert not any(share.flag for share in week["Site widget"].operators)
    assert sum(1 for count in week["Site widget"].arrivals_by_hour if count) >= 8
    assert week["WhatsApp"].waited_seconds_p90 > 0
    # Vera left mid-month and the weights changed: she had picks in the month, none in the last week.
    month = {share.name: share for share in report(30)["Telegram bot"].operators}
    assert month["Vera"].assigned > 0 and "Vera" not in telegram
