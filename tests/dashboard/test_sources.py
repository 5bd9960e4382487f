"""Sources: create, weight sliders with live shares, bot tokens; roles."""

from __future__ import annotations

import pytest

from tests.builders import make_operator, make_source, make_token
from tests.dashboard.conftest import get, post
from webapp.extensions import db
from webapp.models import ApiToken, Source
from webapp.tokens import authenticate


def weights_of(source_id):
    db.session.rollback()  # end the test's read transaction: see what requests committed
    return {row.operator.name: row.weight for row in db.session.get(Source, source_id).weights}


@pytest.fixture
def telegram(app):
    anna, boris = make_operator("Anna"), make_operator("Boris")
    make_operator("Vera")
    return make_source("Telegram bot", {anna: 3, boris: 1})


def shares(page):
    return {cell["id"]: cell.get_text(strip=True) for cell in page.select("[data-testid=share]")}


def test_slider_save_answers_every_share_out_of_band_and_persists(supervisor, telegram):
    vera_id = next(r.operator_id for r in telegram.weights if r.operator.name == "Anna") + 2
    page = post(
        supervisor, f"/sources/{telegram.id}/weights/{vera_id}", {"weight": "4"}, htmx=True, status=200
    )
    cells = page.select("[data-testid=share]")
    assert all(cell["hx-swap-oob"] == "true" for cell in cells)
    assert [cell.get_text(strip=True) for cell in cells] == ["38 %", "12 %", "50 %"]
    assert page.one(f"#share-{vera_id}")["data-weight"] == "4"
    assert "yes (0/10)" in page.text(f"#eligible-{vera_id}")
    assert weights_of(telegram.id) == {"Anna": 3, "Boris": 1, "Vera": 4}


def test_weight_zero_takes_an_operator_off_the_source(supervisor, telegram):
    boris_id = next(r.operator_id for r in telegram.weights if r.operator.name == "Boris")
    page = post(
        supervisor, f"/sources/{telegram.id}/weights/{boris_id}", {"weight": "0"}, htmx=True, status=200
    )
    assert page.text(f"#share-{boris_id}") == "—"
    assert page.text(f"#eligible-{boris_id}") == "off this source"
    assert weights_of(telegram.id) == {"Anna": 3}


def test_slider_without_javascript_redirects_with_a_flash(supervisor, telegram):
    anna_id = telegram.weights[0].operator_id
    response = supervisor.post(f"/sources/{telegram.id}/weights/{anna_id}", data={"weight": "9"})
    assert response.status_code == 302
    assert get(supervisor, response.headers["Location"]).flashes == ["Weight saved."]
    assert weights_of(telegram.id)["Anna"] == 9


@pytest.mark.parametrize("weight", ["-1", "abc", "", "1000001"])
def test_bad_weight_is_refused_with_a_message_and_changes_nothing(supervisor, telegram, weight):
    anna_id = telegram.weights[0].operator_id
    page = post(
        supervisor, f"/sources/{telegram.id}/weights/{anna_id}", {"weight": weight}, htmx=True, status=422
    )
    assert page.text("[data-testid=weight-error]").startswith("Weight not saved:")
    assert page.one("#weights-message")["hx-swap-oob"] == "true"
    assert weights_of(telegram.id) == {"Anna": 3, "Boris": 1}


def test_weight_for_an_unknown_operator_is_refused(supervisor, telegram):
    page = post(supervisor, f"/sources/{telegram.id}/weights/999", {"weight": "2"}, htmx=True, status=422)
    assert "Weight not saved" in page.text("[data-testid=weight-error]")


