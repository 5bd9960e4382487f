"""One Redis server for the worker tests that need one (started by the tests, like PostgreSQL)."""

from __future__ import annotations

import pytest

# Autouse: every worker test ends with `flask check`, as the concurrency tests do.
from tests.concurrency.conftest import counts_match_after_the_load  # noqa: F401
from tests.worker_process import redis_server


@pytest.fixture(scope="session")
def redis_url():
    with redis_server() as url:
        yield url


@pytest.fixture
def queue_file(tmp_path):
    """The worker's SQLite queue, one per test."""
    return str(tmp_path / "worker-queue.sqlite3")


@pytest.fixture
def redis(redis_url):
    """The Redis server's URL, emptied for this test (huey keeps its queue there)."""
    import redis as redis_client

    client = redis_client.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    return redis_url
