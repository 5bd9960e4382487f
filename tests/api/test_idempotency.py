"""Idempotency-Key on POST /api/v1/contacts/: replays, conflicts, scope and purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.api.conftest import assert_problem
from tests.conftest import bot_api
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.models import Contact, IdempotencyKey


def contact_count() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(Contact)).scalar_one()


def post(api, body, key):
    return api.post("/api/v1/contacts/", json=body, headers={"Idempotency-Key": key})


def test_replay_returns_the_first_answer_and_stores_one_contact(api, team):
    body = {"external_id": "tg:1", "source_id": team["source"], "message": "hello"}
    first = post(api, body, "update-1001")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    # Close the contact: a replay still shows the first answer, not the current state.
    api.put(f"/api/v1/contacts/{first.get_json()['id']}/status", json={"status": "closed"})
    again = post(api, {"message": "hello", "source_id": team["source"], "external_id": "tg:1"}, "update-1001")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data()
    assert again.mimetype == "application/json"
    assert contact_count() == 1


def test_same_key_with_a_different_body_is_422(api, team, unchanged):
    post(api, {"external_id": "tg:1", "source_id": team["source"]}, "k")
    with unchanged():
        assert_problem(post(api, {"external_id": "tg:2", "source_id": team["source"]}, "k"), 422)
    assert contact_count() == 1


def test_keys_are_scoped_to_the_token(client, api, team):
    bot = bot_api(client, team["source"])
    body = {"external_id": "tg:1", "source_id": team["source"]}
    first, second = post(api, body, "shared-key"), post(bot, body, "shared-key")
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert first.get_json()["id"] != second.get_json()["id"]
    assert contact_count() == 2


def test_different_keys_store_different_contacts(api, team):
    body = {"external_id": "tg:1", "source_id": team["source"]}
    assert post(api, body, "a").get_json()["id"] != post(api, body, "b").get_json()["id"]


@pytest.mark.parametrize("key", ["k" * 256, "", "a\x00b", "tab\there"])
def test_key_outside_1_to_255_printable_chars_is_422(api, team, unchanged, key):
    with unchanged():
        assert_problem(
            post(api, {"external_id": "tg:1", "source_id": team["source"]}, key), 422, field="Idempotency-Key"
        )


def test_key_of_255_chars_is_fine(api, team):
    body = {"external_id": "tg:1", "source_id": team["source"]}
    assert post(api, body, "k" * 255).status_code == 201
    assert post(api, body, "k" * 255).headers["Idempotent-Replayed"] == "true"


def test_a_failed_request_does_not_burn_the_key(api, team):
    assert post(api, {"external_id": "tg:1", "source_id": 999}, "k").status_code == 422
    response = post(api, {"external_id": "tg:1", "source_id": team["source"]}, "k")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers


def test_an_expired_key_is_used_afresh(api, team):
    body = {"external_id": "tg:1", "source_id": team["source"]}
    post(api, body, "k")
    age_keys(hours=25)
    response = post(api, body, "k")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert contact_count() == 2


def age_keys(hours: int, key: str | None = None) -> None:
    statement = update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=hours))
    if key is not None:
        statement = statement.where(IdempotencyKey.key == key)
    db.session.rollback()  # end the test's read transaction: a write must start on the latest state
    db.session.execute(statement)
    db.session.commit()


def test_purge_removes_old_keys_and_keeps_fresh_ones(api, runner, team):
    body = {"external_id": "tg:1", "source_id": team["source"]}
    post(api, body, "old")
    post(api, body, "fresh")
    age_keys(hours=25, key="old")
    result = runner.invoke(args=["purge-idempotency-keys"])
    assert result.exit_code == 0, result.output
    assert "Removed 1" in result.output
    db.session.rollback()
    assert db.session.execute(select(IdempotencyKey.key)).scalars().all() == ["fresh"]
    assert post(api, body, "fresh").headers["Idempotent-Replayed"] == "true"
