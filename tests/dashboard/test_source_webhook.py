"""The webhook section of the source page: the URL, the secret shown once, test events, deliveries."""

from __future__ import annotations

import pytest

from tests.builders import committed, make_contact, make_operator, make_source
from tests.dashboard.conftest import get, post
from webapp import webhooks
from webapp.extensions import db
from webapp.models import Source


@pytest.fixture
def app_config(app_config):
    return app_config | {"WEBHOOK_ALLOW_PRIVATE": True}


def saved(source_id) -> Source:
    db.session.rollback()
    return db.session.get(Source, source_id)


def test_saving_a_url_makes_a_secret_and_shows_it_once(supervisor):
    source = make_source("Bot")
    response = supervisor.post(f"/sources/{source.id}/webhook", data={"webhook_url": "http://127.0.0.1:9/hook"},
                               headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = saved(source.id).webhook_secret
    assert secret.startswith("whsec_") and secret in response.get_data(as_text=True)
    assert saved(source.id).webhook_url == "http://127.0.0.1:9/hook"
    page = get(supervisor, f"/sources/{source.id}")
    assert secret not in str(page.soup)  # shown once
    assert page.one("[data-testid=webhook-url]")["value"] == "http://127.0.0.1:9/hook"


def test_a_new_secret_replaces_the_old_one(supervisor):
    source = make_source("Bot")
    old = committed(webhooks.new_secret, source.id)
    page = post(supervisor, f"/sources/{source.id}/webhook/secret", {}, htmx=True, status=200)
    new = page.text("[data-testid=new-secret-value]")
    assert new != old and saved(source.id).webhook_secret == new


def test_a_bad_url_is_explained_inline_and_nothing_changes(supervisor):
    source = make_source("Bot")
    page = post(supervisor, f"/sources/{source.id}/webhook", {"webhook_url": "ftp://1.1.1.1/"}, htmx=True,
                status=422)
    assert "http or https" in page.text("[data-testid=error-webhook_url]")
    assert (saved(source.id).webhook_url, saved(source.id).webhook_secret) == (None, None)


def test_a_test_event_is_queued_and_the_deliveries_are_listed(supervisor, manager):
    source = make_source("Bot", weights={make_operator(): 1})
    committed(webhooks.new_secret, source.id)
    committed(webhooks.set_url, source.id, "http://127.0.0.1:9/hook", True)
    make_contact(source)
    page = post(supervisor, f"/sources/{source.id}/webhook/test", {}, htmx=True, status=200)
    assert "Test event queued" in " ".join(page.flashes)
    rows = page.select("[data-testid=delivery-row]")
    assert [row.select_one("code").get_text() for row in rows] == [
        "webhook.test", "contact.assigned", "contact.created"]
    assert {row["data-state"] for row in rows} == {"queued"}
    # A manager sees the deliveries but no form.
    seen = get(manager, f"/sources/{source.id}")
    assert len(seen.select("[data-testid=delivery-row]")) == 3
    assert seen.select("[data-testid=webhook-form]") == []


def test_switching_it_off(supervisor):
    source = make_source("Bot")
    committed(webhooks.new_secret, source.id)
    committed(webhooks.set_url, source.id, "http://127.0.0.1:9/hook", True)
    post(supervisor, f"/sources/{source.id}/webhook", {"webhook_url": ""}, status=302)
    assert saved(source.id).webhook_url is None
