"""The live contact board, manual assignment, the lead card and the CSV export."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

from flask import Blueprint, Response, flash, redirect, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from webapp import contacts, export, jobs, timeouts
from webapp.api_schemas import ContactOperatorUpdate, ContactStatusUpdate
from webapp.blueprints import contact as contact_views
from webapp.blueprints.forms import FormErrors, domain_message, first_message, int_arg, parse_form
from webapp.blueprints.rendering import render_page, wants_fragment
from webapp.clock import utcnow
from webapp.database import write_transaction
from webapp.directory import get_existing
from webapp.distribution import AssignmentRefused
from webapp.errors import DomainError, InvalidError
from webapp.extensions import db
from webapp.models import CONTACT_STATUSES, Contact, Lead, Operator
from webapp.presentation import CONTACT_STATUS_LABELS
from webapp.queries import board as board_queries
from webapp.queries import operators as operator_queries
from webapp.queries import routing
from webapp.queries import sources as source_queries
from webapp.security import dashboard_actor, staff_required
from webapp.spreadsheet import safe_cell

bp = Blueprint("board", __name__)
TEMPLATE = "board/index.html"
ASSIGN_TEMPLATE = "board/assign.html"
POLL_SECONDS = 3
FILTER_NAMES = ("source", "status", "operator")


def board_filter(values) -> contacts.ContactFilter:
    """The board's filters from query or form values; unknown values are ignored."""
    status = values.get("status")
    return contacts.ContactFilter(
        status=status if status in CONTACT_STATUSES else None,
        source_id=int_arg(values, "source"),
        operator_id=int_arg(values, "operator"),
    )


def filter_args(contact_filter: contacts.ContactFilter) -> dict:
    """The filter as URL arguments, for links, the poll and the hidden fields of every action."""
    args = {"source": contact_filter.source_id, "status": contact_filter.status,
            "operator": contact_filter.operator_id}
    return {name: value for name, value in args.items() if value is not None}


def _board_context(values, seen: int | None = None) -> dict:
    now = utcnow()
    contact_filter = board_filter(values)
    before = int_arg(values, "before")
    unassigned, unassigned_count = board_queries.unassigned_contacts(db.session, contact_filter)
    assigned, next_before = board_queries.assigned_contacts(db.session, contact_filter, before)
    latest = board_queries.latest_contact_id(db.session)
    args = filter_args(contact_filter)
    return {
        "filters": args,
        "unassigned": unassigned,
        "unassigned_count": unassigned_count,
        "assigned": assigned,
        "response_deadlines": timeouts.deadlines(db.session, assigned),
        "overdue": {c.id for c in (*unassigned, *assigned) if routing.is_overdue(c, now)},
        "before": before,
        "next_before": next_before,
        "seen": latest if seen is None else seen,
        "poll_url": url_for("board.index", seen=latest, before=before, **args),
        "poll_seconds": POLL_SECONDS,
        "now": now,
    }


@bp.get("/contacts")
@staff_required
def index():
    """The board: unassigned contacts on top, then open ones; polled by htmx through the same block."""
    seen = int_arg(request.args, "seen", minimum=0)
    context = _board_context(request.args, seen)
    if not wants_fragment():  # the filter menus are outside the polled block: the poll skips them
        context |= {
            "sources": source_queries.sources_by_name(db.session),
            "operators": list(db.session.execute(db.select(Operator).order_by(Operator.name)).scalars()),
        }
    return render_page(TEMPLATE, "board", **context)


def _after_action(status: int = 200):
    """Re-render the board with the filters the action form carried, or redirect a plain POST.

    A form of the contact page (``back=contact``) returns there.
    """
    if request.form.get("back") == "contact":
        return redirect(url_for("contact.show", contact_id=request.view_args["contact_id"]))
    if not wants_fragment():
        return redirect(url_for("board.index", **filter_args(board_filter(request.form))))
    return render_page(TEMPLATE, "board", status, **_board_context(request.form))


def _refused(error: DomainError):
    flash(domain_message(error), "error")
    return _after_action(422)


@bp.get("/contacts/<int:contact_id>/assign")
@staff_required
def assign_form(contact_id):
    """The assignment form of one contact (lazy-loaded into the board's menu; a page without JS)."""
    contact = get_existing(db.session, Contact, contact_id)
    return render_page(ASSIGN_TEMPLATE, "assign_form", **_assign_context(contact, request.args))


def _assign_context(contact: Contact, values, errors=None) -> dict:
    return {
        "contact": contact,
        "chosen": int_arg(values, "operator_id"),
        "operators": operator_queries.operators_for_assignment(db.session),
        "filters": filter_args(board_filter(values)),
        "errors": errors or {},
        "reason": values.get("reason", ""),
        "back": "contact" if values.get("back") == "contact" else None,
        "now": utcnow(),
        # Inside the board's menu the form swaps the board; on its own page it posts plainly.
        "embedded": wants_fragment(),
    }


