"""The live contact board, manual assignment, the lead card and the CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from webapp import contacts, distribution, export, jobs, timeouts
from webapp.api_schemas import ContactOperatorUpdate, ContactStatusUpdate
from webapp.blueprints import board_poll
from webapp.blueprints import contact as contact_views
from webapp.blueprints.forms import FormErrors, domain_message, first_message, int_arg, parse_form
from webapp.blueprints.rendering import render_page, wants_fragment
from webapp.clock import utcnow
from webapp.database import write_transaction
from webapp.directory import get_existing
from webapp.distribution import AssignmentRefused
from webapp.errors import DomainError, InvalidError, StaleError
from webapp.extensions import db
from webapp.ids import parse_int
from webapp.models import CONTACT_STATUSES, Contact, Lead, Operator
from webapp.presentation import CONTACT_STATUS_LABELS, age
from webapp.queries import board as board_queries
from webapp.queries import changes, routing
from webapp.queries import operators as operator_queries
from webapp.queries import sources as source_queries
from webapp.security import dashboard_actor, staff_required
from webapp.spreadsheet import safe_cell

bp = Blueprint("board", __name__)
TEMPLATE = "board/index.html"
ASSIGN_TEMPLATE = "board/assign.html"
POLL_SECONDS = 3
FILTER_NAMES = ("source", "status", "operator")
SORTABLE_COLUMNS = ("age", "operator", "source")


def board_filter(values) -> contacts.ContactFilter:
    """The board's filters and search from query or form values; unknown values are ignored."""
    status = values.get("status")
    return contacts.ContactFilter(
        status=status if status in CONTACT_STATUSES else None,
        source_id=int_arg(values, "source"),
        operator_id=int_arg(values, "operator"),
        search=contacts.parse_search(values.get("q"), current_app.config["PHONE_REGION"]),
    )


def board_sort(values) -> str:
    """The open list's order (``age``, ``-age``, ``operator``, ...); an unknown one is the default."""
    sort = values.get("sort")
    return sort if sort in board_queries.SORTS else board_queries.DEFAULT_SORT


def filter_args(contact_filter: contacts.ContactFilter, sort: str = board_queries.DEFAULT_SORT) -> dict:
    """Filters, search and order as URL arguments: for links, the poll, the hidden fields of actions."""
    args = {"source": contact_filter.source_id, "status": contact_filter.status,
            "operator": contact_filter.operator_id,
            "q": contact_filter.search.text if contact_filter.search else None,
            "sort": None if sort == board_queries.DEFAULT_SORT else sort}
    return {name: value for name, value in args.items() if value is not None}


def board_args(values) -> dict:
    """The URL arguments of the board a form was sent from."""
    return filter_args(board_filter(values), board_sort(values))


@bp.app_template_global("contact_version")
def contact_version(contact: Contact) -> str:
    """The version every action form of a row carries: the state the person decided on."""
    return contacts.contact_version(contact)


def _acted_on(values) -> frozenset[str] | None:
    """The version the action's row was rendered with; None from a form without one."""
    version = values.get("version", "").strip()
    return frozenset({version}) if version else None


def _stale_note(contact_id: int) -> str:
    """Why the action did not apply: what happened to the contact since the row was drawn."""
    db.session.rollback()
    contact = db.session.get(Contact, contact_id)
    record = contacts.latest_assignment(db.session, contact_id)
    if contact.operator is not None and record is not None and record.operator_id == contact.operator_id:
        names = {"id": contact_id, "operator": contact.operator.name, "actor": record.actor_name}
        if utcnow() - record.at < timedelta(minutes=1):
            return _("Contact #%(id)s was already given to %(operator)s by %(actor)s a moment ago.", **names)
        return _("Contact #%(id)s was already given to %(operator)s by %(actor)s %(age)s ago.",
                 age=age(record.at, utcnow()), **names)
    status = CONTACT_STATUS_LABELS[contact.status]
    return _("Contact #%(id)s changed a moment ago: it is now %(status)s. Its row shows it as it is now.",
             id=contact_id, status=status)


