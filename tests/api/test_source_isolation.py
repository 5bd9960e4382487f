"""One customer is one lead across sources, but a source token never reads or changes what
another source stored (API.md, Authentication); admin tokens see and change all."""

from __future__ import annotations

import pytest

from bench.statements import counting_statements
from tests.builders import make_source
from tests.conftest import bot_api
from webapp.extensions import db

CUSTOMER = ("email", "phone", "name")
HIDDEN = dict.fromkeys(CUSTOMER)


def customer(body: dict) -> dict:
    """The customer fields of a contact's lead (or of a lead)."""
    lead = body.get("lead", body)
    return {field: lead[field] for field in CUSTOMER}


def post(bot, external_id: str, **fields):
    response = bot.post("/api/v1/contacts/", json={"external_id": external_id} | fields)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def bots(client, team):
    """Source tokens of Telegram (the team's source) and of a second source, Widget."""
    widget = make_source("Widget")
    return {"telegram": bot_api(client, team["source"]), "widget": bot_api(client, widget.id),
            "widget_id": widget.id}


def stored(api, lead_id: int) -> dict:
    """The lead's customer fields as stored, read with the admin token."""
    return customer(api.get(f"/api/v1/leads/{lead_id}").get_json())


def test_a_source_token_reads_no_customer_data_another_source_stored(api, bots):
    ivan = {"email": "ivan@example.com", "phone": "+79120000001", "name": "Ivan"}
    telegrams = post(bots["telegram"], "shared-1", **ivan)
    assert customer(telegrams) == ivan  # its own lead: all of it

    widgets = post(bots["widget"], "shared-1")
    assert widgets["lead"]["id"] == telegrams["lead"]["id"]  # still one lead
    assert customer(widgets) == HIDDEN
    assert customer(bots["widget"].get(f"/api/v1/contacts/{widgets['id']}").get_json()) == HIDDEN
    listed = bots["widget"].get("/api/v1/contacts/").get_json()["items"]
    assert [customer(contact) for contact in listed] == [HIDDEN]

    # Now the lead is shared, Telegram's token no longer sees it either: Widget may have filled it.
    own = bots["telegram"].get(f"/api/v1/contacts/{telegrams['id']}").get_json()
    assert customer(own) == HIDDEN
    assert customer(post(bots["telegram"], "shared-1")) == HIDDEN

    # The admin token sees all, on the lead and on every contact.
    assert stored(api, telegrams["lead"]["id"]) == ivan
    assert customer(api.get(f"/api/v1/contacts/{widgets['id']}").get_json()) == ivan
    found = api.get("/api/v1/leads/?external_id=shared-1").get_json()["items"]
    assert [customer(item) for item in found] == [ivan]


def test_a_source_token_only_fills_what_another_source_left_empty(api, bots):
    lead_id = post(bots["telegram"], "shared-2", email="ivan@example.com", name="Ivan")["lead"]["id"]

    post(bots["widget"], "shared-2", email="mallory@example.com", name="Mallory", phone="+12025550100")
    assert stored(api, lead_id) == {"email": "ivan@example.com", "phone": "+12025550100", "name": "Ivan"}

    # Every later contact of either source: the earlier ones came through both, so fill only.
    post(bots["widget"], "shared-2", phone="+12025550111")
    post(bots["telegram"], "shared-2", phone="+79120000001", email="other@example.com")
    assert stored(api, lead_id) == {"email": "ivan@example.com", "phone": "+12025550100", "name": "Ivan"}


def test_a_source_token_overwrites_its_own_lead(api, bots):
    lead_id = post(bots["telegram"], "own-1", email="ivan@example.com", name="Ivan")["lead"]["id"]
    again = post(bots["telegram"], "own-1", email="ivan@new.example.com", phone="+79120000001")
    expected = {"email": "ivan@new.example.com", "phone": "+79120000001", "name": "Ivan"}
    assert customer(again) == expected
    assert stored(api, lead_id) == expected


def test_an_admin_token_overwrites_whatever_source_stored(api, bots, team):
    lead_id = post(bots["telegram"], "shared-3", email="ivan@example.com", name="Ivan")["lead"]["id"]
    post(bots["widget"], "shared-3", phone="+12025550100")
    corrected = post(api, "shared-3", source_id=bots["widget_id"], email="ivan@fixed.example.com")
    expected = {"email": "ivan@fixed.example.com", "phone": "+12025550100", "name": "Ivan"}
    assert customer(corrected) == expected
    assert stored(api, lead_id) == expected


def test_a_post_on_a_shared_lead_takes_the_statements_of_any_other(bots):
    """The rule lives inside the one upsert: per token, a POST costs the same statements on a new
    lead, its own, another source's and a shared one. (Per token: Telegram's source has weights,
    so its POSTs also distribute, which Widget's do not.)"""
    for warm_up, bot in enumerate((bots["telegram"], bots["widget"])):
        post(bot, f"warm-up-{warm_up}")  # each token's first use also records last_used_at
    for external_id in ("own-4", "telegrams-4", "shared-4"):
        post(bots["telegram"], external_id, email="ivan@example.com")
    post(bots["widget"], "shared-4")

    def statements(bot, external_id) -> int:
        with counting_statements(db.engine) as log:
            post(bot, external_id, email="mallory@example.com")
        return log.count

    telegram = {lead: statements(bots["telegram"], lead) for lead in ("new-4", "own-4", "shared-4")}
    widget = {lead: statements(bots["widget"], lead) for lead in ("new-5", "telegrams-4")}
    assert len(set(telegram.values())) == 1, telegram
    assert len(set(widget.values())) == 1, widget
