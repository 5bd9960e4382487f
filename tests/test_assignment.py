"""The assignment service on a real database: who gets contacts, and who never does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import committed, make_contact, make_operator, make_source
from webapp import contacts, directory, jobs
from webapp.distribution import SYSTEM
from webapp.errors import ConflictError
from webapp.extensions import db
from webapp.models import Operator


def load_by_operator(session) -> dict[int, int]:
    """Open contacts per operator id, as the operators' counters hold them (operators with none absent)."""
    query = select(Operator.id, Operator.open_contacts).where(Operator.open_contacts > 0)
    return dict(session.execute(query).all())


def test_inactive_full_and_unweighted_operators_never_get_contacts(app):
    eligible = make_operator(limit=100)
    inactive = make_operator(status="inactive")
    full = make_operator(limit=0)
    unweighted = make_operator()
    source = make_source(weights={eligible: 1, inactive: 50, full: 50})
    other = make_source(weights={unweighted: 1})
    owners = {make_contact(source).operator_id for _ in range(30)}
    assert owners == {eligible.id}
    # The unweighted one was passed over for its missing weight on this source alone:
    # active and with room, it takes the other source's contact.
    assert make_contact(other).operator_id == unweighted.id


def test_nobody_eligible_leaves_the_contact_unassigned(app):
    operator = make_operator(limit=1)
    source = make_source(weights={operator: 1})
    first, second = make_contact(source), make_contact(source)
    assert first.operator_id == operator.id
    assert second.operator_id is None
    assert load_by_operator(db.session) == {operator.id: 1}


def test_closing_a_contact_frees_a_place(app):
    operator = make_operator(limit=1)
    source = make_source(weights={operator: 1})
    first = make_contact(source)
    committed(contacts.change_status, first.id, "closed")
    assert make_contact(source).operator_id == operator.id


def test_limit_holds_over_many_contacts(app):
    operators = [make_operator(limit=limit) for limit in (1, 2, 3)]
    source = make_source(weights={op: w for op, w in zip(operators, (5, 1, 1), strict=True)})
    results = [make_contact(source).operator_id for _ in range(10)]
    loads = load_by_operator(db.session)
    assert all(loads.get(op.id, 0) <= op.max_active_contacts for op in operators)
    assert results.count(None) == 4


def test_redistribute_assigns_the_oldest_waiting_contacts_first(app):
    operator = make_operator(limit=0)
    source = make_source(weights={operator: 1})
    waiting = [make_contact(source) for _ in range(3)]
    committed(directory.update_operator, operator.id, max_active_contacts=2)
    result = jobs.redistribute(db.session, actor=SYSTEM)
    assert (result.assigned, result.unassigned) == (2, 1)
    owners = [db.session.get(type(c), c.id).operator_id for c in waiting]
    assert owners == [operator.id, operator.id, None]


def test_manual_assignment_respects_limit_unless_forced(app):
    operator = make_operator(limit=0)
    source = make_source()
    contact = make_contact(source)
    with pytest.raises(ConflictError, match="limit"):
        committed(contacts.set_operator, contact.id, operator.id, actor=SYSTEM)
    committed(contacts.set_operator, contact.id, operator.id, actor=SYSTEM, force=True)
    assert db.session.get(type(contact), contact.id).operator_id == operator.id
