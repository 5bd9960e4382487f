"""What triggers keep, recomputed: ``Operator.open_contacts`` against the contacts themselves,
``shared_lead_values`` against the leads (``differences`` serves ``pick_tallies`` too).

The triggers of migrations 0014 and 0020 keep them in the statement that changes a contact
or a lead, so they cannot drift through the application. This is the proof, and the repair
should a hand-made change (a restore, a manual UPDATE with the triggers off) ever make them drift.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import delete, func, insert, literal, select, union_all, update

from webapp.models import Lead, Operator, SharedLeadValue, counted_open_contacts


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


class ValueDrift(NamedTuple):
    field: str
    value: str
    stored: int | None  # the oldest lead the table names, None when the value is missing
    counted: int | None  # the oldest lead holding it, None when fewer than two leads do


def _shared_values_counted():
    """(field, value, first_lead_id) of every phone and email more than one lead holds."""
    return union_all(*(
        select(literal(field).label("field"), column.label("value"), func.min(Lead.id).label("first_lead_id"))
        .where(column.is_not(None))
        .group_by(column)
        .having(func.count() > 1)
        for field, column in (("phone", Lead.phone), ("email", Lead.email))
    ))


def differences(session, stored_rows, counted_rows, missing=None) -> list[tuple]:
    """(key..., stored, counted) of every key whose stored value is not its recount, by key.

    ``stored_rows`` and ``counted_rows`` select the key's columns, then the value; they are
    read by one statement (one snapshot on PostgreSQL, even under load). ``missing``: the
    value of a key found on one side only.
    """
    stored: dict[tuple, object] = {}
    counted: dict[tuple, object] = {}
    both = union_all(
        select(stored_rows.subquery(), literal(True)), select(counted_rows.subquery(), literal(False))
    )
    for *key, value, is_stored in session.execute(both):
        (stored if is_stored else counted)[tuple(key)] = value
    return [
        (*key, stored.get(key, missing), counted.get(key, missing))
        for key in sorted(stored.keys() | counted.keys())
        if stored.get(key, missing) != counted.get(key, missing)
    ]


def shared_values_drift(session) -> list[ValueDrift]:
    """Every value the table holds wrongly, misses or names with another oldest lead."""
    table = SharedLeadValue.__table__
    stored_rows = select(table.c.field, table.c.value, table.c.first_lead_id)
    return [ValueDrift(*row) for row in differences(session, stored_rows, _shared_values_counted())]


def repair_shared_values(session) -> None:
    """Write the table afresh from the leads, inside the caller's write transaction."""
    session.execute(delete(SharedLeadValue))
    session.execute(
        insert(SharedLeadValue).from_select(["field", "value", "first_lead_id"], _shared_values_counted())
    )
