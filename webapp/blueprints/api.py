"""The JSON API under /api/v1: parse, call the domain, serialize."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Blueprint, Response, current_app, g, jsonify, request
from pydantic import ValidationError
from sqlalchemy import select

from webapp import contacts as contact_service
from webapp import directory, distribution, intake
from webapp.api_schemas import (
    MAX_ID,
    ContactCreate,
    ContactOperatorUpdate,
    ContactOut,
    ContactPage,
    ContactQuery,
    ContactStatusUpdate,
    LeadList,
    LeadQuery,
    LeadWithContactsOut,
    OperatorCreate,
    OperatorList,
    OperatorOut,
    OperatorStatusUpdate,
    OperatorUpdate,
    RedistributeOut,
    RedistributeRequest,
    SourceCreate,
    SourceList,
    SourceOut,
    WeightsUpdate,
)
from webapp.errors import ConflictError, DomainError, InvalidError, NotFoundError
from webapp.extensions import db, limiter
from webapp.models import Contact, Lead, Operator, Source, load_by_operator
from webapp.openapi import bot_allowed, build_document, operation
from webapp.problems import ApiProblem, problem_response
from webapp.serializers import contact_json, lead_json, operator_json, source_json
from webapp.tokens import authenticate, hash_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi_document"}
DOMAIN_STATUS = {NotFoundError: 404, ConflictError: 409, InvalidError: 422}
# Collections are declared without their trailing slash and with strict_slashes=False:
# werkzeug then matches both spellings with no redirect, and a wrong method on either
# is a 405 (declared as "/contacts/", "PUT /contacts" would be a 404).


# --- Request plumbing ----------------------------------------------------------


def _rate_limit_key() -> str:
    """Count per bearer token (hashed, never kept in clear); per address without one."""
    header = request.headers.get("Authorization", "")
    return f"token:{hash_token(header)}" if header else f"address:{request.remote_addr}"


def _rate_limit_unset() -> bool:
    return not current_app.config.get("API_RATE_LIMIT")


# One limit shared by every /api/v1 call of a token, off unless API_RATE_LIMIT is set
# (e.g. "100/second"). Flask-Limiter raises a 429 with Retry-After; the problem
# handler renders it as problem+json.
limiter.shared_limit(
    lambda: current_app.config.get("API_RATE_LIMIT") or "1/second",
    scope="api-v1",
    key_func=_rate_limit_key,
    exempt_when=_rate_limit_unset,
)(bp)


@bp.before_request
def require_token():
    """Every call but the OpenAPI document needs a bearer token; bots only a few."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    identity = None
    if scheme.lower() == "bearer" and token.strip():
        identity = authenticate(db.session, token.strip())
    if identity is None:
        raise ApiProblem(401, "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"})
    # What a bot token may call is declared once, by operation(..., bot_allowed=True).
    if not identity.is_admin and not bot_allowed(current_app.view_functions.get(request.endpoint)):
        raise ApiProblem(403, "This token may not call this endpoint.")
    g.api_identity = identity


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    db.session.rollback()
    status = next(code for cls, code in DOMAIN_STATUS.items() if isinstance(error, cls))
    return problem_response(status, error.message, errors=error.errors)


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
    """The row named in the path, or a 404 (ids past the column's range included)."""
    row = db.session.get(model, row_id) if row_id <= MAX_ID else None
    if row is None:
        raise ApiProblem(404, f"{model.__name__} {row_id} does not exist.")
    return row


def _operator_out(operator) -> dict:
    return operator_json(operator, load_by_operator(db.session, [operator.id]).get(operator.id, 0))


# --- Operators -----------------------------------------------------------------


@bp.post("/operators", strict_slashes=False)
@operation("Create an operator", OperatorOut, status=201, body=OperatorCreate, errors=(409,))
def create_operator():
    """Create an operator."""
    fields, _ = parse_body(OperatorCreate)
    operator = directory.create_operator(db.session, fields.name, fields.max_active_contacts, fields.status)
    return jsonify(_operator_out(operator)), 201


@bp.get("/operators", strict_slashes=False)
@operation("List operators", OperatorList)
def list_operators():
    """All operators with their current load."""
    operators = db.session.execute(select(Operator).order_by(Operator.id)).scalars().all()
    loads = load_by_operator(db.session)
    return jsonify(items=[operator_json(op, loads.get(op.id, 0)) for op in operators])


