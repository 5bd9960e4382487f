"""The signed-in user's own settings: language (also switched from the header) and time zone."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from webapp import users
from webapp.blueprints.auth import safe_next
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.i18n import LANGUAGES, browser_locale, is_timezone, timezone_names
from webapp.security import signed_in_required

bp = Blueprint("settings", __name__, url_prefix="/settings")


def _locale_choice(value: str | None) -> str | None:
    """A language of the dashboard, or None for "as the browser asks"."""
    return value if value in LANGUAGES else None


@bp.post("/language")
@signed_in_required
def set_language():
    """The header's language switch: save the choice and go back to the page it was made on."""
    with write_transaction(db.session):
        users.set_preferences(db.session, current_user.id, locale=_locale_choice(request.form.get("locale")))
    return redirect(safe_next(request.form.get("next")))


@bp.route("/", methods=["GET", "POST"], strict_slashes=False)
@signed_in_required
def index():
    """Language and time zone of the signed-in user."""
    errors = {}
    if request.method == "POST":
        zone = request.form.get("timezone", "").strip() or None
        if zone is not None and not is_timezone(zone):
            errors["timezone"] = _("Choose a time zone from the list.")
        else:
            locale = _locale_choice(request.form.get("locale"))
            with write_transaction(db.session):
                users.set_preferences(db.session, current_user.id, locale=locale, timezone=zone)
            with force_locale(locale or browser_locale()):
                flash(_("Settings saved."), "success")
            return redirect(url_for("settings.index"))
    return render_template(
        "settings/index.html",
        errors=errors,
        timezones=timezone_names(),
        default_timezone=current_app.config["DEFAULT_TIMEZONE"],
    ), (422 if errors else 200)
