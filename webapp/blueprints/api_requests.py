"""Request plumbing of the JSON API: who is calling, and the body and query parsed.

The views in ``webapp.blueprints.api`` only call these; each raises ``ApiProblem``
with the status of API.md, which the error handlers render as problem+json.
"""

from __future__ import annotations

import json

from flask import current_app, g, request
from pydantic import ValidationError

from webapp import tokens
from webapp.database import write_transaction
from webapp.distribution import Actor
from webapp.extensions import db
from webapp.openapi import bot_allowed
from webapp.problems import ApiProblem


def rate_limit_key() -> str:
    """Count per bearer token (hashed, never kept in clear); per address without one."""
    header = request.headers.get("Authorization", "")
    return f"token:{tokens.hash_token(header)}" if header else f"address:{request.remote_addr}"


def rate_limit_unset() -> bool:
    return not current_app.config.get("API_RATE_LIMIT")


# Calls that need no token.
PUBLIC_ENDPOINTS = {"api.openapi_document"}




def require_token() -> None:
    """Every call but the OpenAPI document needs a bearer token; a bot token only where bots are allowed."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    if getattr(current_app.view_functions.get(request.endpoint), "authenticates_in_its_transaction", False):
        return  # the view calls authenticate_in_transaction() first thing in its unit of work
    identity = _identify()
    if identity.use_unrecorded:
        with write_transaction(db.session):
            tokens.record_use(db.session, identity.token_id)


def authenticates_in_its_transaction(view):
    """Mark a view that checks the token inside its own write transaction, not before it.

    For the intake: reading the token inside the write transaction saves a transaction
    of its own (a BEGIN and a COMMIT) per request.
    """
    view.authenticates_in_its_transaction = True
    return view


def authenticate_in_transaction() -> None:
    """``require_token``'s checks (401, 403) inside the caller's write transaction."""
    _record_use(_identify())


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def admit(identity: tokens.TokenIdentity | None) -> None:
    """``authenticate_in_transaction`` for a token the view has read itself, in its own query."""
    _record_use(_checked(identity))


def _record_use(identity: tokens.TokenIdentity) -> None:
    if identity.use_unrecorded:
        tokens.record_use(db.session, identity.token_id)


def _identify() -> tokens.TokenIdentity:
    token = bearer_token()
    return _checked(tokens.authenticate(db.session, token) if token else None)


def _checked(identity: tokens.TokenIdentity | None) -> tokens.TokenIdentity:
    if identity is None:
        raise ApiProblem(401, "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"})
    # What a bot token may call is declared once, by operation(..., bot_allowed=True).
    if not identity.is_admin and not bot_allowed(current_app.view_functions.get(request.endpoint)):
        raise ApiProblem(403, "This token may not call this endpoint.")
    g.api_identity = identity
    return identity


def api_actor() -> Actor:
    """The calling token, as assignment records name it."""
    return Actor("token", g.api_identity.name)


def _field_path(location) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _validation_problem(error: ValidationError) -> ApiProblem:
    errors = [{"field": _field_path(item["loc"]), "message": item["msg"]} for item in error.errors()]
    return ApiProblem(422, "The request has invalid fields.", errors=errors)


def _request_body() -> bytes:
    """The raw body; a 413 when it is over the limit, also when sent chunked.

    Werkzeug refuses a too-large Content-Length itself, but a chunked body (no
    Content-Length) is only cut at the limit: one that fills it is refused here
    rather than parsed truncated.
    """
    body = request.get_data(cache=True)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and limit is not None and len(body) >= limit:
        raise ApiProblem(413, "The body is larger than the configured maximum.")
    return body


def parse_body(model):
    """The JSON body validated by ``model``; returns (model instance, raw dict)."""
    if not request.is_json:
        raise ApiProblem(415, "The body must be application/json.")
    try:
        data = json.loads(_request_body())
    except (ValueError, RecursionError):
        raise ApiProblem(400, "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiProblem(400, "The body must be a JSON object.")
    try:
        return model.model_validate(data), data
    except ValidationError as error:
        raise _validation_problem(error) from None


def parse_query(model):
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise _validation_problem(error) from None


def existing(model, row_id: int):
    """The row named in the path, or a 404 (the ``int`` converter already refused ids past MAX_ID)."""
    row = db.session.get(model, row_id)
    if row is None:
        raise ApiProblem(404, f"{model.__name__} {row_id} does not exist.")
    return row


def if_match() -> frozenset[str] | None:
    """The contact versions named by If-Match; None without the header, or for "*" (any version).

    Strong comparison (RFC 9110): a weak tag W/"…" never matches.
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    tags = (tag.strip() for tag in header.split(","))
    return frozenset(tag[1:-1] for tag in tags if len(tag) >= 2 and tag[0] == tag[-1] == '"')


def idempotency_key() -> str | None:
    """The Idempotency-Key header, if any; 422 for control characters (PostgreSQL text holds no NUL)."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and (not 1 <= len(key) <= 255 or any(ord(c) < 32 or ord(c) == 127 for c in key)):
        raise ApiProblem(
            422,
            "Idempotency-Key must be 1 to 255 characters, without control characters.",
            errors=[{"field": "Idempotency-Key", "message": "must be 1 to 255 printable characters"}],
        )
    return key
