"""PostgreSQL: the distribution keeps the lock of the operator it picked, and only that one."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.builders import make_contact, make_operator, make_source
from webapp import contacts, distribution
from webapp.database import write_transaction
from webapp.extensions import db

pytestmark = pytest.mark.concurrency


class RolledBack(Exception):
    """Raised to leave the write transaction by rolling it back."""


LOCK_ONE = text("SELECT id FROM operators WHERE id = :id FOR UPDATE")


def lockable_by_another_transaction(database_url: str, operator_id: int) -> bool:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SET lock_timeout = '100ms'"))
            connection.execute(LOCK_ONE, {"id": operator_id})
            connection.rollback()
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def test_a_full_operator_is_unlocked_before_the_next_pick(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no row locks: BEGIN IMMEDIATE serialises writers")
    full, roomy = make_operator(limit=1), make_operator(limit=5)
    source = make_source(weights={full: 1})
    make_contact(source)  # fills `full`

    with pytest.raises(RolledBack), write_transaction(db.session):
        assert distribution._lock_if_room(db.session, full.id, None) is False
        assert lockable_by_another_transaction(database_url, full.id)  # released before re-picking
        assert distribution._lock_if_room(db.session, roomy.id, None) is True
        assert not lockable_by_another_transaction(database_url, roomy.id)  # kept until commit
        raise RolledBack
    assert lockable_by_another_transaction(database_url, roomy.id)


def test_moves_in_opposite_directions_never_deadlock(app, database_url):
    """Moving a contact from A to B lowers A's count under A's lock: two managers moving contacts
    A→B and B→A at the same moment would each hold one lock and wait for the other (PostgreSQL
    then aborts one: a 503) unless both take the two locks in the same order."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no row locks: BEGIN IMMEDIATE serialises writers")
    anna, boris = make_operator(limit=1000), make_operator(limit=1000)
    to_anna, to_boris = make_source(weights={anna: 1}), make_source(weights={boris: 1})
    anna, boris = anna.id, boris.id
    rounds = 40
    held_by_anna = [make_contact(to_anna).id for _ in range(rounds)]
    held_by_boris = [make_contact(to_boris).id for _ in range(rounds)]
    db.session.remove()
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def move(contact_ids, operator_id):
        with app.app_context():
            for contact_id in contact_ids:
                start.wait()
                try:
                    with write_transaction(db.session):
                        contacts.set_operator(db.session, contact_id, operator_id, actor=distribution.SYSTEM)
                except OperationalError as error:  # a deadlock, or a lock wait past the timeout
                    failures.append(error)
            db.session.remove()

    movers = [threading.Thread(target=move, args=(held_by_anna, boris)),
              threading.Thread(target=move, args=(held_by_boris, anna))]
    for mover in movers:
        mover.start()
    for mover in movers:
        mover.join()

    assert failures == []
    counts = dict(db.session.execute(text("SELECT id, open_contacts FROM operators")).all())
    assert counts[anna] == rounds and counts[boris] == rounds
