"""What the OpenAPI document says about a field is what the API does with it.

Each case here is one the live schemathesis run (test_schemathesis_live.py) once found
untrue; these pin the fix in plain requests.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.api.conftest import assert_problem
from tests.builders import make_contact, make_source
from tests.conftest import bot_api
from webapp.api_schemas import CURSOR_PATTERN, NO_NUL_PATTERN
from webapp.contacts import decode_cursor, encode_cursor
from webapp.openapi import bot_allowed, bot_operation_ids


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def test_a_whole_number_written_as_a_float_is_an_integer(api, team):
    # JSON Schema's "integer" includes 211.0; some JSON encoders write whole numbers so.
    created = api.post("/api/v1/operators/", json={"name": "Vera", "max_active_contacts": 211.0})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["max_active_contacts"] == 211
    weights = {"weights": [{"operator_id": float(team["anna"]), "weight": 3.0}]}
    replaced = api.put(f"/api/v1/sources/{team['source']}/weights", json=weights)
    assert replaced.status_code == 200, replaced.get_json()
    assert [(w["operator_id"], w["weight"]) for w in replaced.get_json()["weights"]] == [(team["anna"], 3)]


@pytest.mark.parametrize("value", [True, False, "5", 5.5, None, [5]])
def test_bools_strings_and_fractions_are_still_not_integers(api, value):
    response = api.post("/api/v1/operators/", json={"name": "Vera", "max_active_contacts": value})
    assert_problem(response, 422, field="max_active_contacts")


def test_a_whole_float_external_id_is_stored_as_an_integer_would_be(api, team):
    response = api.post("/api/v1/contacts/", json={"external_id": 12345.0, "source_id": team["source"]})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["lead"]["external_id"] == "12345"


def test_source_id_is_optional_for_a_source_token_and_never_null(client, api, team):
    bot = bot_api(client, team["source"])
    assert bot.post("/api/v1/contacts/", json={"external_id": "a"}).get_json()["source_id"] == team["source"]
    assert_problem(bot.post("/api/v1/contacts/", json={"external_id": "b", "source_id": None}), 422)
    assert_problem(api.post("/api/v1/contacts/", json={"external_id": "c"}), 422, field="source_id")


def test_source_id_is_documented_as_it_behaves(document):
    schema = document["components"]["schemas"]["ContactCreate"]
    source_id = schema["properties"]["source_id"]
    assert source_id["type"] == "integer" and "anyOf" not in source_id and "default" not in source_id
    assert "source_id" not in schema["required"]
    assert "admin" in source_id["description"] and "source token" in source_id["description"]


def test_external_id_is_documented_as_string_or_integer(document):
    external_id = document["components"]["schemas"]["ContactCreate"]["properties"]["external_id"]
    assert sorted(option["type"] for option in external_id["anyOf"]) == ["integer", "string"]


def test_bounds_are_json_schema_keywords(document):
    # Pydantic writes "ge"/"le" (which JSON Schema ignores) for constraints placed after a validator.
    text = repr(document)
    assert "'ge':" not in text and "'le':" not in text
    weight = document["components"]["schemas"]["WeightItem"]["properties"]["weight"]
    assert (weight["minimum"], weight["maximum"]) == (0, 1_000_000)


def test_query_parameters_are_never_null(document):
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation["parameters"]:
                assert "null" not in repr(parameter["schema"]), parameter


def test_every_operation_documents_the_url_and_body_limits(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "414" in operation["responses"], (method, path)
            assert "503" in operation["responses"], (method, path)
            if "requestBody" in operation:
                assert "413" in operation["responses"], (method, path)


@pytest.mark.parametrize("contact_id", [0, 1, 9, 10, 99, 100, 12345, 999_999, 2**31 - 1, 10**11 - 1])
def test_every_cursor_the_api_makes_matches_the_documented_pattern(contact_id):
    assert re.fullmatch(CURSOR_PATTERN, encode_cursor(contact_id))


@settings(max_examples=300, derandomize=True)
@given(st.from_regex(CURSOR_PATTERN, fullmatch=True))
def test_every_string_of_the_documented_pattern_is_a_cursor(cursor):
    assert decode_cursor(cursor) is not None


@pytest.mark.parametrize("contact_id", [2**31, 10**11 - 1])
def test_a_cursor_past_every_id_reads_from_the_first_page(api, team, contact_id):
    # "Below id N" for an N no row can have is every contact; PostgreSQL once answered 500.
    newest = make_contact(make_source("Widget")).id
    response = api.get("/api/v1/contacts/", query_string={"cursor": encode_cursor(contact_id)})
    assert response.status_code == 200, response.get_json()
    assert [item["id"] for item in response.get_json()["items"]] == [newest]


@pytest.mark.parametrize("cursor", ["not-a-cursor", "YzE=", "Yz", "YzEyMzQ1Njc4OTAxMg", "A" * 80])
def test_a_string_off_the_pattern_is_422(api, cursor):
    assert_problem(api.get("/api/v1/contacts/", query_string={"cursor": cursor}), 422, field="cursor")


def test_a_nul_is_documented_and_refused(api, document):
    name = document["components"]["schemas"]["OperatorCreate"]["properties"]["name"]
    assert name["pattern"] == NO_NUL_PATTERN
    assert re.fullmatch(NO_NUL_PATTERN, "Vera\x00") is None
    response = api.post("/api/v1/operators/", json={"name": "Vera\x00", "max_active_contacts": 1})
    assert_problem(response, 422, field="name")


def test_what_a_source_token_may_call_is_what_its_views_declare(app, client, team):
    assert bot_operation_ids(app) == {"create_contact", "list_contacts", "get_contact", "list_assignments"}
    contact = make_contact(make_source("Widget"))
    bot = bot_api(client, team["source"])
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "openapi", None) is None or bot_allowed(view):
            continue
        path = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", str(contact.id), rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert_problem(getattr(bot, method.lower())(path), 403)
