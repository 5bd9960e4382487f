"""Each operator's stored open-contact count follows its contacts, and `flask check` proves it."""

from __future__ import annotations

from sqlalchemy import text

from tests.builders import committed, make_contact, make_operator, make_source
from webapp import contacts
from webapp.distribution import SYSTEM
from webapp.extensions import db


def _stored_and_counted(operator_ids):
    db.session.remove()
    rows = db.session.execute(
        text(
            "SELECT id, open_contacts, (SELECT count(*) FROM contacts WHERE operator_id = operators.id"
            " AND status IN ('new', 'in_progress')) FROM operators ORDER BY id"
        )
    ).all()
    db.session.remove()
    return {
        operator_id: (stored, counted) for operator_id, stored, counted in rows if operator_id in operator_ids
    }


def test_the_count_follows_intake_moves_status_changes_and_closing(app, runner):
    anna, boris = make_operator(limit=5), make_operator(limit=5)
    source = make_source(weights={anna: 1})
    anna, boris = anna.id, boris.id
    first, second, third = (make_contact(source).id for _ in range(3))
    assert _stored_and_counted({anna, boris}) == {anna: (3, 3), boris: (0, 0)}

    committed(contacts.set_operator, first, boris, actor=SYSTEM)
    committed(contacts.change_status, second, "in_progress")  # still open: no change
    committed(contacts.change_status, third, "closed")
    committed(contacts.set_operator, second, None, actor=SYSTEM)

    assert _stored_and_counted({anna, boris}) == {anna: (0, 0), boris: (1, 1)}
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output


def test_writes_outside_the_app_keep_the_count_too(app):
    """The triggers count whatever wrote the contact: a bulk UPDATE, a DELETE, another tool."""
    anna, boris = make_operator(limit=50), make_operator(limit=50)
    source = make_source(weights={anna: 1})
    anna, boris = anna.id, boris.id
    for _ in range(4):
        make_contact(source)
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE contacts SET operator_id = :boris WHERE id IN (SELECT min(id) FROM contacts)"),
            {"boris": boris},
        )
        connection.execute(
            text("UPDATE contacts SET status = 'closed' WHERE id = (SELECT max(id) FROM contacts)")
        )
        connection.execute(text("DELETE FROM assignments"))
        connection.execute(
            text("DELETE FROM contacts WHERE id = (SELECT max(id) FROM contacts WHERE status <> 'closed')")
        )
    assert _stored_and_counted({anna, boris}) == {anna: (1, 1), boris: (1, 1)}


def test_check_reports_a_drifted_count_and_repair_mends_it(app, runner):
    anna = make_operator(name="Anna", limit=5)
    source = make_source(weights={anna: 1})
    anna = anna.id
    make_contact(source)
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE operators SET open_contacts = 4 WHERE id = :id"), {"id": anna})

    found = runner.invoke(args=["check"])
    assert found.exit_code == 1
    assert f"Operator {anna} (Anna): 4 open contacts stored, 1 counted." in found.output

    repaired = runner.invoke(args=["check", "--repair"])
    assert repaired.exit_code == 0 and "Repaired 1 counts." in repaired.output
    assert _stored_and_counted({anna}) == {anna: (1, 1)}
    assert runner.invoke(args=["check"]).exit_code == 0
