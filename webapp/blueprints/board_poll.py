"""The board's poll answers 304 Not Modified when nothing on the board can have changed.

Every board carries an ETag (``data-etag``; static/js/app.js sends it back as
``If-None-Match`` with the next poll): ``<fresh until>~<change mark>~<signature>``.

- The change mark (webapp/queries/changes.py) is taken before the board is read; the
  poll asks the database, in one statement, whether a contact, operator or source
  changed since.
- "Fresh until" is the first moment a text or highlight on the board would read
  differently with no change at all: a contact becoming overdue, a response deadline
  passing, any age or time left still counted in seconds (the next poll draws those
  again), and at most a minute ahead, so ages in minutes, hours and days and an
  operator's shift or absence in the bulk menu are at most a minute late.
- The signature (HMAC with the app's secret key) covers both, the poll's arguments
  (filters, search, order, page, ``seen``/``shown``), the language, the time zone and
  the user: a board drawn for other arguments or settings is never taken for this one,
  and a forged mark never reaches the database.

The "updated" time of the board is set by app.js when a poll answers 304.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from flask import current_app, request, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from werkzeug.http import quote_etag

from webapp.clock import utcnow
from webapp.extensions import db
from webapp.queries import changes, routing

# A board drawn with no change is drawn again after this long at the latest.
REDRAW_AFTER = timedelta(seconds=60)
# Below this, ages and times left are counted in seconds (presentation.duration).
SECONDS_SHOWN = timedelta(seconds=60)
# A mark holds the PostgreSQL transactions running at the time: a few dozen at most.
MAX_TAG_LENGTH = 4000


def fresh_until(context: dict) -> datetime:
    """The first moment the board drawn from ``context`` would read differently without any change."""
    now = context["now"]
    rows = [*context["unassigned"], *context["assigned"]]
    moments = [now + REDRAW_AFTER]
    moments += [moment for row in rows if (moment := routing.overdue_from(row)) is not None and moment > now]
    deadlines = [deadline for deadline in context["response_deadlines"].values() if deadline > now]
    moments += deadlines  # "timed out" from then on
    ages = [now - row.created_at for row in rows] + [deadline - now for deadline in deadlines]
    if context["oldest_waiting"] is not None:
        ages.append(now - context["oldest_waiting"])
    if any(age < SECONDS_SHOWN for age in ages):
        moments.append(now)
    return min(moments)


def board_etag(mark: str, context: dict) -> str:
    """The quoted (weak) ETag of a board drawn from ``context`` after ``mark`` was taken."""
    stamp = int(fresh_until(context).timestamp())
    arguments = parse_qsl(urlsplit(context["poll_url"]).query, keep_blank_values=True)
    return quote_etag(f"{stamp}~{mark}~{_signature(stamp, mark, arguments)}", weak=True)


def unchanged_etag() -> str | None:
    """For a poll whose If-None-Match names a board that is still what it would draw now: that ETag.

    One statement (the change check), and only for a tag this server signed for these
    arguments, language, time zone and user.
    """
    tags = request.if_none_match.as_set(include_weak=True)
    if len(tags) != 1 or "_flashes" in session:  # a pending message rides on the next board drawn
        return None
    tag = tags.pop()
    stamp, mark, signature = (tag.split("~") + ["", "", ""])[:3]
    if len(tag) > MAX_TAG_LENGTH or not stamp.isdigit() or int(stamp) <= utcnow().timestamp():
        return None
    expected = _signature(int(stamp), mark, list(request.args.items(multi=True)))
    if not hmac.compare_digest(signature, expected) or not changes.unchanged_since(db.session, mark):
        return None
    return quote_etag(tag, weak=True)


def _signature(stamp: int, mark: str, arguments: list[tuple[str, str]]) -> str:
    message = repr((stamp, mark, sorted(arguments), str(get_locale()), get_timezone().zone, current_user.id))
    key = current_app.secret_key.encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:24]
