"""Operators page actions: toggle, inline limit, create with inline validation; roles."""

from __future__ import annotations

import pytest

from tests.builders import make_operator
from tests.dashboard.conftest import get, post
from webapp.extensions import db
from webapp.models import Operator


def operator_named(name):
    db.session.rollback()  # end the test's read transaction: see what requests committed
    return db.session.execute(db.select(Operator).where(Operator.name == name)).scalar_one_or_none()


def test_toggle_swaps_just_that_row_and_persists(supervisor, app):
    anna = make_operator("Anna")
    make_operator("Boris")
    page = post(supervisor, f"/operators/{anna.id}/status", {"status": "inactive"}, htmx=True, status=200)
    rows = page.select("[data-testid=operator-row]")
    assert len(rows) == 1 and rows[0]["id"] == f"operator-{anna.id}"
    assert rows[0]["data-status"] == "inactive"
    assert page.one("[data-testid=status-toggle]")["aria-checked"] == "false"
    assert page.one("#flash-area")["hx-swap-oob"] == "true"
    assert page.flashes == ["Anna is now inactive."]
    assert operator_named("Anna").status == "inactive"
    page = post(supervisor, f"/operators/{anna.id}/status", {"status": "active"}, htmx=True, status=200)
    assert page.one("[data-testid=operator-row]")["data-status"] == "active"


def test_toggle_without_javascript_redirects_back_with_a_flash(supervisor, app):
    anna = make_operator("Anna")
    response = supervisor.post(f"/operators/{anna.id}/status", data={"status": "inactive"})
    assert response.status_code == 302
    assert get(supervisor, response.headers["Location"]).flashes == ["Anna is now inactive."]


def test_limit_edits_in_place(supervisor, app):
    anna = make_operator("Anna", limit=5)
    url = f"/operators/{anna.id}/limit"
    page = post(supervisor, url, {"max_active_contacts": "12"}, htmx=True, status=200)
    assert page.one("[data-testid=limit-input]")["value"] == "12"
    assert page.flashes == ["Anna's limit is now 12."]
    assert operator_named("Anna").max_active_contacts == 12


@pytest.mark.parametrize(("value", "message"), [
    ("-1", "The limit must be a whole number, 0 or more."),
    ("ten", "The limit must be a whole number, 0 or more."),
    ("2.5", "The limit must be a whole number, 0 or more."),
    ("", "The limit must be a whole number, 0 or more."),
    ("100001", "The limit can be at most 100000."),
])
def test_bad_limit_shows_the_message_in_the_row_and_changes_nothing(supervisor, app, value, message):
    anna = make_operator("Anna", limit=5)
    url = f"/operators/{anna.id}/limit"
    page = post(supervisor, url, {"max_active_contacts": value}, htmx=True, status=422)
    assert page.text("[data-testid=row-error]") == message
    assert page.one("[data-testid=limit-input]")["aria-invalid"] == "true"
    assert page.one("[data-testid=limit-input]")["value"] == value  # kept as typed, to correct
    assert page.flashes == [message]  # the toast: it replaces an earlier success message
    assert operator_named("Anna").max_active_contacts == 5


def test_create_operator_adds_a_row(supervisor, app):
    page = post(supervisor, "/operators", {"name": "Gleb", "max_active_contacts": "7", "status": "active"},
                htmx=True, status=200)
    assert page.texts("[data-testid=operator-row] th") == ["Gleb"]
    assert page.flashes == ["Operator Gleb created."]
    assert page.one("#new-operator-name").get("value") == ""
    assert operator_named("Gleb").max_active_contacts == 7


def test_create_operator_without_javascript_redirects(supervisor, app):
    response = supervisor.post("/operators", data={"name": "Gleb", "max_active_contacts": "7"})
    assert response.status_code == 302
    assert get(supervisor, "/operators").flashes == ["Operator Gleb created."]


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"name": "", "max_active_contacts": "3"}, "name", "This field is required."),
    ({"name": "x" * 201, "max_active_contacts": "3"}, "name", "String should have at most 200 characters."),
    ({"name": "Eve", "max_active_contacts": "-2"}, "max_active_contacts",
     "Input should be greater than or equal to 0."),
    ({"name": "Eve", "max_active_contacts": "3", "status": "asleep"}, "status",
     "Input should be 'active' or 'inactive'."),
])
def test_create_operator_inline_validation(supervisor, app, form, field, message):
    for htmx in (True, False):
        page = post(supervisor, "/operators", form, htmx=htmx, status=422)
        assert page.text(f"[data-testid=error-{field}]") == message
        assert page.one("#new-operator-name").get("value", "") == form["name"]
    assert operator_named("Eve") is None


def test_duplicate_operator_name_is_an_inline_error(supervisor, app):
    make_operator("Anna")
    page = post(supervisor, "/operators", {"name": "Anna", "max_active_contacts": "3"}, htmx=True, status=422)
    assert page.text("[data-testid=error-name]") == "An operator named 'Anna' already exists."


@pytest.mark.parametrize(("url", "data"), [
    ("/operators", {"name": "Eve", "max_active_contacts": "3"}),
    ("/operators/{id}/status", {"status": "inactive"}),
    ("/operators/{id}/limit", {"max_active_contacts": "1"}),
])
def test_manager_cannot_change_operators(manager, app, url, data):
    anna = make_operator("Anna", limit=5)
    for htmx in (True, False):
        page = post(manager, url.format(id=anna.id), data, htmx=htmx, status=403)
    assert page.text("[data-testid=error-message]") == "Your role may not do this."
    operator = operator_named("Anna")
    assert (operator.status, operator.max_active_contacts) == ("active", 5)
    assert operator_named("Eve") is None


def test_operators_page_is_paginated(supervisor, app):
    for number in range(55):
        make_operator(f"Op {number:02d}")
    first = get(supervisor, "/operators")
    assert len(first.select("[data-testid=operator-row]")) == 50
    second = get(supervisor, first.one("[data-testid=page-next]")["href"])
    assert second.texts("[data-testid=operator-row] th") == [f"Op {n}" for n in range(50, 55)]
