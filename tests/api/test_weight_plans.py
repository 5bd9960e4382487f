"""POST/GET/DELETE /api/v1/sources/{id}/weight-plans."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import assert_problem
from webapp import jobs
from webapp.clock import utcnow
from webapp.extensions import db


def iso(moment):
    return moment.isoformat()


def test_plan_list_and_cancel(api, team):
    url = f"/api/v1/sources/{team['source']}/weight-plans"
    start, end = utcnow() + timedelta(days=1), utcnow() + timedelta(days=3)
    body = {"weights": [{"operator_id": team["anna"], "weight": 1}], "start": iso(start), "end": iso(end)}
    created = api.post(url, json=body)
    assert created.status_code == 201, created.get_json()
    plan = created.get_json()
    assert plan["status"] == "scheduled" and plan["weights"] == body["weights"]
    assert plan["applied_at"] is None and plan["end"].startswith(end.isoformat(timespec="seconds")[:19])
    assert api.get(url).get_json()["items"] == [plan]
    assert api.delete(f"{url}/{plan['id']}").status_code == 204
    assert api.get(url).get_json()["items"][0]["status"] == "cancelled"
    assert_problem(api.delete(f"{url}/{plan['id']}"), 409)


def test_a_plan_that_starts_now_applies_now_and_ends_on_the_sweep(api, team):
    url = f"/api/v1/sources/{team['source']}/weight-plans"
    end = utcnow() + timedelta(hours=2)
    body = {"weights": [{"operator_id": team["boris"], "weight": 7}], "start": iso(utcnow()),
            "end": iso(end)}
    plan = api.post(url, json=body).get_json()
    assert plan["status"] == "active"
    source = api.get(f"/api/v1/sources/{team['source']}").get_json()
    assert [(w["operator_id"], w["weight"]) for w in source["weights"]] == [(team["boris"], 7)]
    db.session.remove()  # the test's session holds no snapshot from before the request
    jobs.sweep(db.session, now=end)
    source = api.get(f"/api/v1/sources/{team['source']}").get_json()
    back = [(team["anna"], 1), (team["boris"], 1)]
    assert [(w["operator_id"], w["weight"]) for w in source["weights"]] == back
    assert api.get(url).get_json()["items"][0]["status"] == "done"


def test_bad_plans_are_refused(api, team, unchanged):
    url = f"/api/v1/sources/{team['source']}/weight-plans"
    weights = [{"operator_id": team["anna"], "weight": 1}]
    soon = iso(utcnow() + timedelta(hours=1))
    with unchanged():
        assert_problem(api.post(url, json={"weights": weights}), 422, field="start")
        assert_problem(api.post(url, json={"weights": weights, "start": "tomorrow"}), 422, field="start")
        assert_problem(api.post(url, json={"weights": [], "start": soon}), 422, field="weights")
        assert_problem(api.post(url, json={"weights": weights, "start": soon, "end": soon}), 422, field="end")
        unknown = [{"operator_id": 999, "weight": 1}]
        refused = api.post(url, json={"weights": unknown, "start": soon})
        assert_problem(refused, 422, field="weights[0].operator_id")
        elsewhere = "/api/v1/sources/999/weight-plans"
        assert_problem(api.post(elsewhere, json={"weights": weights, "start": soon}), 404)
        assert_problem(api.delete(f"{url}/999"), 404)
    assert api.post(url, json={"weights": weights, "start": soon}).status_code == 201
    assert_problem(api.post(url, json={"weights": weights, "start": soon}), 409)
