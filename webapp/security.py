"""Dashboard security: response headers (CSP and friends), login, roles.

Every response — HTML page, HTMX fragment, JSON, static file, error — gets the
headers from ``security_headers``. The CSP forbids inline script and style, so
all behaviour lives in static files and htmx runs with ``allowEval: false``.
Every response but a static file is also ``Cache-Control: no-store``: pages,
fragments, exports and API answers may carry customer data, and one rule for all
of them cannot miss a page (the static files carry none and stay cacheable).
"""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.distribution import Actor
from webapp.extensions import db, login_manager
from webapp.users import load_session_user

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# Swagger UI sets element styles from its bundle; only /docs relaxes style-src for it.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def security_headers(response):
    """after_request: the same strict headers on every response."""
    policy = DOCS_CONTENT_SECURITY_POLICY if request.path == "/docs" else CONTENT_SECURITY_POLICY
    response.headers["Content-Security-Policy"] = policy
    response.headers.update(STATIC_HEADERS)
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def dashboard_actor() -> Actor:
    """The signed-in user, as assignment records name them."""
    return Actor("user", current_user.username)


def redirect_to_login(message: str | None = None, status: int = 401):
    """A plain redirect for browsers; for htmx, HX-Redirect so no login form lands in a table cell."""
    if message:
        flash(message, "warning")
    target = url_for("auth.login", next=_safe_next())
    if is_htmx():
        return "", status, {"HX-Redirect": target}
    return redirect(target)


def _safe_next() -> str | None:
    # Only a plain page load is worth returning to; an htmx fragment URL is not a page.
    if request.method != "GET" or is_htmx():
        return None
    return request.full_path.rstrip("?")


def roles_required(*roles: str):
    """Login required, then one of ``roles`` (403 otherwise). Checked in the view, before any data."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


supervisor_required = roles_required("supervisor")
staff_required = roles_required("supervisor", "manager")
# Pages of one's own (settings, password, a contact one may see): every role.
signed_in_required = roles_required("supervisor", "manager", "operator")
operator_required = roles_required("operator")


def init_security(app) -> None:
    """Register the header hook and the login manager."""
    app.after_request(security_headers)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(lambda: redirect_to_login(_("Please sign in to see this page.")))


def _load_user(session_token: str):
    # The session names the user by their session token, not their id (webapp.users.SessionUser).
    return load_session_user(db.session, session_token)
