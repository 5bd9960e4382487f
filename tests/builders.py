"""Builders for rows, through the same domain functions the app uses, each in its own unit of work."""

from __future__ import annotations

import itertools

from webapp import directory, intake, tokens, users
from webapp.database import write_transaction
from webapp.distribution import SYSTEM
from webapp.extensions import db

_numbers = itertools.count(1)


def make_operator(name=None, limit=10, status="active"):
    with write_transaction(db.session):
        return directory.create_operator(db.session, name or f"Operator {next(_numbers)}", limit, status)


def make_source(name=None, weights=None):
    """A source; ``weights`` maps operators (rows) to weights."""
    with write_transaction(db.session):
        source = directory.create_source(db.session, name or f"Source {next(_numbers)}")
        if weights:
            directory.replace_weights(db.session, source.id, [(op.id, w) for op, w in weights.items()])
    return source


def make_contact(source, external_id=None, **fields):
    with write_transaction(db.session):
        return intake.receive_contact(
            db.session,
            intake.ContactFields(
                source_id=source.id, external_id=external_id or f"lead-{next(_numbers)}", **fields
            ),
            SYSTEM,
        )


def make_token(name, *, is_admin=False, source_id=None):
    """(row, the token in clear) of a new API token."""
    with write_transaction(db.session):
        return tokens.create_token(db.session, name, is_admin=is_admin, source_id=source_id)


def make_user(username, password, role, operator_id=None):
    with write_transaction(db.session):
        return users.create_user(db.session, username, password, role, operator_id)


def committed(change, *args, **kwargs):
    """Run one domain function in a unit of work of its own, as a view would; returns its result."""
    with write_transaction(db.session):
        return change(db.session, *args, **kwargs)
