"""Sign in and sign out of the dashboard."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user

from webapp import users
from webapp.database import write_transaction
from webapp.extensions import db, limiter
from webapp.presentation import ROLE_LABELS

bp = Blueprint("auth", __name__)


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (//evil, https://...) goes to the overview."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("overview.index")


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
    user = users.verify_login(db.session, username, request.form.get("password", ""))
    if user is None:
        error = _("Unknown username or wrong password.")
        return render_template("auth/login.html", next=next_url, error=error, username=username), 401
    with write_transaction(db.session):
        session_user = users.start_session(db.session, user)
    session.clear()  # nothing from before the sign-in survives into the new session
    login_user(session_user)
    refresh()  # the language of the user just signed in
    flash(_("Signed in as %(username)s (%(role)s).", username=session_user.username,
            role=ROLE_LABELS[session_user.role]), "success")
    return redirect(safe_next(next_url))


@bp.post("/logout")
@login_required
def logout():
    """Sign out here and invalidate every copy of the session cookie."""
    with write_transaction(db.session):
        users.end_sessions(db.session, current_user.id)
    logout_user()
    session.clear()
    flash(_("Signed out."), "info")
    return redirect(url_for("auth.login"))
