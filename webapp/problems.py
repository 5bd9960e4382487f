"""Problem documents (RFC 9457, application/problem+json): what every API error looks like."""

from __future__ import annotations

from flask import Response, json, request
from sqlalchemy.exc import OperationalError

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
    412: "Precondition Failed",
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
