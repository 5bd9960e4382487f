"""Possible duplicates and merging leads, for supervisors and managers alike.

Managers meet the same customer twice on the board while handing out contacts, so they
may merge as well as see; a merge moves contacts between leads and changes no operator.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from pydantic import BaseModel

from webapp import leads
from webapp.api_schemas import Id
from webapp.blueprints.forms import FormErrors, domain_message, parse_form
from webapp.blueprints.rendering import render_page
from webapp.database import write_transaction
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.security import dashboard_actor, staff_required

bp = Blueprint("leads", __name__)


class MergeForm(BaseModel):
    into: Id  # the lead that stays
    lead_id: Id  # the lead merged into it (the API's name)


@bp.get("/leads/duplicates")
@staff_required
def duplicates():
    """Groups of leads sharing a phone or an email, with their contacts counts."""
    groups = leads.duplicate_groups(db.session)
    lead_ids = {lead.id for group in groups for lead in group.leads}
    counts = leads.contact_counts(db.session, lead_ids) if lead_ids else {}
    return render_page("leads/duplicates.html", "content", groups=groups, counts=counts)


def _merge_errors(error: Exception) -> dict[str, str]:
    if isinstance(error, FormErrors):
        return error.errors
    named = getattr(error, "errors", None) or [{"field": "into"}]
    return {named[0]["field"]: domain_message(error)}


def _confirm_page(values, errors=None, status: int = 200):
    survivor = merged = None
    try:
        form = parse_form(MergeForm, values)
        survivor, merged = leads.check_merge(db.session, form.into, form.lead_id)
    except (FormErrors, DomainError) as error:
        errors = errors or _merge_errors(error)
    counts = leads.contact_counts(db.session, [survivor.id, merged.id]) if survivor else {}
    status = 422 if errors else status
    return render_page("leads/merge.html", "content", status, survivor=survivor, merged=merged,
                       counts=counts, errors=errors or {}, fields=leads.CUSTOMER_FIELDS)


@bp.get("/leads/merge")
@staff_required
def confirm_merge():
    """The confirm step: what the merge of ``lead_id`` into ``into`` will move and keep."""
    return _confirm_page(request.args)


@bp.post("/leads/merge")
@staff_required
def merge():
    """Merge lead ``lead_id`` into lead ``into``; refusals re-render the confirm step inline."""
    try:
        form = parse_form(MergeForm, request.form)
        with write_transaction(db.session):
            merged = leads.merge_leads(db.session, form.into, form.lead_id, actor=dashboard_actor())
    except (FormErrors, DomainError) as error:
        return _confirm_page(request.form, _merge_errors(error))
    flash(ngettext("Lead #%(merged)s merged into #%(id)s: %(num)s contact moved.",
                   "Lead #%(merged)s merged into #%(id)s: %(num)s contacts moved.",
                   merged.contacts_moved, merged=form.lead_id, id=form.into), "success")
    return redirect(url_for("board.lead", lead_id=form.into))


def matched_label(matched_on: str) -> str:
    return _("Same phone") if matched_on == "phone" else _("Same email")


bp.add_app_template_global(matched_label)
