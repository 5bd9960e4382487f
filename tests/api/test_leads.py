"""Leads through /api/v1: one lead with its contacts, and the search."""

from __future__ import annotations

import pytest

from tests.api.conftest import ISO_UTC, assert_problem
from tests.builders import make_contact, make_source


@pytest.fixture
def leads(app):
    source = make_source("Telegram")
    first = make_contact(source, "tg:1", email="ivan@example.com", phone="+79120000100")
    make_contact(source, "tg:2", email="olga@example.com", phone="+79120000200")
    second = make_contact(source, "tg:1")
    make_contact(source, "tg:3", email="ivan@example.com")
    return {"lead": first.lead_id, "contacts": [first.id, second.id]}


def test_get_lead_with_contacts_newest_first(api, leads):
    response = api.get(f"/api/v1/leads/{leads['lead']}")
    assert response.status_code == 200
    lead = response.get_json()
    assert set(lead) == {"id", "external_id", "email", "phone", "name", "created_at", "contacts"}
    assert ISO_UTC.match(lead["created_at"])
    assert (lead["external_id"], lead["email"], lead["phone"], lead["name"]) == (
        "tg:1",
        "ivan@example.com",
        "+79120000100",
        None,
    )
    assert [contact["id"] for contact in lead["contacts"]] == leads["contacts"][::-1]
    assert all(contact["lead"]["id"] == lead["id"] for contact in lead["contacts"])


@pytest.mark.parametrize("lead_id", [999, 99999999999])
def test_unknown_lead_is_404(api, lead_id):
    assert_problem(api.get(f"/api/v1/leads/{lead_id}"), 404)


@pytest.mark.parametrize("path", ["/api/v1/leads/", "/api/v1/leads"])
@pytest.mark.parametrize(
    "query, external_ids",
    [
        ({"external_id": "tg:2"}, ["tg:2"]),
        ({"email": "ivan@example.com"}, ["tg:1", "tg:3"]),
        ({"phone": "+79120000100"}, ["tg:1"]),
        ({"email": "ivan@example.com", "phone": "+79120000100"}, ["tg:1"]),
        ({"external_id": "nobody"}, []),
    ],
)
def test_search_leads(api, leads, path, query, external_ids):
    response = api.get(path, query_string=query)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["external_id"] for item in items] == external_ids
    for item in items:
        assert set(item) == {"id", "external_id", "email", "phone", "name", "created_at"}


def test_bad_search_is_422(api, leads):
    assert_problem(
        api.get("/api/v1/leads/", query_string={"external_id": "x" * 256}), 422, field="external_id"
    )
    assert_problem(api.get("/api/v1/leads/", query_string={"email": "a\x00b"}), 422, field="email")
