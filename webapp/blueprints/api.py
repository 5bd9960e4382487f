"""The JSON API under /api/v1: parse, call the domain, serialize."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Blueprint, Response, current_app, g, jsonify
from sqlalchemy import select

from webapp import contacts as contact_service
from webapp import (
    directory,
    insight,
    intake,
    jobs,
    leads,
    schedules,
    simulator,
    tokens,
    webhooks,
    weight_plans,
)
from webapp.api_schemas import (
    AbsenceCreate,
    AbsenceList,
    AbsenceOut,
    AssignmentList,
    ContactCreate,
    ContactOperatorUpdate,
    ContactOut,
    ContactPage,
    ContactQuery,
    ContactStatusUpdate,
    DeliveryList,
    DuplicateList,
    LeadList,
    LeadMergeRequest,
    LeadOut,
    LeadQuery,
    LeadWithContactsOut,
    OperatorCreate,
    OperatorList,
    OperatorOut,
    OperatorStatusUpdate,
    OperatorUpdate,
    RedistributeOut,
    RedistributeRequest,
    SimulationOut,
    SimulationRequest,
    SourceCreate,
    SourceList,
    SourceOut,
    SourceUpdate,
    StatsOut,
    StatsQuery,
    WebhookSecretOut,
    WebhookSecretRequest,
    WeightPlanCreate,
    WeightPlanList,
    WeightPlanOut,
    WeightsUpdate,
)
from webapp.blueprints.api_requests import (
    admit,
    api_actor,
    authenticate_in_transaction,
    authenticates_in_its_transaction,
    bearer_token,
    existing,
    idempotency_key,
    if_match,
    parse_body,
    parse_query,
    rate_limit_key,
    rate_limit_unset,
    require_token,
)
from webapp.clock import utcnow
from webapp.database import write_transaction
from webapp.extensions import db, limiter
from webapp.models import Contact, Lead, Operator, Source
from webapp.openapi import build_document, operation
from webapp.problems import ApiProblem
from webapp.queries.routing import waiting_by_source
from webapp.serializers import (
    absence_json,
    assignment_json,
    contact_json,
    delivery_json,
    iso,
    lead_json,
    operator_json,
    simulation_json,
    source_json,
    source_stats_json,
    weight_plan_json,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Collections are declared without their trailing slash and with strict_slashes=False:
# werkzeug then matches both spellings with no redirect, and a wrong method on either
# is a 405 (declared as "/contacts/", "PUT /contacts" would be a 404).

# One limit shared by every /api/v1 call of a token, off unless API_RATE_LIMIT is set
# (e.g. "100/second"). Flask-Limiter raises a 429 with Retry-After; the error
# handlers render it as problem+json.
limiter.shared_limit(
    lambda: current_app.config.get("API_RATE_LIMIT") or "1/second",
    scope="api-v1",
    key_func=rate_limit_key,
    exempt_when=rate_limit_unset,
)(bp)
bp.before_request(require_token)


def _operator_out(operator) -> dict:
    available = schedules.availability(db.session, [operator], utcnow())[operator.id].available
    return operator_json(operator, operator.open_contacts, available)


def _source_out(source) -> dict:
    return source_json(source, waiting_by_source(db.session, [source])[source.id])


def _contact_out(contact) -> dict:
    """A contact as the calling token may see it: a source token sees no other source's customer data."""
    return contact_json(contact, g.api_identity.reads_customer_of(contact.lead))


def _contact_response(contact, body: dict | None = None, status: int = 200) -> Response:
    """One contact as JSON with its ETag, the version a later If-Match names."""
    response = jsonify(body if body is not None else _contact_out(contact))
    response.status_code = status
    response.headers["ETag"] = f'"{contact_service.contact_version(contact)}"'
    return response


CONTACT_ETAG = {"ETag": "The contact's version (its operator and status); send it back as If-Match"}
IF_MATCH = {
    "If-Match": (
        "The ETag the change was decided on: when the contact changed since, the answer is 412 "
        "and nothing changes. Without it, the change applies to whatever the contact is now.",
        {"type": "string"},
    )
}


def _lead_out(lead) -> dict:
    return lead_json(lead, g.api_identity.reads_customer_of(lead))


# --- Operators -----------------------------------------------------------------


@bp.post("/operators", strict_slashes=False)
@operation("Create an operator", OperatorOut, status=201, body=OperatorCreate, errors=(409,))
def create_operator():
    """Create an operator."""
    fields, _ = parse_body(OperatorCreate)
    with write_transaction(db.session):
        operator = directory.create_operator(
            db.session, fields.name, fields.max_active_contacts, fields.status
        )
        body = _operator_out(operator)
    return jsonify(body), 201


