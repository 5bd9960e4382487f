"""The scenario every load starts from, the calls bots send, and waiting for a load to get somewhere."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text

from tests.builders import make_operator, make_source, make_token
from tests.concurrency.harness import Call
from webapp import create_app
from webapp.extensions import db

# Ten operators, limits 5..50 (275 in all), weights 1..10 on one source.
LIMITS = tuple(range(5, 55, 5))
WEIGHTS = tuple(range(1, 11))
CAPACITY = sum(LIMITS)
# Settings of every server the load tests start (a fixed key: workers must agree).
SERVER_ENV = {"SECRET_KEY": "concurrency-tests"}
CONTACTS_PATH = "/api/v1/contacts/"


@pytest.fixture(autouse=True)
def counts_match_after_the_load(database_url):
    """Every load ends with `flask check`: no operator's stored open-contact count drifted."""
    yield
    checker = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "check"})
    result = checker.test_cli_runner().invoke(args=["check"])
    with checker.app_context():
        db.engine.dispose()
    assert result.exit_code == 0, result.output


@dataclass(frozen=True)
class Scenario:
    database_url: str
    source_id: int
    limits: dict[int, int]
    bot_token: str
    admin_token: str


@pytest.fixture
def scenario(app, database_url) -> Scenario:
    """A migrated database with ten weighted operators, one source, a bot and an admin token."""
    operators = [make_operator(limit=limit) for limit in LIMITS]
    source = make_source(weights=dict(zip(operators, WEIGHTS, strict=True)))
    _row, bot_token = make_token("load-bot", source_id=source.id)
    _row, admin_token = make_token("load-admin", is_admin=True)
    result = Scenario(
        database_url=database_url,
        source_id=source.id,
        limits={operator.id: operator.max_active_contacts for operator in operators},
        bot_token=bot_token,
        admin_token=admin_token,
    )
    db.session.remove()  # no transaction of ours stays open under the load
    return result


def contact_call(external_id: str, *, key: str | None = None, message: str = "hello") -> Call:
    """A bot's POST of one contact, optionally with an Idempotency-Key."""
    headers = {"Idempotency-Key": key} if key is not None else {}
    return Call("POST", CONTACTS_PATH, {"external_id": external_id, "message": message}, headers, tag=key)


def external_ids(count: int, repeated_fraction: float, seed: int) -> list[str]:
    """``count`` external ids, ``repeated_fraction`` of them repeats of others, shuffled."""
    rng = random.Random(seed)
    fresh = [f"lead-{number}" for number in range(count - int(count * repeated_fraction))]
    ids = fresh + [rng.choice(fresh) for _ in range(count - len(fresh))]
    rng.shuffle(ids)
    return ids


def wait_for(condition, timeout: float) -> None:
    """Return once ``condition()`` holds (checked every 10 ms); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


@pytest.fixture
def postgres_engine(app, database_url):
    """An engine of the test's own on its PostgreSQL database, for transactions held open side by
    side. SQLite has one writer at a time: the races these tests stage cannot happen there."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: two transactions never write side by side")
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def waiting_on_an_advisory_lock(engine) -> bool:
    """PostgreSQL: whether some session waits on an advisory lock now."""
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'")
        ).scalar_one() > 0