def _board_context(values, seen: int | None = None, notes: dict | None = None) -> dict:
    # Before anything is read: a change committed meanwhile makes the next poll draw it.
    mark = changes.change_mark(db.session)
    now = utcnow()
    contact_filter = board_filter(values)
    # The board lists with the search three times: the leads it finds are looked up once.
    search = contacts.with_found_leads(db.session, contact_filter.search)
    contact_filter = replace(contact_filter, search=search)
    sort = board_sort(values)
    cursor = board_queries.decode_cursor(values.get("before"), sort)
    before = cursor.encode() if cursor else None  # as read: garbage leaves the poll's URL
    after = int_arg(values, "after")
    latest = board_queries.latest_contact_id(db.session)
    # The poll keeps drawing the contacts the board was drawn with: what arrived since waits
    # behind the "N new — show" bar, so no row moves under the pointer.
    shown = int_arg(values, "shown", minimum=0)
    shown = latest if shown is None else min(shown, latest)
    waiting = board_queries.unassigned_contacts(db.session, contact_filter, after_id=after, until_id=shown)
    assigned, next_before = board_queries.assigned_contacts(
        db.session, contact_filter, cursor, until_id=shown, sort=sort
    )
    args = filter_args(contact_filter, sort)
    context = {
        "filters": args,
        "sort": sort,
        # Each sortable column's link: its order, or the reverse when it is the order already.
        "sort_urls": {
            key: url_for("board.index", **filter_args(contact_filter, f"-{key}" if sort == key else key))
            for key in SORTABLE_COLUMNS
        },
        "unassigned": waiting.rows,
        "unassigned_count": waiting.count,
        "oldest_waiting": waiting.oldest,
        "after": after,
        "next_after": waiting.next_after,
        "assigned": assigned,
        "response_deadlines": timeouts.deadlines(db.session, assigned),
        "overdue": {c.id for c in (*waiting.rows, *assigned) if routing.is_overdue(c, now)},
        "before": before,
        "next_before": next_before.encode() if next_before else None,
        # The bulk bar's operator menu, with each one's load.
        "bulk_operators": operator_queries.operators_for_assignment(db.session),
        "seen": shown if seen is None else seen,
        "arrived": board_queries.arrived_since(db.session, contact_filter, shown) if shown < latest else 0,
        "show_url": url_for("board.index", seen=shown, **args),
        "poll_url": url_for("board.index", seen=shown, shown=shown, before=before, after=after, **args),
        "poll_seconds": POLL_SECONDS,
        "now": now,
        # One-off messages shown in the row of the contact they are about (a lost claim).
        "notes": notes or {},
    }
    return context | {"etag": board_poll.board_etag(mark, context)}


@bp.get("/contacts")
@staff_required
def index():
    """The board: unassigned contacts on top, then open ones; polled by htmx through the same block.

    A poll that sends the ETag of a board still current gets 304 and no body (board_poll.py).
    """
    if wants_fragment() and (etag := board_poll.unchanged_etag()):
        response = make_response("", 304)
        response.headers["ETag"] = etag
        response.vary.add("HX-Request")
        return response
    seen = int_arg(request.args, "seen", minimum=0)
    context = _board_context(request.args, seen)
    if not wants_fragment():  # the filter menus are outside the polled block: the poll skips them
        context |= {
            "sources": source_queries.sources_by_name(db.session),
            "operators": operator_queries.operator_choices(db.session),
        }
    response = render_page(TEMPLATE, "board", **context)
    response.headers["ETag"] = context["etag"]
    return response


def _after_action(status: int = 200):
    """Re-render the board with the filters the action form carried, or redirect a plain POST.

    A form of the contact page (``back=contact``) returns there.
    """
    if request.form.get("back") == "contact":
        return redirect(url_for("contact.show", contact_id=request.view_args["contact_id"]))
    if not wants_fragment():
        return redirect(url_for("board.index", **board_args(request.form)))
    return render_page(TEMPLATE, "board", status, **_board_context(request.form))


