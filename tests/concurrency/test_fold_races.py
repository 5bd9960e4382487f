"""PostgreSQL: two workers folding the picks at once take turns, and each day is folded once.

A fold takes an advisory lock first: the second waits until the first commits, then reads
how far it got and folds the next day. (Were it to fold the same day, the tallies' key
would refuse the second copy: a fold fails, it never counts a day twice.)
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.builders import make_operator, make_source
from tests.concurrency.conftest import wait_for, waiting_on_an_advisory_lock
from tests.histories import arrive
from webapp import pick_tallies
from webapp.clock import utcnow
from webapp.extensions import db

pytestmark = pytest.mark.concurrency

DAY_ONE = datetime(2026, 11, 2, tzinfo=UTC)


def test_a_second_fold_waits_for_the_first_and_folds_the_next_day(postgres_engine):
    anna = make_operator("Anna")
    source = make_source("Telegram", weights={anna: 1})
    arrive(source.id, DAY_ONE + timedelta(hours=10), external_id="first")
    arrive(source.id, DAY_ONE + timedelta(hours=34), external_id="second")
    db.session.remove()
    folded = {}

    def fold_second():
        with Session(postgres_engine) as session, session.begin():
            folded["second"] = pick_tallies.fold_next_day(session, utcnow())

    with Session(postgres_engine) as first:
        with first.begin():
            folded["first"] = pick_tallies.fold_next_day(first, utcnow())
            second = threading.Thread(target=fold_second)
            second.start()
            wait_for(lambda: waiting_on_an_advisory_lock(postgres_engine), timeout=10)
        second.join(timeout=10)
    assert not second.is_alive()
    assert folded == {"first": DAY_ONE, "second": DAY_ONE + timedelta(days=1)}
    with postgres_engine.connect() as connection:
        days = connection.execute(text("SELECT day, assigned FROM pick_tallies ORDER BY day")).all()
    assert [assigned for _day, assigned in days] == [1, 1]
