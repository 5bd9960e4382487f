"""The webhook settings of a source through the API: the URL, the secret shown once, deliveries."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem
from tests.builders import make_contact, make_operator, make_source
from tests.conftest import bot_api

# A public address (an IP literal: no DNS look-up in the test): allowed without WEBHOOK_ALLOW_PRIVATE.
HOOK = "https://1.1.1.1/leads"


def new_secret(api, source_id):
    return api.post(f"/api/v1/sources/{source_id}/webhook-secret", json={})


def test_a_secret_is_shown_once_and_a_new_one_replaces_it(api):
    source = make_source("Bot")
    first = new_secret(api, source.id)
    assert first.status_code == 201
    secret = first.get_json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert secret not in api.get(f"/api/v1/sources/{source.id}").get_data(as_text=True)
    assert new_secret(api, source.id).get_json()["secret"] != secret


def test_the_url_needs_a_secret_first_then_saves_and_switches_off(api):
    source = make_source("Bot")
    refused = api.patch(f"/api/v1/sources/{source.id}", json={"webhook_url": HOOK, "sticky_days": 3})
    assert_problem(refused, 422, field="webhook_url")
    assert api.get(f"/api/v1/sources/{source.id}").get_json()["sticky_days"] == 0  # nothing changed
    new_secret(api, source.id)
    saved = api.patch(f"/api/v1/sources/{source.id}", json={"webhook_url": HOOK})
    assert saved.status_code == 200 and saved.get_json()["webhook_url"] == HOOK
    off = api.patch(f"/api/v1/sources/{source.id}", json={"webhook_url": None})
    assert off.get_json()["webhook_url"] is None


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/hook", "http://localhost/hook", "http://192.168.1.5/",
                                 "ftp://1.1.1.1/", "not a url"])
def test_urls_inside_or_not_http_are_refused_by_default(api, url):
    source = make_source("Bot")
    new_secret(api, source.id)
    response = api.patch(f"/api/v1/sources/{source.id}", json={"webhook_url": url})
    assert_problem(response, 422, field="webhook_url")


def test_deliveries_list_the_source_s_events_newest_first(api):
    source = make_source("Bot", weights={make_operator(): 1})
    new_secret(api, source.id)
    api.patch(f"/api/v1/sources/{source.id}", json={"webhook_url": HOOK})
    make_contact(source)
    items = api.get(f"/api/v1/sources/{source.id}/deliveries").get_json()["items"]
    assert [item["type"] for item in items] == ["contact.assigned", "contact.created"]
    assert items[0]["attempts"] == 0 and items[0]["delivered_at"] is None
    assert items[0]["last_status"] is None and items[0]["next_attempt_at"] is not None
    assert set(items[0]) == {"event_id", "type", "attempts", "last_status", "delivered_at", "next_attempt_at"}


def test_a_bot_token_may_not_see_or_make_secrets(client, api):
    source = make_source("Bot")
    bot = bot_api(client, source.id)
    assert_problem(new_secret(bot, source.id), 403)
    assert_problem(bot.get(f"/api/v1/sources/{source.id}/deliveries"), 403)


def test_unknown_sources_are_404(api):
    assert_problem(new_secret(api, 999), 404)
    assert_problem(api.get("/api/v1/sources/999/deliveries"), 404)
