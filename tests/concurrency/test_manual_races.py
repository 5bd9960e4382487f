"""Issue 4, test 3: managers' manual assignments and a status toggle racing the bots' POSTs.

The dashboard calls the same domain functions (``webapp.contacts.set_operator``,
``webapp.directory.set_operator_status``) as the API endpoints used here:
PUT /api/v1/contacts/{id}/operator, PUT /api/v1/contacts/{id}/status and
PUT /api/v1/operators/{id}/status.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from tests.concurrency.checks import figures, open_loads, overshoot, rows, stored_contacts
from tests.concurrency.conftest import SERVER_ENV, contact_call, external_ids, wait_for
from tests.concurrency.harness import Call, Load
from tests.servers import gunicorn_server

pytestmark = pytest.mark.concurrency

BOT_POSTS = 1000
MANAGER_CALLS = 400
TOGGLE_AFTER = 150  # bot contacts acknowledged before the operator is switched off


def manager_calls(acknowledged: list[int], operator_ids: list[int], seed: int):
    """Assign by hand (no force), unassign, or close random acknowledged contacts."""
    rng = random.Random(seed)
    for _ in range(MANAGER_CALLS):
        contact_id = rng.choice(acknowledged)
        roll = rng.random()
        if roll < 0.6:
            body = {"operator_id": rng.choice(operator_ids)}
            yield Call("PUT", f"/api/v1/contacts/{contact_id}/operator", body)
        elif roll < 0.8:
            yield Call("PUT", f"/api/v1/contacts/{contact_id}/operator", {"operator_id": None})
        else:
            yield Call("PUT", f"/api/v1/contacts/{contact_id}/status", {"status": "closed"})


def switch_off(base_url: str, token: str, operator_id: int) -> int:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(
        "PUT",
        f"/api/v1/operators/{operator_id}/status",
        body=json.dumps({"status": "inactive"}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    status = connection.getresponse().status
    connection.close()
    return status


def held_contacts(database_url: str, operator_id: int) -> list[tuple]:
    return rows(database_url, "SELECT id, assigned_at FROM contacts WHERE operator_id = :id", id=operator_id)


def _as_utc(value) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC)


def test_manual_assignments_and_a_toggle_racing_bot_posts(scenario):
    url_db = scenario.database_url
    operator_ids = sorted(scenario.limits)
    switched_off = max(operator_ids, key=scenario.limits.get)  # the largest limit: still filling up
    acknowledged: list[int] = []

    def remember(answer):
        if answer.status == 201:
            acknowledged.append(answer.json()["id"])

    bot_calls = [contact_call(external_id) for external_id in external_ids(BOT_POSTS, 0.1, seed=3)]
    with gunicorn_server(url_db, workers=4, env=SERVER_ENV) as (url, _process):
        bots = Load([url], bot_calls, scenario.bot_token, threads=48, on_answer=remember)
        bot_thread = threading.Thread(target=lambda: setattr(bots, "result", bots.run()))
        bot_thread.start()
        wait_for(lambda: len(acknowledged) >= 20, timeout=30)
        managers = Load([url], manager_calls(acknowledged, operator_ids, seed=4), scenario.admin_token,
                        threads=8)
        manager_thread = threading.Thread(target=lambda: setattr(managers, "result", managers.run()))
        manager_thread.start()
        wait_for(lambda: len(acknowledged) >= TOGGLE_AFTER, timeout=30)
        assert switch_off(url, scenario.admin_token, switched_off) == 200
        toggled_at = datetime.now(UTC)
        held_at_toggle = {contact_id for contact_id, _ in held_contacts(url_db, switched_off)}
        bot_thread.join()
        manager_thread.join()
    bot_result, manager_result = bots.result, managers.result
    over = overshoot(url_db, scenario.limits)
    stored = stored_contacts(url_db)
    lost = [a for a in bot_result.with_status(201) if a.json()["id"] not in stored]
    figures("manual-and-toggle/bots", bot_result, overshoot=over, lost=len(lost))
    figures("manual-and-toggle/managers", manager_result, overshoot=over)

    assert bot_result.statuses() == {201: BOT_POSTS}
    assert set(manager_result.statuses()) <= {200, 409}, manager_result.statuses()
    assert manager_result.statuses()[200] > 0 and manager_result.not_sent == 0
    assert over == 0, open_loads(url_db)
    assert lost == []
    assert held_at_toggle, "the operator had no contact before the toggle: the test proves nothing"
    held_now = held_contacts(url_db, switched_off)
    assert {contact_id for contact_id, _ in held_now} <= held_at_toggle
    assert [contact_id for contact_id, at in held_now if _as_utc(at) > toggled_at] == []
