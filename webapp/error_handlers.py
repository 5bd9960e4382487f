"""Every error handler of the app, registered in one step.

The API (``/api/...``) answers with problem documents (RFC 9457); the dashboard
with a readable page, or for htmx and expired forms a redirect to sign in.
Domain errors take their status from ``webapp.errors.http_status`` on both sides.
"""

from __future__ import annotations

import logging

from flask import Response, current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from webapp.blueprints.forms import domain_message
from webapp.errors import DomainError, http_status
from webapp.extensions import db
from webapp.i18n import browser_locale
from webapp.problems import ApiProblem, database_busy, problem_response, wants_problem
from webapp.security import redirect_to_login

log = logging.getLogger(__name__)


# Title and message of the dashboard's error page per status.
ERROR_PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Not allowed"), _l("Your role may not do this.")),
    404: (_l("Not found"), _l("There is nothing at this address.")),
    405: (_l("Not allowed here"), _l("This address does not take that kind of request.")),
    409: (_l("Not possible"), _l("This conflicts with the current state.")),
    413: (_l("Too large"), _l("The request is larger than the configured maximum.")),
    422: (_l("Not possible"), _l("The request has invalid fields.")),
    429: (_l("Too many attempts"), _l("Too many sign-in attempts. Wait a minute and try again.")),
}


def register_error_handlers(app) -> None:
    app.register_error_handler(ApiProblem, handle_api_problem)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)


def _headers(error: HTTPException) -> dict:
    return {name: value for name, value in error.get_headers() if name.lower() != "content-type"}


def error_page(code: int, message: str | None = None, headers: dict | None = None):
    title, default_message = ERROR_PAGES.get(code, (_("Error"), _("The request could not be handled.")))
    body = render_template("errors/error.html", code=code, title=title, message=message or default_message)
    return body, code, headers or {}


def handle_api_problem(error: ApiProblem):
    return problem_response(error.status, error.detail, errors=error.errors, headers=error.headers,
                            title=error.title)


def handle_domain_error(error: DomainError):
    """A refusal of the domain that the view did not turn into an inline message."""
    db.session.rollback()
    status = http_status(error)
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    if wants_problem():
        return problem_response(status, error.message, errors=error.errors, headers=headers)
    return error_page(status, domain_message(error), headers)


def handle_http_exception(error: HTTPException):
    if wants_problem():
        return problem_response(error.code, error.description, headers=_headers(error))
    if isinstance(error, CSRFError):
        # A missing or expired CSRF token: back to sign-in, never an error page in a table cell.
        return redirect_to_login(_("Your session expired or the form was stale; please sign in again."), 400)
    headers = _headers(error)
    if error.code == 429:
        headers.setdefault("Retry-After", "60")
    return error_page(error.code, headers=headers)


def _plain(status: int, detail, headers: dict | None = None):
    # No template: the failure may be the database that rendering a page needs.
    if wants_problem():
        return problem_response(status, str(detail), headers=headers)
    with force_locale(browser_locale()):  # not the user's choice: that needs the database
        text = str(detail)
    return Response(text, status=status, headers=headers, mimetype="text/plain")


def handle_database_unavailable(error: OperationalError):
    db.session.rollback()
    busy = database_busy(error)
    log.warning("database %s: %s", "busy" if busy else "unavailable", error.orig)
    detail = _l("The database is busy; retry shortly.") if busy else _l("The database is unavailable.")
    return _plain(503, detail, {"Retry-After": "1"})


def handle_unexpected(error: Exception):
    current_app.logger.exception("unhandled error")
    db.session.rollback()
    return _plain(500, _l("An unexpected error occurred."))