@bp.get("/operators/<int:operator_id>")
@operation("Get an operator", OperatorOut)
def get_operator(operator_id):
    """One operator with its load."""
    return jsonify(_operator_out(existing(Operator, operator_id)))


@bp.put("/operators/<int:operator_id>/status")
@operation("Set an operator active or inactive", OperatorOut, body=OperatorStatusUpdate)
def set_operator_status(operator_id):
    """Switch an operator on or off."""
    existing(Operator, operator_id)
    fields, _ = parse_body(OperatorStatusUpdate)
    return jsonify(_operator_out(directory.set_operator_status(db.session, operator_id, fields.status)))


@bp.patch("/operators/<int:operator_id>")
@operation("Rename an operator or change the limit", OperatorOut, body=OperatorUpdate, errors=(409,))
def update_operator(operator_id):
    """Rename or change the limit; a lower limit reassigns nothing."""
    existing(Operator, operator_id)
    fields, _ = parse_body(OperatorUpdate)
    operator = directory.update_operator(
        db.session, operator_id, name=fields.name, max_active_contacts=fields.max_active_contacts
    )
    return jsonify(_operator_out(operator))


# --- Sources -------------------------------------------------------------------


@bp.post("/sources", strict_slashes=False)
@operation("Create a source", SourceOut, status=201, body=SourceCreate, errors=(409,))
def create_source():
    """Create a source (a bot or channel)."""
    fields, _ = parse_body(SourceCreate)
    return jsonify(source_json(directory.create_source(db.session, fields.name, fields.description))), 201


@bp.get("/sources", strict_slashes=False)
@operation("List sources", SourceList)
def list_sources():
    """All sources with their weights."""
    sources = db.session.execute(select(Source).order_by(Source.id)).scalars().all()
    return jsonify(items=[source_json(source) for source in sources])


@bp.get("/sources/<int:source_id>")
@operation("Get a source", SourceOut)
def get_source(source_id):
    """One source with its weights."""
    return jsonify(source_json(existing(Source, source_id)))


@bp.put("/sources/<int:source_id>/weights")
@operation("Replace the weights of a source", SourceOut, body=WeightsUpdate)
def replace_weights(source_id):
    """Replace the whole weight set; weight 0 takes an operator off the source."""
    existing(Source, source_id)
    fields, _ = parse_body(WeightsUpdate)
    items = [(item.operator_id, item.weight) for item in fields.weights]
    return jsonify(source_json(directory.replace_weights(db.session, source_id, items)))


# --- Contacts ------------------------------------------------------------------


def _contact_fields(fields: ContactCreate) -> intake.ContactFields:
    identity = g.api_identity
    source_id = fields.source_id
    if not identity.is_admin:
        if source_id is not None and source_id != identity.source_id:
            raise ApiProblem(403, "This token may only post contacts for its own source.")
        source_id = identity.source_id
    if source_id is None:
        raise ApiProblem(
            422, "source_id is required.", errors=[{"field": "source_id", "message": "Field required"}]
        )
    return intake.ContactFields(
        source_id=source_id,
        external_id=fields.external_id,
        email=fields.email,
        phone=fields.phone,
        name=fields.name,
        message=fields.message,
    )


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    # Control characters (NUL above all: PostgreSQL text cannot hold it) are refused.
    if key is not None and (not 1 <= len(key) <= 255 or any(ord(c) < 32 or ord(c) == 127 for c in key)):
        raise ApiProblem(
            422,
            "Idempotency-Key must be 1 to 255 characters, without control characters.",
            errors=[{"field": "Idempotency-Key", "message": "must be 1 to 255 printable characters"}],
        )
    return key


@bp.post("/contacts", strict_slashes=False)
@operation(
    "Receive a contact and distribute it",
    ContactOut,
    status=201,
    body=ContactCreate,
    errors=(409,),
    bot_allowed=True,
    headers={"Idempotent-Replayed": "true when this is the stored answer to an earlier request"},
    request_headers={
        "Idempotency-Key": (
            "A repeat with the same key and body within 24 hours replays the first answer.",
            {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^\\x00-\\x1f\\x7f]*$"},
        )
    },
)
def create_contact():
    """Store a contact from a bot; the distribution picks its operator."""
    key = _idempotency_key()
    fields, raw = parse_body(ContactCreate)
    config = current_app.config
    stored = intake.receive_contact_once(
        db.session,
        _contact_fields(fields),
        lambda contact: json.dumps(contact_json(contact)),
        token_id=g.api_identity.token_id,
        idempotency_key=key,
        fingerprint=intake.body_fingerprint(raw),
        ttl=timedelta(hours=config["IDEMPOTENCY_TTL_HOURS"]),
        locking=config["DISTRIBUTION_LOCKING"],
        race_delay=config["DISTRIBUTION_RACE_DELAY"],
    )
    response = Response(stored.body, status=stored.status, mimetype="application/json")
    if stored.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/contacts", strict_slashes=False)
