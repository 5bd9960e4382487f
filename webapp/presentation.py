"""What the dashboard's templates show for a state: labels and the age of a moment.

Templates only show; the words for a status and the way an age reads are
decided here once, for every page, in the language of the request.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup

from webapp.i18n import localtime

CONTACT_STATUS_LABELS = {"new": _l("new"), "in_progress": _l("in progress"), "closed": _l("closed")}
OPERATOR_STATUS_LABELS = {"active": _l("active"), "inactive": _l("inactive")}
ROLE_LABELS = {"supervisor": _l("supervisor"), "manager": _l("manager"), "operator": _l("operator")}
PLAN_STATUS_LABELS = {"scheduled": _l("scheduled"), "active": _l("active now"), "done": _l("done"),
                      "cancelled": _l("cancelled"), "missed": _l("missed")}
# OperatorLoad.state -> (label, badge class)
OPERATOR_STATES = {
    "inactive": (_l("inactive"), "badge-muted"),
    "absent": (_l("absent"), "badge-muted"),
    "off_shift": (_l("off shift"), "badge-muted"),
    "over_limit": (_l("over limit"), "badge-warn"),
    "at_limit": (_l("at limit"), "badge-warn"),
    "available": (_l("available"), "badge-ok"),
}


def unavailable_reason(operator, on_source: bool) -> str | None:
    """Why an operator is not who the distribution would give a contact to, in plain words.

    The rule is ``OperatorLoad.state`` (the pick's own); this only says it, with the numbers
    where a limit is the reason.
    """
    state = operator.state
    if state == "over_limit":
        return _l("over limit %(load)s/%(limit)s", load=operator.load, limit=operator.limit)
    if state == "at_limit":
        return _l("at limit %(load)s/%(limit)s", load=operator.load, limit=operator.limit)
    if state != "available":
        return OPERATOR_STATES[state][0]
    return None if on_source else _l("not on this source")


def wait_reason(reason) -> str:
    """Why a source's contacts wait, in words (``reason`` is a ``distribution.WaitReason``)."""
    inactive = reason.excluded.get("inactive", 0)
    at_limit = reason.excluded.get("at_limit", 0)
    if reason.kind == "unweighted":
        return _("No operator is weighted on this source")
    if reason.kind == "inactive":
        if inactive == 1:
            return _("Its only operator is inactive")
        return ngettext("All %(num)s inactive", "All %(num)s inactive", inactive)
    if reason.kind == "at_limit":
        if at_limit == 1:
            return _("Its only operator is at their limit")
        return ngettext("All %(num)s at their limit", "All %(num)s at their limit", at_limit)
    if reason.kind == "mixed":
        return _("%(inactive)s inactive, %(at_limit)s at their limit",
                       inactive=inactive, at_limit=at_limit)
    return _("Someone can take them now: redistribute")


# Monday 0, as schedules number them.
WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
                 _l("Sunday"))


def age(moment: datetime, now: datetime) -> str:
    """How long ago ``moment`` was, in its largest whole unit: "42 s", "5 min", "3 h", "4 d"."""
    return duration((now - moment).total_seconds())


