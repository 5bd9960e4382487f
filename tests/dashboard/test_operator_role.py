"""The operator role: their own open contacts only, take, close, notes, away/available.

Pages of other roles answer 403; another operator's contact answers 404, as one that
does not exist (the operator learns nothing of it).
"""

from __future__ import annotations

import pytest

from tests.builders import make_contact, make_operator, make_source, make_user
from tests.conftest import PASSWORD
from tests.dashboard.conftest import get, post, sign_in
from webapp.models import Contact, Operator


@pytest.fixture
def world(app):
    anna = make_operator("Anna")
    boris = make_operator("Boris")
    source = make_source("Telegram", weights={anna: 1})
    mine = make_contact(source, external_id="tg-1", name="Ivan", message="call me")
    with_boris = make_contact(make_source("Site", weights={boris: 1}), external_id="tg-1", message="secret")
    make_user("ola", PASSWORD, "operator", operator_id=anna.id)
    return {"anna": anna.id, "boris": boris.id, "mine": mine.id, "other": with_boris.id}


@pytest.fixture
def ola(app, world):
    return sign_in(app.test_client(), "ola")


def test_an_operator_lands_on_their_own_open_contacts(app, world):
    client = app.test_client()
    response = client.post("/login", data={"username": "ola", "password": PASSWORD})
    assert response.headers["Location"] == "/my/contacts"
    page = get(client, "/my/contacts")
    assert [row["data-contact-id"] for row in page.select("[data-testid=my-contact]")] == [str(world["mine"])]
    assert page.texts("nav a") == ["My contacts"]


def test_an_operator_takes_closes_and_notes_their_contact(app, session, world, ola):
    contact_id = world["mine"]
    post(ola, f"/my/contacts/{contact_id}/status", {"set_status": "in_progress"}, status=302)
    post(ola, f"/contacts/{contact_id}/notes", {"text": "Customer wants a call at 5"}, status=302)
    page = get(ola, f"/contacts/{contact_id}")
    assert page.texts("[data-testid=note]")[0].startswith("ola")
    assert page.text("h1 [data-testid=status]") == "in progress"
    post(ola, f"/my/contacts/{contact_id}/status", {"set_status": "closed"}, status=302)
    session.rollback()
    assert session.get(Contact, contact_id).status == "closed"
    assert not get(ola, "/my/contacts").select("[data-testid=my-contact]")


def test_an_operator_may_not_unassign_or_set_new(app, session, world, ola):
    contact_id = world["mine"]
    page = post(ola, f"/my/contacts/{contact_id}/status", {"set_status": "new"}, status=302)
    assert page.response.headers["Location"] == "/my/contacts"
    session.rollback()
    assert session.get(Contact, contact_id).status == "new"
    assert ola.post(f"/contacts/{contact_id}/unassign").status_code == 403


def test_an_operator_sets_themselves_away_and_back(app, session, world, ola):
    post(ola, "/my/status", {"status": "inactive"}, status=302)
    session.rollback()
    assert session.get(Operator, world["anna"]).status == "inactive"
    assert get(ola, "/my/contacts").text("[data-testid=my-state]") == "away"
    post(ola, "/my/status", {"status": "active"}, status=302)
    session.rollback()
    assert session.get(Operator, world["anna"]).status == "active"


def test_another_operators_contact_is_404_everywhere(app, session, world, ola):
    other = world["other"]
    get(ola, f"/contacts/{other}", status=404)
    assert ola.post(f"/contacts/{other}/notes", data={"text": "x"}).status_code == 404
    assert ola.post(f"/my/contacts/{other}/status", data={"set_status": "closed"}).status_code == 404
    session.rollback()
    assert session.get(Contact, other).status == "new"
    # The same lead's contact with Boris is not listed among the lead's other contacts either.
    assert not get(ola, f"/contacts/{world['mine']}").select("[data-testid=other-contact]")


@pytest.mark.parametrize("url", ["/", "/contacts", "/operators", "/sources", "/users", "/stats",
                                 "/leads/1", "/contacts/1/assign", "/contacts/export.csv"])
def test_staff_pages_are_403_to_an_operator(app, world, ola, url):
    assert ola.get(url).status_code == 403
