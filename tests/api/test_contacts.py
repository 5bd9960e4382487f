"""Contacts through /api/v1: intake, listing, status, manual assignment, redistribution."""

from __future__ import annotations

import pytest

from tests.api.conftest import ISO_UTC, assert_problem
from tests.builders import make_contact, make_operator, make_source
from tests.conftest import bot_api

CONTACT_FIELDS = {
    "id",
    "lead",
    "source_id",
    "operator_id",
    "status",
    "message",
    "created_at",
    "assigned_at",
    "closed_at",
}


def assert_contact_shape(contact: dict) -> None:
    assert set(contact) == CONTACT_FIELDS
    assert set(contact["lead"]) == {"id", "external_id", "email", "phone", "name", "created_at"}
    assert contact["status"] in ("new", "in_progress", "closed")
    for moment in (
        contact["created_at"],
        contact["lead"]["created_at"],
        contact["assigned_at"],
        contact["closed_at"],
    ):
        assert moment is None or ISO_UTC.match(moment), moment


def post_contact(api, source_id, external_id="tg:1", **fields):
    return api.post("/api/v1/contacts/", json={"external_id": external_id, "source_id": source_id} | fields)


# --- Intake --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/contacts/", "/api/v1/contacts"])
def test_create_contact_assigns_an_operator(api, team, path):
    body = {"external_id": "tg:55121", "source_id": team["source"], "name": "Ivan", "message": "need a quote"}
    response = api.post(path, json=body)
    assert response.status_code == 201
    contact = response.get_json()
    assert_contact_shape(contact)
    assert contact["operator_id"] in (team["anna"], team["boris"])
    assert ISO_UTC.match(contact["assigned_at"])
    assert (contact["status"], contact["message"], contact["closed_at"]) == ("new", "need a quote", None)
    assert contact["lead"]["external_id"] == "tg:55121"
    assert contact["lead"]["name"] == "Ivan"
    assert api.get(f"/api/v1/contacts/{contact['id']}").get_json() == contact


def test_nobody_eligible_gives_an_unassigned_contact(api):
    source = make_source("Empty")
    contact = post_contact(api, source.id).get_json()
    assert (contact["operator_id"], contact["assigned_at"]) == (None, None)


def test_same_external_id_is_the_same_lead_and_updates_it(api, team):
    first = post_contact(api, team["source"], "tg:7", email="a@example.com", name="Ivan").get_json()
    second = post_contact(api, team["source"], "tg:7", phone="+79120000001", name="Ivan P.").get_json()
    assert first["lead"]["id"] == second["lead"]["id"]
    assert first["id"] != second["id"]
    assert second["lead"] | {"created_at": None} == {
        "id": first["lead"]["id"],
        "external_id": "tg:7",
        "email": "a@example.com",
        "phone": "+79120000001",
        "name": "Ivan P.",
        "created_at": None,
    }


def test_integer_external_id_is_stored_as_its_decimal_string(api, team):
    contact = api.post(
        "/api/v1/contacts/", json={"external_id": 55121, "source_id": team["source"]}
    ).get_json()
    assert contact["lead"]["external_id"] == "55121"
    again = post_contact(api, team["source"], "55121").get_json()
    assert again["lead"]["id"] == contact["lead"]["id"]


def test_bot_token_may_leave_out_source_id(client, team):
    bot = bot_api(client, team["source"])
    response = bot.post("/api/v1/contacts/", json={"external_id": "tg:1"})
    assert response.status_code == 201
    assert response.get_json()["source_id"] == team["source"]
    same = bot.post("/api/v1/contacts", json={"external_id": "tg:2", "source_id": team["source"]})
    assert same.status_code == 201


