"""The stats page's insight: the period picker, target against actual in plain words, charts
whose data are the tables' numbers, and the CSV of the same selection."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta

from tests.builders import make_operator, make_source
from tests.dashboard.conftest import get
from tests.histories import arrive, at, weighted_history
from tests.randoms import LeaningRandom
from webapp import contacts
from webapp.clock import replaying_at
from webapp.extensions import db
from webapp.queries import reports

NOVEMBER_2 = "/stats?period=range&from=2026-11-02&to=2026-11-02"


def test_a_skewed_day_is_flagged_in_plain_words(supervisor):
    source = weighted_history(LeaningRandom(7))
    page = get(supervisor, f"{NOVEMBER_2}&source={source.id}")
    (section,) = page.select("[data-testid=insight-source]")
    assert "400 contacts" in section.select_one("[data-testid=insight-summary]").get_text()
    rows = {row.th.get_text(): row for row in section.select("[data-testid=fairness-row]")}
    assert rows["Anna"].select_one("[data-testid=fairness-flag]")
    got = int(rows["Anna"].select("td")[0].get_text())
    sentences = [p.get_text() for p in section.select("[data-testid=fairness-sentence]")]
    assert f"Anna got {got}, 120 expected: more than chance explains." in sentences
    # The bars draw the table's numbers.
    chart = json.loads(section.select_one("canvas[data-chart]")["data-chart"])
    assert chart["labels"] == ["Anna", "Boris", "Vera"]
    assert chart["datasets"][0]["data"][0] == got and chart["datasets"][1]["data"] == [120, 200, 80]


def test_a_fair_day_reads_within_chance_and_idle_operators_are_listed(supervisor):
    source = weighted_history(random.Random(7), picks=60)
    idle = make_operator("Idle")
    make_source("Quiet", weights={idle: 1})
    page = get(supervisor, NOVEMBER_2)
    assert not page.select("[data-testid=fairness-flag]")
    assert all("within chance" in text for text in page.texts("[data-testid=fairness-sentence]"))
    quiet = page.select("[data-testid=insight-source]")[1]
    assert [row.th.get_text() for row in quiet.select("[data-testid=fairness-row]")] == ["Idle"]
    hourly = page.one(f"[data-source-id='{source.id}'] [data-testid=hourly-table]")
    assert [cell.get_text() for cell in hourly.select("td")][9] == "60"
    # The load table holds the numbers its chart draws, a row per operator.
    chart = json.loads(page.one("[data-testid=load-over-time] canvas[data-chart]")["data-chart"])
    rows = page.one("[data-testid=load-table]").select("tbody tr")
    assert {row.th.get_text(): [int(td.get_text()) for td in row.select("td.num")] for row in rows} == {
        dataset["label"]: dataset["data"] for dataset in chart["datasets"]
    }
    assert any(any(dataset["data"]) for dataset in chart["datasets"])


def test_a_bad_period_shows_a_message_and_the_last_seven_days(supervisor):
    for query in ("period=week", "period=range&from=2026-11-05&to=2026-11-01", "period=range&from=soon&to="):
        page = get(supervisor, f"/stats?{query}")
        assert page.one("[data-testid=period-error]")
        assert page.one("input[name=period][value='7d']").has_attr("checked")


def test_the_csv_holds_the_same_numbers(supervisor):
    source = weighted_history(LeaningRandom(7), picks=100)
    page = get(supervisor, NOVEMBER_2)
    response = supervisor.get(page.one("[data-testid=stats-export]")["href"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["operator"] for row in rows] == ["Anna", "Boris", "Vera"]
    table = page.one(f"[data-source-id='{source.id}'] [data-testid=fairness-table]")
    shown = [tr.select("td")[0].get_text() for tr in table.select("tbody tr")]
    assert [row["assigned"] for row in rows] == shown
    assert [float(row["expected"]) for row in rows] == [30, 50, 20]


def test_per_operator_counts_what_each_received_and_closed_in_the_last_14_days(app):
    """Busiest first; a contact received before the 14 days but closed within them counts as
    closed only."""
    anna, boris, vera = (make_operator(name) for name in ("Anna", "Boris", "Vera"))
    sources = {operator: make_source(f"Only {operator.name}", weights={operator: 1})
               for operator in (anna, boris, vera)}
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    first, _still_open = (arrive(sources[anna].id, now - timedelta(hours=hours)) for hours in (3, 2))
    arrive(sources[boris].id, now - timedelta(hours=1))
    old = arrive(sources[vera].id, now - timedelta(days=20))
    for contact_id in (first, old):
        at(now - timedelta(minutes=30), contacts.change_status, contact_id, "closed")
    with replaying_at(now):
        activity = reports.operator_activity(db.session, 14)
    assert [tuple(row) for row in activity] == [
        (anna.id, "Anna", 2, 1), (boris.id, "Boris", 1, 0), (vera.id, "Vera", 0, 1)
    ]