def test_create_source_and_inline_errors(supervisor, app):
    page = post(supervisor, "/sources", {"name": "WhatsApp", "description": "Business number"},
                htmx=True, status=200)
    assert page.texts("[data-testid=source-row] th") == ["WhatsApp"]
    assert page.flashes == ["Source WhatsApp created. Give it weights below."]
    page = post(supervisor, "/sources", {"name": "WhatsApp"}, htmx=True, status=422)
    assert page.text("[data-testid=error-name]") == "A source named 'WhatsApp' already exists."
    page = post(supervisor, "/sources", {"name": ""}, status=422)
    assert page.text("[data-testid=error-name]") == "This field is required."
    response = supervisor.post("/sources", data={"name": "Site"})
    assert response.headers["Location"].startswith("/sources/")


def test_token_is_shown_once_and_works_until_revoked(supervisor, telegram):
    page = post(supervisor, f"/sources/{telegram.id}/tokens", {"name": "tg-prod"}, htmx=True, status=200)
    token = page.text("[data-testid=new-token-value]")
    assert page.response.headers["Cache-Control"] == "no-store"
    db.session.rollback()
    assert authenticate(db.session, token).source_id == telegram.id
    again = get(supervisor, f"/sources/{telegram.id}")
    assert token not in again.response.get_data(as_text=True)
    row = again.one("[data-testid=token-row]")
    assert row.th.get_text(strip=True) == "tg-prod"
    revoke = row.select_one("form")["action"]
    page = post(supervisor, revoke, htmx=True, status=200)
    assert "revoked" in page.text("[data-testid=token-row]")
    assert page.flashes == ["Token tg-prod revoked."]
    db.session.rollback()
    assert authenticate(db.session, token) is None


def test_token_needs_a_name(supervisor, telegram):
    page = post(supervisor, f"/sources/{telegram.id}/tokens", {"name": " "}, htmx=True, status=422)
    assert page.text("[data-testid=error-token_name]") == "Give the token a name (1 to 200 characters)."
    assert db.session.query(ApiToken).count() == 0


def test_token_of_another_source_cannot_be_revoked_through_this_one(supervisor, telegram):
    other = make_source("Other")
    row, token = make_token("other-bot", source_id=other.id)
    post(supervisor, f"/sources/{telegram.id}/tokens/{row.id}/revoke", status=404)
    assert authenticate(db.session, token) is not None


@pytest.mark.parametrize(("url", "data"), [
    ("/sources", {"name": "Nope"}),
    ("/sources/{id}/weights/{op}", {"weight": "7"}),
    ("/sources/{id}/tokens", {"name": "sneaky"}),
    ("/sources/{id}/tokens/{token}/revoke", {}),
])
def test_manager_cannot_change_sources_weights_or_tokens(manager, telegram, url, data):
    token_row, token = make_token("bot", source_id=telegram.id)
    url = url.format(id=telegram.id, op=telegram.weights[0].operator_id, token=token_row.id)
    for htmx in (True, False):
        post(manager, url, data, htmx=htmx, status=403)
    assert weights_of(telegram.id) == {"Anna": 3, "Boris": 1}
    db.session.rollback()
    assert db.session.query(ApiToken).count() == 1
    assert authenticate(db.session, token) is not None
    assert db.session.query(Source).count() == 1


def test_with_many_operators_the_source_lists_its_own_and_offers_the_rest(supervisor, telegram, monkeypatch):
    monkeypatch.setattr("webapp.queries.sources.SHOW_ALL_OPERATORS_UP_TO", 2)
    page = get(supervisor, f"/sources/{telegram.id}")
    assert page.texts("[data-testid=weight-row] th") == ["Anna", "Boris"]
    assert page.text("[data-testid=operators-left-out]").startswith("1 operator is not on this source.")
    everyone = get(supervisor, page.one("[data-testid=show-all-operators]")["href"])
    assert everyone.texts("[data-testid=weight-row] th") == ["Anna", "Boris", "Vera"]
    vera_form = everyone.select("[data-testid=weight-slider]")[2].find_parent("form")
    saved = post(supervisor, vera_form["hx-post"], {"weight": "2"}, htmx=True, status=200)
    assert saved.select("[data-testid=share]")[2].get_text(strip=True) == "33 %"