def test_admin_token_must_give_source_id(api, team, unchanged):
    with unchanged():
        assert_problem(api.post("/api/v1/contacts/", json={"external_id": "x"}), 422, field="source_id")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"source_id": 1}, "external_id"),
        ({"external_id": "", "source_id": 1}, "external_id"),
        ({"external_id": "x" * 256, "source_id": 1}, "external_id"),
        ({"external_id": True, "source_id": 1}, "external_id"),
        ({"external_id": 1.5, "source_id": 1}, "external_id"),
        ({"external_id": "a\x00b", "source_id": 1}, "external_id"),
        ({"external_id": "x", "source_id": "1"}, "source_id"),
        ({"external_id": "x", "source_id": True}, "source_id"),
        ({"external_id": "x", "source_id": 0}, "source_id"),
        ({"external_id": "x", "source_id": 1, "name": ""}, "name"),
        ({"external_id": "x", "source_id": 1, "name": "n" * 201}, "name"),
        ({"external_id": "x", "source_id": 1, "message": "m" * 4001}, "message"),
        ({"external_id": "x", "source_id": 1, "email": 5}, "email"),
        ({"external_id": "x", "source_id": 1, "phone": "\x00"}, "phone"),
    ],
)
def test_invalid_contact_is_422(api, team, unchanged, body, field):
    with unchanged():
        assert_problem(api.post("/api/v1/contacts/", json=body), 422, field=field)


@pytest.mark.parametrize("source_id", [999, 2**31 - 1, 99999999999])
def test_unknown_source_id_is_422(api, team, unchanged, source_id):
    with unchanged():
        assert_problem(post_contact(api, source_id), 422, field="source_id")


# --- Listing -------------------------------------------------------------------


@pytest.fixture
def board(app):
    """Contacts across two sources and two operators, some unassigned, one closed."""
    anna, boris = make_operator("Anna", limit=3), make_operator("Boris", limit=1)
    telegram = make_source("Telegram", weights={anna: 1})
    widget = make_source("Widget", weights={boris: 1})
    rows = [
        make_contact(telegram, "lead-a"),
        make_contact(telegram, "lead-b"),
        make_contact(telegram, "lead-a"),
    ]
    rows += [make_contact(widget, "lead-c"), make_contact(widget, "lead-a")]
    return {
        "anna": anna.id,
        "boris": boris.id,
        "telegram": telegram.id,
        "widget": widget.id,
        "ids": [row.id for row in rows],
        "lead_a": rows[0].lead_id,
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


@pytest.mark.parametrize("path", ["/api/v1/contacts/", "/api/v1/contacts"])
def test_list_contacts_newest_first(api, board, path):
    response = api.get(path)
    assert ids(response) == board["ids"][::-1]
    assert response.get_json()["next_cursor"] is None
    for item in response.get_json()["items"]:
        assert_contact_shape(item)


def test_list_filters(api, board):
    c1, c2, c3, c4, c5 = board["ids"]
    api.put(f"/api/v1/contacts/{c1}/status", json={"status": "closed"})
    assert ids(api.get(f"/api/v1/contacts/?source_id={board['telegram']}")) == [c3, c2, c1]
    assert ids(api.get(f"/api/v1/contacts/?operator_id={board['boris']}")) == [c4]
    assert ids(api.get("/api/v1/contacts/?unassigned=true")) == [c5]
    assert ids(api.get(f"/api/v1/contacts/?lead_id={board['lead_a']}")) == [c5, c3, c1]
    assert ids(api.get("/api/v1/contacts/?status=closed")) == [c1]
    assert ids(api.get("/api/v1/contacts/?status=new")) == [c5, c4, c3, c2]
    assert ids(api.get(f"/api/v1/contacts/?status=new&source_id={board['widget']}&unassigned=true")) == [c5]


def test_cursor_pagination_walks_every_page_without_gaps(api):
    source = make_source("Busy")
    created = [make_contact(source).id for _ in range(23)]
    seen, cursor, pages = [], None, 0
    while True:
        response = api.get(
            "/api/v1/contacts/", query_string={"limit": 5} | ({"cursor": cursor} if cursor else {})
        )
        seen += ids(response)
        pages += 1
        cursor = response.get_json()["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert seen == sorted(created, reverse=True)


def test_exact_page_boundary_has_no_empty_last_page(api):
    source = make_source("Busy")
    for _ in range(4):
        make_contact(source)
    first = api.get("/api/v1/contacts/?limit=2").get_json()
    second = api.get(f"/api/v1/contacts/?limit=2&cursor={first['next_cursor']}").get_json()
    assert len(second["items"]) == 2 and second["next_cursor"] is None


def test_default_and_largest_limit(api):
    source = make_source("Busy")
    for _ in range(51):
        make_contact(source)
    assert len(ids(api.get("/api/v1/contacts/"))) == 50
    assert len(ids(api.get("/api/v1/contacts/?limit=500"))) == 51
    assert len(ids(api.get("/api/v1/contacts/?limit=1"))) == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=" + "A" * 80, "cursor"),
        ("status=open", "status"),
        ("source_id=abc", "source_id"),
        ("operator_id=-1", "operator_id"),
        ("unassigned=maybe", "unassigned"),
    ],
)
def test_bad_query_is_422(api, board, query, field):
    assert_problem(api.get(f"/api/v1/contacts/?{query}"), 422, field=field)


