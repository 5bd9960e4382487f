"""The stored counters, recounted: ``Operator.open_contacts`` against the contacts themselves.

The triggers of migration 0014 keep the counter in the statement that changes a contact,
so it cannot drift through the application. This is the proof, and the repair should a
hand-made change (a restore, a manual UPDATE with the triggers off) ever make it drift.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select, update

from webapp.models import Operator, counted_open_contacts


class Drift(NamedTuple):
    operator_id: int
    name: str
    stored: int
    counted: int


def open_contacts_drift(session) -> list[Drift]:
    """Every operator whose stored count differs from a recount, by id.

    One statement, so on PostgreSQL both figures come from one snapshot even under load.
    """
    counted = counted_open_contacts()
    rows = session.execute(
        select(Operator.id, Operator.name, Operator.open_contacts, counted)
        .where(Operator.open_contacts != counted)
        .order_by(Operator.id)
    )
    return [Drift(*row) for row in rows]


def repair_open_contacts(session) -> int:
    """Set every drifted count to the recount, inside the caller's write transaction; how many."""
    counted = counted_open_contacts()
    result = session.execute(
        update(Operator).where(Operator.open_contacts != counted).values(open_contacts=counted)
    )
    return result.rowcount
