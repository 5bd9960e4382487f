"""The overview page and the stats page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from webapp.blueprints.rendering import render_page
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.i18n import user_zone
from webapp.queries import operators as operator_queries
from webapp.queries import overview as overview_queries
from webapp.queries import reports, routing
from webapp.security import staff_required

bp = Blueprint("overview", __name__)
POLL_SECONDS = 5


@bp.get("/")
@staff_required
def index():
    """Open and waiting contacts (why they wait), operators' loads, today by source (paused, limited).

    Polled by htmx through the same block; the tab title carries the unassigned count.
    """
    summary = overview_queries.overview(db.session)
    sources_today = overview_queries.contacts_today_by_source(db.session, user_zone())
    title = _("Overview")
    return render_page(
        "overview/index.html",
        "overview",
        summary=summary,
        page_title=f"({summary.unassigned}) {title}" if summary.unassigned else title,
        waiting=overview_queries.why_contacts_wait(db.session),
        loads=operator_queries.busiest_operators(db.session),
        sources_today=sources_today,
        limited_today=routing.limited_today([source for source, _count in sources_today], user_zone()),
        poll_seconds=POLL_SECONDS,
        now=utcnow(),
    )


@bp.get("/stats", endpoint="stats")
@staff_required
def stats_page():
    """Contacts per source per day (14 days) and per operator received/closed."""
    zone = user_zone()
    days = reports.last_days(14, zone)
    return render_template(
        "overview/stats.html",
        days=days,
        zone=zone.key,
        sources=[source for source, _count in overview_queries.contacts_today_by_source(db.session, zone)],
        per_day=reports.contacts_per_source_per_day(db.session, len(days), zone),
        activity=reports.operator_activity(db.session, len(days), zone=zone),
    )
