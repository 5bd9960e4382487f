"""Sources: the list, the create form, per-operator weight sliders and the source's bot tokens."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from webapp import directory, jobs, tokens, webhooks, weight_plans
from webapp.api_schemas import SourceCreate, WeightItem
from webapp.blueprints.forms import (
    FormErrors,
    SourceRoutingForm,
    TokenForm,
    field_messages,
    first_message,
    parse_form,
)
from webapp.blueprints.rendering import render_page, wants_fragment
from webapp.database import write_transaction
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.i18n import user_zone
from webapp.models import ApiToken, Operator, Source
from webapp.queries import routing, today
from webapp.queries import sources as source_queries
from webapp.security import staff_required, supervisor_required

bp = Blueprint("sources", __name__, url_prefix="/sources")
LIST_TEMPLATE = "sources/index.html"
DETAIL_TEMPLATE = "sources/detail.html"


def _list_context(form=None, errors=None) -> dict:
    return {
        "summaries": source_queries.source_summaries(db.session, user_zone()),
        "can_edit": current_user.is_supervisor,
        "form": form or {},
        "errors": errors or {},
    }


@bp.get("/", strict_slashes=False)
@staff_required
def index():
    """Every source with its weighted operators and today's contacts."""
    return render_page(LIST_TEMPLATE, "sources", **_list_context())


@bp.post("/", strict_slashes=False)
@supervisor_required
def create():
    """Create a source; invalid input comes back inline with 422."""
    try:
        fields = parse_form(SourceCreate, request.form)
        with write_transaction(db.session):
            source = directory.create_source(db.session, fields.name, fields.description)
    except (FormErrors, DomainError) as error:
        errors = field_messages(error, "name")
        return render_page(LIST_TEMPLATE, "sources", 422, alert=next(iter(errors.values())),
                           **_list_context(request.form, errors))
    flash(_("Source %(name)s created. Give it weights below.", name=source.name), "success")
    if wants_fragment():
        return render_page(LIST_TEMPLATE, "sources", **_list_context())
    return redirect(url_for("sources.detail", source_id=source.id))


def _detail_context(source: Source, **extra) -> dict:
    show_all = request.values.get("all") == "1"
    rows, left_out = source_queries.source_weight_rows(db.session, source, show_all)
    context = {
        "source": source,
        "rows": rows,
        "left_out": left_out,
        "show_all": show_all,
        "today": today.todays_contacts_by_source_id(db.session, user_zone()).get(source.id, 0),
        "can_edit": current_user.is_supervisor,
        "tokens": [],
        "new_token": None,
        "errors": {},
        "saved": None,
        "oob_shares": False,
        "waiting": routing.waiting_by_source(db.session, [source])[source.id],
        "sticky": routing.sticky_held_by_source(db.session).get(source.id, routing.StickyHeld()),
        "form": _routing_form_values(source),
        "plans": weight_plans.source_plans(db.session, source.id, limit=10),
        "operator_names": {row.operator.id: row.operator.name for row in rows},

        # A source never given a secret never had a webhook, so it has no deliveries to read.
        "deliveries": webhooks.recent_deliveries(db.session, source.id, 20) if source.webhook_secret else [],
        "new_secret": None,
        "webhook_url": source.webhook_url or "",
    }
    if current_user.is_supervisor:
        context["tokens"] = list(db.session.execute(tokens.source_tokens(source.id)).scalars())
    return context | extra


@bp.get("/<int:source_id>")
@staff_required
def detail(source_id):
    """One source: a weight slider per operator with the resulting shares; its bot tokens."""
    source = directory.get_existing(db.session, Source, source_id)
    return render_page(DETAIL_TEMPLATE, "weights", **_detail_context(source))


def _routing_form_values(source: Source) -> dict:
    return {
        "paused": source.paused,
        "auto_drain": source.auto_drain,
        "sticky_days": source.sticky_days,
        "intake_per_minute": source.intake_per_minute or "",
        "wait_target_minutes": source.wait_target_minutes or "",
        "response_timeout_minutes": source.response_timeout_minutes or "",
    }


