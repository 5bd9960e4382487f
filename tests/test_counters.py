"""Each operator's stored open-contact count follows its contacts, the shared phones and emails
follow the leads, and `flask check` proves it."""

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
    assert repaired.exit_code == 0 and "Repaired 1 counts and 0 shared values." in repaired.output
    assert _stored_and_counted({anna}) == {anna: (1, 1)}
    assert runner.invoke(args=["check"]).exit_code == 0


def _shared_values():
    db.session.remove()
    with db.engine.connect() as connection:
        return connection.execute(
            text("SELECT field, value, first_lead_id FROM shared_lead_values ORDER BY field, value")
        ).all()


def _lead_id(external_id):
    with db.engine.connect() as connection:
        found = connection.execute(text("SELECT id FROM leads WHERE external_id = :e"), {"e": external_id})
        return found.scalar_one()


def test_shared_values_follow_any_write_to_leads(app, runner):
    """Intake, a manual UPDATE, a DELETE: the table names each value two leads hold, with its oldest lead."""
    source = make_source()
    make_contact(source, "a", phone="+79120000001", email="x@example.com")
    make_contact(source, "b", phone="+79120000001")
    make_contact(source, "c", email="x@example.com")
    a, b, c = _lead_id("a"), _lead_id("b"), _lead_id("c")
    assert _shared_values() == [("email", "x@example.com", a), ("phone", "+79120000001", a)]

    with db.engine.begin() as connection:
        connection.execute(text("UPDATE leads SET email = NULL WHERE id = :a"), {"a": a})
        connection.execute(text("UPDATE leads SET phone = '+79120000001' WHERE id = :c"), {"c": c})
    assert _shared_values() == [("phone", "+79120000001", a)]

    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO leads (external_id, phone, created_at) VALUES ('d', '+79120000001', '2026-01-01')"
        ))
        connection.execute(text("UPDATE leads SET phone = NULL WHERE id = :a"), {"a": a})
    assert _shared_values() == [("phone", "+79120000001", b)]  # b, c and d hold it now: b is the oldest

    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM leads WHERE external_id = 'd'"))
        connection.execute(text("UPDATE leads SET phone = '+79120000002' WHERE id = :b"), {"b": b})
    assert _shared_values() == []  # c alone holds it
    assert runner.invoke(args=["check"]).exit_code == 0


def test_check_reports_a_drifted_shared_value_and_repair_mends_it(app, runner):
    source = make_source()
    make_contact(source, "a", phone="+79120000001")
    make_contact(source, "b", phone="+79120000001")
    first = _lead_id("a")
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM shared_lead_values"))
        connection.execute(text("INSERT INTO shared_lead_values VALUES ('email', 'nobody@example.com', 7)"))

    found = runner.invoke(args=["check"])
    assert found.exit_code == 1
    assert "Shared email nobody@example.com: oldest lead 7 stored, None found." in found.output
    assert f"Shared phone +79120000001: oldest lead None stored, {first} found." in found.output

    repaired = runner.invoke(args=["check", "--repair"])
    assert repaired.exit_code == 0 and "Repaired 0 counts and 2 shared values." in repaired.output
    assert _shared_values() == [("phone", "+79120000001", first)]
    assert runner.invoke(args=["check"]).exit_code == 0
