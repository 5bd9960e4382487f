"""Merging leads while bots keep posting for both of them (issue 12, part 6).

Twenty pairs of leads; bots post for both external_ids of every pair while an admin
merges each pair, on a real gunicorn with four workers. Whatever the interleaving, a
contact for the merged-away external_id lands on the surviving lead: afterwards no lead
holds a merged-away external_id, every contact of a pair is on its survivor, and every
acknowledged contact is stored.
"""

from __future__ import annotations

import threading

import pytest

from tests.builders import make_contact
from tests.concurrency.checks import figures, integrity_problems, rows, scalar
from tests.concurrency.conftest import SERVER_ENV, contact_call, wait_for
from tests.concurrency.harness import Call, Load
from tests.servers import gunicorn_server
from webapp.extensions import db
from webapp.models import Source

pytestmark = pytest.mark.concurrency

PAIRS = 20
ROUNDS = 10  # posts per external_id during the load


@pytest.fixture
def pairs(scenario):
    """(survivor id, merged id) of each pair, each lead with one contact already."""
    source = db.session.get(Source, scenario.source_id)
    made = [(make_contact(source, f"keep-{n}").lead_id, make_contact(source, f"gone-{n}").lead_id)
            for n in range(PAIRS)]
    db.session.remove()
    return made


def test_contacts_for_a_merged_away_external_id_land_on_the_survivor(scenario, pairs):
    # Round by round, so that every pair is posted to before, during and after its merge.
    bot_calls = [contact_call(f"{kind}-{n}") for _ in range(ROUNDS) for n in range(PAIRS)
                 for kind in ("gone", "keep")]
    merges = [Call("POST", f"/api/v1/leads/{keep}/merge", {"lead_id": gone}) for keep, gone in pairs]
    answered: list[int] = []
    with gunicorn_server(scenario.database_url, workers=4, env=SERVER_ENV) as (url, _process):
        bots = Load([url], bot_calls, scenario.bot_token, threads=16,
                    on_answer=lambda answer: answered.append(answer.status))
        bot_thread = threading.Thread(target=lambda: setattr(bots, "result", bots.run()))
        bot_thread.start()
        wait_for(lambda: len(answered) >= len(bot_calls) // 4, timeout=60)
        merged = Load([url], merges, scenario.admin_token, threads=4).run()
        bot_thread.join()
    result = bots.result
    figures("merge-while-posting/bots", result)
    figures("merge-while-posting/merges", merged)

    assert result.statuses() == {201: len(bot_calls)}
    assert merged.statuses() == {200: PAIRS}
    url_db = scenario.database_url
    assert rows(url_db, "SELECT external_id FROM leads WHERE external_id LIKE 'gone-%'") == []
    per_lead = dict(rows(url_db, "SELECT lead_id, count(*) FROM contacts GROUP BY lead_id"))
    assert per_lead == {keep: 2 + 2 * ROUNDS for keep, _gone in pairs}
    assert scalar(url_db, "SELECT count(*) FROM lead_aliases") == PAIRS
    assert scalar(url_db, "SELECT sum(contacts_moved) FROM lead_merges") >= PAIRS
    acknowledged = {answer.json()["id"] for answer in result.answers}
    assert scalar(url_db, "SELECT count(*) FROM contacts") == len(acknowledged) + 2 * PAIRS
    assert integrity_problems(url_db) == []
