"""POST /api/v1/sources/{id}/simulate: the contract's shape, nothing saved, bad input refused."""

from __future__ import annotations

from tests.api.conftest import assert_problem
from tests.builders import make_contact
from webapp.extensions import db
from webapp.models import Source


def test_a_replay_beside_what_happened_and_nothing_saved(api, team, unchanged):
    source = db.session.get(Source, team["source"])
    for number in range(6):
        make_contact(source, external_id=f"sim-{number}")
    weights = [{"operator_id": team["anna"], "weight": 1}, {"operator_id": team["boris"], "weight": 0}]
    body = {"weights": weights, "limits": {str(team["anna"]): 4}, "days": 1}
    with unchanged():
        response = api.post(f"/api/v1/sources/{team['source']}/simulate", json=body)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    # Anna alone, four at most: four go to her and two wait (nothing closes).
    assert result["contacts"] == 6 and result["waited"] == 2
    assert result["operators"] == [{"operator_id": team["anna"], "share": 0.6667, "peak_load": 4}]
    # Really, both had a limit of 5 and the same weight: nobody waited.
    assert result["actual"]["waited"] == 0
    assert sum(item["share"] for item in result["actual"]["operators"]) == 1


def test_bad_simulations_are_refused(api, team):
    url = f"/api/v1/sources/{team['source']}/simulate"
    weights = [{"operator_id": team["anna"], "weight": 1}]
    assert_problem(api.post(url, json={"weights": weights, "days": 0}), 422, field="days")
    assert_problem(api.post(url, json={"weights": weights, "days": 91}), 422, field="days")
    assert_problem(api.post(url, json={"weights": [{"operator_id": 999, "weight": 1}]}), 422,
                   field="weights[0].operator_id")
    assert_problem(api.post(url, json={"weights": weights, "limits": {"999": 1}}), 422, field="limits.999")
    assert_problem(api.post(url, json={"weights": weights, "limits": {"anna": 1}}), 422)
    assert_problem(api.post(url, json={"weights": weights, "limits": {str(team["anna"]): -1}}), 422)
    assert_problem(api.post("/api/v1/sources/999/simulate", json={"weights": weights}), 404)
