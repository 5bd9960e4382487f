"""The polling board answered 304: nothing is swapped, focus and the board stay; a change arrives
at the next poll."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_board import is_poll
from tests.builders import make_contact, make_operator, make_source
from webapp.clock import replaying_at, utcnow

GUNICORN_WORKERS = 2  # polls and their tags cross worker processes


def unchanged(response) -> bool:
    return is_poll(response) and response.status == 304


def changed(response) -> bool:
    return is_poll(response) and response.status == 200


def test_an_unchanged_board_keeps_focus_and_a_new_contact_shows_at_the_next_poll(tab, api, manager_user):
    with replaying_at(utcnow() - timedelta(hours=2)):  # ages in hours: the board stays as drawn
        make_operator("Anna", limit=2)
        walk_in = make_source("Walk-in")  # nobody weighted: its contacts wait for a person
        waiting = make_contact(walk_in, external_id="walk-1", message="need a quote")
    sign_in(tab, "max")
    tab.goto("/contacts")
    link = tab.locator(f"#contact-{waiting.id} [data-testid=contact-link]")
    link.focus()  # a keyboard user on a row: a swap of the board would drop the focus
    tab.evaluate("window.__board = document.getElementById('board')")
    updated = tab.get_by_test_id("board-updated")
    drawn_at = updated.get_attribute("datetime")

    with tab.expect_response(unchanged) as answer:
        pass
    assert answer.value.request.headers["if-none-match"] == tab.locator("#board").get_attribute("data-etag")
    expect(updated).not_to_have_attribute("datetime", drawn_at)  # checked just now, said app.js
    assert tab.evaluate("document.getElementById('board') === window.__board")
    expect(link).to_be_focused()
    expect(tab.get_by_test_id("flash-error")).to_have_count(0)

    with tab.expect_response(changed):
        created = api.post("/api/v1/contacts", data={"external_id": "walk-2", "source_id": walk_in.id})
        assert created.status == 201
    expect(tab.get_by_test_id("show-new")).to_have_text("1 new — show")
    expect(tab.get_by_test_id("unassigned-count")).to_have_text("2")
    tab.get_by_test_id("show-new").click()
    expect(tab.locator(f"#contact-{created.json()['id']}")).to_be_visible()
