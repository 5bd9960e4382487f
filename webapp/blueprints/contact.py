"""A contact's page (message, lead, actions, notes, assignment timeline) and an operator's own contacts.

Managers and supervisors see every contact and act through the board's routes
(the same forms; ``back=contact`` brings them back here). An operator user sees
and acts only on the contacts given to them: another operator's contact is a 404
to them, as if it did not exist (pages of other roles are a 403).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import contacts, directory
from webapp.api_schemas import ContactStatusUpdate
from webapp.blueprints.forms import FormErrors, domain_message, field_messages, parse_form
from webapp.blueprints.rendering import render_page
from webapp.clock import utcnow
from webapp.database import write_transaction
from webapp.directory import get_existing
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import Contact, Operator
from webapp.presentation import CONTACT_STATUS_LABELS, OPERATOR_STATUS_LABELS, assignment_sentence
from webapp.queries import board as board_queries
from webapp.security import operator_required, signed_in_required

bp = Blueprint("contact", __name__)
TEMPLATE = "contact/show.html"
MINE_TEMPLATE = "contact/mine.html"
# What an operator may do to their own contact: take it, close it.
OPERATOR_STATUSES = ("in_progress", "closed")


def visible_contact(contact_id: int) -> Contact:
    """The contact, if the signed-in user may see it (404 otherwise, for operators too)."""
    if current_user.is_operator:
        return contacts.operators_contact(db.session, contact_id, current_user.operator_id)
    return get_existing(db.session, Contact, contact_id)


def timelines(contact_rows) -> dict[int, list[str]]:
    """The assignment history of each contact, as sentences (two queries for any number)."""
    histories = contacts.assignment_histories(db.session, [row.id for row in contact_rows])
    names = board_queries.operator_names(db.session, [r for records in histories.values() for r in records])
    return {cid: [assignment_sentence(r, names) for r in records] for cid, records in histories.items()}


def _page_context(contact: Contact, note_errors=None, note_text="") -> dict:
    others = [row for row in board_queries.lead_history(db.session, contact.lead_id) if row.id != contact.id]
    if current_user.is_operator:  # nothing of other operators' contacts
        others = [row for row in others if row.operator_id == current_user.operator_id]
    return {
        "contact": contact,
        "others": others,
        "timeline": timelines([contact])[contact.id],
        "notes": contacts.contact_notes(db.session, contact.id),
        "note_errors": note_errors or {},
        "note_text": note_text,
        "now": utcnow(),
    }


@bp.get("/contacts/<int:contact_id>")
@signed_in_required
def show(contact_id):
    """The contact page."""
    return render_page(TEMPLATE, "notes", **_page_context(visible_contact(contact_id)))


@bp.post("/contacts/<int:contact_id>/notes")
@signed_in_required
def add_note(contact_id):
    """Write an internal note; an empty or too long one comes back inline with 422."""
    contact = visible_contact(contact_id)
    text = request.form.get("text", "")
    try:
        with write_transaction(db.session):
            contacts.add_note(db.session, contact.id, current_user.id, text)
    except DomainError as error:
        errors = {"text": domain_message(field_messages(error, "text")["text"])}
        return render_page(TEMPLATE, "notes", 422, **_page_context(contact, errors, text))
    flash(_("Note added."), "success")
    return redirect(url_for("contact.show", contact_id=contact.id, _anchor="notes"))


@bp.get("/my/contacts")
@operator_required
def mine():
    """An operator's landing page: their open contacts, oldest first, and their away/available switch."""
    operator = get_existing(db.session, Operator, current_user.operator_id)
    return render_page(MINE_TEMPLATE, "mine", operator=operator, now=utcnow(),
                       contacts=contacts.operator_open_contacts(db.session, operator.id))


@bp.post("/my/contacts/<int:contact_id>/status")
@operator_required
def set_status(contact_id):
    """An operator takes their contact (in progress) or closes it."""
    contact = visible_contact(contact_id)
    try:
        fields = parse_form(ContactStatusUpdate, {"status": request.form.get("set_status", "")})
        if fields.status not in OPERATOR_STATUSES:
            raise FormErrors({})
        with write_transaction(db.session):
            contact = contacts.change_status(db.session, contact.id, fields.status)
    except FormErrors:
        flash(_("Choose in progress or closed."), "error")
    except DomainError as error:
        flash(domain_message(error), "error")
    else:
        flash(_("Contact #%(id)s is now %(status)s.", id=contact.id,
                status=CONTACT_STATUS_LABELS[contact.status]), "success")
    if request.form.get("back") == "contact":
        return redirect(url_for("contact.show", contact_id=contact.id))
    return redirect(url_for("contact.mine"))


@bp.post("/my/status")
@operator_required
def set_away():
    """An operator sets themselves away (inactive: no new contacts) or available again."""
    status = request.form.get("status")
    if status not in ("active", "inactive"):
        flash(_("Choose away or available."), "error")
        return redirect(url_for("contact.mine"))
    with write_transaction(db.session):
        operator = directory.set_operator_status(db.session, current_user.operator_id, status)
    flash(_("You are now %(status)s.", status=OPERATOR_STATUS_LABELS[operator.status]), "success")
    return redirect(url_for("contact.mine"))
