"""The OpenAPI 3.1 document: public, complete, and built from the real URL map."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def openapi_path(rule) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)


def api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and rule.endpoint != "api.openapi_document":
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                yield openapi_path(rule), method.lower(), rule


def test_is_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] and document["info"]["version"]


def test_every_api_route_is_documented(app, document):
    routes = list(api_routes(app))
    assert len(routes) >= 16
    for path, method, _rule in routes:
        assert method in document["paths"].get(path, {}), f"{method.upper()} {path} is not documented"


def test_every_documented_operation_exists(app, document):
    routes = {(path, method) for path, method, _rule in api_routes(app)}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == routes


def test_bodies_have_request_schemas(app, document):
    for path, method, _rule in api_routes(app):
        if method in ("post", "put", "patch"):
            body = document["paths"][path][method]["requestBody"]
            schema = body["content"]["application/json"]["schema"]
            name = schema["$ref"].rsplit("/", 1)[-1]
            assert document["components"]["schemas"][name]["type"] == "object", path


def test_refs_resolve(document):
    text = repr(document)
    for name in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert name in document["components"]["schemas"], name


def test_operations_declare_tokens_and_problems(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["security"] == [{"bearer": []}], (method, path)
            responses = operation["responses"]
            assert "401" in responses
            problem = responses["401"]["content"]["application/problem+json"]["schema"]
            assert problem == {"$ref": "#/components/schemas/Problem"}
            if "{" in path:
                assert "404" in responses, (method, path)


def test_documented_fields_match_the_contract(document):
    schemas = document["components"]["schemas"]
    assert set(schemas["OperatorOut"]["properties"]) == {
        "id",
        "name",
        "status",
        "max_active_contacts",
        "active_contacts",
        "created_at",
        "schedule",
        "available",
    }
    assert set(schemas["ContactOut"]["properties"]) == {
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
    assert set(schemas["OperatorCreate"]["required"]) == {"name", "max_active_contacts"}


def test_document_needs_no_token_but_a_bad_one_is_not_fatal(client):
    response = client.get("/api/v1/openapi.json", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 200


def test_idempotency_key_and_auth_headers_are_documented(document):
    create = document["paths"]["/api/v1/contacts"]["post"]
    key = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert (key["in"], key["schema"]["maxLength"]) == ("header", 255)
    assert "Idempotent-Replayed" in create["responses"]["201"]["headers"]
    assert "WWW-Authenticate" in create["responses"]["401"]["headers"]
    assert "Retry-After" in create["responses"]["429"]["headers"]
    assert "403" in create["responses"]
    assert "bot" in create["description"]
    assert document["paths"]["/api/v1/operators"]["post"]["description"] == "Admin token only."
