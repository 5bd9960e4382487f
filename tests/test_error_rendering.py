"""Errors in one place: every domain error class has one status, rendered by the API and the dashboard."""

from __future__ import annotations

import pytest

import webapp.distribution  # noqa: F401  (defines AssignmentRefused, a domain error too)
from webapp import create_app
from webapp.errors import DomainError, NotFoundError, http_status


def all_domain_errors() -> list[type[DomainError]]:
    found, pending = [], [DomainError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


# Errors that write their own message.
DETAILS = {"IntakeLimited": "Source 1 accepts no more contacts this minute; retry in 5 s."}


def build(cls: type[DomainError]) -> DomainError:
    if cls.__name__ == "AssignmentRefused":
        return cls("at_limit", f"refused by {cls.__name__}")
    if cls.__name__ == "IntakeLimited":
        return cls(source_id=1, retry_after=5, noted_recently=False)
    if cls.__name__ == "TooManyError":
        return cls(f"refused by {cls.__name__}", retry_after=5)
    return cls(f"refused by {cls.__name__}", [{"field": "name", "message": "bad"}])


@pytest.fixture
def raising_app(app_config):
    """The app plus two test-only routes that raise the error class they are named after."""
    app = create_app(app_config | {"WTF_CSRF_ENABLED": False})
    errors = {cls.__name__: cls for cls in all_domain_errors()}

    def raise_named(name):
        raise build(errors[name])

    app.add_url_rule("/api/v1/test-raise/<name>", "api_raise", raise_named)
    app.add_url_rule("/test-raise/<name>", "page_raise", raise_named)
    return app


@pytest.mark.parametrize("cls", all_domain_errors(), ids=lambda cls: cls.__name__)
def test_every_domain_error_renders_with_its_status_on_both_sides(raising_app, cls):
    status = http_status(build(cls))
    client = raising_app.test_client()
    detail = DETAILS.get(cls.__name__, f"refused by {cls.__name__}")

    problem = client.get(f"/api/v1/test-raise/{cls.__name__}")
    assert problem.status_code == status
    assert problem.mimetype == "application/problem+json"
    assert problem.get_json()["detail"] == detail
    assert problem.get_json()["status"] == status

    page = client.get(f"/test-raise/{cls.__name__}")
    assert page.status_code == status
    assert page.mimetype == "text/html"
    assert detail.encode() in page.data


def test_the_table_gives_the_statuses_of_the_contract():
    from webapp.distribution import AssignmentRefused
    from webapp.errors import ConflictError, InvalidError

    assert http_status(NotFoundError("x")) == 404
    assert http_status(ConflictError("x")) == 409
    assert http_status(AssignmentRefused("closed", "x")) == 409
    assert http_status(InvalidError("x")) == 422
