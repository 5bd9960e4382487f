"""Issue 4, tests 4 and 5: simultaneous first contacts of a lead, and idempotent retries racing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.concurrency.checks import figures, lost_acknowledgements, rows, scalar
from tests.concurrency.conftest import SERVER_ENV, contact_call
from tests.concurrency.harness import Load
from tests.servers import ROOT, gunicorn_server

pytestmark = pytest.mark.concurrency

LEADS = 50
SIMULTANEOUS = 8


def test_simultaneous_first_contacts_make_one_lead(scenario):
    calls = [contact_call(f"new-{number}") for number in range(LEADS) for _ in range(SIMULTANEOUS)]
    with gunicorn_server(scenario.database_url, workers=4, env=SERVER_ENV) as (url, _process):
        # Teams of 8 threads pass a barrier together and send the 8 POSTs of one id at once.
        result = Load([url], calls, scenario.bot_token, threads=64, group=SIMULTANEOUS).run()
    lost = lost_acknowledgements(scenario.database_url, result.with_status(201))
    figures("one-lead-per-external-id", result, lost=len(lost))

    assert result.statuses() == {201: LEADS * SIMULTANEOUS}
    assert lost == []
    per_lead = rows(
        scenario.database_url,
        "SELECT leads.external_id, count(contacts.id) FROM leads"
        " JOIN contacts ON contacts.lead_id = leads.id GROUP BY leads.external_id",
    )
    assert sorted(per_lead) == sorted((f"new-{number}", SIMULTANEOUS) for number in range(LEADS))
    lead_ids = {answer.json()["lead"]["external_id"]: set() for answer in result.answers}
    for answer in result.answers:
        lead_ids[answer.json()["lead"]["external_id"]].add(answer.json()["lead"]["id"])
    assert all(len(ids) == 1 for ids in lead_ids.values())


KEYS = 500
REPEATS = 3
CHANGED = 50


def _header(answer, name: str) -> str | None:
    return next((value for key, value in answer.headers.items() if key.lower() == name.lower()), None)


def test_concurrent_repeats_of_a_key_replay_the_first_answer(scenario):
    calls = [
        contact_call(f"idem-{number}", key=f"key-{number}", message=f"first {number}")
        for number in range(KEYS)
        for _ in range(REPEATS)
    ]
    changed = [contact_call(f"idem-{n}", key=f"key-{n}", message="changed") for n in range(CHANGED)]
    with gunicorn_server(scenario.database_url, workers=4, env=SERVER_ENV) as (url, _process):
        result = Load([url], calls, scenario.bot_token, threads=63, group=REPEATS).run()
        reuse = Load([url], changed, scenario.bot_token, threads=16).run()
    by_key = defaultdict(list)
    for answer in result.answers:
        by_key[answer.call.tag].append(answer)
    firsts = [answer for answer in result.answers if _header(answer, "Idempotent-Replayed") is None]
    lost = lost_acknowledgements(scenario.database_url, firsts)
    figures("idempotency-3-concurrent-repeats", result, lost=len(lost))

    assert result.statuses() == {201: KEYS * REPEATS}
    assert all(len({answer.body for answer in answers}) == 1 for answers in by_key.values())
    assert sorted(_header(a, "Idempotent-Replayed") or "first" for a in result.answers) == sorted(
        ["first"] * KEYS + ["true"] * (KEYS * (REPEATS - 1))
    )
    assert reuse.statuses() == {422: CHANGED}
    assert lost == []
    assert scalar(scenario.database_url, "SELECT count(*) FROM contacts") == KEYS
    assert scalar(scenario.database_url, "SELECT count(DISTINCT lead_id) FROM contacts") == KEYS


EXPIRED = 200
FRESH = 300


def _purge(database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "purge-idempotency-keys"],
        cwd=ROOT,
        env=os.environ | SERVER_ENV | {"DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_purging_keys_while_bots_post_removes_only_expired_ones(scenario):
    url_db = scenario.database_url
    token_id = scalar(url_db, "SELECT id FROM api_tokens WHERE name = 'load-bot'")
    _insert_expired_keys(url_db, token_id)
    calls = [contact_call(f"fresh-{n}", key=f"fresh-{n}") for n in range(FRESH)]
    with gunicorn_server(url_db, workers=4, env=SERVER_ENV) as (url, _process):
        with ThreadPoolExecutor(3) as pool:
            purges = [pool.submit(_purge, url_db) for _ in range(3)]
            result = Load([url], calls, scenario.bot_token, threads=32).run()
            outcomes = [purge.result() for purge in purges]

    assert [outcome.returncode for outcome in outcomes] == [0, 0, 0], [o.stderr[-500:] for o in outcomes]
    removed = [int(outcome.stdout.split()[1]) for outcome in outcomes]
    assert sum(removed) == EXPIRED
    assert result.statuses() == {201: FRESH}
    assert sorted(key for (key,) in rows(url_db, "SELECT key FROM idempotency_keys")) == sorted(
        f"fresh-{n}" for n in range(FRESH)
    )


def _insert_expired_keys(database_url: str, token_id: int) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO idempotency_keys (token_id, key, fingerprint, status_code, response_body,"
                " created_at) VALUES (:token_id, :key, 'x', 201, '{}', :created_at)"
            ),
            [
                {"token_id": token_id, "key": f"old-{n}", "created_at": "2020-01-01 00:00:00"}
                for n in range(EXPIRED)
            ],
        )
    engine.dispose()