@pytest.mark.parametrize("contact_id", [999, 99999999999])
def test_unknown_contact_is_404(api, contact_id):
    assert_problem(api.get(f"/api/v1/contacts/{contact_id}"), 404)
    assert_problem(api.put(f"/api/v1/contacts/{contact_id}/status", json={"status": "closed"}), 404)
    assert_problem(api.put(f"/api/v1/contacts/{contact_id}/operator", json={"operator_id": None}), 404)


# --- Status --------------------------------------------------------------------


def test_status_goes_new_in_progress_closed(api, team):
    contact = post_contact(api, team["source"]).get_json()
    progress = api.put(f"/api/v1/contacts/{contact['id']}/status", json={"status": "in_progress"})
    assert progress.status_code == 200
    assert_contact_shape(progress.get_json())
    assert progress.get_json()["status"] == "in_progress"
    closed = api.put(f"/api/v1/contacts/{contact['id']}/status", json={"status": "closed"}).get_json()
    assert closed["status"] == "closed"
    assert ISO_UTC.match(closed["closed_at"])


@pytest.mark.parametrize("status", ["new", "in_progress", "closed"])
def test_a_closed_contact_cannot_change(api, team, unchanged, status):
    contact = post_contact(api, team["source"]).get_json()
    api.put(f"/api/v1/contacts/{contact['id']}/status", json={"status": "closed"})
    with unchanged():
        assert_problem(
            api.put(f"/api/v1/contacts/{contact['id']}/status", json={"status": status}), 409, detail="closed"
        )
        assert_problem(
            api.put(f"/api/v1/contacts/{contact['id']}/operator", json={"operator_id": team["anna"]}), 409
        )


def test_unassigned_contact_cannot_be_in_progress(api, unchanged):
    contact = post_contact(api, make_source("Empty").id).get_json()
    with unchanged():
        assert_problem(
            api.put(f"/api/v1/contacts/{contact['id']}/status", json={"status": "in_progress"}),
            409,
            detail="unassigned",
        )


@pytest.mark.parametrize("body", [{"status": "done"}, {}, {"status": None}])
def test_invalid_contact_status_is_422(api, team, unchanged, body):
    contact = post_contact(api, team["source"]).get_json()
    with unchanged():
        assert_problem(api.put(f"/api/v1/contacts/{contact['id']}/status", json=body), 422, field="status")


# --- Manual assignment ---------------------------------------------------------


@pytest.fixture
def waiting(app):
    """An unassigned contact, an inactive operator and a full one."""
    vera = make_operator("Vera", status="inactive")
    gleb = make_operator("Gleb", limit=1)
    dina = make_operator("Dina", limit=3)
    make_contact(make_source("Gleb's", weights={gleb: 1}))
    contact = make_contact(make_source("Nobody's"))
    return {"contact": contact.id, "vera": vera.id, "gleb": gleb.id, "dina": dina.id}


def assign(api, contact_id, operator_id, **extra):
    return api.put(f"/api/v1/contacts/{contact_id}/operator", json={"operator_id": operator_id} | extra)


def test_manual_assignment(api, waiting):
    response = assign(api, waiting["contact"], waiting["dina"])
    assert response.status_code == 200
    assert_contact_shape(response.get_json())
    assert response.get_json()["operator_id"] == waiting["dina"]
    assert ISO_UTC.match(response.get_json()["assigned_at"])


def test_inactive_operator_without_force_is_409_saying_inactive(api, waiting, unchanged):
    with unchanged():
        assert_problem(assign(api, waiting["contact"], waiting["vera"]), 409, detail="inactive")


def test_operator_at_limit_without_force_is_409_saying_limit(api, waiting, unchanged):
    with unchanged():
        assert_problem(assign(api, waiting["contact"], waiting["gleb"], force=False), 409, detail="limit")