@bp.get("/operators", strict_slashes=False)
@operation("List operators", OperatorList)
def list_operators():
    """All operators with their current load."""
    operators = db.session.execute(select(Operator).order_by(Operator.id)).scalars().all()
    available = schedules.availability(db.session, operators, utcnow())
    return jsonify(
        items=[operator_json(op, op.open_contacts, available[op.id].available) for op in operators]
    )


@bp.get("/operators/<int:operator_id>")
@operation("Get an operator", OperatorOut)
def get_operator(operator_id):
    """One operator with its load."""
    return jsonify(_operator_out(existing(Operator, operator_id)))


@bp.put("/operators/<int:operator_id>/status")
@operation("Set an operator active or inactive", OperatorOut, body=OperatorStatusUpdate)
def set_operator_status(operator_id):
    """Switch an operator on or off; switched on, they take waiting contacts at once."""
    before = existing(Operator, operator_id)
    was_active, old_limit = before.is_active, before.max_active_contacts
    fields, _ = parse_body(OperatorStatusUpdate)
    with write_transaction(db.session):
        body = _operator_out(directory.set_operator_status(db.session, operator_id, fields.status))
    jobs.after_operator_change(db.session, operator_id, was_active, old_limit)
    return jsonify(body)


@bp.patch("/operators/<int:operator_id>")
@operation("Rename an operator or change the limit", OperatorOut, body=OperatorUpdate, errors=(409,))
def update_operator(operator_id):
    """Rename or change the limit; a lower limit reassigns nothing, a higher one drains."""
    before = existing(Operator, operator_id)
    was_active, old_limit = before.is_active, before.max_active_contacts
    fields, _ = parse_body(OperatorUpdate)
    new_schedule = "schedule" in fields.model_fields_set
    with write_transaction(db.session):
        operator = directory.update_operator(
            db.session, operator_id, name=fields.name, max_active_contacts=fields.max_active_contacts
        )
        if new_schedule:
            schedule = fields.schedule.model_dump() if fields.schedule is not None else None
            operator = schedules.set_schedule(db.session, operator_id, schedule)
        body = _operator_out(operator)
    jobs.after_operator_change(db.session, operator_id, was_active, old_limit)
    if new_schedule:  # on shift now, perhaps: their room goes to the waiting contacts
        jobs.drain_for_operator(db.session, operator_id)
    return jsonify(body)


@bp.post("/operators/<int:operator_id>/absences")
@operation("Add an absence of an operator", AbsenceOut, status=201, body=AbsenceCreate)
def create_absence(operator_id):
    """During an absence the operator gets no automatic contacts (a manual one needs force)."""
    existing(Operator, operator_id)
    fields, _ = parse_body(AbsenceCreate)
    with write_transaction(db.session):
        absence = schedules.add_absence(db.session, operator_id, fields.start, fields.end, fields.note)
        body = absence_json(absence)
    return jsonify(body), 201


@bp.get("/operators/<int:operator_id>/absences")
@operation("List the absences of an operator", AbsenceList)
def list_absences(operator_id):
    """Every absence of the operator, earliest first."""
    existing(Operator, operator_id)
    return jsonify(items=[absence_json(a) for a in schedules.absences_of(db.session, operator_id)])


@bp.delete("/operators/<int:operator_id>/absences/<int:absence_id>")
@operation("Delete an absence of an operator", None, status=204)
def delete_absence(operator_id, absence_id):
    """Ended early or entered by mistake: the operator may get contacts again at once."""
    existing(Operator, operator_id)
    with write_transaction(db.session):
        schedules.delete_absence(db.session, operator_id, absence_id)
    jobs.drain_for_operator(db.session, operator_id)
    return "", 204


# --- Sources -------------------------------------------------------------------


@bp.post("/sources", strict_slashes=False)
@operation("Create a source", SourceOut, status=201, body=SourceCreate, errors=(409,))
def create_source():
    """Create a source (a bot or channel)."""
    fields, _ = parse_body(SourceCreate)
    with write_transaction(db.session):
        body = _source_out(directory.create_source(db.session, fields.name, fields.description))
    return jsonify(body), 201


@bp.get("/sources", strict_slashes=False)
@operation("List sources", SourceList)
def list_sources():
    """All sources with their weights."""
    sources = db.session.execute(select(Source).order_by(Source.id)).scalars().all()
    waiting = waiting_by_source(db.session, sources)
    return jsonify(items=[source_json(source, waiting[source.id]) for source in sources])


