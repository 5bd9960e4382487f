"""The live contact board: new contacts arrive by polling, hand assignment, menus survive the poll."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.builders import make_contact, make_operator, make_source

POLL = re.compile(r"/contacts\?")
GUNICORN_WORKERS = 2


def is_poll(response) -> bool:
    request = response.request
    return (request.method == "GET" and bool(POLL.search(request.url))
            and request.headers.get("hx-request") == "true" and "seen=" in request.url)


def unassigned_row(tab, contact_id: int):
    return tab.locator(f"[data-testid=unassigned-row][data-contact-id='{contact_id}']")


def test_a_contact_posted_by_a_bot_appears_without_reload_and_is_assigned_by_hand(tab, api, manager_user):
    anna = make_operator("Anna", limit=2)
    walk_in = make_source("Walk-in")  # nobody weighted: its contacts wait for a person
    sign_in(tab, "max")
    tab.goto("/contacts")
    expect(tab.get_by_test_id("no-unassigned")).to_be_visible()
    tab.evaluate("window.__sameDocument = true")

    created = api.post("/api/v1/contacts", data={"external_id": "walk-1", "source_id": walk_in.id,
                                                  "message": "need a quote"})
    assert created.status == 201 and created.json()["operator_id"] is None
    contact_id = created.json()["id"]
    row = unassigned_row(tab, contact_id)
    show = tab.get_by_test_id("show-new")
    expect(show).to_have_text("1 new — show")  # within the poll interval, no reload
    expect(tab.get_by_test_id("unassigned-count")).to_have_text("1")
    show.click()
    expect(row).to_be_visible()
    expect(row).to_contain_text("need a quote")
    expect(row).to_have_class(re.compile(r"\bis-new\b"))
    assert tab.evaluate("window.__sameDocument") is True
    expect(tab.get_by_test_id("unassigned-count")).to_have_text("1")
    screenshot(tab, "board-new-contact")

    row.get_by_test_id("assign-menu").locator("summary").click()
    form = row.get_by_test_id("assign-form")
    form.get_by_test_id("assign-select").select_option(str(anna.id))
    form.get_by_test_id("assign-submit").click()
    expect(row).to_have_count(0)
    assigned = tab.locator(f"[data-testid=contact-row][data-contact-id='{contact_id}']")
    expect(assigned).to_contain_text("Anna")
    expect(tab.get_by_test_id("flash-success")).to_contain_text(f"Contact #{contact_id} assigned to Anna")
    assert api.get(f"/api/v1/contacts/{contact_id}").json()["operator_id"] == anna.id


def test_assigning_to_an_operator_at_the_limit_needs_the_override(tab, api, supervisor_user):
    full = make_operator("Boris", limit=1)
    busy = make_source("Busy", weights={full: 1})
    make_contact(busy, external_id="first")  # Boris is now at his limit
    walk_in = make_source("Walk-in")
    waiting = make_contact(walk_in, external_id="second")
    sign_in(tab, "sue")
    tab.goto("/contacts")
    row = unassigned_row(tab, waiting.id)
    row.get_by_test_id("assign-menu").locator("summary").click()
    row.get_by_test_id("assign-select").select_option(str(full.id))
    row.get_by_test_id("assign-submit").click()
    expect(row.get_by_test_id("assign-error")).to_contain_text("limit")
    screenshot(tab, "board-assign-error")
    assert api.get(f"/api/v1/contacts/{waiting.id}").json()["operator_id"] is None

    row.get_by_test_id("assign-select").select_option(str(full.id))
    row.get_by_test_id("assign-override").check()
    row.get_by_test_id("assign-submit").click()
    expect(row.get_by_test_id("assign-reason-error")).to_be_visible()  # giving it anyway needs a reason
    row.get_by_test_id("assign-select").select_option(str(full.id))
    row.get_by_test_id("assign-override").check()
    row.get_by_test_id("assign-reason").fill("He knows this customer")
    row.get_by_test_id("assign-submit").click()
    expect(row).to_have_count(0)
    assert api.get(f"/api/v1/contacts/{waiting.id}").json()["operator_id"] == full.id


def test_the_poll_keeps_an_open_menu_and_the_filters_survive_a_reload(tab, api, manager_user):
    anna = make_operator("Anna")
    make_operator("Boris")
    telegram = make_source("Telegram")
    site = make_source("Site widget")
    from_telegram = make_contact(telegram, external_id="tg-1")
    from_site = make_contact(site, external_id="web-1")
    sign_in(tab, "max")
    tab.goto("/contacts")
    row = unassigned_row(tab, from_telegram.id)
    menu = row.get_by_test_id("assign-menu")
    menu.locator("summary").click()
    select = row.get_by_test_id("assign-select")
    select.select_option(str(anna.id))
    menu.evaluate("element => { element.__sameElement = true }")
    board = tab.get_by_test_id("board")
    # The next tick finds the menu open and skips its refresh (the board marks itself paused).
    expect(board).to_have_class(re.compile(r"\bis-paused\b"))
    expect(menu).to_have_attribute("open", "")
    expect(select).to_have_value(str(anna.id))
    assert menu.evaluate("element => element.__sameElement === true")
    screenshot(tab, "board-menu-open")

    menu.locator("summary").click()  # closed: polling resumes
    with tab.expect_response(is_poll) as resumed:
        pass
    assert resumed.value.status == 200
    expect(board).not_to_have_class(re.compile(r"\bis-paused\b"))

    with tab.expect_response(lambda r: "source=" in r.url and r.request.method == "GET"):
        tab.get_by_test_id("filter-source").select_option(str(site.id))
    expect(tab).to_have_url(re.compile(rf"[?&]source={site.id}\b"))
    expect(unassigned_row(tab, from_telegram.id)).to_have_count(0)
    expect(unassigned_row(tab, from_site.id)).to_be_visible()
    tab.reload()
    expect(tab.get_by_test_id("filter-source")).to_have_value(str(site.id))
    expect(unassigned_row(tab, from_site.id)).to_be_visible()
    expect(unassigned_row(tab, from_telegram.id)).to_have_count(0)
    expect(board).to_have_attribute("hx-get", re.compile(rf"[?&]source={site.id}\b"))  # so does the poll


def test_a_poll_tick_while_the_filter_is_on_the_wire_does_not_undo_the_filter(tab, manager_user):
    """The filter's answer must win over a poll that comes due while it travels (hx-sync on #board)."""
    telegram = make_source("Telegram")
    site = make_source("Site widget")
    from_telegram = make_contact(telegram, external_id="tg-1")
    from_site = make_contact(site, external_id="web-1")
    sign_in(tab, "max")
    tab.goto("/contacts")
    tab.evaluate("""window.__ticks = 0; document.addEventListener('htmx:confirm', event => {
        if (event.detail.elt.hasAttribute('data-poll')) window.__ticks++; })""")
    held = []
    filter_request = re.compile(rf"/contacts\?(?!.*seen=).*source={site.id}")
    tab.route(filter_request, lambda route: held.append(route))  # the filter waits on the wire...
    tab.get_by_test_id("filter-source").select_option(str(site.id))
    tab.wait_for_function("() => window.__ticks >= 1")  # ...while the poll comes due
    assert len(held) == 1
    with tab.expect_response(filter_request):
        held[0].continue_()
    expect(tab).to_have_url(re.compile(rf"[?&]source={site.id}\b"))
    expect(tab.get_by_test_id("board")).to_have_attribute("hx-get", re.compile(rf"[?&]source={site.id}\b"))
    expect(unassigned_row(tab, from_site.id)).to_be_visible()
    expect(unassigned_row(tab, from_telegram.id)).to_have_count(0)
    with tab.expect_response(is_poll):
        pass  # the next poll keeps the filter
    expect(unassigned_row(tab, from_telegram.id)).to_have_count(0)


