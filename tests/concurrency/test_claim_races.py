"""Issue 12, safe claiming: two managers claim one contact at once on a real gunicorn.

Both read the contact's ETag, then both PUT its operator with that If-Match at the same
moment (a barrier releases them together): exactly one wins, the other gets 412 and the
contact holds the winner's operator, with one assignment record for the claim.
"""

from __future__ import annotations

import http.client
import json
import threading
from urllib.parse import urlsplit

import pytest

from tests.builders import make_contact, make_operator, make_source, make_token
from tests.concurrency.checks import rows
from tests.concurrency.conftest import SERVER_ENV
from tests.servers import gunicorn_server
from webapp.extensions import db

pytestmark = pytest.mark.concurrency

CONTACTS = 12


def _request(base_url: str, token: str, method: str, path: str, body=None, headers=None):
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    all_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"} | (headers or {})
    connection.request(method, path, body=None if body is None else json.dumps(body), headers=all_headers)
    response = connection.getresponse()
    answer = (response.status, response.getheader("ETag"), response.read())
    connection.close()
    return answer


def test_two_managers_claiming_one_contact_exactly_one_wins(app, database_url):
    anna, boris = make_operator("Anna", limit=50), make_operator("Boris", limit=50)
    source = make_source("Unweighted")  # nobody weighted: every contact waits unassigned
    contact_ids = [make_contact(source).id for _ in range(CONTACTS)]
    _row, token = make_token("managers", is_admin=True)
    operator_ids = (anna.id, boris.id)
    db.session.remove()

    with gunicorn_server(database_url, workers=4, env=SERVER_ENV) as (base_url, _process):
        for contact_id in contact_ids:
            status, etag, _body = _request(base_url, token, "GET", f"/api/v1/contacts/{contact_id}")
            assert status == 200 and etag
            barrier = threading.Barrier(2)
            answers: dict[int, int] = {}

            def claim(operator_id, contact_id=contact_id, etag=etag, barrier=barrier, answers=answers):
                barrier.wait()
                answers[operator_id] = _request(
                    base_url,
                    token,
                    "PUT",
                    f"/api/v1/contacts/{contact_id}/operator",
                    {"operator_id": operator_id},
                    {"If-Match": etag},
                )[0]

            threads = [threading.Thread(target=claim, args=(operator_id,)) for operator_id in operator_ids]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert sorted(answers.values()) == [200, 412], answers
            winner = next(operator_id for operator_id, status in answers.items() if status == 200)
            held = rows(database_url, "SELECT operator_id FROM contacts WHERE id = :id", id=contact_id)
            assert held == [(winner,)]
            claims = rows(
                database_url,
                "SELECT operator_id FROM assignments WHERE contact_id = :id AND operator_id IS NOT NULL",
                id=contact_id,
            )
            assert claims == [(winner,)]
