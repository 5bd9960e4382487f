"""The unit of work: one write transaction per boundary, domain functions never commit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.builders import make_operator
from webapp import directory
from webapp.database import NestedWriteError, write_transaction
from webapp.errors import ConflictError
from webapp.extensions import db
from webapp.models import Operator


def operator_count() -> int:
    return db.session.execute(select(func.count()).select_from(Operator)).scalar_one()


def test_a_write_inside_an_open_write_is_an_error_not_a_silent_commit(app):
    with pytest.raises(NestedWriteError), write_transaction(db.session):
        directory.create_operator(db.session, "Outer", 5)
        with write_transaction(db.session):
            directory.create_operator(db.session, "Inner", 5)
    assert operator_count() == 0  # neither half was committed


def test_domain_functions_leave_the_commit_to_the_caller(app):
    with write_transaction(db.session):
        directory.create_operator(db.session, "Anna", 5)
        db.session.rollback()  # as if the boundary failed after the domain call
    assert operator_count() == 0


def test_an_error_rolls_back_everything_the_unit_did(app):
    make_operator(name="Boris")
    with pytest.raises(ConflictError), write_transaction(db.session):
        directory.create_operator(db.session, "Anna", 5)
        directory.create_operator(db.session, "Boris", 5)
    assert db.session.execute(select(Operator.name)).scalars().all() == ["Boris"]


def test_changes_pending_outside_a_write_are_refused(app):
    db.session.add(Operator(name="Stray", max_active_contacts=1))
    with pytest.raises(NestedWriteError), write_transaction(db.session):
        pass
    db.session.rollback()
    assert operator_count() == 0