def _refused(error: DomainError | str):
    flash(domain_message(error), "error")
    return _after_action(422)


def _stale(contact_id: int):
    """Someone else changed the contact first: nothing is overwritten, the row shows it as it is."""
    note = _stale_note(contact_id)
    if not wants_fragment():
        flash(note, "error")
        return _after_action()
    context = _board_context(request.form, notes={contact_id: note})
    return render_page(TEMPLATE, "board", 422, alert=note, **context)


@bp.get("/contacts/<int:contact_id>/assign")
@staff_required
def assign_form(contact_id):
    """The assignment form of one contact (lazy-loaded into the board's menu; a page without JS)."""
    contact = get_existing(db.session, Contact, contact_id)
    return render_page(ASSIGN_TEMPLATE, "assign_form", **_assign_context(contact, request.args))


def _assign_context(contact: Contact, values, errors=None) -> dict:
    candidates = distribution.load_candidates(db.session, contact.source_id)
    on_source = {candidate.operator_id for candidate in candidates}
    operators = operator_queries.operators_for_assignment(db.session)
    suggested = distribution.suggested_operator(candidates, besides=contact.operator_id)
    return {
        "contact": contact,
        "chosen": int_arg(values, "operator_id", default=suggested),
        "suggested": suggested,
        # The source's operators first; each keeps the order of who can take one now.
        "source_operators": [op for op in operators if op.id in on_source],
        "other_operators": [op for op in operators if op.id not in on_source],
        "filters": board_args(values),
        "errors": errors or {},
        "reason": values.get("reason", ""),
        "back": "contact" if values.get("back") == "contact" else None,
        # The version of the row the menu was opened from: a claim acts on what the person saw.
        "version": values.get("version", "")[:40],
        "now": utcnow(),
        # Inside the board's menu the form swaps the board; on its own page it posts plainly.
        "embedded": wants_fragment(),
    }


@bp.post("/contacts/<int:contact_id>/operator")
@staff_required
def assign(contact_id):
    """Hand a contact to an operator; at the limit or inactive needs the override box and a reason."""
    contact = get_existing(db.session, Contact, contact_id)
    operator_before = contact.operator_id
    try:
        if not request.form.get("operator_id", "").strip():
            raise FormErrors({"operator_id": _("Choose an operator.")})
        fields = parse_form(
            ContactOperatorUpdate,
            {"operator_id": request.form["operator_id"], "force": request.form.get("force", "false"),
             "reason": request.form.get("reason", "")},
        )
        contact = _assign(contact_id, fields, expected=_acted_on(request.form))
    except StaleError:
        response = _stale(contact_id)
        response.headers.update({"HX-Retarget": "#board", "HX-Reswap": "outerHTML"})
        return response
    except (FormErrors, DomainError) as error:
        reason_error = isinstance(error, FormErrors) and "reason" in error.errors
        errors = {"reason": error.errors["reason"]} if reason_error else {"operator_id": first_message(error)}
        response = render_page(ASSIGN_TEMPLATE, "assign_form", 422, alert=first_message(error),
                               **_assign_context(contact, request.form, errors))
        response.headers.update({"HX-Retarget": f"#assign-form-{contact_id}", "HX-Reswap": "outerHTML"})
        return response
    jobs.after_contact_change(db.session, operator_before, contact)
    operator_name = contact.operator.name
    flash(_("Contact #%(id)s assigned to %(operator)s.", id=contact.id, operator=operator_name), "success")
    return _after_action()


def _assign(contact_id: int, fields: ContactOperatorUpdate, expected: frozenset[str] | None) -> Contact:
    """Assign by the rules; only where they refuse does the override apply, and then with a reason.

    The rules are the distribution's: it is asked first without force, so an
    override that was not needed is neither recorded as forced nor asks for a reason.
    """
    try:
        with write_transaction(db.session):
            return contacts.set_operator(db.session, contact_id, fields.operator_id, actor=dashboard_actor(),
                                         expected=expected)
    except AssignmentRefused as refusal:
        if not fields.force or refusal.reason == "closed":
            raise
    if not fields.reason:
        message = _("Say why this contact goes over the limit or to an inactive operator.")
        raise FormErrors({"reason": message})
    with write_transaction(db.session):
        return contacts.set_operator(db.session, contact_id, fields.operator_id, actor=dashboard_actor(),
                                     force=True, reason=fields.reason, expected=expected)