@pytest.mark.parametrize("operator", ["vera", "gleb"])
def test_force_overrides_status_and_limit(api, waiting, operator):
    response = assign(api, waiting["contact"], waiting[operator], force=True)
    assert response.status_code == 200
    assert response.get_json()["operator_id"] == waiting[operator]
    if operator == "gleb":
        assert api.get(f"/api/v1/operators/{waiting['gleb']}").get_json()["active_contacts"] == 2


def test_null_unassigns(api, team):
    contact = post_contact(api, team["source"]).get_json()
    api.put(f"/api/v1/contacts/{contact['id']}/status", json={"status": "in_progress"})
    # Both operators are full after this, so the freed contact is not handed straight back.
    api.patch(f"/api/v1/operators/{team['anna']}", json={"max_active_contacts": 0})
    api.patch(f"/api/v1/operators/{team['boris']}", json={"max_active_contacts": 0})
    response = assign(api, contact["id"], None)
    assert response.status_code == 200
    assert (response.get_json()["operator_id"], response.get_json()["status"]) == (None, "new")
    assert response.get_json()["assigned_at"] is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "operator_id"),
        ({"operator_id": "1"}, "operator_id"),
        ({"operator_id": 1, "force": "yes"}, "force"),
        ({"operator_id": 1, "force": 1}, "force"),
    ],
)
def test_invalid_assignment_is_422(api, waiting, unchanged, body, field):
    with unchanged():
        assert_problem(
            api.put(f"/api/v1/contacts/{waiting['contact']}/operator", json=body), 422, field=field
        )


def test_assignment_to_unknown_operator_is_422(api, waiting, unchanged):
    with unchanged():
        assert_problem(assign(api, waiting["contact"], 999, force=True), 422, field="operator_id")


# --- Redistribution ------------------------------------------------------------


def test_redistribute_everything(api):
    anna = make_operator("Anna", limit=0)
    telegram = make_source("Telegram", weights={anna: 1})
    widget = make_source("Widget", weights={anna: 1})
    for _ in range(3):
        make_contact(telegram)
        make_contact(widget)
    assert len(ids(api.get("/api/v1/contacts/?unassigned=true"))) == 6
    # Raising the limit may already hand some out (API.md): count what redistribute adds.
    api.patch(f"/api/v1/operators/{anna.id}", json={"max_active_contacts": 4})
    handed_out = len(ids(api.get(f"/api/v1/contacts/?operator_id={anna.id}")))
    response = api.post("/api/v1/contacts/redistribute", json={})
    assert response.status_code == 200
    result = response.get_json()
    assert set(result) == {"assigned", "unassigned"}
    assert result["assigned"] == 4 - handed_out
    unassigned_now = len(api.get("/api/v1/contacts/?unassigned=true").get_json()["items"])
    assert result["unassigned"] == unassigned_now == 2
    assert api.get(f"/api/v1/operators/{anna.id}").get_json()["active_contacts"] == 4


def test_redistribute_one_source_oldest_first(api):
    anna = make_operator("Anna", limit=0)
    telegram = make_source("Telegram", weights={anna: 1})
    widget = make_source("Widget", weights={anna: 1})
    old_telegram = [make_contact(telegram).id for _ in range(3)]
    make_contact(widget)
    api.patch(f"/api/v1/operators/{anna.id}", json={"max_active_contacts": 2})
    assigned_already = set(ids(api.get(f"/api/v1/contacts/?operator_id={anna.id}")))
    result = api.post("/api/v1/contacts/redistribute", json={"source_id": telegram.id}).get_json()
    mine = set(ids(api.get(f"/api/v1/contacts/?operator_id={anna.id}")))
    assert result["assigned"] == len(mine - assigned_already)
    if not assigned_already:
        assert mine == set(old_telegram[:2])
    assert result["unassigned"] == 1


def test_redistribute_with_unknown_source_is_422(api, unchanged):
    with unchanged():
        assert_problem(
            api.post("/api/v1/contacts/redistribute", json={"source_id": 999}), 422, field="source_id"
        )
        assert_problem(
            api.post("/api/v1/contacts/redistribute", json={"source_id": "1"}), 422, field="source_id"
        )
