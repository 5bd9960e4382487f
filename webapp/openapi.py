"""The OpenAPI 3.1 document, generated from the API's routes and pydantic models.

Each API view is decorated with ``operation(...)``, which records its summary and
models on the view function; ``build_document`` walks the real URL map, so a
route cannot exist without being documented, nor be documented without existing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from webapp import api_schemas

COMMON_ERRORS = {
    400: "Body is not valid JSON, or not a JSON object.",
    401: "No token, or an unknown or revoked token.",
    403: "The token may not do this.",
    413: "Body larger than the configured maximum.",
    414: "URL longer than the server in front of the app reads (gunicorn: a 4094-byte request line).",
    415: "Body is not application/json.",
    422: "A field is missing, of the wrong type, out of range, or names no row.",
    412: "If-Match names a version the contact no longer has; nothing changed. Read it again.",
    429: "A configured rate limit was exceeded.",
    503: "The database is busy or unavailable; retry after Retry-After seconds.",
}


@dataclass
class Operation:
    summary: str
    response: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    bot_allowed: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    # Optional request headers: name -> (description, JSON schema).
    request_headers: dict[str, tuple[str, dict]] = field(default_factory=dict)


def operation(
    summary,
    response,
    *,
    status=200,
    body=None,
    query=None,
    errors=(),
    bot_allowed=False,
    headers=None,
    request_headers=None,
):
    """Record how a view is documented; the view itself is unchanged."""

    def decorate(view):
        view.openapi = Operation(
            summary,
            response,
            status,
            body,
            query,
            tuple(errors),
            bot_allowed,
            headers or {},
            request_headers or {},
        )
        return view

    return decorate


def bot_allowed(view) -> bool:
    """Whether a source (bot) token may call ``view``: declared by ``operation(..., bot_allowed=True)``."""
    spec = getattr(view, "openapi", None)
    return spec is not None and spec.bot_allowed


def operation_id(endpoint: str) -> str:
    return endpoint.split(".")[-1]


def bot_operation_ids(app) -> set[str]:
    """The operationIds a bot token may call."""
    return {operation_id(endpoint) for endpoint, view in app.view_functions.items() if bot_allowed(view)}


def _all_models():
    return [
        value
        for value in vars(api_schemas).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == api_schemas.__name__
    ]


def _ref(model) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


# Headers that come with some problem responses.
PROBLEM_HEADERS = {
    401: {"WWW-Authenticate": "Always `Bearer`."},
    429: {"Retry-After": "Seconds until the limit allows another call."},
    503: {"Retry-After": "Seconds after which a retry may succeed."},
}


# Answered by gunicorn before the app sees the request, so in its own format.
NOT_A_PROBLEM = {414: {"text/html": {"schema": {"type": "string"}}}}


def _problem(code: int, description: str) -> dict:
    if code in NOT_A_PROBLEM:
        return {"description": description, "content": NOT_A_PROBLEM[code]}
    problem = {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref(api_schemas.Problem)}},
    }
    if code in PROBLEM_HEADERS:
        problem["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in PROBLEM_HEADERS[code].items()
        }
    return problem


def _path_and_parameters(rule) -> tuple[str, list]:
    path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
        for name in rule.arguments
    ]
    return path, parameters


def _without_null(prop: dict) -> dict:
    """A query parameter is left out, never null: drop the model's "or null" and its null default."""
    options = prop.get("anyOf", [])
    if {"type": "null"} not in options:
        return prop
    rest = [option for option in options if option != {"type": "null"}]
    kept = {key: value for key, value in prop.items() if key != "anyOf"}
    if kept.get("default", 0) is None:
        del kept["default"]
    return kept | (rest[0] if len(rest) == 1 else {"anyOf": rest})


def _query_parameters(model) -> list:
    schema = model.model_json_schema()
    return [
        {"name": name, "in": "query", "required": False, "schema": _without_null(prop)}
        for name, prop in schema["properties"].items()
    ]


def _responses(spec: Operation, path_has_id: bool) -> dict:
    success = {"description": "Success"}
    if spec.response is not None:
        success["content"] = {"application/json": {"schema": _ref(spec.response)}}
    if spec.headers:
        success["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in spec.headers.items()
        }
    responses = {str(spec.status): success}
    # 403: a bot token on an admin endpoint, or on a bot endpoint outside its own source.
    codes = {401, 403, 414, 429, 503} | set(spec.errors)
    if spec.body is not None:
        codes |= {400, 413, 415, 422}
    if spec.query is not None:
        codes.add(422)
    if path_has_id:
        codes.add(404)
    for code in sorted(codes):
        responses[str(code)] = _problem(code, COMMON_ERRORS.get(code, "See the detail."))
    return responses


def _operation_object(rule, spec: Operation) -> dict:
    _path, parameters = _path_and_parameters(rule)
    if spec.query is not None:
        parameters += _query_parameters(spec.query)
    parameters += [
        {"name": name, "in": "header", "required": False, "description": text, "schema": schema}
        for name, (text, schema) in spec.request_headers.items()
    ]
    operation_object = {
        "operationId": operation_id(rule.endpoint),
        "summary": spec.summary,
        "description": (
            "Admin token, or a source (bot) token for its own source."
            if spec.bot_allowed
            else "Admin token only."
        ),
        "parameters": parameters,
        "responses": _responses(spec, bool(rule.arguments)),
        "security": [{"bearer": []}],
    }
    if spec.body is not None:
        operation_object["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(spec.body)}},
        }
    return operation_object


def build_document(app) -> dict:
    """The OpenAPI 3.1 document of every documented route in ``app``."""
    _, schemas = models_json_schema(
        [(model, "validation") for model in _all_models()],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        spec = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if spec is None:
            continue
        path, _ = _path_and_parameters(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation_object(rule, spec)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Lead Distribution CRM API",
            "version": "1.0.0",
            "description": "Bots post contacts; the service spreads them across operators by weight.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
