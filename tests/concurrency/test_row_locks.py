"""PostgreSQL: the distribution keeps the lock of the operator it picked, and only that one."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.builders import make_contact, make_operator, make_source
from webapp import distribution
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
