"""The weights page says what will happen as the slider moves; the overview is live; phones fit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.builders import make_contact, make_operator, make_source

PHONE = {"width": 390, "height": 844}


def weight_row(tab, operator_id: int):
    return tab.locator(f"[data-testid=weight-row][data-operator-id='{operator_id}']")


def test_shares_update_while_the_slider_moves_and_each_save_says_saved(tab, api, supervisor_user):
    anna = make_operator("Anna", limit=1)
    boris = make_operator("Boris", limit=1)
    vera = make_operator("Vera")
    source = make_source("Telegram", weights={anna: 1, boris: 1})
    make_contact(source, external_id="fill")  # fills one of them; the other keeps room
    sign_in(tab, "sue")
    tab.goto(f"/sources/{source.id}")
    vera_row = weight_row(tab, vera.id)
    expect(vera_row.get_by_test_id("share")).to_have_text("—")

    # The save is held back: the shares below can only have come from the page itself.
    held = []
    tab.route(re.compile(r".*/weights/\d+$"), lambda route: held.append(route))
    slider = vera_row.get_by_test_id("weight-slider")
    with tab.expect_request(re.compile(r".*/weights/\d+$")):
        slider.focus()
        slider.press("ArrowRight")
        slider.press("ArrowRight")  # 0 → 2
    expect(vera_row.get_by_test_id("weight-number")).to_have_value("2")
    expect(vera_row.get_by_test_id("share")).to_have_text("50 %")  # 2 of 1 + 1 + 2
    # Among the eligible now: one of Anna and Boris is at the limit, so Vera has 2 of 3.
    shares_now = sorted(tab.get_by_test_id("share-now").all_inner_texts())
    assert shares_now == ["0 %", "33 %", "67 %"]
    expect(tab.get_by_test_id("weight-saved")).to_have_count(0)
    assert len(held) == 1
    held[0].continue_()
    expect(tab.get_by_test_id("weight-saved")).to_contain_text("Vera, weight 2")
    screenshot(tab, "weights-saved")
    assert {w["operator_id"]: w["weight"] for w in api.get(f"/api/v1/sources/{source.id}").json()["weights"]}[
        vera.id
    ] == 2


def test_nobody_weighted_appears_and_goes_as_the_slider_moves(tab, supervisor_user):
    anna = make_operator("Anna")
    source = make_source("Telegram", weights={anna: 1})
    sign_in(tab, "sue")
    tab.goto(f"/sources/{source.id}")
    row = weight_row(tab, anna.id)
    expect(tab.get_by_test_id("no-weights")).to_be_hidden()
    slider = row.get_by_test_id("weight-slider")
    slider.focus()
    slider.press("ArrowLeft")  # 1 → 0
    expect(tab.get_by_test_id("no-weights")).to_be_visible()
    expect(row.get_by_test_id("share-now")).to_have_text("—")
    slider.press("ArrowRight")
    expect(tab.get_by_test_id("no-weights")).to_be_hidden()
    expect(row.get_by_test_id("share-now")).to_have_text("100 %")


def test_a_weight_above_ten_is_typed_in_the_number_field(tab, api, supervisor_user):
    anna = make_operator("Anna")
    boris = make_operator("Boris")
    source = make_source("Telegram", weights={anna: 1, boris: 1})
    sign_in(tab, "sue")
    tab.goto(f"/sources/{source.id}")
    row = weight_row(tab, anna.id)
    number = row.get_by_test_id("weight-number")
    saved = re.compile(rf"/weights/{anna.id}$")
    with tab.expect_response(lambda r: bool(saved.search(r.url)) and r.request.method == "POST"):
        number.fill("99")
    expect(row.get_by_test_id("share")).to_have_text("99 %")
    expect(row.get_by_test_id("weight-slider")).to_have_value("99")
    expect(tab.get_by_test_id("weight-saved")).to_contain_text("Anna, weight 99")
    stored = api.get(f"/api/v1/sources/{source.id}").json()["weights"]
    assert {w["operator_id"]: w["weight"] for w in stored}[anna.id] == 99


def test_the_overview_polls_new_waiting_contacts_into_the_page_and_the_tab_title(tab, supervisor_user):
    source = make_source("Telegram")
    make_contact(source, external_id="first")
    sign_in(tab, "sue")
    tab.goto("/")
    expect(tab).to_have_title(re.compile(r"^\(1\) Overview"))
    expect(tab.get_by_test_id("wait-reason")).to_have_text("No operator is weighted on this source")

    make_contact(source, external_id="second")
    make_contact(source, external_id="third")
    expect(tab).to_have_title(re.compile(r"^\(3\) Overview"))  # the next poll, no reload
    expect(tab.get_by_test_id("tile-unassigned")).to_contain_text("3")
    expect(tab.get_by_test_id("notify-toggle")).to_be_visible()
    screenshot(tab, "overview-live")


PHONE_PAGES = ["/operators", "/operators/1", "/", "/sources", "/sources/1", "/contacts", "/stats"]


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_pages_do_not_scroll_sideways_on_a_phone(browser_context, supervisor_user, path):
    anna = make_operator("Anna Maria Konstantinopolskaya-Rimskaya-Korsakova", limit=3)
    boris = make_operator("Boris", status="inactive")
    source = make_source("Telegram bot for the very long campaign name", weights={anna: 2, boris: 1})
    for number in range(5):
        make_contact(source, external_id=f"phone-{number}", message="need a quote " * 20)
    tab = browser_context.new_page()
    tab.set_viewport_size(PHONE)
    sign_in(tab, "sue")
    tab.goto(path)
    screenshot(tab, "phone-" + (path.strip("/").replace("/", "-") or "overview"))
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width} px wide at 390 px"
    for link in tab.locator("a.cut").all():  # a name cut short keeps the full one on hover and focus
        assert link.get_attribute("title") == link.text_content().strip()