@bp.get("/sources/<int:source_id>")
@operation("Get a source", SourceOut)
def get_source(source_id):
    """One source with its weights."""
    return jsonify(_source_out(existing(Source, source_id)))


@bp.patch("/sources/<int:source_id>")
@operation("Rename a source or change its routing settings", SourceOut, body=SourceUpdate, errors=(409,))
def update_source(source_id):
    """Change what is given; resuming (or turning auto_drain on) drains the waiting contacts."""
    before = existing(Source, source_id)
    was_draining = before.auto_drain and not before.paused
    fields, _ = parse_body(SourceUpdate)
    changes = fields.model_dump(include=fields.model_fields_set)
    with write_transaction(db.session):
        source = directory.update_source(db.session, source_id, changes)
        if "webhook_url" in changes:
            allow_private = current_app.config["WEBHOOK_ALLOW_PRIVATE"]
            source = webhooks.set_url(db.session, source_id, changes["webhook_url"], allow_private)
    jobs.after_source_change(db.session, source_id, was_draining)
    return jsonify(_source_out(source))  # after the drain: "waiting" shows what is left


@bp.put("/sources/<int:source_id>/weights")
@operation("Replace the weights of a source", SourceOut, body=WeightsUpdate)
def replace_weights(source_id):
    """Replace the whole weight set; weight 0 takes an operator off the source."""
    weights_before = {w.operator_id: w.weight for w in existing(Source, source_id).weights}
    fields, _ = parse_body(WeightsUpdate)
    items = [(item.operator_id, item.weight) for item in fields.weights]
    with write_transaction(db.session):
        body = _source_out(directory.replace_weights(db.session, source_id, items))
    jobs.after_weights_change(db.session, source_id, weights_before)
    return jsonify(body)


# --- Insight -------------------------------------------------------------------


@bp.get("/stats")
@operation("Target against actual per operator, and waiting, per source", StatsOut, query=StatsQuery,
           errors=(404,))
def stats():
    """Each source's contacts, waiting percentiles and per-operator fairness over a period."""
    query = parse_query(StatsQuery)
    if query.source_id is not None:
        existing(Source, query.source_id)
    start, end = insight.resolve_period(query.start, query.to)
    sources = insight.source_names(db.session, query.source_id)
    report = insight.stats_report(db.session, start, end, sources, insight.operator_names(db.session))
    sources = [source_stats_json(item) for item in report]
    return jsonify({"from": iso(start), "to": iso(end), "sources": sources})


@bp.post("/sources/<int:source_id>/simulate")
@operation("Replay the source's last days under other weights and limits", SimulationOut,
           body=SimulationRequest)
def simulate(source_id):
    """The real arrivals and closings of the last ``days`` replayed in a sandbox; nothing is saved."""
    existing(Source, source_id)
    fields, _ = parse_body(SimulationRequest)
    weights = [(item.operator_id, item.weight) for item in fields.weights]
    limits = {int(operator_id): limit for operator_id, limit in fields.limits.items()}
    outcome, actual = simulator.simulate(db.session, source_id, weights, limits, fields.days)
    return jsonify(simulation_json(outcome, actual, [op for op, weight in weights if weight > 0]))


@bp.post("/sources/<int:source_id>/weight-plans")
@operation("Plan a weight set for a period of the source", WeightPlanOut, status=201, body=WeightPlanCreate,
           errors=(409,))
def create_weight_plan(source_id):
    """Applied by the sweep at start (at once when start is past), the weights before it back at end."""
    existing(Source, source_id)
    fields, _ = parse_body(WeightPlanCreate)
    weights = [(item.operator_id, item.weight) for item in fields.weights]
    with write_transaction(db.session):
        plan_id = weight_plans.create_plan(
            db.session, source_id, weights, fields.start, fields.end, api_actor(), utcnow()
        ).id
    jobs.apply_weight_plans(db.session)  # a plan that starts now applies now
    return jsonify(weight_plan_json(weight_plans.get_plan(db.session, source_id, plan_id))), 201


@bp.get("/sources/<int:source_id>/weight-plans")
@operation("List the source's weight plans", WeightPlanList)
def list_weight_plans(source_id):
    """Every plan of the source, the latest start first."""
    existing(Source, source_id)
    plans = weight_plans.source_plans(db.session, source_id)
    return jsonify(items=[weight_plan_json(plan) for plan in plans])


