"""Nothing moves under the pointer, and two managers on one contact never overwrite each other."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_board import is_poll, unassigned_row
from tests.builders import make_contact, make_operator, make_source

GUNICORN_WORKERS = 2
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def test_a_click_aimed_before_a_poll_with_arrivals_hits_the_row_it_aimed_at(tab, api, manager_user):
    anna = make_operator("Anna", limit=50)
    walk_in = make_source("Walk-in")  # nobody weighted: its contacts wait
    telegram = make_source("Telegram", weights={anna: 1})  # its contacts go to Anna at once
    waiting = [make_contact(walk_in, external_id=f"walk-{number}") for number in range(4)]
    for number in range(3):
        make_contact(telegram, external_id=f"tg-{number}")
    tab.set_viewport_size(DESKTOP)
    sign_in(tab, "max")
    tab.goto("/contacts")
    target = unassigned_row(tab, waiting[2].id).get_by_test_id("assign-menu").locator("summary")
    box = target.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tab.mouse.move(x, y)  # the pointer rests on the row it aims at

    with tab.expect_response(is_poll):
        for number in range(3):  # a bot posts while the manager aims: waiting ones and Anna's
            source = walk_in if number % 2 else telegram
            created = api.post(
                "/api/v1/contacts", data={"external_id": f"bot-{number}", "source_id": source.id}
            )
            assert created.status == 201
    expect(tab.get_by_test_id("show-new")).to_have_text("3 new — show")
    assert target.bounding_box() == box
    screenshot(tab, "board-new-bar-1366")
    tab.mouse.click(x, y)
    expect(unassigned_row(tab, waiting[2].id).get_by_test_id("assign-menu")).to_have_attribute("open", "")
    expect(tab.locator("details[open]")).to_have_count(1)
    tab.set_viewport_size(PHONE)
    screenshot(tab, "board-new-bar-390")


def test_the_second_manager_on_one_contact_sees_who_was_first(
    chromium, live_server, tab, manager_user, supervisor_user, api
):
    anna, boris = make_operator("Anna", limit=5), make_operator("Boris", limit=5)
    contact = make_contact(make_source("Walk-in"), external_id="walk-1")
    other = chromium.new_context(base_url=live_server, viewport=DESKTOP)
    try:
        second = other.new_page()
        for page, user in ((tab, "sue"), (second, "max")):
            sign_in(page, user)
            page.goto("/contacts")
            menu = unassigned_row(page, contact.id).get_by_test_id("assign-menu")
            menu.locator("summary").click()  # both open the menu on the same contact
            expect(menu.get_by_test_id("assign-select")).to_be_visible()

        first_row = unassigned_row(tab, contact.id)
        first_row.get_by_test_id("assign-select").select_option(str(anna.id))
        first_row.get_by_test_id("assign-submit").click()
        expect(tab.get_by_test_id("flash-success")).to_contain_text("assigned to Anna")

        second_row = unassigned_row(second, contact.id)
        second_row.get_by_test_id("assign-select").select_option(str(boris.id))
        second_row.get_by_test_id("assign-submit").click()
        note = second.get_by_test_id("row-note")
        expect(note).to_contain_text(
            re.compile(rf"Contact #{contact.id} was already given to Anna by sue a moment ago")
        )
        refreshed = second.locator(f"[data-testid=contact-row][data-contact-id='{contact.id}']")
        expect(refreshed).to_contain_text("Anna")  # the row shows the contact as it is now
        screenshot(second, "board-claim-conflict-1366")
        second.set_viewport_size(PHONE)
        screenshot(second, "board-claim-conflict-390")
        assert api.get(f"/api/v1/contacts/{contact.id}").json()["operator_id"] == anna.id
    finally:
        other.close()


def test_the_export_link_follows_filters_chosen_without_a_reload(tab, manager_user):
    site = make_source("Site widget")
    make_contact(site, external_id="web-1")
    sign_in(tab, "max")
    tab.goto("/contacts")
    with tab.expect_response(lambda r: f"source={site.id}" in r.url and r.request.method == "GET"):
        tab.get_by_test_id("filter-source").select_option(str(site.id))
    tab.get_by_test_id("filter-status").select_option("new")
    link = tab.get_by_test_id("export-csv")
    expect(link).to_have_attribute(
        "href", re.compile(rf"^/contacts/export\.csv\?source={site.id}&status=new$")
    )
    with tab.expect_download() as download:
        link.click()
    assert "web-1" in download.value.path().read_text()


def test_keyboard_path_through_assign_escape_and_focus_on_the_next_contact(tab, manager_user):
    anna = make_operator("Anna", limit=5)
    walk_in = make_source("Walk-in", weights={})
    first, second = make_contact(walk_in, external_id="walk-1"), make_contact(walk_in, external_id="walk-2")
    tab.set_viewport_size(DESKTOP)
    sign_in(tab, "max")
    tab.goto("/contacts")
    summary = unassigned_row(tab, first.id).get_by_test_id("assign-menu").locator("summary")
    summary.focus()
    tab.keyboard.press("Enter")
    menu = unassigned_row(tab, first.id).get_by_test_id("assign-menu")
    expect(menu).to_have_attribute("open", "")
    select = menu.get_by_test_id("assign-select")
    select.focus()
    tab.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()

    tab.keyboard.press("Enter")
    expect(select).to_be_visible()
    select.select_option(str(anna.id))
    screenshot(tab, "board-assign-menu-1366")
    menu.get_by_test_id("assign-submit").focus()
    tab.keyboard.press("Enter")
    expect(tab.locator(f"[data-testid=contact-row][data-contact-id='{first.id}']")).to_contain_text("Anna")
    next_control = unassigned_row(tab, second.id).get_by_test_id("assign-menu").locator("summary")
    expect(next_control).to_be_focused()
    tab.set_viewport_size(PHONE)
    screenshot(tab, "board-after-assign-390")
