"""Routing settings of a source, the backlog that drains itself, sticky leads, the intake limit."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from tests.api.conftest import assert_problem
from tests.builders import committed, make_contact, make_operator, make_source
from webapp import directory, distribution, jobs
from webapp.extensions import db


def post_contact(api, source_id, external_id, **headers):
    return api.post("/api/v1/contacts/", json={"external_id": external_id, "source_id": source_id}, **headers)


def waiting_of(api, source_id):
    return api.get(f"/api/v1/sources/{source_id}").get_json()["waiting"]


def history(api, contact_id):
    return api.get(f"/api/v1/contacts/{contact_id}/assignments").get_json()["items"]


# --- Settings through PATCH ------------------------------------------------------


def test_a_new_source_has_the_documented_defaults(api):
    source = api.post("/api/v1/sources/", json={"name": "Bot"}).get_json()
    assert {key: source[key] for key in ("paused", "auto_drain", "sticky_days", "intake_per_minute",
                                         "wait_target_minutes", "response_timeout_minutes")} == {
        "paused": False, "auto_drain": True, "sticky_days": 0, "intake_per_minute": None,
        "wait_target_minutes": None, "response_timeout_minutes": None,
    }
    assert source["waiting"] == {"count": 0, "oldest_seconds": None, "overdue": 0}


@pytest.mark.parametrize(
    ("field", "value"),
    [("paused", True), ("auto_drain", False), ("sticky_days", 30), ("sticky_days", 365),
     ("intake_per_minute", 1), ("intake_per_minute", 100_000), ("wait_target_minutes", 10_080),
     ("response_timeout_minutes", 1), ("response_timeout_minutes", 1440),
     ("name", "Renamed"), ("description", "About it")],
)
def test_each_setting_is_saved_and_read_back(api, field, value):
    source = make_source("Bot")
    response = api.patch(f"/api/v1/sources/{source.id}", json={field: value})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()[field] == value
    assert api.get(f"/api/v1/sources/{source.id}").get_json()[field] == value


def test_a_patch_changes_only_what_it_names_and_null_lifts_a_limit(api):
    source = make_source("Bot")
    api.patch(f"/api/v1/sources/{source.id}", json={"intake_per_minute": 10, "sticky_days": 7})
    body = api.patch(f"/api/v1/sources/{source.id}", json={"intake_per_minute": None}).get_json()
    assert (body["intake_per_minute"], body["sticky_days"], body["name"]) == (None, 7, "Bot")


BAD_SETTINGS = [
    ("paused", "yes"), ("paused", 1), ("paused", None),
    ("auto_drain", "false"), ("auto_drain", None),
    ("sticky_days", -1), ("sticky_days", 366), ("sticky_days", "7"), ("sticky_days", 1.5),
    ("sticky_days", True), ("sticky_days", None),
    ("intake_per_minute", 0), ("intake_per_minute", 100_001), ("intake_per_minute", "10"),
    ("wait_target_minutes", 0), ("wait_target_minutes", 10_081), ("wait_target_minutes", []),
    ("response_timeout_minutes", 0), ("response_timeout_minutes", 1441), ("response_timeout_minutes", "5"),
    ("name", ""), ("name", None), ("name", "x" * 201),
    ("webhook_url", "ftp://example.com/hook"), ("webhook_url", "http://127.0.0.1/hook"),
    ("webhook_url", "https://example.com/hook"),  # no secret yet: refused, not saved
    ("colour", "red"),
]


@pytest.mark.parametrize(("field", "value"), BAD_SETTINGS)
def test_bad_settings_are_422_naming_the_field_and_change_nothing(api, unchanged, field, value):
    source = make_source("Bot")
    with unchanged():
        response = api.patch(f"/api/v1/sources/{source.id}", json={field: value})
        assert_problem(response, 422, field=field)


def test_patch_of_an_unknown_source_is_404_and_a_taken_name_409(api):
    make_source("Taken")
    source = make_source("Bot")
    assert_problem(api.patch("/api/v1/sources/999999", json={"paused": True}), 404)
    assert_problem(api.patch(f"/api/v1/sources/{source.id}", json={"name": "Taken"}), 409)


# --- Paused and the drain -----------------------------------------------------------


def test_a_paused_source_stores_contacts_unassigned_and_resuming_drains_them_oldest_first(api):
    anna = make_operator("Anna", limit=2)
    source = make_source("Bot", weights={anna: 1})
    api.patch(f"/api/v1/sources/{source.id}", json={"paused": True})
    ids = [post_contact(api, source.id, f"tg:{n}").get_json() for n in range(3)]
    assert [contact["operator_id"] for contact in ids] == [None, None, None]
    assert history(api, ids[0]["id"])[0]["rule"] == "none"
    assert waiting_of(api, source.id)["count"] == 3

    body = api.patch(f"/api/v1/sources/{source.id}", json={"paused": False}).get_json()

    assert body["waiting"]["count"] == 1
    operators = [api.get(f"/api/v1/contacts/{c['id']}").get_json()["operator_id"] for c in ids]
    assert operators == [anna.id, anna.id, None]  # the two oldest, within Anna's limit
    drained = history(api, ids[0]["id"])[-1]
    assert (drained["trigger"], drained["actor"]["kind"], drained["rule"]) == ("drain", "system", "weighted")


@pytest.fixture
def full_team(api):
    """Anna (limit 1) holds one contact; two more wait on the same source."""
    anna = make_operator("Anna", limit=1)
    source = make_source("Bot", weights={anna: 1})
    held = post_contact(api, source.id, "tg:held").get_json()
    waiting = [post_contact(api, source.id, f"tg:w{n}").get_json() for n in range(2)]
    assert held["operator_id"] == anna.id and waiting[0]["operator_id"] is None
    return {"anna": anna.id, "source": source.id, "held": held["id"], "waiting": [c["id"] for c in waiting]}


def operator_of(api, contact_id):
    return api.get(f"/api/v1/contacts/{contact_id}").get_json()["operator_id"]


def test_closing_a_contact_hands_its_place_to_the_oldest_waiting_one_only(api, full_team):
    api.put(f"/api/v1/contacts/{full_team['held']}/status", json={"status": "closed"})
    first, second = full_team["waiting"]
    assert (operator_of(api, first), operator_of(api, second)) == (full_team["anna"], None)


def test_unassigning_frees_the_place_and_the_oldest_waiting_contact_takes_it(api, full_team):
    api.put(f"/api/v1/contacts/{full_team['held']}/operator", json={"operator_id": None})
    # The unassigned contact waits again and, the oldest of the three, takes the freed place:
    # oldest first, by the normal pick (here Anna is the only operator). One place, one contact.
    operators = [operator_of(api, i) for i in [full_team["held"], *full_team["waiting"]]]
    assert operators == [full_team["anna"], None, None]
    assert [r["trigger"] for r in history(api, full_team["held"])] == ["intake", "unassign", "drain"]


def test_handing_a_contact_to_another_operator_drains_the_former_ones_place(api, full_team):
    boris = make_operator("Boris", limit=5)
    api.put(f"/api/v1/contacts/{full_team['held']}/operator", json={"operator_id": boris.id})
    assert operator_of(api, full_team["waiting"][0]) == full_team["anna"]


def test_activating_an_operator_drains_up_to_their_room(api):
    vera = make_operator("Vera", limit=2, status="inactive")
    source = make_source("Bot", weights={vera: 1})
    ids = [post_contact(api, source.id, f"tg:{n}").get_json()["id"] for n in range(3)]
    api.put(f"/api/v1/operators/{vera.id}/status", json={"status": "active"})
    assert [operator_of(api, i) for i in ids] == [vera.id, vera.id, None]


def test_raising_a_limit_drains_the_difference(api, full_team):
    api.patch(f"/api/v1/operators/{full_team['anna']}", json={"max_active_contacts": 2})
    first, second = full_team["waiting"]
    assert (operator_of(api, first), operator_of(api, second)) == (full_team["anna"], None)


def test_raising_a_weight_from_zero_drains(api):
    anna = make_operator("Anna", limit=5)
    source = make_source("Bot")
    contact = post_contact(api, source.id, "tg:1").get_json()
    api.put(f"/api/v1/sources/{source.id}/weights", json={"weights": [{"operator_id": anna.id, "weight": 1}]})
    assert operator_of(api, contact["id"]) == anna.id


def test_auto_drain_off_keeps_the_backlog_for_the_manager(api, full_team):
    api.patch(f"/api/v1/sources/{full_team['source']}", json={"auto_drain": False})
    api.put(f"/api/v1/contacts/{full_team['held']}/status", json={"status": "closed"})
    assert operator_of(api, full_team["waiting"][0]) is None
    # Turning it back on hands the backlog out.
    api.patch(f"/api/v1/sources/{full_team['source']}", json={"auto_drain": True})
    assert operator_of(api, full_team["waiting"][0]) == full_team["anna"]


def test_the_sweep_command_assigns_what_no_event_covered(api, runner, full_team):
    # A limit raised behind the API's back (as another tool might): no event drained it.
    committed(directory.update_operator, full_team["anna"], max_active_contacts=3)
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert "Sweep assigned 2 waiting contacts." in result.output
    assert [operator_of(api, i) for i in full_team["waiting"]] == [full_team["anna"]] * 2
    assert history(api, full_team["waiting"][0])[-1]["trigger"] == "sweep"


def test_the_sweep_leaves_paused_sources_alone(api, runner, full_team):
    api.patch(f"/api/v1/sources/{full_team['source']}", json={"paused": True})
    committed(directory.update_operator, full_team["anna"], max_active_contacts=3)
    assert "Sweep assigned 0" in runner.invoke(args=["sweep"]).output


def test_waiting_shows_the_oldest_age_and_overdue_by_the_target(api, full_team):
    api.patch(f"/api/v1/sources/{full_team['source']}", json={"wait_target_minutes": 1})
    waiting = waiting_of(api, full_team["source"])
    assert waiting["count"] == 2 and waiting["oldest_seconds"] >= 0
    assert waiting["overdue"] == 0  # nothing has waited a minute yet


# --- Sticky ----------------------------------------------------------------------------


def test_a_returning_lead_goes_back_to_its_operator_while_eligible(api):
    anna = make_operator("Anna", limit=5)
    boris = make_operator("Boris", limit=5)
    source = make_source("Bot", weights={anna: 1, boris: 1})
    api.patch(f"/api/v1/sources/{source.id}", json={"sticky_days": 30})
    first = post_contact(api, source.id, "tg:returning").get_json()
    again = [post_contact(api, source.id, "tg:returning").get_json() for _ in range(4)]
    assert {contact["operator_id"] for contact in again} == {first["operator_id"]}
    record = history(api, again[0]["id"])[0]
    assert (record["rule"], record["draw"]) == ("sticky", None)


def test_an_ineligible_recent_operator_falls_back_to_the_weighted_pick(api):
    anna = make_operator("Anna", limit=5)
    boris = make_operator("Boris", limit=5)
    source = make_source("Bot", weights={anna: 1})
    api.patch(f"/api/v1/sources/{source.id}", json={"sticky_days": 30})
    post_contact(api, source.id, "tg:1")
    api.put(f"/api/v1/sources/{source.id}/weights",
            json={"weights": [{"operator_id": boris.id, "weight": 1}]})  # Anna off the source
    contact = post_contact(api, source.id, "tg:1").get_json()
    assert contact["operator_id"] == boris.id
    assert history(api, contact["id"])[0]["rule"] == "weighted"


def test_sticky_off_ignores_the_history(app):
    anna = make_operator("Anna", limit=50)
    boris = make_operator("Boris", limit=50)
    source = make_source("Bot", weights={anna: 1, boris: 1})
    operators = {make_contact(source, "tg:same").operator_id for _ in range(20)}
    assert operators == {anna.id, boris.id}


def test_how_often_the_preference_held_counts_the_assignment_records(app, monkeypatch):
    """Seeded: 60 leads come, then come back. Anna (limit 20) fills up on the first round, so
    her leads' returns cannot go back to her; Boris's all can. The source page's figure is
    counted from the assignment records: 60 preferred, 40 held."""
    from webapp.queries.routing import sticky_held_by_source

    monkeypatch.setattr(distribution, "_default_rng", random.Random(1212))
    anna = make_operator("Anna", limit=20)
    boris = make_operator("Boris", limit=1000)
    source = make_source("Bot", weights={anna: 1, boris: 1})
    committed(directory.update_source, source.id, {"sticky_days": 7})
    firsts = [make_contact(source, f"lead-{n}").operator_id for n in range(60)]
    returns = [make_contact(source, f"lead-{n}").operator_id for n in range(60)]

    assert firsts.count(anna.id) == 20
    assert returns == [boris.id] * 60  # Anna's returning leads fell back to the weighted pick
    stats = sticky_held_by_source(db.session)[source.id]
    assert (stats.preferred, stats.held, round(stats.percent)) == (60, 40, 67)


def test_the_pure_decision_prefers_the_eligible_operator_and_records_it():
    candidates = [distribution.Candidate(1, 1, True, 0, 5), distribution.Candidate(2, 9, True, 5, 5)]
    assert distribution.decide(candidates, random.Random(1), 1).rule == "sticky"
    at_limit = distribution.decide(candidates, random.Random(1), 2)
    assert (at_limit.operator_id, at_limit.rule, at_limit.preferred_operator_id) == (1, "weighted", 2)


# --- Intake limit ---------------------------------------------------------------------------


def stored_rows():
    db.session.rollback()
    return {
        table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        for table in ("leads", "contacts", "assignments", "idempotency_keys")
    }


def test_past_the_intake_limit_the_api_answers_429_with_retry_after_and_stores_nothing(api):
    anna = make_operator("Anna", limit=50)
    source = make_source("Bot", weights={anna: 1})
    api.patch(f"/api/v1/sources/{source.id}", json={"intake_per_minute": 3})
    assert [post_contact(api, source.id, f"tg:{n}").status_code for n in range(3)] == [201] * 3
    before = stored_rows()
    refused = post_contact(api, source.id, "tg:4", headers={"Idempotency-Key": "k-4"})
    problem = assert_problem(refused, 429)
    assert stored_rows() == before
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "retry" in problem["detail"]


def test_the_limit_counts_per_source_and_is_noted_for_the_overview(api):
    anna = make_operator("Anna", limit=50)
    limited = make_source("Limited", weights={anna: 1})
    other = make_source("Other", weights={anna: 1})
    api.patch(f"/api/v1/sources/{limited.id}", json={"intake_per_minute": 1})
    post_contact(api, limited.id, "tg:1")
    assert post_contact(api, limited.id, "tg:2").status_code == 429
    assert post_contact(api, other.id, "tg:3").status_code == 201
    from webapp.models import Source

    db.session.rollback()
    assert db.session.get(Source, limited.id).intake_limited_at is not None
    assert db.session.get(Source, other.id).intake_limited_at is None


def test_drains_go_through_the_one_service_function(app):
    """jobs.drain with a seeded rng assigns by the normal pick and never past a limit."""
    anna = make_operator("Anna", limit=2)
    boris = make_operator("Boris", limit=1)
    source = make_source("Bot", weights={anna: 1, boris: 1})
    committed(directory.update_source, source.id, {"paused": True})
    for n in range(5):
        make_contact(source, f"tg:{n}")
    committed(directory.update_source, source.id, {"paused": False})
    assert jobs.drain(db.session, [source.id], rng=random.Random(7)) == 3
    assert jobs.drain(db.session, [source.id], rng=random.Random(7)) == 0
