"""Keyboard alone (Tab, Enter, Space, arrows, Escape) through the status toggle, the weight
sliders and the board's assign menu; where focus lands after each htmx swap; and what the
live regions say to a screen reader, in English and in Russian.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import sign_in_by_form
from tests.builders import make_contact, make_operator, make_source

TEXTS = {
    "en-US": {
        "inactive": "Anna is now inactive.",
        "active": "Anna is now active.",
        "limit": "The limit must be a whole number, 0 or more.",
        "assigned": "Contact #{id} assigned to Boris.",
        "at limit": "limit",
    },
    "ru-RU": {
        "inactive": "Anna: теперь отключён.",
        "active": "Anna: теперь активен.",
        "limit": "Лимит — целое число, 0 или больше.",
        "assigned": "Контакт №{id} назначен оператору Boris.",
        "at limit": "лимит",
    },
}


def tab_to(page, target, limit: int = 150) -> None:
    """Press Tab until ``target`` has focus, as a keyboard user walks the page."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


@pytest.mark.parametrize("browser_locale", ["en-US", "ru-RU"])
def test_the_status_toggle_and_the_limit_by_keyboard(tab, api, supervisor_user, browser_locale):
    words = TEXTS[browser_locale]
    anna = make_operator("Anna", limit=4)
    make_operator("Boris")
    sign_in_by_form(tab, "sue")
    tab.goto("/operators")
    row = tab.locator(f"#operator-{anna.id}")

    tab_to(tab, row.get_by_test_id("status-toggle"))
    tab.keyboard.press("Space")
    expect(row).to_have_attribute("data-status", "inactive")
    expect(row.get_by_test_id("status-toggle")).to_be_focused()  # the row was swapped; focus stayed
    expect(tab.get_by_test_id("live-region")).to_have_text(words["inactive"])
    tab.keyboard.press("Enter")
    expect(row).to_have_attribute("data-status", "active")
    expect(row.get_by_test_id("status-toggle")).to_be_focused()
    expect(tab.get_by_test_id("live-region")).to_have_text(words["active"])
    assert api.get(f"/api/v1/operators/{anna.id}").json()["status"] == "active"

    tab.keyboard.press("Tab")  # the limit field of the same row
    limit = row.get_by_test_id("limit-input")
    expect(limit).to_be_focused()
    tab.keyboard.press("Control+A")
    tab.keyboard.press("Backspace")
    tab.keyboard.press("Enter")
    expect(row.get_by_test_id("row-error")).to_have_text(words["limit"])
    expect(limit).to_be_focused()  # the invalid field, described by its error
    expect(limit).to_have_attribute("aria-invalid", "true")
    expect(tab.get_by_test_id("live-alert")).to_have_text(words["limit"])


def test_an_answer_never_takes_focus_from_a_field_the_person_went_on_to(tab, supervisor_user):
    """A refused limit comes back while the person already types a new operator's name:
    the name field keeps the focus and every letter typed (the CSP tour once lost "Vera")."""
    anna = make_operator("Anna")
    sign_in_by_form(tab, "sue")
    tab.goto("/operators")
    row = tab.locator(f"#operator-{anna.id}")
    row.get_by_test_id("limit-input").fill("-1")
    name = tab.get_by_test_id("create-operator-form").get_by_label("Name")
    name.focus()
    with tab.expect_response(re.compile(rf"/operators/{anna.id}/limit$")) as answer:
        row.get_by_test_id("limit-form").evaluate("form => form.requestSubmit()")
    assert answer.value.status == 422
    expect(row.get_by_test_id("row-error")).to_be_visible()
    tab.keyboard.type("Vera")
    expect(name).to_be_focused()
    expect(name).to_have_value("Vera")


def test_a_weight_slider_moves_and_saves_by_arrow_keys(tab, api, supervisor_user):
    anna = make_operator("Anna")
    boris = make_operator("Boris")
    source = make_source("Telegram", weights={anna: 1, boris: 1})
    sign_in_by_form(tab, "sue")
    tab.goto(f"/sources/{source.id}")
    slider = tab.locator(f"#weight-{anna.id}")
    tab_to(tab, slider)
    saved = re.compile(rf"/sources/{source.id}/weights/{anna.id}$")
    with tab.expect_response(lambda r: bool(saved.search(r.url)) and r.request.method == "POST") as answer:
        tab.keyboard.press("ArrowRight")
        tab.keyboard.press("ArrowRight")
    assert answer.value.status == 200
    expect(tab.locator(f"#weight-number-{anna.id}")).to_have_value("3")
    expect(tab.locator(f"#share-{anna.id}")).to_have_text("75 %")
    expect(slider).to_be_focused()
    with tab.expect_response(lambda r: bool(saved.search(r.url))):
        tab.keyboard.press("ArrowLeft")
    expect(tab.locator(f"#share-{anna.id}")).to_have_text("67 %")
    expect(slider).to_be_focused()
    assert {item["operator_id"]: item["weight"] for item in api.get(
        f"/api/v1/sources/{source.id}").json()["weights"]}[anna.id] == 2


