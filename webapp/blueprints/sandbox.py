"""A source's "try it" mode: other weights and limits replayed on its real traffic, then applied or planned.

The page reads its sandbox from the query string (a GET: trying changes nothing), so a
reload or a shared link shows the same replay. Applying saves the weights as the slider
does; planning schedules them for a period (``webapp.weight_plans``), which the sweep
applies and reverts. Cancelling a plan is here too, the source page links to it.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import directory, jobs, simulator, weight_plans
from webapp.blueprints.forms import field_messages, first_message
from webapp.blueprints.rendering import render_page
from webapp.clock import utcnow
from webapp.database import write_transaction
from webapp.errors import ConflictError, DomainError, InvalidError
from webapp.extensions import db
from webapp.i18n import user_zone
from webapp.ids import parse_int
from webapp.models import Source
from webapp.queries import sources as source_queries
from webapp.security import dashboard_actor, staff_required, supervisor_required
from webapp.stats_page import simulation_chart

bp = Blueprint("sandbox", __name__, url_prefix="/sources")
TEMPLATE = "sources/try.html"
DEFAULT_DAYS = 7
MAX_WEIGHT = 1_000_000
MAX_LIMIT = 100_000


def _number(values, name: str, low: int, high: int, errors: dict, default=None):
    """A whole number in [low, high] from a form field (blank: ``default``); else a message in ``errors``."""
    text = (values.get(name) or "").strip()
    if not text:
        return default
    number = parse_int(text, low, high)
    if number is None:
        errors[name] = _("A whole number from %(low)d to %(high)d.", low=low, high=high)
        return default
    return number


def sandbox_settings(values, rows) -> tuple[list[tuple[int, int]], dict[int, int], int, dict]:
    """(weights, limits, days, errors) of the try-it form; an operator left blank keeps their own."""
    errors: dict[str, str] = {}
    weights, limits = [], {}
    for row in rows:
        op = row.operator
        weight = _number(values, f"weight-{op.id}", 0, MAX_WEIGHT, errors, row.weight)
        limit = _number(values, f"limit-{op.id}", 0, MAX_LIMIT, errors)
        if weight:
            weights.append((op.id, weight))
        if limit is not None:
            limits[op.id] = limit
    days = _number(values, "days", 1, 90, errors, DEFAULT_DAYS)
    return weights, limits, days or DEFAULT_DAYS, errors


def _context(source: Source, values, **extra) -> dict:
    rows, _left_out = source_queries.source_weight_rows(db.session, source)
    weights, limits, days, errors = sandbox_settings(values, rows)
    outcome = actual = None
    if not errors:
        outcome, actual = simulator.simulate(db.session, source.id, weights, limits, days)
    names = {row.operator.id: row.operator.name for row in rows}
    return {
        "source": source,
        "rows": rows,
        "values": values,
        "days": days,
        "errors": errors | extra.pop("errors", {}),
        "outcome": outcome,
        "actual": actual,
        "chart": simulation_chart(outcome, actual, names) if outcome else None,
        "can_edit": current_user.is_supervisor,
        "zone": user_zone().key,
    } | extra


@bp.get("/<int:source_id>/try")
@staff_required
def try_weights(source_id):
    """Replay the source's last days under the weights and limits of the form, beside what happened."""
    source = directory.get_existing(db.session, Source, source_id)
    context = _context(source, request.args)
    status = 422 if context["errors"] else 200
    return render_page(TEMPLATE, "simulation", status, **context)


def _sandbox_weights(source: Source) -> tuple[list[tuple[int, int]], dict]:
    """The weights of the form; the form shows every weighted operator, so one left at 0 goes off."""
    rows, _left_out = source_queries.source_weight_rows(db.session, source)
    weights, _limits, _days, errors = sandbox_settings(request.form, rows)
    return weights, errors


def _refused(source: Source, errors: dict):
    return render_page(TEMPLATE, "simulation", 422, alert=next(iter(errors.values())),
                       **_context(source, request.form, errors=errors))


@bp.post("/<int:source_id>/try/apply")
@supervisor_required
def apply_weights(source_id):
    """Save the tried weights as the source's weights now."""
    source = directory.get_existing(db.session, Source, source_id)
    weights_before = {row.operator_id: row.weight for row in source.weights}
    weights, errors = _sandbox_weights(source)
    if errors:
        return _refused(source, errors)
    try:
        with write_transaction(db.session):
            directory.replace_weights(db.session, source_id, weights)
    except DomainError as error:
        return _refused(source, {"form": first_message(error)})
    jobs.after_weights_change(db.session, source_id, weights_before)
    flash(_("Weights saved."), "success")
    return redirect(url_for("sources.detail", source_id=source_id))


def _local_moment(text: str | None, field: str) -> datetime | None:
    """A ``datetime-local`` value in the viewer's time zone, as UTC (None when blank)."""
    if not (text or "").strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidError("not a time", [{"field": field, "message": "not a time"}]) from None
    return moment.replace(tzinfo=user_zone()) if moment.tzinfo is None else moment


@bp.post("/<int:source_id>/weight-plans")
@supervisor_required
def create_plan(source_id):
    """Plan the tried weights for a period: the sweep applies them at the start and reverts at the end."""
    source = directory.get_existing(db.session, Source, source_id)
    weights, errors = _sandbox_weights(source)
    if errors:
        return _refused(source, errors)
    try:
        start = _local_moment(request.form.get("start"), "start")
        end = _local_moment(request.form.get("end"), "end")
        if start is None:
            raise InvalidError("start missing", [{"field": "start", "message": "required"}])
        with write_transaction(db.session):
            weight_plans.create_plan(db.session, source_id, weights, start, end, dashboard_actor(), utcnow())
    except DomainError as error:
        return _refused(source, _plan_errors(error))
    jobs.apply_weight_plans(db.session)  # a plan that starts now applies now
    flash(_("Weight plan saved."), "success")
    return redirect(url_for("sources.detail", source_id=source_id))


def _plan_errors(error: DomainError) -> dict:
    fields = {"start": _("Give the start as a date and time."),
              "end": _("Give an end after the start, still ahead.")}
    named = [item["field"] for item in error.errors or [] if item.get("field") in fields]
    if named:
        return {field: fields[field] for field in named}
    return field_messages(error, "plan")


@bp.post("/<int:source_id>/weight-plans/<int:plan_id>/cancel")
@supervisor_required
def cancel_plan(source_id, plan_id):
    """Cancel a plan; an active one ends now and the weights before it come back."""
    directory.get_existing(db.session, Source, source_id)
    try:
        with write_transaction(db.session):
            change = weight_plans.cancel_plan(db.session, source_id, plan_id, utcnow())
    except ConflictError as error:  # already over (an unknown plan is a 404)
        flash(first_message(error), "error")
        return redirect(url_for("sources.detail", source_id=source_id))
    if change is not None:
        jobs.after_weights_change(db.session, change.source_id, change.weights_before)
    flash(_("Weight plan cancelled."), "success")
    return redirect(url_for("sources.detail", source_id=source_id))