@bp.post("/<int:source_id>/routing")
@supervisor_required
def set_routing(source_id):
    """Save the routing settings; resuming (or turning auto-drain on) hands out the waiting contacts."""
    source = directory.get_existing(db.session, Source, source_id)
    was_draining = source.auto_drain and not source.paused
    try:
        fields = parse_form(SourceRoutingForm, request.form)
        with write_transaction(db.session):
            source = directory.update_source(db.session, source_id, fields.model_dump())
    except (FormErrors, DomainError) as error:
        errors = field_messages(error, "sticky_days")
        form = {key: request.form.get(key, "") for key in directory.SOURCE_SETTINGS}
        context = _detail_context(source, errors=errors, form=form)
        return render_page(DETAIL_TEMPLATE, "routing", 422, **context)
    assigned = jobs.after_source_change(db.session, source_id, was_draining)
    flash(_("Routing settings saved."), "success")
    if assigned:
        flash(ngettext("%(num)s waiting contact was assigned.", "%(num)s waiting contacts were assigned.",
                       assigned), "success")
    if not wants_fragment():
        return redirect(url_for("sources.detail", source_id=source_id))
    return render_page(DETAIL_TEMPLATE, "routing", **_detail_context(source))


@bp.post("/<int:source_id>/weights/<int:operator_id>")
@supervisor_required
def set_weight(source_id, operator_id):
    """Save one operator's weight on the source; answers with every share recomputed."""
    source = directory.get_existing(db.session, Source, source_id)
    weights_before = {row.operator_id: row.weight for row in source.weights}
    try:
        raw = {"operator_id": str(operator_id), "weight": request.form.get("weight", "")}
        fields = parse_form(WeightItem, raw)
        with write_transaction(db.session):
            source = directory.set_weight(db.session, source_id, fields.operator_id, fields.weight)
    except (FormErrors, DomainError) as error:
        errors = {"weight": _("Weight not saved: %(reason)s", reason=first_message(error))}
        return render_page(
            DETAIL_TEMPLATE, "weights", 422, alert=errors["weight"],
            **_detail_context(source, errors=errors, oob_shares=True)
        )
    jobs.after_weights_change(db.session, source_id, weights_before)
    if not wants_fragment():
        flash(_("Weight saved."), "success")
        return redirect(url_for("sources.detail", source_id=source_id))
    saved = (db.session.get(Operator, fields.operator_id).name, fields.weight)
    return render_page(DETAIL_TEMPLATE, "weights", **_detail_context(source, oob_shares=True, saved=saved))


@bp.post("/<int:source_id>/name")
@supervisor_required
def rename(source_id):
    """Rename a source; names are unique regardless of case. Errors come back inline (422)."""
    source = directory.get_existing(db.session, Source, source_id)
    try:
        fields = parse_form(SourceCreate, {"name": request.form.get("name", "")})
        with write_transaction(db.session):
            source = directory.update_source(db.session, source_id, {"name": fields.name})
    except (FormErrors, DomainError) as error:
        errors = {"source_name": field_messages(error, "name")["name"]}
        form = _routing_form_values(source) | {"name": request.form.get("name", "")}
        context = _detail_context(source, errors=errors, form=form)
        return render_page(DETAIL_TEMPLATE, "source_settings", 422, **context)
    flash(_("Renamed to “%(name)s”.", name=source.name), "success")
    return redirect(url_for("sources.detail", source_id=source_id))


@bp.post("/<int:source_id>/active")
@supervisor_required
def set_active(source_id):
    """Deactivate (archive) a source or bring it back; its contacts and history stay."""
    choice = request.form.get("active")
    if choice not in ("true", "false"):
        flash(_("Nothing changed: choose to activate or deactivate the source."), "error")
        return redirect(url_for("sources.detail", source_id=source_id))
    active = choice == "true"
    with write_transaction(db.session):
        source = directory.update_source(db.session, source_id, {"active": active})
    if active:
        flash(_("%(name)s is active again.", name=source.name), "success")
    else:
        flash(_("%(name)s is deactivated: listed apart, its history kept; its bots are still served.",
                name=source.name), "success")
    return redirect(url_for("sources.detail", source_id=source_id))