@bp.post("/contacts/<int:contact_id>/unassign")
@staff_required
def unassign(contact_id):
    """Take the operator off an open contact; it waits for the next distribution."""
    operator_before = get_existing(db.session, Contact, contact_id).operator_id
    try:
        with write_transaction(db.session):
            contact = contacts.set_operator(db.session, contact_id, None, actor=dashboard_actor(),
                                            expected=_acted_on(request.form))
    except StaleError:
        return _stale(contact_id)
    except DomainError as error:
        return _refused(error)
    jobs.after_contact_change(db.session, operator_before, contact)
    flash(_("Contact #%(id)s is unassigned.", id=contact_id), "success")
    return _after_action()


@bp.post("/contacts/<int:contact_id>/status")
@staff_required
def set_status(contact_id):
    """Set a contact in progress, closed or back to new."""
    operator_before = get_existing(db.session, Contact, contact_id).operator_id
    try:
        # "set_status", not "status": the form also carries the board's filters, "status" among them.
        fields = parse_form(ContactStatusUpdate, {"status": request.form.get("set_status", "")})
        with write_transaction(db.session):
            contact = contacts.change_status(
                db.session, contact_id, fields.status, expected=_acted_on(request.form)
            )
    except FormErrors:
        return _refused(InvalidError(_("Choose new, in progress or closed.")))
    except StaleError:
        return _stale(contact_id)
    except DomainError as error:
        return _refused(error)
    jobs.after_contact_change(db.session, operator_before, contact)
    status = CONTACT_STATUS_LABELS[contact.status]
    flash(_("Contact #%(id)s is now %(status)s.", id=contact.id, status=status), "success")
    return _after_action()


# At most this many contacts in one bulk action (more than any page of the board shows).
BULK_MAX = 500


def _selection(values) -> list[tuple[int, frozenset[str] | None]]:
    """The ticked rows: ``id:version`` each (the version the row was drawn with); others are ignored."""
    chosen: dict[int, frozenset[str] | None] = {}
    for value in values.getlist("selected")[:BULK_MAX]:
        number, _colon, version = value.partition(":")
        contact_id = parse_int(number)
        if contact_id is not None:
            chosen[contact_id] = frozenset({version.strip()[:40]}) if version.strip() else None
    return list(chosen.items())


def _bulk_change(action: str, fields: ContactOperatorUpdate | None):
    """The single action's own change for one contact of a bulk action."""
    actor = dashboard_actor()

    def change(contact_id, expected):
        if action == "assign":
            return _assign(contact_id, fields, expected)
        with write_transaction(db.session):
            if action == "unassign":
                return contacts.set_operator(db.session, contact_id, None, actor=actor, expected=expected)
            return contacts.change_status(db.session, contact_id, "closed", expected=expected)

    return change


def _bulk_fields(action: str, values) -> ContactOperatorUpdate | None:
    """The assignment the bulk bar asks for; FormErrors when it cannot be done as asked."""
    if action not in ("assign", "unassign", "close"):
        raise FormErrors({"bulk_action": _("Choose assign, unassign or close.")})
    if action != "assign":
        return None
    if not values.get("operator_id", "").strip():
        raise FormErrors({"operator_id": _("Choose an operator.")})
    fields = parse_form(ContactOperatorUpdate, {"operator_id": values["operator_id"],
                                                "force": values.get("force", "false"),
                                                "reason": values.get("reason", "")})
    if fields.force and not fields.reason:
        # Asked once for the batch: which contacts need it is known only contact by contact.
        message = _("Say why these contacts may go over the limit or to an inactive operator.")
        raise FormErrors({"reason": message})
    return fields


