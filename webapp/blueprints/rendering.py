"""One decision for every dashboard view: the full page, or one block of it for htmx.

A page template names each region htmx refreshes as a ``{% block %}``. The view
renders the whole page for a normal request, and only the asked-for block for an
htmx request (jinja2-fragments), from the same template and the same context, so
the page and its partial cannot drift.

Validation errors (decided once): a form that fails validation answers 422 with
the form's block re-rendered, its messages inline. htmx is told to swap 422
(``responseHandling`` in the htmx-config meta tag of base.html); without
JavaScript the browser shows the whole page with the same messages.

Screen readers (decided once, too): an htmx answer carries an ``HX-Trigger`` event
``announce`` — ``{"message": ..., "level": "status"|"error"}`` — with its flashed
message, or the ``alert`` a view passes for an inline error; static/js/a11y.js puts it
into the live regions of ``_live_region.html``.
"""

from __future__ import annotations

import json

from flask import get_flashed_messages, make_response, render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """htmx asked, and not for a whole page (boosted link or history restore)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render_page(template: str, block: str, status: int = 200, *, alert: str | None = None, **context):
    """The page, or for htmx its ``block`` plus the flash area (swapped out of band).

    ``alert``: an inline error of the answer, announced to screen readers (htmx only).
    """
    if not wants_fragment():
        response = make_response(render_template(template, **context), status)
        response.vary.add("HX-Request")
        return response
    # The same (cached) list the flashes block reads below.
    news = get_flashed_messages(with_categories=True)
    # The flash area lives in base.html; it rides along out of band when there is news.
    body = render_block(template, block, **context) + render_block("base.html", "flashes", flash_oob=True)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    if alert:
        add_trigger(response, "announce", {"message": alert, "level": "error"})
    elif news:
        category, message = news[-1]
        level = "error" if category == "error" else "status"
        add_trigger(response, "announce", {"message": message, "level": level})
    return response


def add_trigger(response, event: str, detail) -> None:
    """Add an htmx event to the answer's ``HX-Trigger``, keeping the events already there."""
    events = json.loads(response.headers.get("HX-Trigger") or "{}")
    events[event] = detail
    # ASCII JSON: a header is Latin-1, and the Russian text travels as \u escapes.
    response.headers["HX-Trigger"] = json.dumps(events)
