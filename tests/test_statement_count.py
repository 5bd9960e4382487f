"""The SQL statements of one POST /api/v1/contacts/ are a constant: they do not grow with the
operators weighted on the source, nor with the contacts received before (a count, not a time)."""

from __future__ import annotations

from bench.databases import seed_intake
from bench.generate import add_history
from bench.statements import statements_per_post


def test_statement_count_is_the_same_with_10_and_1000_operators(database_url):
    few = seed_intake(database_url, operators=10, name="Few")
    many = seed_intake(database_url, operators=1000, name="Many")

    with_few = statements_per_post(database_url, few.token, few.source_id)
    with_many = statements_per_post(database_url, many.token, many.source_id)

    assert with_few.count > 0
    assert with_many.statements == with_few.statements


def test_statement_count_is_the_same_with_0_and_5000_earlier_contacts(database_url):
    target = seed_intake(database_url, operators=10)
    before = statements_per_post(database_url, target.token, target.source_id)

    add_history(database_url, target.source_id, 5000)
    after = statements_per_post(database_url, target.token, target.source_id)

    assert after.count == before.count
    assert after.commits == before.commits


def test_routing_settings_cost_one_statement_each_and_stay_constant(database_url):
    """sticky_days adds the lookup of the lead's recent operator, intake_per_minute the count of
    the last minute: one statement each, whatever the history (issue 12)."""
    from sqlalchemy import create_engine, text

    target = seed_intake(database_url, operators=10, name="Routed")
    plain = statements_per_post(database_url, target.token, target.source_id)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE sources SET sticky_days = 30, intake_per_minute = 100000 WHERE id = :id"),
            {"id": target.source_id},
        )
    engine.dispose()
    routed = statements_per_post(database_url, target.token, target.source_id)
    add_history(database_url, target.source_id, 2000)
    later = statements_per_post(database_url, target.token, target.source_id)

    assert routed.count == plain.count + 2
    assert later.count == routed.count and later.commits == routed.commits


def test_a_post_with_default_settings_is_five_statements_on_sqlite_and_seven_on_postgresql(database_url):
    """Issue 15's bound: on SQLite the write lock (BEGIN IMMEDIATE), the source with its candidates
    and the caller's token, the lead, the contact, its assignment record - one commit. PostgreSQL
    sends no BEGIN, but locks the picked operator's row inside a savepoint (and releases it)."""
    target = seed_intake(database_url, operators=10, name="Bound")
    log = statements_per_post(database_url, target.token, target.source_id)
    assert log.count == (5 if database_url.startswith("sqlite") else 7), log.statements
    assert log.commits == 1
