"""One decision for every dashboard view: the full page, or one block of it for htmx.

A page template names each region htmx refreshes as a ``{% block %}``. The view
renders the whole page for a normal request, and only the asked-for block for an
htmx request (jinja2-fragments), from the same template and the same context, so
the page and its partial cannot drift.

Validation errors (decided once): a form that fails validation answers 422 with
the form's block re-rendered, its messages inline. htmx is told to swap 422
(``responseHandling`` in the htmx-config meta tag of base.html); without
JavaScript the browser shows the whole page with the same messages.
"""

from __future__ import annotations

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """htmx asked, and not for a whole page (boosted link or history restore)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render_page(template: str, block: str, status: int = 200, **context):
    """The page, or for htmx its ``block`` plus the flash area (swapped out of band)."""
    if wants_fragment():
        # The flash area lives in base.html; it rides along out of band when there is news.
        body = render_block(template, block, **context) + render_block("base.html", "flashes", flash_oob=True)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
