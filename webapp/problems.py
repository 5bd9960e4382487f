"""Errors as application/problem+json (RFC 9457) for the API; HTML elsewhere."""

from __future__ import annotations

import logging

from flask import Response, current_app, json, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"


class ApiProblem(Exception):
    """Raised anywhere under /api/v1 to answer with a problem document."""

    def __init__(self, status: int, detail: str, *, errors=None, headers=None, title=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.title = title


TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def problem_response(status, detail, *, errors=None, headers=None, title=None) -> Response:
    """The one place that renders a problem document."""
    title = title or TITLES.get(status, "Error")
    body = {
        "type": f"https://httpstatuses.io/{status}" if status >= 500 else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    response.headers.update(headers or {})
    return response


def wants_problem() -> bool:
    return request.path.startswith("/api/")


def database_busy(error: OperationalError) -> bool:
    """A lock wait ran out (SQLite busy timeout, PostgreSQL lock_timeout or deadlock)."""
    text = str(error.orig).lower()
    return any(
        marker in text
        for marker in (
            "database is locked",
            "lock timeout",
            "could not obtain lock",
            "deadlock detected",
            "could not serialize",
        )
    )


def register_problem_handlers(app) -> None:
    @app.errorhandler(ApiProblem)
    def handle_api_problem(error: ApiProblem):
        return problem_response(
            error.status, error.detail, errors=error.errors, headers=error.headers, title=error.title
        )

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        if not wants_problem():
            return error
        headers = dict(error.get_headers())
        headers.pop("Content-Type", None)
        return problem_response(error.code, error.description, headers=headers)

    @app.errorhandler(OperationalError)
    def handle_database_unavailable(error: OperationalError):
        from webapp.extensions import db

        db.session.rollback()
        busy = database_busy(error)
        log.warning("database %s: %s", "busy" if busy else "unavailable", error.orig)
        detail = "The database is busy; retry shortly." if busy else "The database is unavailable."
        if wants_problem():
            return problem_response(503, detail, headers={"Retry-After": "1"})
        return Response(detail, status=503, headers={"Retry-After": "1"}, mimetype="text/plain")

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return handle_http_exception(error)
        current_app.logger.exception("unhandled error")
        from webapp.extensions import db

        db.session.rollback()
        if wants_problem():
            return problem_response(500, "An unexpected error occurred.")
        return Response("An unexpected error occurred.", status=500, mimetype="text/plain")