def duration(seconds: float | None) -> str:
    """A span of seconds in its largest whole unit ("42 s", "5 min", "3 h", "4 d"); "—" for None."""
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return ngettext("%(num)d s", "%(num)d s", seconds)
    if seconds < 3600:
        return ngettext("%(num)d min", "%(num)d min", seconds // 60)
    if seconds < 2 * 86400:
        return ngettext("%(num)d h", "%(num)d h", seconds // 3600)
    return ngettext("%(num)d d", "%(num)d d", seconds // 86400)


# --- The assignment timeline, in plain words ----------------------------------
#
# One sentence per assignment record: "14:02 — given to Anna by weighted pick:
# Anna 3 of 6, Boris 3 of 6; Clara at limit 5/5". What happened (given, moved,
# taken away, nobody), on which occasion (trigger), by which rule, by whom
# (actor), and for a forced one the reason.

TRIGGER_PHRASES = {
    "intake": _l("at intake"),
    "manual": _l("by hand"),
    "redistribute": _l("on redistribution"),
    "drain": _l("when capacity freed up"),
    "sweep": _l("by the periodic sweep"),
    "timeout": _l("after a response timeout"),
    "unassign": _l("on unassignment"),
    "merge": _l("in a lead merge"),
}
EXCLUSION_PHRASES = {
    "at_limit": lambda c: _("at limit %(load)s/%(limit)s", load=c["load"], limit=c["limit"]),
    "inactive": lambda c: _("inactive"),
    "timed_out": lambda c: _("let it time out"),
    "off_shift": lambda c: _("off shift"),
    "absent": lambda c: _("absent"),
}


def _change(record, name) -> str:
    if record.operator_id is not None and record.from_operator_id is not None:
        return _("moved from %(old)s to %(new)s",
                 old=name(record.from_operator_id), new=name(record.operator_id))
    if record.operator_id is not None:
        return _("given to %(new)s", new=name(record.operator_id))
    if record.from_operator_id is not None:
        return _("taken from %(old)s", old=name(record.from_operator_id))
    return _("nobody could take it")


def _candidates(candidates: list[dict], name) -> str:
    """Eligible candidates as "Anna 3 of 6" (weight of the eligible total); the others and why not."""
    eligible = [c for c in candidates if c.get("eligible")]
    total = sum(c["weight"] for c in eligible)
    shares = [_("%(name)s %(weight)s of %(total)s", name=name(c["operator_id"]), weight=c["weight"],
                total=total) for c in eligible]
    excluded = [f"{name(c['operator_id'])} {EXCLUSION_PHRASES[c['excluded_because']](c)}"
                for c in candidates
                if not c.get("eligible") and c.get("excluded_because") in EXCLUSION_PHRASES]
    return "; ".join(part for part in (", ".join(shares), ", ".join(excluded)) if part)


def _rule(record, name) -> str | None:
    if record.rule == "weighted":
        return _("by weighted pick: %(candidates)s", candidates=_candidates(record.candidates, name))
    if record.rule == "sticky":
        return _("back to the operator of the returning lead")
    if record.rule == "none":
        listed = _candidates(record.candidates, name)
        return _("nobody eligible: %(candidates)s", candidates=listed) if listed else _("nobody weighted")
    return None  # manual: the actor says it all


def _actor(record) -> str | None:
    if record.actor_kind == "user":
        return _("by %(name)s", name=record.actor_name)
    if record.actor_kind == "token":
        return _("by token %(name)s", name=record.actor_name)
    return None  # the system: the trigger already says when


def assignment_sentence(record, operator_names: dict[int, str]) -> str:
    """One assignment record as a sentence in the request's language and time zone."""

    def name(operator_id: int) -> str:
        return operator_names.get(operator_id) or _("operator #%(id)s", id=operator_id)

    parts = [_change(record, name), str(TRIGGER_PHRASES.get(record.trigger, record.trigger)),
             _rule(record, name), _actor(record)]
    if record.forced:
        parts.append(_("over the limit (forced)"))
    if record.reason:
        parts.append(_("reason: “%(reason)s”", reason=record.reason))
    return f"{localtime(record.at, 'short')} — " + ", ".join(part for part in parts if part)


def count_cells(counts) -> Markup:
    """A table row's whole numbers as cells, ``<td class="num">3</td>`` each.

    The stats page's load table has 48 a row and up to a few thousand rows: one call a row
    instead of a template loop and an escape a cell (a third of the time, measured). Whole
    numbers need no escaping.
    """
    return Markup("".join(f'<td class="num">{int(count)}</td>' for count in counts))


def register_template_helpers(app) -> None:
    app.jinja_env.globals.update(
        contact_status_labels=CONTACT_STATUS_LABELS,
        operator_status_labels=OPERATOR_STATUS_LABELS,
        operator_states=OPERATOR_STATES,
        weekday_names=WEEKDAY_NAMES,
        role_labels=ROLE_LABELS,
        unavailable_reason=unavailable_reason,
        plan_statuses=PLAN_STATUS_LABELS,
    )
    app.jinja_env.filters["age"] = age
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["wait_reason"] = wait_reason
    app.jinja_env.filters["count_cells"] = count_cells