@bp.post("/<int:source_id>/tokens")
@supervisor_required
def create_token(source_id):
    """Create a bot token for this source; the token is shown this once."""
    source = directory.get_existing(db.session, Source, source_id)
    try:
        if not request.form.get("name", "").strip():
            raise FormErrors({"name": _("Give the token a name (1 to 200 characters).")})
        fields = parse_form(TokenForm, request.form)
    except FormErrors as error:
        errors = {"token_name": error.errors["name"]}
        return render_page(DETAIL_TEMPLATE, "tokens", 422, alert=errors["token_name"],
                           **_detail_context(source, errors=errors))
    with write_transaction(db.session):
        row, token = tokens.create_token(db.session, fields.name, source_id=source.id)
    flash(_("Token %(name)s created. Copy it now: it is shown only once.", name=row.name), "success")
    response = render_page(DETAIL_TEMPLATE, "tokens", **_detail_context(source, new_token=token))
    response.headers["Cache-Control"] = "no-store"  # the token in clear must not be kept anywhere
    return response


@bp.post("/<int:source_id>/tokens/<int:token_id>/revoke")
@supervisor_required
def revoke_token(source_id, token_id):
    """Revoke one of this source's tokens; bots using it get 401 from now on."""
    source = directory.get_existing(db.session, Source, source_id)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.source_id != source.id:
        abort(404)
    with write_transaction(db.session):
        token = tokens.revoke_token(db.session, token_id)
    flash(_("Token %(name)s revoked.", name=token.name), "success")
    if not wants_fragment():
        return redirect(url_for("sources.detail", source_id=source_id))
    return render_page(DETAIL_TEMPLATE, "tokens", **_detail_context(source))


# --- The source's webhook -------------------------------------------------------------


def _with_secret_once(source: Source, secret: str):
    response = render_page(DETAIL_TEMPLATE, "webhook", **_detail_context(source, new_secret=secret))
    response.headers["Cache-Control"] = "no-store"  # the secret in clear must not be kept anywhere
    return response


@bp.post("/<int:source_id>/webhook")
@supervisor_required
def set_webhook(source_id):
    """Point the webhook at a URL (empty: off). A source without a secret gets one, shown once."""
    source = directory.get_existing(db.session, Source, source_id)
    url = request.form.get("webhook_url", "").strip() or None
    secret = None
    try:
        with write_transaction(db.session):
            if url is not None and source.webhook_secret is None:
                secret = webhooks.new_secret(db.session, source_id)
            source = webhooks.set_url(db.session, source_id, url, current_app.config["WEBHOOK_ALLOW_PRIVATE"])
    except DomainError as error:
        errors = {"webhook_url": first_message(error)}
        return render_page(DETAIL_TEMPLATE, "webhook", 422, alert=errors["webhook_url"],
                           **_detail_context(source, errors=errors, webhook_url=url))
    flash(_("Webhook saved.") if url else _("Webhook switched off."), "success")
    if secret:
        return _with_secret_once(source, secret)
    if not wants_fragment():
        return redirect(url_for("sources.detail", source_id=source_id))
    return render_page(DETAIL_TEMPLATE, "webhook", **_detail_context(source))


@bp.post("/<int:source_id>/webhook/secret")
@supervisor_required
def new_webhook_secret(source_id):
    """A new signing secret, shown once; the old one stops working at once."""
    source = directory.get_existing(db.session, Source, source_id)
    with write_transaction(db.session):
        secret = webhooks.new_secret(db.session, source_id)
    flash(_("New webhook secret made. Copy it now: it is shown only once."), "success")
    return _with_secret_once(source, secret)


@bp.post("/<int:source_id>/webhook/test")
@supervisor_required
def send_test_webhook(source_id):
    """Queue a signed test event; the worker sends it within seconds and the list shows how it went."""
    source = directory.get_existing(db.session, Source, source_id)
    try:
        with write_transaction(db.session):
            webhooks.send_test_event(db.session, source_id)
    except DomainError as error:
        flash(first_message(error), "error")
    else:
        flash(_("Test event queued: the worker sends it within seconds."), "success")
    if not wants_fragment():
        return redirect(url_for("sources.detail", source_id=source_id))
    return render_page(DETAIL_TEMPLATE, "webhook", **_detail_context(source))
