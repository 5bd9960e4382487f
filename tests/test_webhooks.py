"""Signed webhooks: the outbox written with each change, delivered to a real receiver on
127.0.0.1 by ``webhooks.deliver_due`` (what the worker runs) on a clock the test holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from tests.builders import committed, make_contact, make_operator, make_source
from tests.webhook_receiver import webhook_receiver
from webapp import contacts, distribution, webhooks
from webapp.clock import utcnow
from webapp.database import write_transaction
from webapp.errors import InvalidError
from webapp.extensions import db
from webapp.intake import ContactFields, receive_contact
from webapp.models import Contact, WebhookEvent


class Clock:
    """The time the delivery sees: the real time (the changes are stamped with it) moved on
    by as much as the test says."""

    def __init__(self):
        self.offset = timedelta()

    @property
    def now(self):
        return utcnow() + self.offset

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.offset += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def receiver():
    with webhook_receiver() as running:
        yield running


def hooked_source(url, *operators):
    """A source with a secret and its webhook pointed at ``url``; (source, secret)."""
    source = make_source(weights={operator: 1 for operator in operators})
    secret = committed(webhooks.new_secret, source.id)
    committed(webhooks.set_url, source.id, url, True)
    return source, secret


def deliver(clock, **options):
    return webhooks.deliver_due(db.session, allow_private=True, timeout=5, clock=clock, **options)


def outbox():
    db.session.rollback()
    return db.session.execute(select(WebhookEvent).order_by(WebhookEvent.id)).scalars().all()


def test_each_change_is_delivered_signed_with_the_contact_as_it_was(app, receiver, clock):
    anna = make_operator("Anna")
    source, secret = hooked_source(receiver.url, anna)
    contact = make_contact(source, "tg-1", name="Wanda", message="hello")
    committed(contacts.change_status, contact.id, "in_progress")
    assert deliver(clock) == 3
    for delivery in receiver.received:
        assert Webhook(secret).verify(delivery.body, delivery.headers) == delivery.event
        assert delivery.headers["webhook-id"] == delivery.event["id"]
        assert delivery.headers["content-type"] == "application/json"
    events = receiver.events()
    assert [e["type"] for e in events] == ["contact.created", "contact.assigned", "contact.status_changed"]
    assert [e["data"]["status"] for e in events] == ["new", "new", "in_progress"]
    assert {e["data"]["id"] for e in events} == {contact.id}
    assert events[0]["data"]["operator_id"] == anna.id
    assert events[0]["data"]["lead"]["name"] == "Wanda"  # the lead is this source's alone
    assert all(e.delivered_at is not None and e.last_status == 200 for e in outbox())
    assert deliver(clock) == 0  # delivered once


def test_unassigning_and_reassigning_say_so(app, receiver, clock):
    anna, boris = make_operator("Anna"), make_operator("Boris")
    source, _secret = hooked_source(receiver.url, anna)
    contact = make_contact(source)
    with write_transaction(db.session):
        distribution.unassign(db.session, db.session.get(Contact, contact.id), actor=distribution.SYSTEM)
    with write_transaction(db.session):
        distribution.assign_manually(db.session, db.session.get(Contact, contact.id), boris.id,
                                     actor=distribution.SYSTEM)
    deliver(clock)
    assert [(e["type"], e["data"]["operator_id"]) for e in receiver.events()] == [
        ("contact.created", anna.id), ("contact.assigned", anna.id),
        ("contact.unassigned", None), ("contact.assigned", boris.id)]


def test_a_source_without_a_webhook_writes_no_events(app):
    make_contact(make_source(weights={make_operator(): 1}))
    assert outbox() == []


def test_an_event_of_a_rolled_back_change_is_never_sent(app, receiver, clock):
    source, _secret = hooked_source(receiver.url, make_operator())
    with pytest.raises(RuntimeError), write_transaction(db.session):
        receive_contact(db.session, ContactFields(source_id=source.id, external_id="x"), distribution.SYSTEM)
        db.session.flush()
        raise RuntimeError("the request failed after the change")
    assert outbox() == []
    assert deliver(clock) == 0 and receiver.received == []


def test_a_500_is_retried_within_30_seconds_with_the_same_id(app, receiver, clock):
    source, secret = hooked_source(receiver.url)  # nobody weighted: one event, contact.created
    make_contact(source)
    receiver.statuses = [500, 503]
    assert deliver(clock) == 0
    (event,) = outbox()
    assert (event.attempts, event.last_status, event.delivered_at) == (1, 500, None)
    assert event.next_attempt_at - clock.now <= timedelta(seconds=30)
    assert deliver(clock) == 0  # not due yet: nothing sent
    assert len(receiver.received) == 1
    clock.advance(seconds=5)
    assert deliver(clock) == 0  # the second attempt: 503
    clock.advance(seconds=20)
    assert deliver(clock) == 1
    ids = {d.headers["webhook-id"] for d in receiver.received}
    assert len(receiver.received) == 3 and ids == {event.event_id}
    assert all(Webhook(secret).verify(d.body, d.headers) for d in receiver.received)
    assert (outbox()[0].attempts, outbox()[0].last_status) == (3, 200)


def test_nothing_is_lost_while_the_receiver_is_down_and_each_contact_keeps_its_order(app, clock):
    with webhook_receiver() as first:
        port = first.port
    # The receiver is down now (nobody listens on its port): the changes go on regardless.
    anna = make_operator("Anna")
    source, _secret = hooked_source(f"http://127.0.0.1:{port}/hook", anna)
    made = [make_contact(source) for _ in range(3)]
    for contact in made:
        committed(contacts.change_status, contact.id, "closed")
    assert deliver(clock) == 0
    failed = [e for e in outbox() if e.attempts]
    assert len(failed) == 1 and "Connection" in failed[0].last_error  # one try per pass per receiver
    for _minutes in range(30):  # half an hour down: still retried
        clock.advance(minutes=1)
        deliver(clock)
    assert all(e.delivered_at is None and e.next_attempt_at is not None for e in outbox())
    with webhook_receiver(port) as back:
        clock.advance(hours=2)
        assert deliver(clock) == 9
        by_contact = {}
        for event in back.events():
            by_contact.setdefault(event["data"]["id"], []).append(event["type"])
    in_order = ["contact.created", "contact.assigned", "contact.status_changed"]
    assert by_contact == {contact.id: in_order for contact in made}


def test_a_contact_s_later_event_waits_for_the_earlier_one(app, receiver, clock):
    source, _secret = hooked_source(receiver.url, make_operator())
    contact = make_contact(source)
    receiver.statuses = [500]  # contact.created fails once
    deliver(clock)
    assert [d.event["type"] for d in receiver.received] == ["contact.created"]
    committed(contacts.change_status, contact.id, "in_progress")
    deliver(clock)  # the failed one is not due yet: nothing of this contact may overtake it
    assert len(receiver.received) == 1
    clock.advance(seconds=5)
    deliver(clock)
    assert [d.event["type"] for d in receiver.received] == [
        "contact.created", "contact.created", "contact.assigned", "contact.status_changed"]


def test_after_24_hours_of_failures_it_gives_up_and_the_contact_s_next_events_go(app, receiver, clock):
    source, _secret = hooked_source(receiver.url)
    contact = make_contact(source)
    receiver.statuses = [500] * 1000
    for _hour in range(26):
        deliver(clock)
        clock.advance(hours=1)
    (event,) = outbox()
    assert (event.delivered_at, event.next_attempt_at, event.last_status) == (None, None, 500)
    assert 10 < event.attempts < 40
    receiver.statuses = []
    committed(contacts.change_status, contact.id, "closed")
    assert deliver(clock) == 1


def test_retry_delays_grow_from_5_seconds_to_at_most_2_hours():
    delays = [webhooks.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays[:4] == [5, 20, 80, 320]
    assert delays == sorted(delays) and max(delays) == 7200


def test_a_test_event_is_signed_and_listed(app, receiver, clock):
    source, secret = hooked_source(receiver.url)
    committed(webhooks.send_test_event, source.id)
    assert deliver(clock) == 1
    (delivery,) = receiver.received
    assert Webhook(secret).verify(delivery.body, delivery.headers)["type"] == "webhook.test"
    assert [e.type for e in webhooks.recent_deliveries(db.session, source.id)] == ["webhook.test"]


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://localhost:8000/x", "http://10.1.2.3/",
                                 "http://[::1]/", "http://169.254.169.254/latest/meta-data"])
def test_private_addresses_need_the_setting(url):
    with pytest.raises(InvalidError):
        webhooks.check_url(url, allow_private=False)
    assert webhooks.check_url(url, allow_private=True) == url


@pytest.mark.parametrize("url", ["ftp://1.1.1.1/", "1.1.1.1/hook", "https://user:pw@1.1.1.1/",
                                 "javascript:alert(1)", "http:///nohost"])
def test_only_http_and_https_urls_with_a_host(url):
    with pytest.raises(InvalidError):
        webhooks.check_url(url, allow_private=True)


def test_a_delivery_to_a_private_address_is_refused_when_the_setting_is_off(app, receiver, clock):
    source, _secret = hooked_source(receiver.url)  # saved while allowed
    make_contact(source)
    assert webhooks.deliver_due(db.session, allow_private=False, clock=clock) == 0
    assert receiver.received == []
    assert "private" in outbox()[0].last_error