@operation("List contacts, newest first", ContactPage, query=ContactQuery, bot_allowed=True)
def list_contacts():
    """A page of contacts; a bot token sees only its own source."""
    query = parse_query(ContactQuery)
    source_id = query.source_id
    if not g.api_identity.is_admin:
        if source_id is not None and source_id != g.api_identity.source_id:
            raise ApiProblem(403, "This token may only read contacts of its own source.")
        source_id = g.api_identity.source_id
    before_id = None
    if query.cursor is not None:
        before_id = contact_service.decode_cursor(query.cursor)
        if before_id is None:
            raise ApiProblem(
                422,
                "The cursor is not valid.",
                errors=[{"field": "cursor", "message": "not a cursor from this API"}],
            )
    contact_filter = contact_service.ContactFilter(
        status=query.status,
        source_id=source_id,
        operator_id=query.operator_id,
        lead_id=query.lead_id,
        unassigned=query.unassigned,
    )
    contacts, next_cursor = contact_service.contact_page(db.session, contact_filter, query.limit, before_id)
    return jsonify(items=[contact_json(contact) for contact in contacts], next_cursor=next_cursor)


@bp.get("/contacts/<int:contact_id>")
@operation("Get a contact", ContactOut, bot_allowed=True)
def get_contact(contact_id):
    """One contact; a bot token only of its own source."""
    contact = existing(Contact, contact_id)
    if not g.api_identity.is_admin and contact.source_id != g.api_identity.source_id:
        raise ApiProblem(403, "This token may only read contacts of its own source.")
    return jsonify(contact_json(contact))


@bp.put("/contacts/<int:contact_id>/status")
@operation("Change a contact's status", ContactOut, body=ContactStatusUpdate, errors=(409,))
def set_contact_status(contact_id):
    """new → in_progress → closed; closed is final."""
    existing(Contact, contact_id)
    fields, _ = parse_body(ContactStatusUpdate)
    return jsonify(contact_json(contact_service.change_status(db.session, contact_id, fields.status)))


@bp.put("/contacts/<int:contact_id>/operator")
@operation("Assign a contact by hand", ContactOut, body=ContactOperatorUpdate, errors=(409,))
def set_contact_operator(contact_id):
    """Manual assignment; force overrides the limit and the status."""
    existing(Contact, contact_id)
    fields, _ = parse_body(ContactOperatorUpdate)
    contact = contact_service.set_operator(db.session, contact_id, fields.operator_id, force=fields.force)
    return jsonify(contact_json(contact))


@bp.post("/contacts/redistribute")
@operation("Distribute every unassigned open contact", RedistributeOut, body=RedistributeRequest)
def redistribute():
    """Run the distribution over the waiting contacts, oldest first."""
    fields, _ = parse_body(RedistributeRequest)
    if fields.source_id is not None and db.session.get(Source, fields.source_id) is None:
        raise ApiProblem(
            422, "No such source.", errors=[{"field": "source_id", "message": "no source with this id"}]
        )
    result = distribution.redistribute(db.session, fields.source_id)
    return jsonify(assigned=result.assigned, unassigned=result.unassigned)


# --- Leads ---------------------------------------------------------------------


@bp.get("/leads", strict_slashes=False)
@operation("Find leads by external_id, email or phone", LeadList, query=LeadQuery)
def list_leads():
    """Leads matching the given identifiers."""
    query = parse_query(LeadQuery)
    leads = contact_service.find_leads(
        db.session, external_id=query.external_id, email=query.email, phone=query.phone
    )
    return jsonify(items=[lead_json(lead) for lead in leads])


@bp.get("/leads/<int:lead_id>")
@operation("Get a lead with its contacts", LeadWithContactsOut)
def get_lead(lead_id):
    """One lead and its contacts, newest first."""
    lead = existing(Lead, lead_id)
    contacts = contact_service.lead_contacts(db.session, lead_id)
    return jsonify(lead_json(lead) | {"contacts": [contact_json(contact) for contact in contacts]})


# --- Description -----------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API (no token needed)."""
    return jsonify(build_document(current_app))
