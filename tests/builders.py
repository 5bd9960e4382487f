"""Builders for rows, through the same domain functions the app uses."""

from __future__ import annotations

import itertools

from webapp import directory, intake
from webapp.database import begin_write
from webapp.extensions import db

_numbers = itertools.count(1)


def make_operator(name=None, limit=10, status="active"):
    return directory.create_operator(db.session, name or f"Operator {next(_numbers)}", limit, status)


def make_source(name=None, weights=None):
    """A source; ``weights`` maps operators (rows) to weights."""
    source = directory.create_source(db.session, name or f"Source {next(_numbers)}")
    if weights:
        directory.replace_weights(db.session, source.id, [(op.id, w) for op, w in weights.items()])
    return source


def make_contact(source, external_id=None, **fields):
    begin_write(db.session)
    contact = intake.receive_contact(
        db.session,
        intake.ContactFields(
            source_id=source.id, external_id=external_id or f"lead-{next(_numbers)}", **fields
        ),
    )
    db.session.commit()
    return contact