@pytest.mark.parametrize("browser_locale", ["en-US", "ru-RU"])
def test_the_assign_menu_by_keyboard(tab, api, manager_user, browser_locale):
    words = TEXTS[browser_locale]
    anna = make_operator("Anna", limit=5)
    boris = make_operator("Boris", limit=5)
    make_operator("Vera", limit=0)  # at her limit: needs the override
    walk_in = make_source("Walk-in")
    older = make_contact(walk_in, external_id="w1")
    newer = make_contact(walk_in, external_id="w2")
    sign_in_by_form(tab, "max")
    tab.goto("/contacts")
    rows = tab.get_by_test_id("unassigned-row")
    expect(rows).to_have_count(2)
    first, second = (int(rows.nth(i).get_attribute("data-contact-id")) for i in range(2))
    assert {first, second} == {older.id, newer.id}
    menu = tab.locator(f"#assign-menu-{first}")
    button = menu.locator("summary")
    select = menu.get_by_test_id("assign-select")

    tab_to(tab, button)
    tab.keyboard.press("Enter")
    expect(select).to_be_focused()  # the menu's form came, and focus went into it
    tab.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(button).to_be_focused()

    tab.keyboard.press("Enter")
    expect(select).to_be_focused()
    expect(select).to_have_value(str(anna.id))
    tab.keyboard.press("ArrowDown")
    tab.keyboard.press("ArrowDown")  # Anna → Boris → Vera (at her limit)
    tab.keyboard.press("Tab")  # the override box, left unticked
    tab.keyboard.press("Tab")  # the reason, left empty
    tab.keyboard.press("Tab")
    expect(menu.get_by_test_id("assign-submit")).to_be_focused()
    tab.keyboard.press("Enter")
    error = menu.get_by_test_id("assign-error")
    expect(error).to_contain_text(words["at limit"])
    expect(select).to_be_focused()  # the invalid field
    expect(select).to_have_attribute("aria-invalid", "true")
    expect(tab.get_by_test_id("live-alert")).to_have_text(error.inner_text())

    tab.keyboard.press("ArrowUp")  # Boris
    tab.keyboard.press("Tab")
    tab.keyboard.press("Tab")
    tab.keyboard.press("Tab")
    tab.keyboard.press("Enter")
    assigned = tab.locator(f"[data-testid=contact-row][data-contact-id='{first}']")
    expect(assigned).to_contain_text("Boris")
    expect(tab.get_by_test_id("live-region")).to_have_text(words["assigned"].format(id=first))
    expect(tab.locator(f"#assign-menu-{second} summary")).to_be_focused()  # the next contact's action
    assert api.get(f"/api/v1/contacts/{first}").json()["operator_id"] == boris.id


@pytest.mark.parametrize("browser_locale", ["en-US", "ru-RU"])
def test_a_claim_conflict_by_keyboard(tab, api, manager_user, browser_locale):
    """A manager with the menu open by keyboard loses the contact to someone quicker: the answer
    is read out, nothing is overwritten, and focus stays on that contact's row, not lost to the page."""
    anna, boris = make_operator("Anna", limit=5), make_operator("Boris", limit=5)
    contact = make_contact(make_source("Walk-in"), external_id="walk-1")
    sign_in_by_form(tab, "max")
    tab.goto("/contacts")
    menu = tab.locator(f"#assign-menu-{contact.id}")
    tab_to(tab, menu.locator("summary"))
    tab.keyboard.press("Enter")
    select = menu.get_by_test_id("assign-select")
    expect(select).to_be_focused()

    taken = api.put(f"/api/v1/contacts/{contact.id}/operator", data={"operator_id": anna.id})
    assert taken.status == 200  # someone else was first
    select.select_option(str(boris.id))
    for _ in range(3):  # the override box, the reason, the button
        tab.keyboard.press("Tab")
    expect(menu.get_by_test_id("assign-submit")).to_be_focused()
    tab.keyboard.press("Enter")

    note = tab.get_by_test_id("row-note")
    expect(note).to_contain_text("Anna")
    expect(tab.get_by_test_id("live-alert")).to_have_text(note.inner_text())
    row = tab.locator(f"#contact-{contact.id}")
    expect(row).to_contain_text("Anna")
    # Focus is put back when htmx settles the swap, a moment after the row shows the answer: wait
    # for it (a timeout fails the test) rather than look once, before the settle.
    tab.wait_for_function(
        "id => document.getElementById(id).contains(document.activeElement)", arg=f"contact-{contact.id}",
        timeout=5000,
    )
    assert api.get(f"/api/v1/contacts/{contact.id}").json()["operator_id"] == anna.id
