"""Histories at set times: contacts received and changes made through the real domain functions,
with the clock replaying the moment they happen (``webapp.clock.replaying_at``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.builders import committed, make_operator, make_source
from webapp import intake
from webapp.clock import replaying_at
from webapp.database import write_transaction
from webapp.distribution import SYSTEM
from webapp.extensions import db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def arrive(source_id, at, rng=None, external_id=None):
    """The id of a contact received at ``at`` through the real intake, picked with ``rng``."""
    with replaying_at(at), write_transaction(db.session):
        fields = intake.ContactFields(source_id=source_id, external_id=external_id or f"x-{at.timestamp()}")
        return intake.receive_contact(db.session, fields, SYSTEM, rng=rng).id


def at(moment, change, *args, **kwargs):
    """Run one domain function in its own unit of work at ``moment``."""
    with replaying_at(moment):
        return committed(change, *args, **kwargs)


def weighted_history(rng, picks=400, start=T0):
    """Anna 3, Boris 5, Vera 2 on one source, ``picks`` contacts a minute apart picked with ``rng``."""
    operators = [make_operator(name, limit=10_000) for name in ("Anna", "Boris", "Vera")]
    source = make_source("Telegram", weights=dict(zip(operators, (3, 5, 2), strict=True)))
    for number in range(picks):
        arrive(source.id, start + timedelta(minutes=number), rng, external_id=f"h-{number}")
    return source
