"""The board as a working queue in a real browser: sort the open list, search, tick and close at once."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.builders import committed, make_contact, make_operator, make_source
from webapp import contacts
from webapp.distribution import SYSTEM

GUNICORN_WORKERS = 2
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def open_rows(tab):
    return tab.locator("[data-testid=contact-row]")


def test_sort_search_and_close_several_at_once(tab, api, manager_user):
    anna, boris = make_operator("Anna", limit=20), make_operator("Boris", limit=20)
    walk_in = make_source("Walk-in")  # nobody weighted: contacts are handed out by hand below
    people = ["Анна Петрова", "Bob Stone", "Carla Diaz", "Dmitri Orlov"]
    made = []
    for number, name in enumerate(people):
        contact = make_contact(walk_in, external_id=f"walk-{number}", name=name, phone=f"+7912345670{number}")
        committed(contacts.set_operator, contact.id, (anna if number % 2 else boris).id, actor=SYSTEM)
        made.append(contact.id)
    tab.set_viewport_size(DESKTOP)
    sign_in(tab, "max")
    tab.goto("/contacts")
    expect(open_rows(tab)).to_have_count(4)

    # Sort by operator: Anna's contacts first; again: Boris's first.
    tab.get_by_test_id("sort-operator").click()
    expect(tab).to_have_url(re.compile(r"sort=operator"))
    header = tab.locator("th", has=tab.get_by_test_id("sort-operator"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(open_rows(tab).first).to_contain_text("Anna")
    tab.get_by_test_id("sort-operator").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(open_rows(tab).first).to_contain_text("Boris")
    expect(tab.get_by_test_id("export-csv")).to_have_attribute("href", re.compile(r"sort=-operator"))

    # Search by a phone in another spelling, then by a Cyrillic name in lower case.
    search = tab.get_by_test_id("board-search")
    search.fill("8 912 345-67-02")
    expect(open_rows(tab)).to_have_count(1)
    expect(open_rows(tab).first).to_contain_text("Carla Diaz")
    search.fill("петрова")
    expect(open_rows(tab)).to_have_count(1)
    expect(open_rows(tab).first).to_contain_text("Анна Петрова")
    expect(tab).to_have_url(re.compile(r"q=%D0%BF"))
    expect(tab.get_by_test_id("export-csv")).to_have_attribute(
        "href", re.compile(r"q=.*sort=-operator|sort=-operator.*q=")
    )
    screenshot(tab, "board-search-1366")
    search.fill("")
    expect(open_rows(tab)).to_have_count(4)
    expect(open_rows(tab).first).to_contain_text("Boris")  # the order survived the search

    # Tick two rows: the poll pauses, the ticks stay, the bar counts them.
    for contact_id in made[:2]:
        tab.locator(f"#contact-{contact_id}").get_by_test_id("select-contact").check()
    expect(tab.get_by_test_id("bulk-count")).to_have_text("Selected: 2")
    expect(tab.get_by_test_id("board")).to_have_class(
        re.compile(r"\bis-paused\b")
    )  # a poll came and held off
    expect(tab.locator("[data-testid=select-contact]:checked")).to_have_count(2)
    screenshot(tab, "board-selection-1366")
    tab.set_viewport_size(PHONE)
    screenshot(tab, "board-selection-390")
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    tab.set_viewport_size(DESKTOP)

    questions = []
    tab.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    tab.get_by_test_id("bulk-close").click()
    expect(tab.get_by_test_id("flash-success")).to_have_text("2 closed.")
    assert questions == ["Close the selected contacts (2)? A closed contact cannot be reopened."]
    expect(open_rows(tab)).to_have_count(2)
    expect(tab.get_by_test_id("bulk-count")).to_have_text("Selected: 0")
    for contact_id in made[:2]:
        assert api.get(f"/api/v1/contacts/{contact_id}").json()["status"] == "closed"
    expect(tab).to_have_url(re.compile(r"sort=-operator"))
    screenshot(tab, "board-after-bulk-close-1366")

    # On a phone: select all shown, the page never scrolls sideways.
    tab.set_viewport_size(PHONE)
    tab.get_by_test_id("assigned-list").get_by_test_id("select-all").check()
    expect(tab.get_by_test_id("bulk-count")).to_have_text("Selected: 2")
    screenshot(tab, "board-select-all-390")
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
