"""Sign in, sign out (here or everywhere) and change one's password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user

from webapp import users
from webapp.blueprints.forms import FormErrors, LoginForm, PasswordChangeForm, field_messages, parse_form
from webapp.database import write_transaction
from webapp.errors import DomainError
from webapp.extensions import db, limiter
from webapp.presentation import ROLE_LABELS
from webapp.security import signed_in_required

bp = Blueprint("auth", __name__)


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (//evil, https://...) goes to the user's landing page."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return landing_page()


def landing_page() -> str:
    """Where a signed-in user starts: an operator at their own contacts, staff at the overview."""
    return url_for("contact.mine" if getattr(current_user, "is_operator", False) else "overview.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login():
    """The sign-in form; a good password starts a brand-new session."""
    next_url = request.args.get("next")
    if request.method != "POST":
        if current_user.is_authenticated:
            return redirect(safe_next(next_url))
        return render_template("auth/login.html", next=next_url)
    username = request.form.get("username", "").strip()
    try:
        fields = parse_form(LoginForm, request.form)
        user = users.verify_login(db.session, fields.username, fields.password)
    except FormErrors:
        user = None  # a blank or unstorable name or password matches nobody
    if user is None:
        error = _("Unknown username or wrong password.")
        return render_template("auth/login.html", next=next_url, error=error, username=username), 401
    with write_transaction(db.session):
        # The session this browser had before (if any) ends: no copy of its cookie outlives the sign-in.
        session_user = users.start_session(db.session, user, previous_token=session.get("_user_id"))
    session.clear()  # nothing from before the sign-in survives into the new session
    login_user(session_user)
    refresh()  # the language of the user just signed in
    flash(_("Signed in as %(username)s (%(role)s).", username=session_user.username,
            role=ROLE_LABELS[session_user.role]), "success")
    return redirect(safe_next(next_url))


@bp.post("/logout")
@login_required
def logout():
    """Sign out here: this browser's session ends, and every copy of its cookie with it."""
    with write_transaction(db.session):
        users.end_session(db.session, current_user.session_token)
    _forget_session()
    flash(_("Signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    """Sign out on every device: every session of this user ends."""
    with write_transaction(db.session):
        users.end_all_sessions(db.session, current_user.id)
    _forget_session()
    flash(_("Signed out on every device."), "info")
    return redirect(url_for("auth.login"))


def _forget_session() -> None:
    logout_user()
    session.clear()


PASSWORD_TEMPLATE = "auth/password.html"


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in_required
@limiter.limit(_login_rate_limit, methods=["POST"])
def change_password():
    """Change one's own password (the current one required); every other session ends."""
    if request.method != "POST":
        return render_template(PASSWORD_TEMPLATE, errors={})
    try:
        fields = parse_form(PasswordChangeForm, request.form)
        if fields.new_password != fields.confirm_password:
            raise FormErrors({"confirm_password": _("The new password and its repetition differ.")})
        with write_transaction(db.session):
            user = users.change_password(db.session, current_user.id, fields.current_password,
                                         fields.new_password)
            session_user = users.start_session(db.session, user)  # this browser stays signed in
    except (FormErrors, DomainError) as error:
        return render_template(PASSWORD_TEMPLATE, errors=field_messages(error, "new_password")), 422
    login_user(session_user)
    flash(_("Password changed. You were signed out on every other device."), "success")
    return redirect(landing_page())
