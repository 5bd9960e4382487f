"""htmx answers tell screen readers what happened: an ``announce`` event in HX-Trigger.

The event carries the translated message and its level ("status" for news, "error" for a
refusal or an inline form error); static/js/a11y.js puts it into the live regions, which the
browser suite checks (tests/browser/test_keyboard_and_live_regions.py).
"""

from __future__ import annotations

import json

import pytest

from tests.builders import make_contact, make_operator, make_source
from tests.dashboard.conftest import HTMX

RU = {"Accept-Language": "ru-RU,ru;q=0.9"}
EN = {"Accept-Language": "en-US"}


def announced(response) -> dict:
    assert response.headers.get("HX-Trigger"), "no HX-Trigger header"
    return json.loads(response.headers["HX-Trigger"])["announce"]


@pytest.mark.parametrize(("language", "text"), [
    (EN, "Contact #{id} assigned to Anna."),
    (RU, "Контакт №{id} назначен оператору Anna."),
])
def test_assigning_announces_the_translated_success(supervisor, language, text):
    anna = make_operator("Anna")
    contact = make_contact(make_source("Walk-in"), external_id="w1")
    response = supervisor.post(f"/contacts/{contact.id}/operator", data={"operator_id": anna.id},
                               headers=HTMX | language)
    assert response.status_code == 200
    assert announced(response) == {"message": text.format(id=contact.id), "level": "status"}


@pytest.mark.parametrize(("language", "text"), [(EN, "Choose an operator."), (RU, "Выберите оператора.")])
def test_an_assign_form_error_is_announced_as_an_error(supervisor, language, text):
    contact = make_contact(make_source("Walk-in"), external_id="w1")
    response = supervisor.post(f"/contacts/{contact.id}/operator", data={"operator_id": ""},
                               headers=HTMX | language)
    assert response.status_code == 422
    assert announced(response) == {"message": text, "level": "error"}


def test_a_refused_board_action_is_announced_as_an_error(supervisor):
    contact = make_contact(make_source("Walk-in"), external_id="w1")  # unassigned: cannot be in progress
    response = supervisor.post(f"/contacts/{contact.id}/status", data={"set_status": "in_progress"},
                               headers=HTMX | RU)
    assert response.status_code == 422
    refusal = "Неназначенный контакт не может быть в работе; сначала назначьте его."
    assert announced(response) == {"message": refusal, "level": "error"}


def test_operator_and_source_actions_announce(supervisor):
    anna = make_operator("Anna")
    toggled = supervisor.post(f"/operators/{anna.id}/status", data={"status": "inactive"}, headers=HTMX | EN)
    assert announced(toggled) == {"message": "Anna is now inactive.", "level": "status"}
    limit = supervisor.post(f"/operators/{anna.id}/limit", data={"max_active_contacts": ""},
                            headers=HTMX | RU)
    assert limit.status_code == 422
    assert announced(limit) == {"message": "Лимит — целое число, 0 или больше.", "level": "error"}
    created = supervisor.post("/operators/", data={"name": "", "max_active_contacts": "3"}, headers=HTMX | EN)
    assert created.status_code == 422 and announced(created)["level"] == "error"
    source = supervisor.post("/sources/", data={"name": "Telegram"}, headers=HTMX | EN)
    created_text = "Source Telegram created. Give it weights below."
    assert announced(source) == {"message": created_text, "level": "status"}
    token = supervisor.post("/sources/1/tokens", data={"name": ""}, headers=HTMX | EN)
    assert token.status_code == 422 and announced(token)["level"] == "error"


def test_the_header_is_ascii_and_a_full_page_carries_none(supervisor):
    anna = make_operator("Анна")
    toggled = supervisor.post(f"/operators/{anna.id}/status", data={"status": "inactive"}, headers=HTMX | RU)
    assert toggled.headers["HX-Trigger"].isascii()
    assert announced(toggled)["message"].startswith("Анна")
    assert "HX-Trigger" not in supervisor.get("/operators/", headers=HTMX).headers  # nothing happened
    plain = supervisor.post(f"/operators/{anna.id}/status", data={"status": "active"})
    assert plain.status_code == 302 and "HX-Trigger" not in plain.headers