@bp.delete("/sources/<int:source_id>/weight-plans/<int:plan_id>")
@operation("Cancel a weight plan", None, status=204, errors=(409,))
def cancel_weight_plan(source_id, plan_id):
    """A scheduled plan never applies; an active one ends now and the weights before it come back."""
    existing(Source, source_id)
    with write_transaction(db.session):
        change = weight_plans.cancel_plan(db.session, source_id, plan_id, utcnow())
    if change is not None:
        jobs.after_weights_change(db.session, change.source_id, change.weights_before)
    return "", 204


@bp.post("/sources/<int:source_id>/webhook-secret")
@operation("Make a new webhook signing secret (shown once)", WebhookSecretOut, status=201,
           body=WebhookSecretRequest)
def new_webhook_secret(source_id):
    """A new secret replaces the old one at once: deliveries from now on are signed with it."""
    existing(Source, source_id)
    parse_body(WebhookSecretRequest)
    with write_transaction(db.session):
        secret = webhooks.new_secret(db.session, source_id)
    return jsonify(secret=secret), 201


@bp.get("/sources/<int:source_id>/deliveries")
@operation("Recent webhook deliveries of a source", DeliveryList)
def list_deliveries(source_id):
    """The newest 100 events of the source's webhook and how their delivery went, newest first."""
    existing(Source, source_id)
    return jsonify(items=[delivery_json(e) for e in webhooks.recent_deliveries(db.session, source_id, 100)])


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
        confined_to_source=not identity.is_admin,
    )


@bp.post("/contacts", strict_slashes=False)
@operation(
    "Receive a contact and distribute it",
    ContactOut,
    status=201,
    body=ContactCreate,
    errors=(409,),
    bot_allowed=True,
    headers={"Idempotent-Replayed": "true when this is the stored answer to an earlier request"}
    | CONTACT_ETAG,
    request_headers={
        "Idempotency-Key": (
            "A repeat with the same key and body within 24 hours replays the first answer.",
            {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^\\x00-\\x1f\\x7f]*$"},
        )
    },
)
@authenticates_in_its_transaction
def create_contact():
    """Store a contact from a bot; the distribution picks its operator."""
    try:
        with write_transaction(db.session):
            stored = _receive()
    except intake.IntakeLimited as limited:
        if not limited.noted_recently:
            with write_transaction(db.session):
                intake.note_intake_limited(db.session, limited.source_id)
        raise
    response = Response(stored.body, status=stored.status, mimetype="application/json")
    if stored.status == 201:  # a replayed answer carries the version the contact had then
        created = json.loads(stored.body)
        version = contact_service.state_version(created["id"], created["operator_id"], created["status"])
        response.headers["ETag"] = f'"{version}"'
    if stored.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _receive() -> intake.StoredResponse:
    """The intake in the view's transaction, the token checked first (a 401 before any other answer).

    Usually the token is read in the statement that reads the source (``intake.read_source``);
    apart when the request has no usable source_id or body, or names no source.
    """
    token = bearer_token()
    try:
        key = idempotency_key()
        body, raw = parse_body(ContactCreate)
    except ApiProblem:
        authenticate_in_transaction()
        raise
    source = None
    if token is not None and body.source_id is not None:
        source = intake.read_source(db.session, body.source_id, tokens.hash_token(token))
    if source is None or source.settings is None:  # no row to read the token from
        authenticate_in_transaction()
    else:
        admit(source.caller)
    return intake.receive_contact_once(
        db.session,
        _contact_fields(body),
        lambda contact: json.dumps(_contact_out(contact)),
        token_id=g.api_identity.token_id,
        idempotency_key=key,
        fingerprint=intake.body_fingerprint(raw),
        ttl=timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"]),
        actor=api_actor(),
        phone_region=current_app.config["PHONE_REGION"],
        source=source,
    )


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
    return jsonify(items=[_contact_out(contact) for contact in contacts], next_cursor=next_cursor)


@bp.get("/contacts/<int:contact_id>")
@operation("Get a contact", ContactOut, bot_allowed=True, headers=CONTACT_ETAG)
def get_contact(contact_id):
    """One contact; a bot token only of its own source."""
    contact = existing(Contact, contact_id)
    if not g.api_identity.is_admin and contact.source_id != g.api_identity.source_id:
        raise ApiProblem(403, "This token may only read contacts of its own source.")
    return _contact_response(contact)


@bp.get("/contacts/<int:contact_id>/assignments")
@operation("The assignment history of a contact, oldest first", AssignmentList, bot_allowed=True)
def list_assignments(contact_id):
    """Every change of the contact's operator, with the candidates and the draw that explain it."""
    contact = existing(Contact, contact_id)
    if not g.api_identity.is_admin and contact.source_id != g.api_identity.source_id:
        raise ApiProblem(403, "This token may only read contacts of its own source.")
    records = contact_service.assignment_history(db.session, contact_id)
    return jsonify(items=[assignment_json(record) for record in records])