def _bulk_report(action: str, result: jobs.BulkResult, fields) -> str:
    """"3 closed, 1 skipped: changed by someone else", in words a manager reads at a glance."""
    done = len(result.changed)
    if action == "assign":
        operator = db.session.get(Operator, fields.operator_id)
        name = operator.name if operator else str(fields.operator_id)
        parts = [ngettext("%(num)s assigned to %(operator)s", "%(num)s assigned to %(operator)s", done,
                          operator=name)]
    elif action == "unassign":
        parts = [ngettext("%(num)s unassigned", "%(num)s unassigned", done)]
    else:
        parts = [ngettext("%(num)s closed", "%(num)s closed", done)]
    if result.stale:
        parts.append(ngettext("%(num)s skipped: changed by someone else (%(ids)s)",
                              "%(num)s skipped: changed by someone else (%(ids)s)", len(result.stale),
                              ids=_numbers(result.stale)))
    refusals: dict[str, list[int]] = {}
    for contact_id, error in result.refused:
        refusals.setdefault(domain_message(error), []).append(contact_id)
    for message, ids in refusals.items():
        parts.append(ngettext("%(num)s skipped (%(ids)s): %(why)s", "%(num)s skipped (%(ids)s): %(why)s",
                              len(ids), ids=_numbers(ids), why=message))
    report = "; ".join(parts)
    return report if report.endswith(("?", ".")) else report + "."


def _numbers(ids: list[int]) -> str:
    return ", ".join(f"#{contact_id}" for contact_id in ids)


@bp.post("/contacts/bulk")
@staff_required
def bulk():
    """Assign, unassign or close the ticked contacts, each as its single action would, with its version."""
    action = request.form.get("bulk_action", "")
    targets = _selection(request.form)
    try:
        if not targets:
            raise FormErrors({"selected": _("Select at least one contact.")})
        fields = _bulk_fields(action, request.form)
    except FormErrors as error:
        return _refused(first_message(error))
    result = jobs.for_each_contact(db.session, targets, _bulk_change(action, fields))
    skipped = result.stale or result.refused
    level = ("info" if result.changed else "error") if skipped else "success"
    flash(_bulk_report(action, result, fields), level)
    if not wants_fragment():
        return _after_action()
    notes = {contact_id: _stale_note(contact_id) for contact_id in result.stale}
    return render_page(TEMPLATE, "board", **_board_context(request.form, notes=notes))


@bp.post("/contacts/redistribute")
@staff_required
def redistribute():
    """Run the distribution over the unassigned open contacts (of the filtered source) and say how it went."""
    result = jobs.redistribute(db.session, board_filter(request.form).source_id, actor=dashboard_actor())
    total = result.assigned + result.unassigned
    flash(ngettext("%(assigned)s of %(num)s found an operator.", "%(assigned)s of %(num)s found an operator.",
                   total, assigned=result.assigned), "success" if result.assigned else "info")
    return _after_action()


@bp.get("/leads/<int:lead_id>")
@staff_required
def lead(lead_id):
    """The lead card: identity fields and the history of its contacts."""
    lead_row = get_existing(db.session, Lead, lead_id)
    history = board_queries.lead_history(db.session, lead_id)
    return render_page("board/lead.html", "history", lead=lead_row, history=history,
                       timelines=contact_views.timelines(history), now=utcnow(),
                       back=_same_site(request.referrer))


def _same_site(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.netloc == request.host else None


@bp.get("/contacts/export.csv")
@staff_required
def export_csv():
    """Every contact matching the board's filters and search as CSV, in its order, streamed in batches."""
    contact_filter, sort = board_filter(request.args), board_sort(request.args)

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(export.EXPORT_FIELDS)
        for row in export.export_rows(db.session, contact_filter, sort=sort):
            writer.writerow([safe_cell(value) for value in row])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
        db.session.rollback()

    headers = {"Content-Disposition": 'attachment; filename="contacts.csv"', "Cache-Control": "no-store"}
    return Response(stream_with_context(generate()), mimetype="text/csv", headers=headers)
