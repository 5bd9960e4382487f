"""The security headers ride on every kind of response, not only on dashboard pages."""

from __future__ import annotations

import pytest

from tests.builders import make_contact, make_operator, make_source, make_token


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_strict_headers(response, *, docs: bool = False) -> None:
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    # Only /docs lets Swagger UI's bundle set element styles; scripts stay strict everywhere.
    assert policy["style-src"] == (["'self'", "'unsafe-inline'"] if docs else ["'self'"])
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    everything = " ".join(" ".join(values) for name, values in policy.items() if name != "style-src")
    assert "unsafe" not in everything
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin")
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.fixture
def admin_headers(app):
    return {"Authorization": f"Bearer {make_token('admin', is_admin=True)[1]}"}


def send(app, client, method, url, **kwargs):
    response = client.open(url, method=method, **kwargs)
    response.close()  # a static file's handle
    return response


@pytest.mark.parametrize(
    ("method", "url", "status", "mimetype"),
    [
        ("GET", "/", 200, "text/html"),
        ("GET", "/operators/", 200, "text/html"),
        ("GET", "/contacts", 200, "text/html"),
        ("GET", "/nowhere", 404, "text/html"),
        ("PUT", "/contacts", 405, "text/html"),
        ("GET", "/contacts/export.csv", 200, "text/csv"),
    ],
)
def test_dashboard_responses(app, supervisor, method, url, status, mimetype):
    response = send(app, supervisor, method, url)
    assert (response.status_code, response.mimetype) == (status, mimetype)
    assert_strict_headers(response)


def test_htmx_fragment(app, supervisor):
    make_operator("Anna")
    response = send(app, supervisor, "GET", "/contacts", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.data
    assert "HX-Request" in response.headers["Vary"]
    assert_strict_headers(response)


@pytest.mark.parametrize(
    ("method", "url", "status", "mimetype"),
    [
        ("GET", "/login", 200, "text/html"),
        ("GET", "/", 302, "text/html"),  # to the sign-in page
        ("GET", "/static/css/app.css", 200, "text/css"),
        ("GET", "/static/js/app.js", 200, "text/javascript"),
        ("GET", "/healthz", 200, "application/json"),
        ("GET", "/api/v1/openapi.json", 200, "application/json"),
        ("GET", "/api/v1/operators", 401, "application/problem+json"),
        ("GET", "/api/v1/nowhere", 404, "application/problem+json"),
        ("DELETE", "/api/v1/contacts", 405, "application/problem+json"),
    ],
)
def test_anonymous_responses(app, client, method, url, status, mimetype):
    response = send(app, client, method, url)
    assert (response.status_code, response.mimetype) == (status, mimetype)
    assert_strict_headers(response)


def test_json_api_success_and_problem(app, client, admin_headers):
    ok = send(app, client, "GET", "/api/v1/operators", headers=admin_headers)
    assert (ok.status_code, ok.mimetype) == (200, "application/json")
    assert_strict_headers(ok)
    problem = send(app, client, "POST", "/api/v1/operators", json={"name": ""}, headers=admin_headers)
    assert (problem.status_code, problem.mimetype) == (422, "application/problem+json")
    assert_strict_headers(problem)


def test_docs_relaxes_styles_only(app, client):
    response = send(app, client, "GET", "/docs")
    assert response.status_code == 200
    assert_strict_headers(response, docs=True)


# --- Cache-Control: nothing a signed-in user sees is kept by a browser or a proxy ------------


@pytest.fixture
def world(app):
    anna = make_operator("Anna")
    source = make_source("Telegram", weights={anna: 1})
    contact = make_contact(source, external_id="tg-1", name="Ivan", phone="+7 900 000-0001")
    return {"source": source.id, "contact": contact.id, "lead": contact.lead_id}


SIGNED_IN_PAGES = [
    "/", "/stats", "/operators", "/sources", "/sources/{source}", "/contacts",
    "/contacts/{contact}/assign", "/leads/{lead}", "/account/password", "/contacts/export.csv",
    "/nowhere",
]


@pytest.mark.parametrize("url", SIGNED_IN_PAGES)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_every_signed_in_page_and_fragment_is_no_store(app, supervisor, world, url, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    response = send(app, supervisor, "GET", url.format(**world), headers=headers)
    assert response.status_code == (404 if url == "/nowhere" else 200)
    assert response.headers["Cache-Control"] == "no-store"


def test_answers_to_actions_and_the_api_are_no_store_too(app, supervisor, world, admin_headers):
    action = send(app, supervisor, "POST", f"/contacts/{world['contact']}/status",
                  data={"set_status": "in_progress"}, headers={"HX-Request": "true"})
    assert action.status_code == 200 and action.headers["Cache-Control"] == "no-store"
    api = send(app, supervisor, "GET", "/api/v1/contacts/", headers=admin_headers)
    assert api.status_code == 200 and api.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(app, client):
    response = send(app, client, "GET", "/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
