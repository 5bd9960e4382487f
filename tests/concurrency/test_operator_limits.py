"""Issue 4, tests 1 and 2: operator limits hold under concurrent intake, and the test can see it fail."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from tests.concurrency.checks import figures, lost_acknowledgements, open_loads, overshoot, rows, scalar
from tests.concurrency.conftest import CAPACITY, SERVER_ENV, contact_call, external_ids
from tests.concurrency.harness import Load
from tests.servers import gunicorn_server

pytestmark = pytest.mark.concurrency

POSTS = 2000
THREADS = 64


def serve(stack: ExitStack, database_url: str, servers: int, workers: int, app_module="wsgi:app"):
    """Start ``servers`` gunicorn masters with ``workers`` each on one database; their URLs."""
    return [
        stack.enter_context(
            gunicorn_server(database_url, workers=workers, env=SERVER_ENV, app_module=app_module)
        )[0]
        for _ in range(servers)
    ]


@pytest.mark.parametrize(
    ("servers", "workers"), [(1, 4), (2, 2)], ids=["one-server-4-workers", "two-servers-2-workers-each"]
)
def test_no_operator_exceeds_its_limit_under_concurrent_posts(scenario, servers, workers):
    ids = external_ids(POSTS, repeated_fraction=0.1, seed=servers)
    with ExitStack() as stack:
        urls = serve(stack, scenario.database_url, servers, workers)
        result = Load(urls, [contact_call(external_id) for external_id in ids], scenario.bot_token,
                      threads=THREADS).run()
    created = result.with_status(201)
    lost = lost_acknowledgements(scenario.database_url, created)
    over = overshoot(scenario.database_url, scenario.limits)
    figures(f"limits/{servers}x{workers}", result, overshoot=over, lost=len(lost))

    assert result.not_sent == 0
    assert result.statuses() == {201: POSTS}, result.unanswered[:3] or result.server_errors[:3]
    assert over == 0
    assert sum(open_loads(scenario.database_url).values()) == min(POSTS, CAPACITY)
    assert sum(1 for answer in created if answer.json()["operator_id"] is not None) == min(POSTS, CAPACITY)
    assert lost == []
    assert scalar(scenario.database_url, "SELECT count(*) FROM contacts") == POSTS
    assert sorted(row[0] for row in rows(scenario.database_url, "SELECT external_id FROM leads")) == sorted(
        set(ids)
    )


# The app with the locking taken out (tests only): see that module.
UNLOCKED_APP = "tests.concurrency.unlocked_wsgi:app"
NEGATIVE_CONTROL_POSTS = 400


def test_negative_control_without_locking_overshoots(scenario):
    """The same load with the locking switched off must break a limit, or test 1 proves nothing."""
    ids = external_ids(NEGATIVE_CONTROL_POSTS, repeated_fraction=0.1, seed=7)
    with ExitStack() as stack:
        urls = serve(stack, scenario.database_url, 1, 4, app_module=UNLOCKED_APP)
        result = Load(urls, [contact_call(external_id) for external_id in ids], scenario.bot_token,
                      threads=THREADS).run()
    over = overshoot(scenario.database_url, scenario.limits)
    figures("negative-control", result, overshoot=over)

    assert result.statuses() == {201: NEGATIVE_CONTROL_POSTS}
    assert over > 0
