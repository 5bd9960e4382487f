"""GET /api/v1/stats: the contract's shape, the period, and bad input."""

from __future__ import annotations

from tests.api.conftest import assert_problem
from tests.builders import make_contact
from webapp.extensions import db
from webapp.models import Source


def test_stats_of_the_last_seven_days(api, team):
    for number in range(4):
        make_contact_of(team, number)
    body = api.get("/api/v1/stats").get_json()
    assert set(body) == {"from", "to", "sources"}
    (source,) = body["sources"]
    assert source["source_id"] == team["source"] and source["contacts"] == 4 and source["picks"] == 4
    assert source["waited_seconds_p50"] == 0
    operators = {item["operator_id"]: item for item in source["operators"]}
    assert set(operators) == {team["anna"], team["boris"]}
    assert sum(item["assigned"] for item in operators.values()) == 4
    assert all(item["expected"] == 2 and item["target_share"] == 0.5 for item in operators.values())
    assert set(operators[team["anna"]]) == {
        "operator_id", "name", "assigned", "expected", "actual_share", "target_share", "flag"
    }


def make_contact_of(team, number):
    return make_contact(db.session.get(Source, team["source"]), external_id=f"s-{number}")


def test_one_source_and_an_explicit_period(api, team):
    response = api.get(f"/api/v1/stats?source_id={team['source']}&from=2026-01-01T00:00:00Z&to=2026-01-02")
    assert response.status_code == 200
    body = response.get_json()
    assert body["from"].startswith("2026-01-01T00:00:00") and body["to"].startswith("2026-01-02T00:00:00")
    assert body["sources"][0]["contacts"] == 0 and body["sources"][0]["waited_seconds_p50"] is None


def test_bad_periods_and_sources(api, team):
    assert_problem(api.get("/api/v1/stats?from=yesterday"), 422, field="from")
    reversed_period = "/api/v1/stats?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"
    assert_problem(api.get(reversed_period), 422, field="from")
    too_long = "/api/v1/stats?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"
    assert_problem(api.get(too_long), 422, field="from")
    assert_problem(api.get("/api/v1/stats?to=0001-01-01T00:00:00Z"), 422, field="to")
    assert_problem(api.get("/api/v1/stats?source_id=999"), 404)
    assert_problem(api.get("/api/v1/stats?source_id=abc"), 422, field="source_id")
