"""Every assignment explains itself: GET /api/v1/contacts/{id}/assignments."""

from __future__ import annotations

from tests.api.conftest import assert_problem
from tests.builders import make_operator, make_source
from tests.conftest import bot_api


def history(api, contact_id: int) -> list[dict]:
    response = api.get(f"/api/v1/contacts/{contact_id}/assignments")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["items"]


def test_an_intake_pick_records_every_candidate_and_the_draw(api, app):
    anna = make_operator("Anna", limit=5)
    boris = make_operator("Boris", limit=0)
    clara = make_operator("Clara", limit=5, status="inactive")
    source = make_source(weights={anna: 3, boris: 5, clara: 2})
    contact = api.post("/api/v1/contacts/", json={"external_id": "tg:1", "source_id": source.id}).get_json()

    [record] = history(api, contact["id"])
    assert record["trigger"] == "intake" and record["rule"] == "weighted"
    assert record["actor"] == {"kind": "token", "name": "test-admin"}
    assert (record["from_operator_id"], record["operator_id"]) == (None, anna.id)
    assert record["candidates"] == [
        {
            "operator_id": anna.id,
            "weight": 3,
            "load": 0,
            "limit": 5,
            "eligible": True,
            "excluded_because": None,
        },
        {
            "operator_id": boris.id,
            "weight": 5,
            "load": 0,
            "limit": 0,
            "eligible": False,
            "excluded_because": "at_limit",
        },
        {
            "operator_id": clara.id,
            "weight": 2,
            "load": 0,
            "limit": 5,
            "eligible": False,
            "excluded_because": "inactive",
        },
    ]
    # Only Anna was eligible: the draw ran over her weight alone.
    assert record["draw"]["total"] == 3 and 0 <= record["draw"]["point"] < 3


def test_an_intake_that_found_nobody_is_recorded_without_a_draw(api, app):
    source = make_source(weights={make_operator(limit=0): 1})
    contact = api.post("/api/v1/contacts/", json={"external_id": "tg:2", "source_id": source.id}).get_json()
    [record] = history(api, contact["id"])
    assert (record["rule"], record["operator_id"], record["draw"]) == ("none", None, None)
    assert record["candidates"][0]["excluded_because"] == "at_limit"


def test_manual_changes_are_recorded_with_reason_and_force_oldest_first(api, app):
    anna, boris = make_operator("Anna", limit=5), make_operator("Boris", limit=0)
    source = make_source(weights={anna: 1})
    contact_id = api.post(
        "/api/v1/contacts/", json={"external_id": "tg:3", "source_id": source.id}
    ).get_json()["id"]
    forced = {"operator_id": boris.id, "force": True, "reason": "Boris knows this customer"}
    assert api.put(f"/api/v1/contacts/{contact_id}/operator", json=forced).status_code == 200
    assert api.put(f"/api/v1/contacts/{contact_id}/operator", json={"operator_id": None}).status_code == 200

    intake, manual, unassigned = history(api, contact_id)
    assert intake["trigger"] == "intake"
    assert (manual["trigger"], manual["rule"], manual["forced"]) == ("manual", "manual", True)
    assert (manual["from_operator_id"], manual["operator_id"]) == (anna.id, boris.id)
    assert manual["reason"] == "Boris knows this customer" and manual["candidates"] == []
    assert (unassigned["trigger"], unassigned["from_operator_id"], unassigned["operator_id"]) == (
        "unassign",
        boris.id,
        None,
    )


def test_redistribution_records_its_assignments(api, app):
    anna = make_operator("Anna", limit=0)
    source = make_source(weights={anna: 1})
    contact_id = api.post(
        "/api/v1/contacts/", json={"external_id": "tg:4", "source_id": source.id}
    ).get_json()["id"]
    api.patch(f"/api/v1/operators/{anna.id}", json={"max_active_contacts": 1})
    api.post("/api/v1/contacts/redistribute", json={})
    records = history(api, contact_id)
    assert [r["trigger"] for r in records][-1] in ("redistribute", "drain")
    assert records[-1]["operator_id"] == anna.id


def test_a_reason_over_500_characters_is_a_422_and_changes_nothing(api, app, unchanged):
    anna = make_operator("Anna", limit=5)
    source = make_source(weights={anna: 1})
    contact_id = api.post(
        "/api/v1/contacts/", json={"external_id": "tg:5", "source_id": source.id}
    ).get_json()["id"]
    with unchanged():
        response = api.put(
            f"/api/v1/contacts/{contact_id}/operator", json={"operator_id": None, "reason": "x" * 501}
        )
    assert_problem(response, 422, field="reason")


def test_a_bot_reads_the_history_of_its_own_source_only(client, api, app):
    mine, other = make_source(), make_source()
    contact_id = api.post(
        "/api/v1/contacts/", json={"external_id": "tg:6", "source_id": other.id}
    ).get_json()["id"]
    assert_problem(bot_api(client, mine.id).get(f"/api/v1/contacts/{contact_id}/assignments"), 403)
    assert bot_api(client, other.id).get(f"/api/v1/contacts/{contact_id}/assignments").status_code == 200
    assert_problem(api.get("/api/v1/contacts/999/assignments"), 404)
