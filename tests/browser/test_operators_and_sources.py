"""Supervisors steer from the browser: operator status, weights; a manager only looks."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.builders import make_operator, make_source


def operator_row(tab, operator_id: int):
    return tab.locator(f"[data-testid=operator-row][data-operator-id='{operator_id}']")


def test_toggling_an_operator_is_saved(tab, api, supervisor_user):
    anna = make_operator("Anna", limit=4)
    make_operator("Boris", limit=4)
    sign_in(tab, "sue")
    tab.goto("/operators")
    row = operator_row(tab, anna.id)
    expect(row).to_have_attribute("data-status", "active")
    with tab.expect_response(lambda r: r.url.endswith(f"/operators/{anna.id}/status")) as answer:
        row.get_by_test_id("status-toggle").click()
    assert answer.value.status == 200
    expect(row).to_have_attribute("data-status", "inactive")
    expect(row.get_by_test_id("status-toggle")).to_have_attribute("aria-checked", "false")
    expect(tab.get_by_test_id("flash-success")).to_contain_text("Anna is now inactive")
    screenshot(tab, "operators-supervisor")

    tab.reload()
    expect(operator_row(tab, anna.id)).to_have_attribute("data-status", "inactive")
    assert api.get(f"/api/v1/operators/{anna.id}").json()["status"] == "inactive"
    assert api.get(f"/api/v1/operators/{anna.id + 1}").json()["status"] == "active"  # only that row


def test_a_duplicate_or_empty_operator_name_is_shown_inline(tab, api, supervisor_user):
    make_operator("Anna")
    sign_in(tab, "sue")
    tab.goto("/operators")
    form = tab.get_by_test_id("create-operator-form")
    form.get_by_label("Name").fill("Anna")
    form.get_by_role("button", name="Create operator").click()
    expect(tab.get_by_test_id("error-name")).to_contain_text("Anna")
    name_field = tab.get_by_test_id("create-operator-form").get_by_label("Name")
    expect(name_field).to_have_attribute("aria-invalid", "true")

    form = tab.get_by_test_id("create-operator-form")
    form.get_by_label("Name").fill("")
    form.get_by_role("button", name="Create operator").click()
    expect(tab.get_by_test_id("error-name")).to_have_text("This field is required.")
    screenshot(tab, "operators-create-error")
    assert [op["name"] for op in api.get("/api/v1/operators").json()["items"]] == ["Anna"]


def test_moving_a_weight_slider_saves_and_recomputes_every_share(tab, api, supervisor_user):
    anna = make_operator("Anna")
    boris = make_operator("Boris")
    source = make_source("Telegram", weights={anna: 1, boris: 1})
    sign_in(tab, "sue")
    tab.goto(f"/sources/{source.id}")
    anna_row = tab.locator(f"[data-testid=weight-row][data-operator-id='{anna.id}']")
    boris_row = tab.locator(f"[data-testid=weight-row][data-operator-id='{boris.id}']")
    expect(anna_row.get_by_test_id("share")).to_have_text("50 %")

    slider = anna_row.get_by_test_id("weight-slider")
    saved = re.compile(rf"/sources/{source.id}/weights/{anna.id}$")
    with tab.expect_response(lambda r: bool(saved.search(r.url)) and r.request.method == "POST") as answer:
        slider.focus()
        slider.press("ArrowRight")
        slider.press("ArrowRight")  # 1 → 3; the save waits for a pause in the movement
    assert answer.value.status == 200
    expect(anna_row.get_by_test_id("weight-number")).to_have_value("3")
    expect(anna_row.get_by_test_id("share")).to_have_text("75 %")
    expect(boris_row.get_by_test_id("share")).to_have_text("25 %")
    screenshot(tab, "source-weights")

    tab.reload()
    expect(anna_row.get_by_test_id("weight-slider")).to_have_value("3")
    expect(anna_row.get_by_test_id("share")).to_have_text("75 %")
    saved_weights = api.get(f"/api/v1/sources/{source.id}").json()["weights"]
    weights = {w["operator_id"]: w["weight"] for w in saved_weights}
    assert weights == {anna.id: 3, boris.id: 1}


def test_a_manager_sees_operators_and_weights_read_only(tab, api, manager_user):
    anna = make_operator("Anna")
    source = make_source("Telegram", weights={anna: 2})
    sign_in(tab, "max")
    tab.goto("/operators")
    row = operator_row(tab, anna.id)
    expect(row.get_by_test_id("status-badge")).to_have_text("active")
    expect(row.get_by_test_id("status-toggle")).to_have_count(0)
    expect(row.get_by_test_id("limit-input")).to_have_count(0)
    expect(tab.get_by_test_id("create-operator-form")).to_have_count(0)
    screenshot(tab, "operators-manager")

    tab.goto(f"/sources/{source.id}")
    expect(tab.get_by_test_id("weight-value")).to_have_text("2")
    expect(tab.get_by_test_id("weight-slider")).to_have_count(0)
    expect(tab.get_by_test_id("tokens")).to_have_count(0)
    # Even a hand-made request with the page's own CSRF token is refused.
    token = tab.locator("meta[name=csrf-token]").get_attribute("content")
    refused = tab.request.post(f"/sources/{source.id}/weights/{anna.id}",
                               form={"weight": "9"}, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert refused.status == 403
    assert api.get(f"/api/v1/sources/{source.id}").json()["weights"][0]["weight"] == 2


def test_a_success_message_floats_and_the_operators_table_does_not_move(tab, supervisor_user):
    anna = make_operator("Anna", limit=4)
    boris = make_operator("Boris", limit=4)
    sign_in(tab, "sue")
    tab.goto("/operators")
    table = tab.locator("table").first
    before = table.bounding_box()
    toggle = operator_row(tab, anna.id).get_by_test_id("status-toggle")
    toggle.click()
    toast = tab.get_by_test_id("flash-success")
    expect(toast).to_contain_text("Anna is now inactive")
    assert toast.evaluate("element => getComputedStyle(element.parentElement).position") == "fixed"
    assert tab.get_by_test_id("flash-area").get_attribute("aria-live") == "polite"
    assert table.bounding_box() == before
    # A second click at the same spot hits the same operator's switch, not the next row's.
    box = toggle.bounding_box()
    tab.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(operator_row(tab, anna.id)).to_have_attribute("data-status", "active")
    expect(operator_row(tab, boris.id)).to_have_attribute("data-status", "active")
    screenshot(tab, "operators-toast-1366")
