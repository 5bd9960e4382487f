"""The routing settings on the source page, and the drains the dashboard's actions start."""

from __future__ import annotations

import pytest

from tests.builders import committed, make_contact, make_operator, make_source
from tests.dashboard.conftest import get, post
from webapp import directory
from webapp.extensions import db
from webapp.models import Contact, Source

ALL_ON = {"auto_drain": "true", "sticky_days": "0"}


def source_row(source_id):
    db.session.rollback()
    return db.session.get(Source, source_id)


def operator_of(contact_id):
    db.session.rollback()
    return db.session.get(Contact, contact_id).operator_id


def test_the_source_page_shows_the_settings_waiting_and_the_sticky_figure(supervisor):
    source = make_source("Bot")
    make_contact(source, "tg:1")
    page = get(supervisor, f"/sources/{source.id}")
    assert "1" in page.text("[data-testid=waiting]")
    assert page.text("[data-testid=sticky-held]") == "off"
    form = page.one("[data-testid=routing-form]")
    assert form.select_one("input[name=auto_drain]").has_attr("checked")
    assert not form.select_one("input[name=paused]").has_attr("checked")
    assert form.select_one("input[name=sticky_days]")["value"] == "0"


def test_a_manager_sees_the_figures_but_no_form(manager):
    source = make_source("Bot")
    page = get(manager, f"/sources/{source.id}")
    assert page.select("[data-testid=routing-form]") == []
    assert page.select("[data-testid=waiting]")


def test_every_setting_saves_from_the_form(supervisor):
    source = make_source("Bot")
    data = {"paused": "true", "sticky_days": "14", "intake_per_minute": "120", "wait_target_minutes": "30"}
    page = post(supervisor, f"/sources/{source.id}/routing", data, htmx=True, status=200)
    assert "Routing settings saved." in page.flashes
    saved = source_row(source.id)
    assert (saved.paused, saved.auto_drain, saved.sticky_days, saved.intake_per_minute,
            saved.wait_target_minutes) == (True, False, 14, 120, 30)
    assert page.select("[data-testid=paused]") and page.select("[data-testid=auto-drain-off]")


def test_empty_numbers_lift_the_limit_and_the_target(supervisor):
    source = make_source("Bot")
    committed(directory.update_source, source.id, {"intake_per_minute": 5, "wait_target_minutes": 5})
    lifted = ALL_ON | {"intake_per_minute": "", "wait_target_minutes": ""}
    post(supervisor, f"/sources/{source.id}/routing", lifted, status=302)
    saved = source_row(source.id)
    assert (saved.intake_per_minute, saved.wait_target_minutes) == (None, None)


@pytest.mark.parametrize(
    ("field", "value"),
    [("sticky_days", "-1"), ("sticky_days", "366"), ("sticky_days", "two"), ("intake_per_minute", "0"),
     ("intake_per_minute", "100001"), ("intake_per_minute", "1.5"), ("wait_target_minutes", "0"),
     ("wait_target_minutes", "10081"), ("paused", "perhaps"), ("auto_drain", "perhaps")],
)
def test_a_bad_value_comes_back_inline_and_saves_nothing(supervisor, field, value):
    source = make_source("Bot")
    page = post(supervisor, f"/sources/{source.id}/routing", ALL_ON | {field: value}, htmx=True, status=422)
    assert page.one(f"[data-testid=error-{field}]").get_text(strip=True)
    assert page.soup.find("html") is None  # the routing block alone
    saved = source_row(source.id)
    settings = (saved.paused, saved.auto_drain, saved.sticky_days, saved.intake_per_minute)
    assert settings == (False, True, 0, None)


def test_resuming_from_the_page_drains_and_says_how_many(supervisor):
    anna = make_operator("Anna", limit=1)
    source = make_source("Bot", weights={anna: 1})
    committed(directory.update_source, source.id, {"paused": True})
    first, second = make_contact(source, "tg:1"), make_contact(source, "tg:2")
    page = post(supervisor, f"/sources/{source.id}/routing", ALL_ON, htmx=True, status=200)
    assert "1 waiting contact was assigned." in page.flashes
    assert (operator_of(first.id), operator_of(second.id)) == (anna.id, None)


@pytest.fixture
def backlog(app):
    """Anna (limit 1) holds a contact; one more waits."""
    anna = make_operator("Anna", limit=1)
    source = make_source("Bot", weights={anna: 1})
    held, waiting = make_contact(source, "tg:held"), make_contact(source, "tg:waiting")
    assert waiting.operator_id is None
    return {"anna": anna.id, "source": source.id, "held": held.id, "waiting": waiting.id}


def test_closing_on_the_board_drains(manager, backlog):
    post(manager, f"/contacts/{backlog['held']}/status", {"set_status": "closed"}, htmx=True)
    assert operator_of(backlog["waiting"]) == backlog["anna"]


def test_unassigning_on_the_board_drains_oldest_first(manager, backlog):
    post(manager, f"/contacts/{backlog['held']}/unassign", htmx=True)
    # The unassigned contact is the oldest waiting one: it takes the place again, one place, one contact.
    assert (operator_of(backlog["held"]), operator_of(backlog["waiting"])) == (backlog["anna"], None)


def test_the_operator_toggle_and_the_limit_drain(supervisor, backlog):
    post(supervisor, f"/operators/{backlog['anna']}/limit", {"max_active_contacts": "2"}, htmx=True)
    assert operator_of(backlog["waiting"]) == backlog["anna"]


def test_activating_an_operator_on_the_dashboard_drains(supervisor):
    vera = make_operator("Vera", limit=3, status="inactive")
    source = make_source("Bot", weights={vera: 1})
    contact = make_contact(source, "tg:1")
    post(supervisor, f"/operators/{vera.id}/status", {"status": "active"}, htmx=True)
    assert operator_of(contact.id) == vera.id


def test_the_weight_slider_drains(supervisor):
    anna = make_operator("Anna", limit=3)
    source = make_source("Bot")
    contact = make_contact(source, "tg:1")
    post(supervisor, f"/sources/{source.id}/weights/{anna.id}", {"weight": "2"}, htmx=True)
    assert operator_of(contact.id) == anna.id


def test_the_overview_marks_paused_and_limited_sources(supervisor, api):
    anna = make_operator("Anna", limit=9)
    source = make_source("Bot", weights={anna: 1})
    committed(directory.update_source, source.id, {"intake_per_minute": 1, "paused": True})
    for n in range(2):
        api.post("/api/v1/contacts/", json={"external_id": f"tg:{n}", "source_id": source.id})
    page = get(supervisor, "/")
    row = page.one(f"[data-testid=source-today-row][data-source-id='{source.id}']")
    assert row.select("[data-testid=source-paused]") and row.select("[data-testid=source-limited]")
