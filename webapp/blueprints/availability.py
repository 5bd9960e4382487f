"""An operator's availability page: the weekly schedule editor and the absences."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from webapp import jobs, schedules
from webapp.api_schemas import Shift, Text
from webapp.blueprints.forms import FormErrors, field_messages, parse_form
from webapp.blueprints.rendering import render_page, wants_fragment
from webapp.clock import utcnow
from webapp.database import write_transaction
from webapp.directory import get_existing
from webapp.errors import DomainError, NotFoundError
from webapp.extensions import db
from webapp.i18n import user_zone
from webapp.models import Operator
from webapp.security import staff_required, supervisor_required

bp = Blueprint("availability", __name__, url_prefix="/operators")
TEMPLATE = "operators/availability.html"
DAYS = range(7)


def _schedule_form(operator: Operator) -> dict:
    """The editor's values: one shift per day (more come through the API and are kept as they are)."""
    schedule = operator.schedule
    form = {"always": schedule is None, "timezone": schedule["timezone"] if schedule else user_zone().key}
    for shift in (schedule or {}).get("weekly", []):
        form.setdefault(f"start_{shift['day']}", shift["start"])
        form.setdefault(f"end_{shift['day']}", shift["end"])
    return form


def _context(operator: Operator, **extra) -> dict:
    now = utcnow()
    return {
        "operator": operator,
        "state": schedules.availability(db.session, [operator], now)[operator.id],
        "absences": schedules.absences_of(db.session, operator.id),
        "now": now,
        "days": DAYS,
        "can_edit": current_user.is_supervisor,
        "form": _schedule_form(operator),
        "absence_form": {},
        "errors": {},
    } | extra


@bp.get("/<int:operator_id>/availability")
@staff_required
def show(operator_id):
    """On shift now and until when, the weekly schedule, the absences."""
    return render_page(TEMPLATE, "schedule", **_context(get_existing(db.session, Operator, operator_id)))


def _parse_schedule(values) -> dict | None:
    """The editor's schedule (None: always on shift); FormErrors per day and for the zone."""
    if values.get("always") == "true":
        return None
    weekly, errors = [], {}
    timezone = values.get("timezone", "").strip()
    if schedules.zone_or_none(timezone) is None:
        errors["timezone"] = _("Choose a time zone such as Europe/Moscow.")
    for day in DAYS:
        start, end = values.get(f"start_{day}", "").strip(), values.get(f"end_{day}", "").strip()
        if not (start or end):
            continue
        try:
            weekly.append(Shift.model_validate({"day": day, "start": start, "end": end}).model_dump())
        except ValidationError:
            errors[f"day_{day}"] = _("Give both times as HH:MM (the end may be 24:00), not equal.")
    if errors:
        raise FormErrors(errors)
    return {"timezone": timezone, "weekly": weekly}


@bp.post("/<int:operator_id>/schedule")
@supervisor_required
def set_schedule(operator_id):
    """Save the weekly schedule; an operator on shift now takes waiting contacts at once."""
    operator = get_existing(db.session, Operator, operator_id)
    try:
        schedule = _parse_schedule(request.form)
    except FormErrors as error:
        errors = error.errors
        form = dict(request.form) | {"always": request.form.get("always") == "true"}
        return render_page(TEMPLATE, "schedule", 422, alert=next(iter(errors.values())),
                           **_context(operator, errors=errors, form=form))
    with write_transaction(db.session):
        operator = schedules.set_schedule(db.session, operator_id, schedule)
    jobs.drain_for_operator(db.session, operator_id)
    flash(_("Schedule saved."), "success")
    if not wants_fragment():
        return redirect(url_for("availability.show", operator_id=operator_id))
    return render_page(TEMPLATE, "schedule", **_context(operator))


class AbsenceForm(BaseModel):
    """An absence as the form gives it: local times of the user's zone."""

    start: datetime
    end: datetime
    note: Text(0, 500) | None = None


@bp.post("/<int:operator_id>/absences")
@supervisor_required
def add_absence(operator_id):
    """Add an absence, entered in the user's own time zone."""
    operator = get_existing(db.session, Operator, operator_id)
    try:
        fields = parse_form(AbsenceForm, request.form)
        zone = user_zone()
        with write_transaction(db.session):
            schedules.add_absence(db.session, operator_id, fields.start.replace(tzinfo=zone),
                                  fields.end.replace(tzinfo=zone), fields.note)
    except (FormErrors, DomainError) as error:
        errors = field_messages(error, "end")
        return render_page(TEMPLATE, "absences", 422, alert=next(iter(errors.values())),
                           **_context(operator, errors=errors, absence_form=request.form))
    flash(_("Absence added."), "success")
    if not wants_fragment():
        return redirect(url_for("availability.show", operator_id=operator_id))
    return render_page(TEMPLATE, "absences", **_context(operator))


@bp.post("/<int:operator_id>/absences/<int:absence_id>/delete")
@supervisor_required
def delete_absence(operator_id, absence_id):
    """Remove an absence (ended early, entered by mistake); the operator may take contacts again."""
    operator = get_existing(db.session, Operator, operator_id)
    try:
        with write_transaction(db.session):
            schedules.delete_absence(db.session, operator_id, absence_id)
    except NotFoundError:
        # Removed meanwhile (another tab, a double click): the list shows what is left.
        flash(_("That absence was already removed."), "success")
    else:
        jobs.drain_for_operator(db.session, operator_id)
        flash(_("Absence removed."), "success")
    if not wants_fragment():
        return redirect(url_for("availability.show", operator_id=operator_id))
    return render_page(TEMPLATE, "absences", **_context(operator))
