"""Users, for supervisors: list, create, change role, reset password, deactivate."""

from __future__ import annotations

import secrets

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webapp import users
from webapp.blueprints.forms import field_messages, first_message, int_arg
from webapp.blueprints.rendering import render_page
from webapp.database import write_transaction
from webapp.directory import get_existing
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import User
from webapp.presentation import ROLE_LABELS
from webapp.queries import operators as operator_queries
from webapp.security import supervisor_required

bp = Blueprint("users", __name__, url_prefix="/users")
TEMPLATE = "users/index.html"


def _page_context(form=None, errors=None, row_errors=None, new_password=None) -> dict:
    return {
        "users": list(db.session.execute(select(User).order_by(User.username)).scalars()),
        "operators": operator_queries.operator_choices(db.session),
        "form": form or {},
        "errors": errors or {},
        "row_errors": row_errors or {},
        "new_password": new_password,
    }


@bp.get("/", strict_slashes=False)
@supervisor_required
def index():
    return render_page(TEMPLATE, "users", **_page_context())


@bp.post("/", strict_slashes=False)
@supervisor_required
def create():
    """Create a user with an initial password; an operator user names their operator."""
    form = request.form
    try:
        with write_transaction(db.session):
            user = users.create_user(db.session, form.get("username", "").strip(), form.get("password", ""),
                                     form.get("role", ""), int_arg(form, "operator_id"))
    except DomainError as error:
        return render_page(TEMPLATE, "users", 422, **_page_context(form, field_messages(error, "username")))
    flash(_("User %(name)s created (%(role)s).", name=user.username, role=ROLE_LABELS[user.role]), "success")
    return redirect(url_for("users.index"))


def _refuse_self(message: str):
    flash(message, "error")
    return render_page(TEMPLATE, "users", 422, **_page_context())


@bp.post("/<int:user_id>/role")
@supervisor_required
def set_role(user_id):
    """Change a user's role (their sessions end: what they may see changed)."""
    user = get_existing(db.session, User, user_id)
    if user.id == current_user.id:
        return _refuse_self(_("You cannot change your own role."))
    try:
        with write_transaction(db.session):
            users.set_role(db.session, user, request.form.get("role", ""),
                           int_arg(request.form, "operator_id"))
    except DomainError as error:
        return render_page(TEMPLATE, "users", 422,
                           **_page_context(row_errors={user.id: first_message(error)}))
    flash(_("%(name)s is now %(role)s.", name=user.username, role=ROLE_LABELS[user.role]), "success")
    return redirect(url_for("users.index"))


@bp.post("/<int:user_id>/password")
@supervisor_required
def reset_password(user_id):
    """Give a user a new one-time password, shown once here; every session of theirs ends."""
    user = get_existing(db.session, User, user_id)
    password = secrets.token_urlsafe(12)
    with write_transaction(db.session):
        users.set_password(db.session, user, password)
    flash(_("New password of %(name)s set; their sessions ended. Hand it over and ask them to change it.",
            name=user.username), "success")
    return render_page(TEMPLATE, "users", **_page_context(new_password=(user.username, password)))


@bp.post("/<int:user_id>/deactivate")
@supervisor_required
def deactivate(user_id):
    """The user can no longer sign in; their sessions end now. Their notes and history stay."""
    user = get_existing(db.session, User, user_id)
    if user.id == current_user.id:
        return _refuse_self(_("You cannot deactivate yourself."))
    with write_transaction(db.session):
        users.deactivate(db.session, user)
    flash(_("%(name)s is deactivated and signed out everywhere.", name=user.username), "success")
    return redirect(url_for("users.index"))


@bp.post("/<int:user_id>/reactivate")
@supervisor_required
def reactivate(user_id):
    user = get_existing(db.session, User, user_id)
    with write_transaction(db.session):
        users.reactivate(db.session, user)
    flash(_("%(name)s may sign in again.", name=user.username), "success")
    return redirect(url_for("users.index"))
