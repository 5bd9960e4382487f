"""NEGATIVE CONTROL, tests only: the app with the distribution's locking taken out.

Served by gunicorn (``tests.concurrency.unlocked_wsgi:app``) in the test that must
see operator limits break, or the load tests prove nothing. Each POST of a
contact counts the candidates and picks in a read transaction of its own - before,
and outside, the write transaction - waits ``RACE_DELAY`` seconds so that
concurrent requests decide on the same stale loads, then writes that pick blind.
On SQLite, BEGIN IMMEDIATE would serialise even an unlocked count and its insert;
reading before the write transaction is what makes the race visible there too.

Gunicorn's sync workers serve one request at a time, so the pick of the request
being served can wait in a module variable.
"""

from __future__ import annotations

import functools
import os
import time

from flask import request

from webapp import create_app, distribution, tokens
from webapp.clock import utcnow
from webapp.extensions import db

RACE_DELAY = float(os.environ.get("UNLOCKED_RACE_DELAY", "0.05"))
_stale_pick: dict[str, int | None] = {}


def _write_stale_pick(session, contact, rng=None, **_record_details):
    operator_id = _stale_pick.pop("operator_id", None)
    contact.operator_id = operator_id
    contact.assigned_at = utcnow() if operator_id is not None else None
    session.add(contact)
    session.flush()
    return operator_id


def _pick_before_writing(view):
    @functools.wraps(view)  # keeps what the view declares (bots may call it)
    def unlocked_view(*args, **kwargs):
        bearer = request.headers["Authorization"].partition(" ")[2]
        identity = tokens.authenticate(db.session, bearer)  # the load is sent with a bot token
        if identity is not None and identity.source_id is not None:
            source_id = identity.source_id
            candidates = distribution.load_candidates(db.session, source_id)
            _stale_pick["operator_id"] = distribution.choose_operator(candidates, distribution._default_rng)
            db.session.commit()  # end the read transaction: the write starts later, with stale loads
            time.sleep(RACE_DELAY)
        return view(*args, **kwargs)

    return unlocked_view


app = create_app()
distribution.assign_automatically = _write_stale_pick
app.view_functions["api.create_contact"] = _pick_before_writing(app.view_functions["api.create_contact"])
