"""What the dashboard's templates show for a state: labels and the age of a moment.

Templates only show; the words for a status and the way an age reads are
decided here once, for every page, in the language of the request.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

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


def wait_reason(reason) -> str:
    """Why a source's contacts wait, in words (``reason`` is a ``distribution.WaitReason``)."""
    inactive = reason.excluded.get("inactive", 0)
    at_limit = reason.excluded.get("at_limit", 0)
    if reason.kind == "unweighted":
        return gettext("No operator is weighted on this source")
    if reason.kind == "inactive":
        if inactive == 1:
            return gettext("Its only operator is inactive")
        return ngettext("All %(num)s inactive", "All %(num)s inactive", inactive)
    if reason.kind == "at_limit":
        if at_limit == 1:
            return gettext("Its only operator is at their limit")
        return ngettext("All %(num)s at their limit", "All %(num)s at their limit", at_limit)
    if reason.kind == "mixed":
        return gettext("%(inactive)s inactive, %(at_limit)s at their limit",
                       inactive=inactive, at_limit=at_limit)
    return gettext("Someone can take them now: redistribute")


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
    )
    app.jinja_env.filters["age"] = age
    app.jinja_env.filters["wait_reason"] = wait_reason
