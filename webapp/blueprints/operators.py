"""Operators: the table, the status toggle, the inline limit, the create form."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import directory, jobs
from webapp.api_schemas import MAX_CONTACT_LIMIT, OperatorCreate, OperatorStatusUpdate, OperatorUpdate
from webapp.blueprints.forms import FormErrors, field_messages, int_arg, parse_form
from webapp.blueprints.rendering import render_page, wants_fragment
from webapp.database import write_transaction
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import Operator
from webapp.presentation import OPERATOR_STATUS_LABELS
from webapp.queries import operators as operator_queries
from webapp.security import staff_required, supervisor_required

bp = Blueprint("operators", __name__, url_prefix="/operators")
TEMPLATE = "operators/index.html"


def _page_context(form=None, errors=None) -> dict:
    page = operator_queries.operator_page(db.session, int_arg(request.args, "page", 1))
    return {
        "page": page,
        "sources_by_operator": operator_queries.operator_sources(db.session, [op.id for op in page.items]),
        "can_edit": current_user.is_supervisor,
        "form": form or {},
        "errors": errors or {},
    }


@bp.get("/", strict_slashes=False)
@staff_required
def index():
    """The operators table (paginated) and, for supervisors, the create form."""
    return render_page(TEMPLATE, "operators", **_page_context())


@bp.post("/", strict_slashes=False)
@supervisor_required
def create():
    """Create an operator; invalid input comes back inline with 422."""
    try:
        fields = parse_form(OperatorCreate, request.form)
        with write_transaction(db.session):
            operator = directory.create_operator(
                db.session, fields.name, fields.max_active_contacts, fields.status
            )
    except (FormErrors, DomainError) as error:
        errors = field_messages(error, "name")
        return render_page(TEMPLATE, "operators", 422, alert=next(iter(errors.values())),
                           **_page_context(request.form, errors))
    flash(_("Operator %(name)s created.", name=operator.name), "success")
    if wants_fragment():
        return render_page(TEMPLATE, "operators", **_page_context())
    return redirect(url_for("operators.index"))


def _row(operator_id: int, status: int = 200, errors=None, typed: str | None = None):
    """The one table row of an operator, as a fragment (or the page after a plain POST)."""
    if not wants_fragment():
        return redirect(url_for("operators.index", page=request.args.get("page")))
    operator = directory.get_existing(db.session, Operator, operator_id)
    return render_page(
        TEMPLATE,
        "operator_row",
        status,
        alert=next(iter(errors.values())) if errors else None,
        op=operator_queries.operator_loads(db.session, [operator])[0],
        sources_by_operator=operator_queries.operator_sources(db.session, [operator.id]),
        can_edit=True,
        row_errors=errors or {},
        # A refused limit stays in its field as typed, to be corrected rather than typed again.
        typed_limit=typed,
    )


@bp.post("/<int:operator_id>/status")
@supervisor_required
def set_status(operator_id):
    """Flip an operator between active and inactive; made active, they take waiting contacts."""
    before = directory.get_existing(db.session, Operator, operator_id)
    was_active, old_limit = before.is_active, before.max_active_contacts
    try:
        fields = parse_form(OperatorStatusUpdate, request.form)
    except FormErrors as error:
        return _row(operator_id, 422, error.errors)
    with write_transaction(db.session):
        operator = directory.set_operator_status(db.session, operator_id, fields.status)
    jobs.after_operator_change(db.session, operator_id, was_active, old_limit)
    status = OPERATOR_STATUS_LABELS[operator.status]
    flash(_("%(name)s is now %(status)s.", name=operator.name, status=status), "success")
    return _row(operator_id)


def _limit_message(typed: str) -> str:
    """What is wrong with a refused limit, in plain words."""
    if typed.strip().isdigit():  # a whole number, so too large
        return _("The limit can be at most %(maximum)s.", maximum=MAX_CONTACT_LIMIT)
    return _("The limit must be a whole number, 0 or more.")


@bp.post("/<int:operator_id>/limit")
@supervisor_required
def set_limit(operator_id):
    """Change an operator's limit of open contacts; a raised one drains waiting contacts."""
    before = directory.get_existing(db.session, Operator, operator_id)
    was_active, old_limit = before.is_active, before.max_active_contacts
    try:
        raw_limit = request.form.get("max_active_contacts", "")
        fields = parse_form(OperatorUpdate, {"max_active_contacts": raw_limit})
        if fields.max_active_contacts is None:
            raise FormErrors({})
    except FormErrors:
        message = _limit_message(raw_limit)
        flash(message, "error")  # the toast replaces an earlier success message
        return _row(operator_id, 422, {"max_active_contacts": message}, typed=raw_limit[:20])
    with write_transaction(db.session):
        operator = directory.update_operator(
            db.session, operator_id, max_active_contacts=fields.max_active_contacts
        )
    jobs.after_operator_change(db.session, operator_id, was_active, old_limit)
    limit = operator.max_active_contacts
    flash(_("%(name)s's limit is now %(limit)s.", name=operator.name, limit=limit), "success")
    return _row(operator_id)
