"""Issue 8: simultaneous weight saves on one source never lose each other.

Sixteen supervisors' sliders, each for a different operator, save at the same
moment through the real dashboard endpoint on gunicorn with several workers;
then bots of the API replace the whole set while sliders save. Every weight must
be what its last writer said, and a replaced set is never half applied.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import pytest
import requests

from tests.builders import make_operator, make_source, make_token, make_user
from tests.concurrency.checks import rows
from tests.concurrency.conftest import SERVER_ENV
from tests.servers import gunicorn_server
from webapp.extensions import db

pytestmark = pytest.mark.concurrency

OPERATORS = 32
SLIDERS = 16
ROUNDS = 5
WORKERS = 4
PASSWORD = "weights-race-pw"


def sign_in(base_url: str) -> tuple[dict, str]:
    """Cookies of a signed-in supervisor and the session's CSRF token."""
    browser = requests.Session()
    form = browser.get(f"{base_url}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = browser.post(
        f"{base_url}/login",
        data={"username": "sue", "password": PASSWORD, "csrf_token": token},
        timeout=10,
    )
    assert answer.ok and "/login" not in answer.url
    page = browser.get(f"{base_url}/", timeout=10).text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    return browser.cookies.get_dict(), csrf


def at_once(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Run every call in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait(timeout=30)
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def stored_weights(database_url: str, source_id: int) -> dict[int, int]:
    return dict(
        rows(
            database_url,
            "SELECT operator_id, weight FROM operator_source_weights WHERE source_id = :source",
            source=source_id,
        )
    )


@pytest.fixture
def weighted_source(app, database_url):
    operators = [make_operator() for _ in range(OPERATORS)]
    source = make_source(weights={operator: 1 for operator in operators})
    make_user("sue", PASSWORD, "supervisor")
    _row, admin_token = make_token("weights-admin", is_admin=True)
    ids = [operator.id for operator in operators]
    source_id = source.id
    db.session.remove()  # no transaction of ours stays open under the load
    return source_id, ids, admin_token


def slider_save(base_url, cookies, csrf, source_id, operator_id, weight) -> Callable[[], requests.Response]:
    def save() -> requests.Response:
        return requests.post(
            f"{base_url}/sources/{source_id}/weights/{operator_id}",
            data={"weight": str(weight)},
            headers={"HX-Request": "true", "X-CSRFToken": csrf},
            cookies=cookies,
            timeout=30,
        )

    return save


def slider_weight(round_number: int, index: int) -> int:
    """What operator ``index``'s slider says in a round; some rounds take operators off (0)."""
    return 0 if (round_number + index) % 7 == 0 else 1 + (index * 5 + round_number * 3) % 20


def test_simultaneous_slider_saves_keep_every_weight(weighted_source, database_url):
    source_id, operator_ids, _admin = weighted_source
    sliders = operator_ids[:SLIDERS]
    with gunicorn_server(database_url, workers=WORKERS, env=SERVER_ENV) as (base_url, _process):
        cookies, csrf = sign_in(base_url)
        for round_number in range(ROUNDS):
            said = {op: slider_weight(round_number, index) for index, op in enumerate(sliders)}
            answers = at_once(
                [slider_save(base_url, cookies, csrf, source_id, op, weight) for op, weight in said.items()]
            )
            assert [answer.status_code for answer in answers] == [200] * SLIDERS
            stored = stored_weights(database_url, source_id)
            assert {op: stored.get(op, 0) for op in sliders} == said, f"round {round_number}"
            assert all(stored[op] == 1 for op in operator_ids[SLIDERS:])  # nobody else was touched


def replace_set(base_url, admin_token, source_id, weights: dict[int, int]) -> Callable[[], requests.Response]:
    body = {"weights": [{"operator_id": op, "weight": weight} for op, weight in weights.items()]}

    def put() -> requests.Response:
        return requests.put(
            f"{base_url}/api/v1/sources/{source_id}/weights",
            json=body,
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=30,
        )

    return put


def test_replacing_the_set_while_sliders_save_applies_whole_sets(weighted_source, database_url):
    """Two PUTs of different whole sets race 16 slider saves: the operators no slider touched all
    come from one set (never half of each), and each slider's operator keeps the value of one writer."""
    source_id, operator_ids, admin_token = weighted_source
    sliders, untouched = operator_ids[:SLIDERS], operator_ids[SLIDERS:]
    set_a = dict.fromkeys(operator_ids, 7)
    set_b = dict.fromkeys(operator_ids, 9)
    with gunicorn_server(database_url, workers=WORKERS, env=SERVER_ENV) as (base_url, _process):
        cookies, csrf = sign_in(base_url)
        for round_number in range(ROUNDS):
            said = {op: 11 + (index + round_number) % 5 for index, op in enumerate(sliders)}
            calls = [replace_set(base_url, admin_token, source_id, set_a),
                     replace_set(base_url, admin_token, source_id, set_b)]
            calls += [slider_save(base_url, cookies, csrf, source_id, op, w) for op, w in said.items()]
            answers = at_once(calls)
            assert [answer.status_code for answer in answers] == [200] * len(calls)
            stored = stored_weights(database_url, source_id)
            assert {stored[op] for op in untouched} in ({7}, {9}), f"round {round_number}: {stored}"
            for op in sliders:
                assert stored[op] in (7, 9, said[op]), f"round {round_number}, operator {op}"
