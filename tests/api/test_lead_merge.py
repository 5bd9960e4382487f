"""One customer, one lead (API.md 1.1): normalised phone and email, duplicates, merging."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.api.conftest import assert_problem
from tests.builders import make_source
from tests.conftest import bot_api
from webapp.extensions import db


def post(api, source_id, external_id, **fields):
    body = {"external_id": external_id, "source_id": source_id} | fields
    response = api.post("/api/v1/contacts/", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_phone_and_email_are_stored_normalised(api, team):
    contact = post(api, team["source"], "tg:1", phone="8 (912) 345-67-89", email="Ivan@Example.COM")
    assert (contact["lead"]["phone"], contact["lead"]["email"]) == ("+79123456789", "ivan@example.com")
    foreign = post(api, team["source"], "tg:2", phone="+44 20 7946 0958")
    assert foreign["lead"]["phone"] == "+442079460958"


@pytest.mark.parametrize("phone", ["hello", "+7 900", "123", "++", "+1 555"])
def test_a_phone_that_is_no_phone_number_is_422_and_stores_nothing(api, team, unchanged, phone):
    with unchanged():
        response = api.post("/api/v1/contacts/", json={"external_id": "x", "source_id": team["source"],
                                                       "phone": phone})
        assert_problem(response, 422, field="phone")


def test_phone_region_setting_parses_national_numbers(app, api, team):
    app.config["PHONE_REGION"] = "GB"
    contact = post(api, team["source"], "uk:1", phone="020 7946 0958")
    assert contact["lead"]["phone"] == "+442079460958"


def test_lookups_match_the_normalised_forms(api, team):
    lead = post(api, team["source"], "tg:1", phone="+7 912 345 67 89", email="ivan@example.com")["lead"]
    lead_id = lead["id"]
    for query in ({"phone": "8 912 345-67-89"}, {"phone": "+79123456789"}, {"email": "IVAN@example.com"}):
        items = api.get("/api/v1/leads/", query_string=query).get_json()["items"]
        assert [item["id"] for item in items] == [lead_id], query
    assert_problem(api.get("/api/v1/leads/", query_string={"phone": "not a phone"}), 422, field="phone")


@pytest.fixture
def twins(api, team):
    """Two leads of one customer (same phone written two ways), a third with another phone."""
    ivan = post(api, team["source"], "tg:ivan", phone="+7 912 345-67-89", name="Ivan")
    widget = make_source("Widget", weights=None)
    web = post(api, widget.id, "web:ivan", phone="89123456789", email="ivan@example.com")
    post(api, widget.id, "web:ivan", message="again")
    post(api, team["source"], "tg:olga", phone="+7 912 000 00 01", email="ivan@example.com")
    return {"keep": ivan["lead"]["id"], "merge": web["lead"]["id"], "widget": widget.id,
            "merged_contacts": 2}


def test_duplicates_lists_leads_sharing_a_phone_or_an_email(api, twins):
    items = api.get("/api/v1/leads/duplicates").get_json()["items"]
    assert [(item["matched_on"], [lead["external_id"] for lead in item["leads"]]) for item in items] == [
        ("phone", ["tg:ivan", "web:ivan"]),
        ("email", ["web:ivan", "tg:olga"]),
    ]
    assert set(items[0]["leads"][0]) == {"id", "external_id", "email", "phone", "name", "created_at"}


def test_duplicates_follow_merges(api, twins):
    """After the merge no two leads share the phone; the survivor took the other's email,
    which it now shares with tg:olga."""
    merged = api.post(f"/api/v1/leads/{twins['keep']}/merge", json={"lead_id": twins["merge"]})
    assert merged.status_code == 200
    items = api.get("/api/v1/leads/duplicates").get_json()["items"]
    assert [(item["matched_on"], [lead["external_id"] for lead in item["leads"]]) for item in items] == [
        ("email", ["tg:ivan", "tg:olga"]),
    ]


def _history(lead_id):
    db.session.rollback()
    with db.engine.connect() as connection:
        return connection.execute(text(
            "SELECT lead_id, merged_lead_id, merged_external_id, contacts_moved, actor_kind FROM lead_merges"
        )).all()


def test_merge_moves_contacts_keeps_the_external_id_and_records_itself(api, twins):
    before = api.get(f"/api/v1/leads/{twins['merge']}").get_json()["contacts"]
    assignments = {c["id"]: api.get(f"/api/v1/contacts/{c['id']}/assignments").get_json() for c in before}

    response = api.post(f"/api/v1/leads/{twins['keep']}/merge", json={"lead_id": twins["merge"]})

    assert response.status_code == 200, response.get_json()
    lead = response.get_json()
    assert (lead["id"], lead["external_id"], lead["name"]) == (twins["keep"], "tg:ivan", "Ivan")
    assert lead["email"] == "ivan@example.com"  # the survivor's empty email filled from the other
    assert_problem(api.get(f"/api/v1/leads/{twins['merge']}"), 404)
    contacts = api.get(f"/api/v1/leads/{twins['keep']}").get_json()["contacts"]
    assert {c["id"] for c in before} <= {c["id"] for c in contacts}
    for contact_id, history in assignments.items():  # every assignment record survives
        assert api.get(f"/api/v1/contacts/{contact_id}/assignments").get_json() == history
    found = api.get("/api/v1/leads/", query_string={"external_id": "web:ivan"}).get_json()["items"]
    assert [item["id"] for item in found] == [twins["keep"]]
    again = post(api, twins["widget"], "web:ivan", message="after the merge")
    assert again["lead"]["id"] == twins["keep"]
    assert _history(twins["keep"]) == [(twins["keep"], twins["merge"], "web:ivan", 2, "token")]


def test_a_merged_lead_merged_again_keeps_every_external_id(api, twins, team):
    third = post(api, team["source"], "tg:third")["lead"]["id"]
    api.post(f"/api/v1/leads/{twins['keep']}/merge", json={"lead_id": twins["merge"]})
    response = api.post(f"/api/v1/leads/{third}/merge", json={"lead_id": twins["keep"]})
    assert response.status_code == 200
    for external_id in ("tg:ivan", "web:ivan", "tg:third"):
        assert post(api, team["source"], external_id)["lead"]["id"] == third


def test_sole_source_is_recomputed_so_a_bot_sees_no_other_sources_customer(client, api, twins, team):
    bot = bot_api(client, team["source"])
    assert bot.post("/api/v1/contacts/", json={"external_id": "tg:ivan"}).get_json()["lead"]["name"] == "Ivan"
    api.post(f"/api/v1/leads/{twins['keep']}/merge", json={"lead_id": twins["merge"]})
    after = bot.post("/api/v1/contacts/", json={"external_id": "tg:ivan"}).get_json()
    assert after["lead"]["name"] is None  # now a lead of two sources


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "lead_id"),
        ({"lead_id": "2"}, "lead_id"),
        ({"lead_id": 0}, "lead_id"),
        ({"lead_id": None}, "lead_id"),
        ({"lead_id": 1.5}, "lead_id"),
        ({"lead_id": 99999}, "lead_id"),
        ({"lead_id": 2**31}, "lead_id"),
    ],
)
def test_bad_merge_bodies_are_422_and_change_nothing(api, twins, unchanged, body, field):
    with unchanged():
        assert_problem(api.post(f"/api/v1/leads/{twins['keep']}/merge", json=body), 422, field=field)


def test_merging_into_itself_or_an_unknown_lead_changes_nothing(api, twins, unchanged):
    with unchanged():
        response = api.post(f"/api/v1/leads/{twins['keep']}/merge", json={"lead_id": twins["keep"]})
        assert_problem(response, 422, field="lead_id")
        assert_problem(api.post("/api/v1/leads/99999/merge", json={"lead_id": twins["merge"]}), 404)
        broken = api.post(f"/api/v1/leads/{twins['keep']}/merge", data="{", content_type="application/json")
        assert_problem(broken, 400)


def test_a_source_token_may_not_merge_or_list_duplicates(client, twins, team, unchanged):
    bot = bot_api(client, team["source"])
    with unchanged():
        merge = bot.post(f"/api/v1/leads/{twins['keep']}/merge", json={"lead_id": twins["merge"]})
        assert_problem(merge, 403)
        assert_problem(bot.get("/api/v1/leads/duplicates"), 403)
