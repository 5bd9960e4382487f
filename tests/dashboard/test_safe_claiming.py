"""Two managers on one contact: the second sees who got there first, nothing is overwritten."""

from __future__ import annotations

import pytest

from tests.builders import committed, make_contact, make_operator, make_source
from tests.dashboard.conftest import get, post
from webapp import contacts, directory
from webapp.distribution import SYSTEM
from webapp.extensions import db
from webapp.models import Contact


@pytest.fixture
def waiting(app):
    anna, boris = make_operator("Anna", limit=5), make_operator("Boris", limit=5)
    contact = make_contact(make_source("Site widget"), "web-1", name="Walter")  # nobody weighted: it waits
    return {"anna": anna.id, "boris": boris.id, "contact": contact.id}


def _assign_form(client, contact_id):
    """The assign menu's form as the board lazy-loads it, with the version of the row."""
    board = get(client, "/contacts")
    menu_url = board.one(f"#assign-menu-{contact_id} .menu-body")["hx-get"]
    form = get(client, menu_url, htmx=True).one("[data-testid=assign-form]")
    return {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}


def _operator(contact_id):
    db.session.rollback()
    return db.session.get(Contact, contact_id).operator_id


def test_the_second_claim_says_who_was_first_and_overwrites_nothing(supervisor, manager, waiting):
    contact_id = waiting["contact"]
    first, second = _assign_form(supervisor, contact_id), _assign_form(manager, contact_id)
    assert first["version"] and first["version"] == second["version"]
    won = post(
        supervisor, f"/contacts/{contact_id}/operator", first | {"operator_id": waiting["anna"]}, htmx=True
    )
    assert won.status == 200
    lost = post(
        manager, f"/contacts/{contact_id}/operator", second | {"operator_id": waiting["boris"]}, htmx=True
    )
    assert lost.status == 422
    assert lost.response.headers["HX-Retarget"] == "#board"
    note = lost.one("[data-testid=row-note]").get_text()
    assert f"Contact #{contact_id} was already given to Anna by sue a moment ago." in note
    # The row refreshed: the contact now shows with Anna, among the assigned.
    row = lost.one(f"[data-testid=contact-row][data-contact-id='{contact_id}']")
    assert "Anna" in row.get_text()
    assert _operator(contact_id) == waiting["anna"]


def test_a_stale_close_or_unassign_changes_nothing(supervisor, manager, waiting, app):
    contact_id = waiting["contact"]
    version = _assign_form(supervisor, contact_id)["version"]
    post(
        supervisor,
        f"/contacts/{contact_id}/operator",
        {"operator_id": waiting["anna"], "version": version},
        htmx=True,
        status=200,
    )
    closed = post(
        manager,
        f"/contacts/{contact_id}/status",
        {"set_status": "closed", "version": version},
        htmx=True,
        status=422,
    )
    assert "already given to Anna" in closed.one("[data-testid=row-note]").get_text()
    post(manager, f"/contacts/{contact_id}/unassign", {"version": version}, htmx=True, status=422)
    db.session.rollback()
    assert db.session.get(Contact, contact_id).status == "new"
    assert _operator(contact_id) == waiting["anna"]


def test_without_javascript_the_lost_claim_is_a_message_on_the_board(supervisor, manager, waiting):
    contact_id = waiting["contact"]
    version = _assign_form(supervisor, contact_id)["version"]
    post(supervisor, f"/contacts/{contact_id}/operator", {"operator_id": waiting["anna"], "version": version})
    response = post(
        manager, f"/contacts/{contact_id}/operator", {"operator_id": waiting["boris"], "version": version}
    )
    assert response.status == 302
    board = get(manager, "/contacts")
    assert "already given to Anna by sue" in board.one("[data-testid=flash-error]").get_text()
    assert _operator(contact_id) == waiting["anna"]


def test_the_assign_menu_offers_the_distributions_choice_first_and_says_why_not(supervisor, app):
    roomy, tight = make_operator("Roomy", limit=5), make_operator("Tight", limit=5)
    full, away = make_operator("Full", limit=1), make_operator("Away", limit=5)
    make_operator("Stranger", limit=5)
    walk_in = make_source("Walk-in")
    for operator, count in ((tight, 3), (full, 1)):
        for _number in range(count):
            committed(contacts.set_operator, make_contact(walk_in).id, operator.id, actor=SYSTEM)
    committed(directory.set_operator_status, away.id, "inactive")
    telegram = make_source("Telegram", weights={full: 1, tight: 9, roomy: 1, away: 1})
    contact = make_contact(telegram, "tg-1")
    committed(contacts.set_operator, contact.id, None, actor=SYSTEM)  # waiting again

    form = get(supervisor, f"/contacts/{contact.id}/assign").one("[data-testid=assign-form]")
    groups = form.select("optgroup")
    assert [group["label"] for group in groups] == ["On Telegram", "Not on this source"]
    words = {
        option.get_text(" ", strip=True).split()[0]: option.get_text(" ", strip=True)
        for option in form.select("option")
    }
    assert {option.get_text().split()[0] for option in groups[0].select("option")} == {
        "Roomy",
        "Tight",
        "Full",
        "Away",
    }
    assert words["Full"].endswith("at limit 1/1")
    assert words["Away"].endswith("inactive")
    assert words["Stranger"].endswith("not on this source")
    # Pre-selected: eligible on the source with the most room (Roomy 0/5, not the heavier Tight 3/5).
    assert form.select_one("option[selected]")["value"] == str(roomy.id)
    assert "Give it anyway" in form.get_text()
