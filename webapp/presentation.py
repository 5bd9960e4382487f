"""What the dashboard's templates show for a state: labels and the age of a moment.

Templates only show; the words for a status and the way an age reads are
decided here once, for every page, in the language of the request.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

CONTACT_STATUS_LABELS = {"new": _l("new"), "in_progress": _l("in progress"), "closed": _l("closed")}
OPERATOR_STATUS_LABELS = {"active": _l("active"), "inactive": _l("inactive")}
ROLE_LABELS = {"supervisor": _l("supervisor"), "manager": _l("manager")}
# OperatorLoad.state -> (label, badge class)
OPERATOR_STATES = {
    "inactive": (_l("inactive"), "badge-muted"),
    "over_limit": (_l("over limit"), "badge-warn"),
    "at_limit": (_l("at limit"), "badge-warn"),
    "available": (_l("available"), "badge-ok"),
}


def unavailable_reason(operator, on_source: bool) -> str | None:
    """Why an operator is not who the distribution would give a contact to, in plain words."""
    if not operator.is_active:
        return _l("inactive")
    if operator.load > operator.limit:
        return _l("over limit %(load)s/%(limit)s", load=operator.load, limit=operator.limit)
    if operator.load == operator.limit:
        return _l("at limit %(load)s/%(limit)s", load=operator.load, limit=operator.limit)
    if not on_source:
        return _l("not on this source")
    return None


def age(moment: datetime, now: datetime) -> str:
    """How long ago ``moment`` was, in its largest whole unit: "42 s", "5 min", "3 h", "4 d"."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return ngettext("%(num)d s", "%(num)d s", seconds)
    if seconds < 3600:
        return ngettext("%(num)d min", "%(num)d min", seconds // 60)
    if seconds < 2 * 86400:
        return ngettext("%(num)d h", "%(num)d h", seconds // 3600)
    return ngettext("%(num)d d", "%(num)d d", seconds // 86400)


def register_template_helpers(app) -> None:
    app.jinja_env.globals.update(
        contact_status_labels=CONTACT_STATUS_LABELS,
        operator_status_labels=OPERATOR_STATUS_LABELS,
        operator_states=OPERATOR_STATES,
        role_labels=ROLE_LABELS,
        unavailable_reason=unavailable_reason,
    )
    app.jinja_env.filters["age"] = age