def test_signing_out_elsewhere_sends_the_polling_board_to_sign_in(tab, browser_context, manager_user):
    sign_in(tab, "max")
    tab.goto("/contacts")
    other_tab = browser_context.new_page()  # the same user signs out in another tab
    other_tab.goto("/")
    other_tab.get_by_test_id("logout").click()
    expect(other_tab.get_by_role("button", name="Sign in")).to_be_visible()
    # The next poll is answered 401 + HX-Redirect: the whole page goes to the form, not into the board.
    expect(tab).to_have_url(re.compile(r"/login"))
    expect(tab.get_by_role("button", name="Sign in")).to_be_visible()
    expect(tab.get_by_test_id("board")).to_have_count(0)


def test_a_drain_shows_up_on_the_polling_board(tab, api, manager_user):
    """Capacity freed elsewhere (a bot's client closes Anna's contact through the API) goes to the
    contact waiting longest at once, and the manager's open board shows it within one poll."""
    anna = make_operator("Anna", limit=1)
    telegram = make_source("Telegram", weights={anna: 1})
    held = make_contact(telegram, external_id="tg-1")  # Anna's one place
    waiting = make_contact(telegram, external_id="tg-2")  # nobody has room: it waits
    assert held.operator_id == anna.id and waiting.operator_id is None
    sign_in(tab, "max")
    tab.goto("/contacts")
    expect(unassigned_row(tab, waiting.id)).to_be_visible()
    expect(tab.get_by_test_id("unassigned-count")).to_have_text("1")
    tab.evaluate("window.__sameDocument = true")

    closed = api.put(f"/api/v1/contacts/{held.id}/status", data={"status": "closed"})
    assert closed.status == 200
    assert api.get(f"/api/v1/contacts/{waiting.id}").json()["operator_id"] == anna.id  # drained at once

    with tab.expect_response(is_poll):
        pass
    expect(unassigned_row(tab, waiting.id)).to_have_count(0)
    expect(tab.locator(f"[data-testid=contact-row][data-contact-id='{waiting.id}']")).to_contain_text("Anna")
    expect(tab.get_by_test_id("unassigned-count")).to_have_text("0")
    assert tab.evaluate("window.__sameDocument") is True
    screenshot(tab, "board-after-drain")
