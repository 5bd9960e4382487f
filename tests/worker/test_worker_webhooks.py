"""Webhooks delivered by the real worker process to a real receiver on 127.0.0.1."""

from __future__ import annotations

import time

from sqlalchemy import select
from standardwebhooks import Webhook

from tests.builders import committed, make_operator, make_source
from tests.webhook_receiver import webhook_receiver
from tests.worker_process import wait_for, worker_process
from webapp import webhooks
from webapp.extensions import db
from webapp.models import WebhookEvent

ALLOWED = {"WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_POLL_SECONDS": "1"}


def hooked_source(url, operators=1):
    source = make_source(weights={make_operator(limit=100): 1 for _ in range(operators)})
    secret = committed(webhooks.new_secret, source.id)
    committed(webhooks.set_url, source.id, url, True)
    source_id = source.id
    db.session.remove()
    return source_id, secret


def post_contact(api, source_id, external_id):
    response = api.post("/api/v1/contacts/", json={"external_id": external_id, "source_id": source_id})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def outbox():
    db.session.rollback()
    return db.session.execute(select(WebhookEvent).order_by(WebhookEvent.id)).scalars().all()


def test_a_receiver_that_hangs_delays_no_request_and_gets_everything_signed(api, database_url, queue_file):
    with webhook_receiver() as receiver:
        source_id, secret = hooked_source(receiver.url)
        receiver.hold()
        with worker_process(database_url, queue_file, env=ALLOWED | {"WEBHOOK_TIMEOUT_SECONDS": "20"}):
            first = post_contact(api, source_id, "a")
            wait_for(lambda: receiver.received, what="the worker's first delivery")
            # The receiver holds that delivery; requests go on as if nobody were listening.
            started = time.monotonic()
            second = post_contact(api, source_id, "b")
            assert time.monotonic() - started < 2
            receiver.release()
            wait_for(lambda: len(receiver.received) >= 4, what="all four events")
        events = [Webhook(secret).verify(d.body, d.headers) for d in receiver.received]
    assert [(e["type"], e["data"]["id"]) for e in events] == [
        ("contact.created", first), ("contact.assigned", first),
        ("contact.created", second), ("contact.assigned", second)]


def test_a_worker_killed_mid_delivery_leaves_it_to_the_next_with_the_same_id(app, database_url, queue_file):
    with webhook_receiver() as receiver:
        source_id, secret = hooked_source(receiver.url, operators=0)
        committed(webhooks.send_test_event, source_id)
        db.session.remove()
        receiver.hold()
        patient = ALLOWED | {"WEBHOOK_TIMEOUT_SECONDS": "3"}
        with worker_process(database_url, queue_file, env=patient) as first:
            wait_for(lambda: receiver.received, what="the delivery to begin")
            first.kill()  # mid-request: the receiver still holds it
        receiver.release()
        (event,) = outbox()
        assert (event.delivered_at, event.attempts) == (None, 1)
        with worker_process(database_url, queue_file, env=ALLOWED):
            wait_for(lambda: len(receiver.received) == 2, timeout=40, what="the delivery again")
            wait_for(lambda: outbox()[0].delivered_at is not None, what="it to count as delivered")
        ids = [d.headers["webhook-id"] for d in receiver.received]
        assert all(Webhook(secret).verify(d.body, d.headers) for d in receiver.received)
    assert ids == [event.event_id] * 2  # at least once, one id: the receiver drops the repeat
    assert outbox()[0].attempts == 2


def test_two_workers_deliver_each_event_once_in_order_per_contact(api, database_url, tmp_path):
    with webhook_receiver() as receiver:
        source_id, _secret = hooked_source(receiver.url)
        contact_ids = [post_contact(api, source_id, f"lead-{n}") for n in range(20)]
        with worker_process(database_url, str(tmp_path / "one.sqlite3"), env=ALLOWED), \
                worker_process(database_url, str(tmp_path / "two.sqlite3"), env=ALLOWED):
            wait_for(lambda: all(e.delivered_at for e in outbox()), what="every event delivered")
        deliveries = list(receiver.received)
    ids = [d.headers["webhook-id"] for d in deliveries]
    assert len(ids) == len(set(ids)) == 40
    for contact_id in contact_ids:
        types = [d.event["type"] for d in deliveries if d.event["data"]["id"] == contact_id]
        assert types == ["contact.created", "contact.assigned"]
