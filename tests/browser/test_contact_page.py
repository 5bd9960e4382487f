"""The contact page in a real browser at desktop and phone size, and an operator's day."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.builders import committed, make_contact, make_operator, make_source, make_user
from tests.conftest import PASSWORD
from webapp import contacts
from webapp.extensions import db

LONG = "Здравствуйте! Перезвоните, пожалуйста, по поводу заказа " + "очень-длинное-слово-без-пробелов" * 8


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_contact_page_reads_whole_at_both_sizes(browser_context, api, supervisor_user, width, height):
    anna = make_operator("Anna Karenina-Vronskaya", limit=5)
    boris = make_operator("Boris", limit=5)
    source = make_source("Telegram", weights={anna: 3, boris: 3})
    contact = make_contact(source, external_id="tg-1", name="Ivan", phone="+79990001122", message=LONG)
    make_contact(source, external_id="tg-1", message="second")
    committed(contacts.add_note, contact.id, supervisor_user.id, "Called twice, no answer. " * 5)
    contact_id = contact.id
    db.session.remove()
    tab = browser_context.new_page()
    tab.set_viewport_size({"width": width, "height": height})
    sign_in(tab, "sue")
    tab.goto(f"/contacts/{contact_id}")
    expect(tab.get_by_test_id("contact-message")).to_contain_text("очень-длинное-слово-без-пробелов" * 8)
    expect(tab.get_by_test_id("timeline-entry").first).to_contain_text("by weighted pick")
    expect(tab.get_by_test_id("note")).to_have_count(1)
    screenshot(tab, f"contact-page-{width}")
    if width == 390:
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390


def test_operator_signs_in_takes_notes_closes_and_goes_away(browser_context, api, app):
    anna = make_operator("Anna", limit=5)
    source = make_source("Telegram", weights={anna: 1})
    contact = make_contact(source, external_id="tg-1", name="Ivan", message="please call")
    make_user("ola", PASSWORD, "operator", operator_id=anna.id)
    anna_id, contact_id = anna.id, contact.id
    db.session.remove()
    tab = browser_context.new_page()
    tab.set_viewport_size({"width": 390, "height": 844})
    sign_in(tab, "ola")
    expect(tab.get_by_test_id("my-contact")).to_have_count(1)
    tab.get_by_test_id("my-contact").get_by_role("link").click()
    tab.get_by_test_id("action-in_progress").click()
    expect(tab.locator("h1 [data-testid=status]")).to_have_text("in progress")
    tab.get_by_label("New note (only staff see it)").fill("Will call back at 5")
    tab.get_by_test_id("note-submit").click()
    expect(tab.get_by_test_id("note")).to_contain_text("Will call back at 5")
    screenshot(tab, "contact-page-operator-390")
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    tab.get_by_test_id("action-closed").click()
    expect(tab.locator("h1 [data-testid=status]")).to_have_text("closed")
    tab.goto("/my/contacts")
    expect(tab.get_by_test_id("no-contacts")).to_be_visible()
    tab.get_by_test_id("go-away").click()
    expect(tab.get_by_test_id("my-state")).to_have_text("away")
    assert api.get(f"/api/v1/operators/{anna_id}").json()["status"] == "inactive"
    assert api.get(f"/api/v1/contacts/{contact_id}").json()["status"] == "closed"
    assert tab.goto("/operators").status == 403
