"""CSRF stays on: requests without the token are refused; htmx sends it from <body hx-headers>."""

from __future__ import annotations

import json

import pytest

from tests.builders import make_operator
from tests.dashboard.conftest import PASSWORD, get
from webapp.extensions import db
from webapp.models import Operator


@pytest.fixture
def app_config(app_config):
    return app_config | {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def signed_in(client, supervisor_user):
    token = get(client, "/login").one("meta[name=csrf-token]")["content"]
    response = client.post("/login", data={"username": "sue", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"
    return client


def status_of(operator_id):
    db.session.rollback()  # end the test's read transaction: see what requests committed
    return db.session.get(Operator, operator_id).status


def test_login_without_the_token_is_refused(client, supervisor_user):
    response = client.post("/login", data={"username": "sue", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    page = get(client, response.headers["Location"])
    assert page.flashes == ["Your session expired or the form was stale; please sign in again."]
    assert get(client, "/", status=302)  # still signed out


def test_htmx_header_carries_the_token_of_the_meta_tag(signed_in):
    anna = make_operator("Anna")
    page = get(signed_in, "/operators")
    token = page.one("meta[name=csrf-token]")["content"]
    assert json.loads(page.one("body")["hx-headers"]) == {"X-CSRFToken": token}
    response = signed_in.post(f"/operators/{anna.id}/status", data={"status": "inactive"},
                              headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    assert status_of(anna.id) == "inactive"


def test_htmx_request_without_the_token_is_sent_to_login_and_changes_nothing(signed_in):
    anna = make_operator("Anna")
    response = signed_in.post(f"/operators/{anna.id}/status", data={"status": "inactive"},
                              headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Redirect"].startswith("/login")
    assert response.get_data() == b""  # nothing to swap into a table cell
    assert status_of(anna.id) == "active"


def test_wrong_token_is_refused(signed_in):
    anna = make_operator("Anna")
    response = signed_in.post(f"/operators/{anna.id}/status", data={"status": "inactive"},
                              headers={"HX-Request": "true", "X-CSRFToken": "forged"})
    assert response.status_code == 400
    assert status_of(anna.id) == "active"


def test_every_dashboard_form_carries_the_hidden_token(signed_in):
    make_operator("Anna")
    page = get(signed_in, "/operators")
    token = page.one("meta[name=csrf-token]")["content"]
    forms = page.select("form[method=post]")
    assert len(forms) >= 4  # sign out, toggle, limit, create
    for form in forms:
        assert form.select_one("input[name=csrf_token]")["value"] == token
    response = signed_in.post(forms[-1]["action"], data={"name": "Eve", "max_active_contacts": "2",
                                                         "csrf_token": token})
    assert response.status_code == 302


def test_the_api_needs_no_csrf_token(client, api):
    response = api.post("/api/v1/operators", json={"name": "Eve", "max_active_contacts": 1})
    assert response.status_code == 201
