"""What the dashboard's templates show for a state: labels and the age of a moment.

Templates only show; the words for a status and the way an age reads are
decided here once, for every page.
"""

from __future__ import annotations

from datetime import datetime

CONTACT_STATUS_LABELS = {"new": "new", "in_progress": "in progress", "closed": "closed"}
# OperatorLoad.state -> (label, badge class)
OPERATOR_STATES = {
    "inactive": ("inactive", "badge-muted"),
    "over_limit": ("over limit", "badge-warn"),
    "at_limit": ("at limit", "badge-warn"),
    "available": ("available", "badge-ok"),
}


def age(moment: datetime, now: datetime) -> str:
    """How long ago ``moment`` was, in its largest whole unit: "42 s", "5 min", "3 h", "4 d"."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def register_template_helpers(app) -> None:
    app.jinja_env.globals.update(
        contact_status_labels=CONTACT_STATUS_LABELS,
        operator_states=OPERATOR_STATES,
    )
    app.jinja_env.filters["age"] = age