@bp.post("/contacts/<int:contact_id>/operator")
@staff_required
def assign(contact_id):
    """Hand a contact to an operator; at the limit or inactive needs the override box and a reason."""
    contact = get_existing(db.session, Contact, contact_id)
    operator_before = contact.operator_id
    try:
        if not request.form.get("operator_id", "").strip():
            raise FormErrors({"operator_id": _("Choose an operator.")})
        fields = parse_form(
            ContactOperatorUpdate,
            {"operator_id": request.form["operator_id"], "force": request.form.get("force", "false"),
             "reason": request.form.get("reason", "")},
        )
        contact = _assign(contact_id, fields)
    except (FormErrors, DomainError) as error:
        reason_error = isinstance(error, FormErrors) and "reason" in error.errors
        errors = {"reason": error.errors["reason"]} if reason_error else {"operator_id": first_message(error)}
        response = render_page(ASSIGN_TEMPLATE, "assign_form", 422, alert=first_message(error),
                               **_assign_context(contact, request.form, errors))
        response.headers.update({"HX-Retarget": f"#assign-form-{contact_id}", "HX-Reswap": "outerHTML"})
        return response
    jobs.after_contact_change(db.session, operator_before, contact)
    operator_name = contact.operator.name
    flash(_("Contact #%(id)s assigned to %(operator)s.", id=contact.id, operator=operator_name), "success")
    return _after_action()


def _assign(contact_id: int, fields: ContactOperatorUpdate) -> Contact:
    """Assign by the rules; only where they refuse does the override apply, and then with a reason.

    The rules are the distribution's: it is asked first without force, so an
    override that was not needed is neither recorded as forced nor asks for a reason.
    """
    try:
        with write_transaction(db.session):
            return contacts.set_operator(db.session, contact_id, fields.operator_id, actor=dashboard_actor())
    except AssignmentRefused as refusal:
        if not fields.force or refusal.reason == "closed":
            raise
    if not fields.reason:
        message = _("Say why this contact goes over the limit or to an inactive operator.")
        raise FormErrors({"reason": message})
    with write_transaction(db.session):
        return contacts.set_operator(db.session, contact_id, fields.operator_id, actor=dashboard_actor(),
                                     force=True, reason=fields.reason)


@bp.post("/contacts/<int:contact_id>/unassign")
@staff_required
def unassign(contact_id):
    """Take the operator off an open contact; it waits for the next distribution."""
    operator_before = get_existing(db.session, Contact, contact_id).operator_id
    try:
        with write_transaction(db.session):
            contact = contacts.set_operator(db.session, contact_id, None, actor=dashboard_actor())
    except DomainError as error:
        return _refused(error)
    jobs.after_contact_change(db.session, operator_before, contact)
    flash(_("Contact #%(id)s is unassigned.", id=contact_id), "success")
    return _after_action()


@bp.post("/contacts/<int:contact_id>/status")
@staff_required
def set_status(contact_id):
    """Set a contact in progress, closed or back to new."""
    operator_before = get_existing(db.session, Contact, contact_id).operator_id
    try:
        # "set_status", not "status": the form also carries the board's filters, "status" among them.
        fields = parse_form(ContactStatusUpdate, {"status": request.form.get("set_status", "")})
        with write_transaction(db.session):
            contact = contacts.change_status(db.session, contact_id, fields.status)
    except FormErrors:
        return _refused(InvalidError(_("Choose new, in progress or closed.")))
    except DomainError as error:
        return _refused(error)
    jobs.after_contact_change(db.session, operator_before, contact)
    status = CONTACT_STATUS_LABELS[contact.status]
    flash(_("Contact #%(id)s is now %(status)s.", id=contact.id, status=status), "success")
    return _after_action()


@bp.post("/contacts/redistribute")
@staff_required
def redistribute():
    """Run the distribution over the unassigned open contacts (of the filtered source) and say how it went."""
    result = jobs.redistribute(db.session, board_filter(request.form).source_id, actor=dashboard_actor())
    total = result.assigned + result.unassigned
    flash(ngettext("%(assigned)s of %(num)s found an operator.", "%(assigned)s of %(num)s found an operator.",
                   total, assigned=result.assigned), "success" if result.assigned else "info")
    return _after_action()


@bp.get("/leads/<int:lead_id>")
@staff_required
def lead(lead_id):
    """The lead card: identity fields and the history of its contacts."""
    lead_row = get_existing(db.session, Lead, lead_id)
    history = board_queries.lead_history(db.session, lead_id)
    return render_page("board/lead.html", "history", lead=lead_row, history=history,
                       timelines=contact_views.timelines(history), now=utcnow(),
                       back=_same_site(request.referrer))


def _same_site(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.netloc == request.host else None


@bp.get("/contacts/export.csv")
@staff_required
def export_csv():
    """Every contact matching the board's filters as CSV, streamed in batches."""
    contact_filter = board_filter(request.args)

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(export.EXPORT_FIELDS)
        for row in export.export_rows(db.session, contact_filter):
            writer.writerow([safe_cell(value) for value in row])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
        db.session.rollback()

    headers = {"Content-Disposition": 'attachment; filename="contacts.csv"', "Cache-Control": "no-store"}
    return Response(stream_with_context(generate()), mimetype="text/csv", headers=headers)
