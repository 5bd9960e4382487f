"""Bearer tokens: who may call what."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem
from tests.builders import committed, make_contact, make_source, make_token
from tests.conftest import ApiClient, bot_api
from webapp import tokens
from webapp.extensions import db
from webapp.models import ApiToken

ADMIN_CALLS = [
    ("get", "/api/v1/operators/", None),
    ("post", "/api/v1/operators/", {"name": "X", "max_active_contacts": 1}),
    ("get", "/api/v1/operators/1", None),
    ("put", "/api/v1/operators/1/status", {"status": "inactive"}),
    ("patch", "/api/v1/operators/1", {"name": "Y"}),
    ("get", "/api/v1/sources/", None),
    ("post", "/api/v1/sources/", {"name": "S"}),
    ("get", "/api/v1/sources/1", None),
    ("put", "/api/v1/sources/1/weights", {"weights": []}),
    ("put", "/api/v1/contacts/1/operator", {"operator_id": None}),
    ("put", "/api/v1/contacts/1/status", {"status": "closed"}),
    ("post", "/api/v1/contacts/redistribute", {}),
    ("get", "/api/v1/leads/", None),
    ("get", "/api/v1/leads/1", None),
]


def call(api, method, path, body):
    return getattr(api, method)(path, json=body) if body is not None else getattr(api, method)(path)


@pytest.fixture
def source(app):
    source = make_source("Telegram")
    make_contact(source)
    return source


@pytest.mark.parametrize("method, path, body", ADMIN_CALLS + [("get", "/api/v1/contacts/", None)])
def test_no_token_is_401_with_www_authenticate(client, source, unchanged, method, path, body):
    with unchanged():
        response = call(ApiClient(client, None), method, path, body)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer lcrm_not-a-real-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "lcrm_token-without-scheme",
        "Bearer \x7f",
    ],
)
def test_bad_token_is_401(client, source, header):
    response = client.post("/api/v1/contacts/", json={"external_id": "x"}, headers={"Authorization": header})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_revoked_token_is_401(client, source, unchanged):
    row, token = make_token("old bot", source_id=source.id)
    bot = ApiClient(client, token)
    assert bot.get("/api/v1/contacts/").status_code == 200
    committed(tokens.revoke_token, row.id)
    with unchanged():
        response = bot.post("/api/v1/contacts/", json={"external_id": "x"})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("names_source", ["existing", "missing"])
@pytest.mark.parametrize("token_kind", ["unknown", "revoked"])
def test_intake_reading_the_token_with_the_source_still_refuses_a_bad_one(
    client, source, unchanged, names_source, token_kind
):
    """The intake reads the token in the statement that reads the named source: an unknown or
    revoked token is a 401 whether that source exists or not, and stores nothing."""
    token = "lcrm_not-a-real-token"
    if token_kind == "revoked":
        row, token = make_token("old bot", source_id=source.id)
        committed(tokens.revoke_token, row.id)
    source_id = source.id if names_source == "existing" else source.id + 1000
    with unchanged():
        response = ApiClient(client, token).post(
            "/api/v1/contacts/", json={"external_id": "x", "source_id": source_id}
        )
    assert_problem(response, 401)


def test_intake_records_the_use_of_a_token_read_with_the_source(client, source):
    row, token = make_token("bot", source_id=source.id)
    body = {"external_id": "x", "source_id": source.id}
    assert ApiClient(client, token).post("/api/v1/contacts/", json=body).status_code == 201
    db.session.rollback()  # a new snapshot: the request committed in its own session
    assert db.session.get(ApiToken, row.id).last_used_at is not None


def test_bearer_scheme_is_case_insensitive(client, admin_token):
    response = client.get("/api/v1/operators/", headers={"Authorization": f"bearer {admin_token}"})
    assert response.status_code == 200


@pytest.mark.parametrize("method, path, body", ADMIN_CALLS)
def test_bot_token_on_admin_endpoints_is_403(client, source, unchanged, method, path, body):
    bot = bot_api(client, source.id)
    with unchanged():
        assert_problem(call(bot, method, path, body), 403)


def test_bot_posting_for_another_source_is_403(client, source, unchanged):
    other = make_source("Widget")
    bot = bot_api(client, source.id)
    with unchanged():
        assert_problem(bot.post("/api/v1/contacts/", json={"external_id": "x", "source_id": other.id}), 403)


def test_bot_reads_only_its_own_contacts(client, source, unchanged):
    other = make_source("Widget")
    theirs = make_contact(other)
    bot = bot_api(client, source.id)
    mine = bot.post("/api/v1/contacts/", json={"external_id": "tg:9"}).get_json()
    assert bot.get(f"/api/v1/contacts/{mine['id']}").get_json() == mine
    with unchanged():
        assert_problem(bot.get(f"/api/v1/contacts/{theirs.id}"), 403)
        assert_problem(bot.get(f"/api/v1/contacts/?source_id={other.id}"), 403)
    listed = bot.get("/api/v1/contacts/").get_json()["items"]
    assert listed and {item["source_id"] for item in listed} == {source.id}
    assert bot.get(f"/api/v1/contacts/?source_id={source.id}").status_code == 200


def test_admin_token_may_call_everything(api, source):
    for method, path, body in ADMIN_CALLS:
        response = call(api, method, path, body)
        assert response.status_code < 400, (method, path, response.get_data(as_text=True))


def test_openapi_document_needs_no_token(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
