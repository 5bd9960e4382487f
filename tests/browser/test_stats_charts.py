"""The stats page in the real browser: the charts are drawn, under the strict CSP, without errors."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.histories import weighted_history
from tests.randoms import LeaningRandom
from webapp.clock import utcnow
from webapp.extensions import db

# How many pixels of a canvas are painted (alpha > 0): an empty canvas has none.
PAINTED = """canvas => {
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return painted;
}"""


def test_the_charts_draw_the_tables_numbers(tab, recorder, supervisor_user):
    weighted_history(LeaningRandom(7), picks=80)
    sign_in(tab, "sue")
    tab.goto("/stats?period=range&from=2026-11-02&to=2026-11-02")
    charts = tab.locator("canvas[data-chart]")
    expect(charts).to_have_count(3)  # target against actual, per hour, load over time
    for index in range(3):
        expect(charts.nth(index)).to_have_attribute("data-drawn", "true")
        assert charts.nth(index).evaluate(PAINTED) > 500
    drawn = charts.first.evaluate("canvas => Chart.getChart(canvas).data.datasets[0].data")
    cells = tab.locator("[data-testid=fairness-row] td:nth-of-type(1)")
    table = [int(text) for text in cells.all_inner_texts()]
    assert drawn == table and sum(table) == 80
    expect(tab.get_by_test_id("fairness-flag").first).to_be_visible()
    screenshot(tab, "stats-insight")
    assert recorder.console == [], recorder.console


def test_trying_weights_then_applying_them(tab, recorder, api, supervisor_user):
    source_id = weighted_history(LeaningRandom(7), picks=40, start=utcnow() - timedelta(hours=2)).id
    db.session.remove()
    sign_in(tab, "sue")
    tab.goto(f"/sources/{source_id}")
    tab.get_by_test_id("try-weights").click()
    expect(tab.get_by_test_id("try-summary")).to_contain_text("40 contacts")
    vera = tab.locator("[data-testid=try-row]", has_text="Vera")
    vera.get_by_test_id("try-weight").fill("0")
    tab.get_by_test_id("try-run").click()
    expect(vera.get_by_test_id("try-share")).to_have_text("0 %")
    expect(tab).to_have_url(re.compile(r"weight-\d+=0"))
    chart = tab.locator("canvas[data-chart]")
    expect(chart).to_have_attribute("data-drawn", "true")
    assert chart.evaluate(PAINTED) > 500
    screenshot(tab, "try-weights")
    tab.get_by_test_id("apply-weights").click()
    expect(tab.get_by_test_id("flash-success")).to_contain_text("Weights saved.")
    weights = api.get(f"/api/v1/sources/{source_id}").json()["weights"]
    assert sorted(w["operator_name"] for w in weights) == ["Anna", "Boris"]
    assert recorder.console == [], recorder.console
