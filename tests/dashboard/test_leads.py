"""Possible duplicates and the merge with its confirm step, as supervisors and managers see them."""

from __future__ import annotations

import pytest

from tests.api.conftest import snapshot
from tests.builders import make_contact, make_source
from tests.dashboard.conftest import get, post


@pytest.fixture
def twins(app):
    """Ivan twice (same phone written two ways, two sources) and Olga sharing Ivan's email."""
    telegram, widget = make_source("Telegram"), make_source("Widget")
    ivan = make_contact(telegram, "tg:ivan", phone="+7 912 345-67-89", name="Ivan")
    web = make_contact(widget, "web:ivan", phone="89123456789", email="ivan@example.com")
    make_contact(widget, "web:ivan", message="again")
    make_contact(telegram, "tg:olga", phone="+7 912 000-00-01", email="IVAN@example.com")
    return {"keep": ivan.lead_id, "merge": web.lead_id}


def test_duplicates_page_lists_groups_with_contacts_counts(supervisor, twins):
    page = get(supervisor, "/leads/duplicates")
    groups = page.select("[data-testid=duplicate-group]")
    assert [group["data-matched-on"] for group in groups] == ["phone", "email"]
    rows = groups[0].select("[data-testid=duplicate-lead]")
    assert [int(row["data-lead-id"]) for row in rows] == [twins["keep"], twins["merge"]]
    assert [row.select_one("[data-testid=contacts-count]").get_text() for row in rows] == ["1", "2"]
    assert "+79123456789" in groups[0].get_text()
    assert page.one("nav a[aria-current=page]").get_text() == "Duplicates"


def test_empty_duplicates_page_says_so(manager):
    assert get(manager, "/leads/duplicates").text("[data-testid=empty]") == "No possible duplicates."


def test_the_confirm_step_shows_what_moves_and_changes_nothing(manager, twins):
    before = snapshot()
    page = get(manager, f"/leads/merge?into={twins['keep']}&lead_id={twins['merge']}")
    assert "2 contacts will move." in page.text("[data-testid=merge-preview]")
    assert page.text("[data-testid=merge-row-email]").endswith("ivan@example.com")  # filled from the other
    assert "web:ivan finds this lead too" in page.text("[data-testid=merge-row-external_id]")
    form = page.one("[data-testid=merge-form]")
    assert form["method"] == "post"
    hidden = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    assert (hidden["into"], hidden["lead_id"]) == (str(twins["keep"]), str(twins["merge"]))
    assert snapshot() == before


def test_a_manager_merges_and_lands_on_the_lead_card(manager, twins):
    response = manager.post("/leads/merge", data={"into": twins["keep"], "lead_id": twins["merge"]})
    assert response.status_code == 302 and response.headers["Location"] == f"/leads/{twins['keep']}"
    card = get(manager, response.headers["Location"])
    assert card.flashes == [f"Lead #{twins['merge']} merged into #{twins['keep']}: 2 contacts moved."]
    assert len(card.select("[data-testid=history-row]")) == 3
    get(manager, f"/leads/{twins['merge']}", status=404)
    groups = get(manager, "/leads/duplicates").select("[data-testid=duplicate-group]")
    assert [group["data-matched-on"] for group in groups] == ["email"]


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"into": "1", "lead_id": "1"}, "lead_id", "A lead cannot be merged into itself."),
        ({"into": "1", "lead_id": "999"}, "lead_id", "Lead 999 does not exist."),
        ({"into": "999", "lead_id": "1"}, "into", "Lead 999 does not exist."),
        ({"into": "1"}, "lead_id", "This field is required."),
        ({"into": "x", "lead_id": "2"}, "into", None),
        ({"into": "1", "lead_id": "-1"}, "lead_id", None),
    ],
)
def test_bad_merges_answer_inline_and_change_nothing(supervisor, twins, form, field, message):
    before = snapshot()
    page = post(supervisor, "/leads/merge", form, status=422)
    error = page.text(f"[data-testid=error-{field}]")
    if message:
        assert error == message
    assert snapshot() == before
    assert get(supervisor, "/leads/merge?" + "&".join(f"{k}={v}" for k, v in form.items()), status=422)


def test_merge_pages_speak_russian(supervisor, twins):
    headers = {"Accept-Language": "ru"}
    page = get(supervisor, "/leads/duplicates", headers=headers)
    assert page.one("h1").get_text() == "Возможные дубликаты"
    refused = post(supervisor, "/leads/merge", {"into": "1", "lead_id": "1"}, status=422, headers=headers)
    assert refused.text("[data-testid=error-lead_id]") == "Лид нельзя объединить с самим собой."