@bp.put("/contacts/<int:contact_id>/status")
@operation("Change a contact's status", ContactOut, body=ContactStatusUpdate, errors=(409, 412),
           headers=CONTACT_ETAG, request_headers=IF_MATCH)
def set_contact_status(contact_id):
    """new → in_progress → closed; closed is final. Closing frees a place for a waiting contact."""
    operator_before = existing(Contact, contact_id).operator_id
    fields, _ = parse_body(ContactStatusUpdate)
    expected = if_match()
    with write_transaction(db.session):
        contact = contact_service.change_status(db.session, contact_id, fields.status, expected=expected)
        body = _contact_out(contact)
    jobs.after_contact_change(db.session, operator_before, contact)
    return _contact_response(contact, body)


@bp.put("/contacts/<int:contact_id>/operator")
@operation("Assign a contact by hand", ContactOut, body=ContactOperatorUpdate, errors=(409, 412),
           headers=CONTACT_ETAG, request_headers=IF_MATCH)
def set_contact_operator(contact_id):
    """Manual assignment; force overrides the limit and the status. The former operator's place drains."""
    operator_before = existing(Contact, contact_id).operator_id
    fields, _ = parse_body(ContactOperatorUpdate)
    expected = if_match()
    with write_transaction(db.session):
        contact = contact_service.set_operator(
            db.session,
            contact_id,
            fields.operator_id,
            actor=api_actor(),
            force=fields.force,
            reason=fields.reason,
            expected=expected,
        )
        body = _contact_out(contact)
    jobs.after_contact_change(db.session, operator_before, contact)
    return _contact_response(contact, body)


@bp.post("/contacts/redistribute")
@operation("Distribute every unassigned open contact", RedistributeOut, body=RedistributeRequest)
def redistribute():
    """Run the distribution over the waiting contacts, oldest first."""
    fields, _ = parse_body(RedistributeRequest)
    if fields.source_id is not None and db.session.get(Source, fields.source_id) is None:
        raise ApiProblem(
            422, "No such source.", errors=[{"field": "source_id", "message": "no source with this id"}]
        )
    result = jobs.redistribute(db.session, fields.source_id, actor=api_actor())
    return jsonify(assigned=result.assigned, unassigned=result.unassigned)


# --- Leads ---------------------------------------------------------------------


@bp.get("/leads", strict_slashes=False)
@operation("Find leads by external_id, email or phone (normalised; a merged external_id finds "
           "the lead it was merged into)", LeadList, query=LeadQuery)
def list_leads():
    """Leads matching the given identifiers; an unparseable phone is a 422."""
    query = parse_query(LeadQuery)
    found = leads.find_leads(
        db.session, external_id=query.external_id, email=query.email, phone=query.phone,
        region=current_app.config["PHONE_REGION"],
    )
    return jsonify(items=[_lead_out(lead) for lead in found])


@bp.get("/leads/duplicates")
@operation("Possible duplicates: leads sharing a phone or an email", DuplicateList)
def list_duplicates():
    """Groups of leads with the same normalised phone, then the same email."""
    groups = leads.duplicate_groups(db.session)
    items = [{"leads": [_lead_out(lead) for lead in group.leads], "matched_on": group.matched_on}
             for group in groups]
    return jsonify(items=items)


@bp.post("/leads/<int:lead_id>/merge")
@operation("Merge another lead into this one", LeadOut, body=LeadMergeRequest)
def merge_lead(lead_id):
    """The other lead's contacts move here, it is deleted, its external_id finds this lead."""
    existing(Lead, lead_id)
    fields, _ = parse_body(LeadMergeRequest)
    with write_transaction(db.session):
        body = _lead_out(leads.merge_leads(db.session, lead_id, fields.lead_id, actor=api_actor()).lead)
    return jsonify(body)


@bp.get("/leads/<int:lead_id>")
@operation("Get a lead with its contacts", LeadWithContactsOut)
def get_lead(lead_id):
    """One lead and its contacts, newest first."""
    lead = existing(Lead, lead_id)
    contacts = contact_service.lead_contacts(db.session, lead_id)
    return jsonify(_lead_out(lead) | {"contacts": [_contact_out(contact) for contact in contacts]})


# --- Description -----------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API (no token needed)."""
    return jsonify(build_document(current_app))
