"""The overview page and the stats page (with its CSV)."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from webapp import insight
from webapp import stats_page as insight_page
from webapp.blueprints.rendering import render_page
from webapp.clock import utcnow
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.i18n import user_zone
from webapp.ids import parse_int
from webapp.models import Source
from webapp.queries import operators as operator_queries
from webapp.queries import overview as overview_queries
from webapp.queries import reports, routing
from webapp.security import staff_required
from webapp.spreadsheet import safe_cell

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
        waiting_targets=routing.waiting_targets(db.session),
        now=utcnow(),
    )


def _selection(zone):
    """(period, source id, error message): a bad period falls back to 7 days, with the message."""
    source_id = parse_int(request.args.get("source", ""))
    try:
        return insight_page.choose_period(request.args, zone), source_id, None
    except DomainError as error:
        return insight_page.default_period(zone), source_id, error.message


@bp.get("/stats", endpoint="stats")
@staff_required
def stats_page():
    """Per source, target against actual per operator, arrivals by hour, waiting, response times, load."""
    zone = user_zone()
    days = reports.last_days(14, zone)
    period, source_id, error = _selection(zone)
    # One query of the sources (names only: not their weights) serves the picker, the 14-day
    # table and the sections.
    all_sources = db.session.execute(select(Source.id, Source.name).order_by(Source.name)).all()
    chosen = [(s.id, s.name) for s in sorted(all_sources, key=lambda s: s.id) if source_id in (None, s.id)]
    sections = insight_page.source_sections(db.session, period, chosen, zone)
    loads, load_chart = insight_page.load_section(db.session, period, sections, zone)
    return render_template(
        "overview/stats.html",
        days=days,
        zone=zone.key,
        sources=all_sources,
        per_day=reports.contacts_per_source_per_day(db.session, len(days), zone),
        activity=reports.operator_activity(db.session, len(days), zone=zone),
        period=period,
        periods=insight_page.PERIODS,
        source_id=source_id,
        error=error,
        sections=sections,
        loads=loads,
        load_chart=load_chart,
    )


EXPORT_COLUMNS = ("source", "operator", "assigned", "expected", "actual_share", "target_share", "flag",
                  "first_response_p50_seconds", "handling_p50_seconds", "closed")


@bp.get("/stats/export.csv", endpoint="stats_export")
@staff_required
def stats_export():
    """The per-operator numbers of the stats page, for the same period and source, as CSV."""
    zone = user_zone()
    period, source_id, _error = _selection(zone)
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(EXPORT_COLUMNS)
    sources = insight.source_names(db.session, source_id)
    for section in insight_page.source_sections(db.session, period, sources, zone):
        times = {item.operator_id: item for item in section.times}
        for share in section.stats.operators:
            timing = times.get(share.operator_id)
            writer.writerow([safe_cell(value) for value in (
                section.stats.name, share.name, share.assigned, share.expected, share.actual_share,
                share.target_share, share.flag, timing and timing.first_response_p50,
                timing and timing.handling_p50, timing.closed if timing else 0,
            )])
    filename = f"stats-{period.first_day.isoformat()}-{period.last_day.isoformat()}.csv"
    return Response(output.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
