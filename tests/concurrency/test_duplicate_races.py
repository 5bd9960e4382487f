"""PostgreSQL: two leads written at the same moment with one phone are found as duplicates.

Each transaction's trigger counts the leads holding the phone; without a turn each, each
would count only its own (the other's is not committed yet) and the pair would be missed.
The trigger takes an advisory lock on the value's bucket, held to commit, so the second one counts
after the first committed. The negative control drops that lock and misses the pair
(then `flask check` finds it).
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from tests.concurrency.conftest import wait_for, waiting_on_an_advisory_lock

pytestmark = pytest.mark.concurrency

PHONE = "+79120000001"
INSERT_LEAD = text("INSERT INTO leads (external_id, phone, created_at) VALUES (:e, :p, now()) RETURNING id")


def _two_leads_at_once(engine, *, second_waits: bool) -> int:
    """Lead ``a`` written and not committed while lead ``b`` is written and committed; the id of ``a``."""
    with engine.connect() as first:
        first_id = first.execute(INSERT_LEAD, {"e": "a", "p": PHONE}).scalar_one()

        def write_second():
            with engine.begin() as second:
                second.execute(INSERT_LEAD, {"e": "b", "p": PHONE})

        second = threading.Thread(target=write_second)
        second.start()
        if second_waits:
            wait_for(lambda: waiting_on_an_advisory_lock(engine), timeout=10)
        else:
            second.join(timeout=10)
        first.commit()
        second.join(timeout=10)
        assert not second.is_alive()
    return first_id


def _shared(engine):
    with engine.connect() as connection:
        return connection.execute(text("SELECT field, value, first_lead_id FROM shared_lead_values")).all()


def test_two_leads_written_at_once_with_one_phone_are_a_duplicate(postgres_engine):
    first_id = _two_leads_at_once(postgres_engine, second_waits=True)
    assert _shared(postgres_engine) == [("phone", PHONE, first_id)]


@contextmanager
def _refresh_without_the_lock(engine):
    """The trigger function with its advisory locks removed, restored afterwards."""
    with engine.begin() as connection:
        original = connection.execute(
            text("SELECT pg_get_functiondef('leads_shared_values()'::regprocedure)")
        ).scalar_one()
        unlocked = re.sub(r"PERFORM pg_advisory_xact_lock\(.*?;", "", original, flags=re.DOTALL)
        assert unlocked != original
        connection.execute(text(unlocked))
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(text(original))


def test_negative_control_without_the_lock_the_pair_is_missed(app, postgres_engine):
    """...and `flask check` finds what the race missed; --repair mends it."""
    with _refresh_without_the_lock(postgres_engine):
        first_id = _two_leads_at_once(postgres_engine, second_waits=False)
        assert _shared(postgres_engine) == []
    runner = app.test_cli_runner()
    found = runner.invoke(args=["check"])
    assert found.exit_code == 1
    assert f"Shared phone {PHONE}: oldest lead None stored, {first_id} found." in found.output
    assert runner.invoke(args=["check", "--repair"]).exit_code == 0
    assert _shared(postgres_engine) == [("phone", PHONE, first_id)]
