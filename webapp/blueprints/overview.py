"""The overview page and the stats page."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.blueprints.rendering import render_page, wants_fragment
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.i18n import user_zone
from webapp.queries import operators as operator_queries
from webapp.queries import overview as overview_queries
from webapp.queries import reports, routing
from webapp.security import staff_required

bp = Blueprint("overview", __name__)


@bp.get("/")
@staff_required
def index():
    """Open and waiting contacts, operators' loads, today's contacts by source (paused, limited)."""
    waiting = routing.waiting_targets(db.session)
    if wants_fragment():  # the waiting-targets card polls itself
        return render_page("overview/index.html", "waiting_targets", waiting_targets=waiting)
    sources_today = overview_queries.contacts_today_by_source(db.session, user_zone())
    return render_template(
        "overview/index.html",
        summary=overview_queries.overview(db.session),
        loads=operator_queries.busiest_operators(db.session),
        sources_today=sources_today,
        limited_today=routing.limited_today([source for source, _count in sources_today], user_zone()),
        waiting_targets=waiting,
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
