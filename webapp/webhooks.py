"""Signed webhooks: an outbox written in the transaction of each change, delivered by the worker.

* Recording: a flush that creates a contact, changes its operator or its status writes one
  ``WebhookEvent`` per event of a source with a ``webhook_url``, on the flush's own connection,
  so the event commits or rolls back with the change (an event of a rolled-back transaction
  does not exist). The body is frozen then, and every attempt sends it as it was.
* Delivering (``deliver_due``, run by the worker): each due event is claimed first (its
  ``next_attempt_at`` moved one lease ahead, compare-and-set), so two workers never send it at
  once; a worker killed mid-send leaves the lease to expire and the event is sent again, with
  the same ``Webhook-Id`` (at least once). A contact's events go in order: one waits while an
  earlier one of the same contact is not yet delivered (or given up). Failures retry with
  backoff (5 s, 20 s, 80 s ... at most 2 h apart) for 24 hours.
* Signing: the Standard Webhooks scheme, by the ``standardwebhooks`` package.
* Targets: ``http``/``https`` only; loopback, private, link-local and reserved addresses only
  with the setting ``WEBHOOK_ALLOW_PRIVATE``, checked when the URL is saved and again against
  the address each delivery connects to (a name that later resolves inside is refused too).
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

from sqlalchemy import and_, event, exists, insert, inspect, select, update
from sqlalchemy.orm import Session, aliased
from standardwebhooks import Webhook

from webapp.clock import utcnow
from webapp.database import real_session, write_transaction
from webapp.directory import get_existing
from webapp.errors import InvalidError
from webapp.models import Contact, Lead, Source, WebhookEvent
from webapp.serializers import contact_json, iso

log = logging.getLogger(__name__)

CONTACT_EVENTS = ("contact.created", "contact.assigned", "contact.unassigned", "contact.status_changed")
TEST_EVENT = "webhook.test"
RETRY_FOR = timedelta(hours=24)
FIRST_RETRY_SECONDS = 5
MAX_RETRY_SECONDS = 2 * 3600
USER_AGENT = "LeadDistributionCRM-Webhooks/1.1"


# --- The URL and the secret --------------------------------------------------------


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


def check_url(url: str, allow_private: bool) -> str:
    """``url`` if deliveries may go there; an InvalidError naming ``webhook_url`` otherwise."""
    parts = urlsplit(url)
    problem = None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problem = "must be an http or https URL with a host"
    elif parts.username or parts.password:
        problem = "must not carry a user name or password"
    elif not allow_private and _resolves_inside(parts.hostname):
        problem = "points to a loopback or private address (the setting WEBHOOK_ALLOW_PRIVATE allows it)"
    if problem:
        raise InvalidError(f"The webhook URL {problem}.", [{"field": "webhook_url", "message": problem}])
    return url


def _resolves_inside(host: str) -> bool:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError):
        return False  # not resolvable now: every delivery checks again
    return any(_refused_address(address) for address in addresses)


def new_secret(session, source_id: int) -> str:
    """A new signing secret for the source, replacing the old one; shown to the caller once."""
    source = get_existing(session, Source, source_id)
    source.webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    session.flush()
    return source.webhook_secret


def set_url(session, source_id: int, url: str | None, allow_private: bool) -> Source:
    """Point the source's webhook at ``url`` (None: off). A source gets its secret first."""
    source = get_existing(session, Source, source_id)
    if url is not None:
        check_url(url, allow_private)
        if source.webhook_secret is None:
            message = "make a secret first (POST /api/v1/sources/{id}/webhook-secret)"
            raise InvalidError(f"The source has no webhook secret: {message}.",
                               [{"field": "webhook_url", "message": message}])
    source.webhook_url = url
    session.flush()
    return source


# --- Recording: the outbox, in the transaction of the change ------------------------


def _changed(state, name: str) -> bool:
    history = state.attrs[name].history
    return bool(history.added) and list(history.added) != list(history.deleted)


def _contact_events(session) -> list[tuple[Contact, str]]:
    """(contact, event type) for every contact this flush creates or changes, in order."""
    found = []
    for contact in session.new:
        if isinstance(contact, Contact):
            found.extend(_created_events(contact))
    for contact in session.dirty:
        if not isinstance(contact, Contact):
            continue
        state = inspect(contact)
        if _changed(state, "operator_id"):
            kind = "contact.assigned" if contact.operator_id is not None else "contact.unassigned"
            found.append((contact, kind))
        if _changed(state, "status"):
            found.append((contact, "contact.status_changed"))
    return sorted(found, key=lambda item: (item[0].id, CONTACT_EVENTS.index(item[1])))


def _created_events(contact: Contact) -> list[tuple[Contact, str]]:
    events = [(contact, "contact.created")]
    if contact.operator_id is not None:
        events.append((contact, "contact.assigned"))
    return events


# session.info key: (the transaction, {source id: has a webhook}) as the caller read them.
_KNOWN_HOOKS = "webhooks.known_hooks"


def note_source(session, source_id: int, has_webhook: bool) -> None:
    """Tell the outbox whether the source has a webhook, as the caller read it in this transaction.

    The intake reads its source anyway: this saves the outbox a query of its own per contact.
    """
    session = real_session(session)
    transaction = session.get_transaction()
    known = session.info.get(_KNOWN_HOOKS)
    if known is None or known[0] is not transaction:
        known = session.info[_KNOWN_HOOKS] = (transaction, {})
    known[1][source_id] = has_webhook


def _hooked_sources(session, source_ids: set[int]) -> set[int]:
    known = session.info.get(_KNOWN_HOOKS)
    known = known[1] if known is not None and known[0] is session.get_transaction() else {}
    hooked = {source_id for source_id in source_ids if known.get(source_id)}
    unknown = source_ids - known.keys()
    if unknown:
        hooked.update(session.connection().execute(
            select(Source.id).where(Source.id.in_(unknown), Source.webhook_url.is_not(None))
        ).scalars())
    return hooked


def _record_events(session, _flush_context) -> None:
    _write_events(session, _contact_events(session))


def record_inserted_contact(session, contact: Contact) -> None:
    """The events of a contact written without a flush (the intake's INSERT): the hook never sees it."""
    _write_events(real_session(session), _created_events(contact))


def _write_events(session, changes: list[tuple[Contact, str]]) -> None:
    if not changes:
        return
    hooked = _hooked_sources(session, {contact.source_id for contact, _type in changes})
    rows = [_event_row(session, contact, kind) for contact, kind in changes if contact.source_id in hooked]
    if rows:
        session.connection().execute(insert(WebhookEvent), rows)


def _event_row(session, contact: Contact, kind: str) -> dict:
    lead = session.get(Lead, contact.lead_id)  # in the identity map: the change just used it
    # The source sees the customer's details as its token would: while the lead is its alone.
    data = contact_json(contact, lead.sole_source_id == contact.source_id, lead=lead)
    return _row(contact.source_id, contact.id, kind, data)


def _row(source_id: int, contact_id: int | None, kind: str, data: dict) -> dict:
    now = utcnow()
    event_id = str(uuid.uuid4())
    body = json.dumps({"id": event_id, "type": kind, "created_at": iso(now), "data": data},
                      ensure_ascii=False, separators=(",", ":"))
    return {"event_id": event_id, "source_id": source_id, "contact_id": contact_id, "type": kind,
            "body": body, "created_at": now, "attempts": 0, "next_attempt_at": now}


def install(session_class: type[Session]) -> None:
    """Record the events of every flush of ``session_class`` sessions (once per process)."""
    if not event.contains(session_class, "after_flush", _record_events):
        event.listen(session_class, "after_flush", _record_events)


def send_test_event(session, source_id: int) -> WebhookEvent:
    """Queue a ``webhook.test`` event for the source's webhook, as the source page's button does."""
    source = get_existing(session, Source, source_id)
    if source.webhook_url is None:
        raise InvalidError("The source has no webhook URL.", [{"field": "webhook_url", "message": "not set"}])
    data = {"source_id": source.id, "message": "A test event from the source page."}
    row = _row(source.id, None, TEST_EVENT, data)
    session.execute(insert(WebhookEvent), [row])
    return session.execute(select(WebhookEvent).where(WebhookEvent.event_id == row["event_id"])).scalar_one()


def recent_deliveries(session, source_id: int, limit: int = 50) -> list[WebhookEvent]:
    """The source's newest events with how their delivery went."""
    query = select(WebhookEvent).where(WebhookEvent.source_id == source_id)
    return list(session.execute(query.order_by(WebhookEvent.id.desc()).limit(limit)).scalars())


# --- Delivering ---------------------------------------------------------------------


class DeliveryError(Exception):
    """The receiver could not be reached, or may not be (a private address)."""


class Outcome(NamedTuple):
    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


Sender = Callable[[str, bytes, dict, float, bool], int]


def retry_delay(attempts: int) -> timedelta:
    """After the ``attempts``-th failed attempt: 5 s, 20 s, 80 s, ... at most 2 h."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 4 ** (attempts - 1), MAX_RETRY_SECONDS))


def _due(session, now: datetime, limit: int, skipped_sources: set[int]):
    """Due events whose contact has no earlier event still to deliver, oldest first."""
    earlier = aliased(WebhookEvent)
    blocked = exists().where(
        and_(
            earlier.contact_id == WebhookEvent.contact_id,
            earlier.id < WebhookEvent.id,
            earlier.next_attempt_at.is_not(None),
        )
    )
    query = (
        select(WebhookEvent.id, WebhookEvent.next_attempt_at, WebhookEvent.source_id)
        .where(WebhookEvent.next_attempt_at <= now, ~blocked)
        .order_by(WebhookEvent.id)
        .limit(limit)
    )
    if skipped_sources:
        query = query.where(WebhookEvent.source_id.not_in(skipped_sources))
    return session.execute(query).all()


def _claim(session, event_id: int, due_at: datetime, lease_until: datetime):
    """Take the event for one attempt (None: another worker has it); its URL, secret, body and id."""
    with write_transaction(session):
        taken = session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id, WebhookEvent.next_attempt_at == due_at)
            .values(next_attempt_at=lease_until, attempts=WebhookEvent.attempts + 1)
        ).rowcount
        if not taken:
            return None
        return session.execute(
            select(Source.webhook_url, Source.webhook_secret, WebhookEvent.body, WebhookEvent.event_id,
                   WebhookEvent.attempts, WebhookEvent.created_at)
            .join(Source, Source.id == WebhookEvent.source_id)
            .where(WebhookEvent.id == event_id)
        ).one()


def _attempt(claimed, now: datetime, send: Sender, timeout: float, allow_private: bool) -> Outcome:
    if not claimed.webhook_url or not claimed.webhook_secret:
        return Outcome(None, "the source's webhook was switched off")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": claimed.event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(claimed.webhook_secret).sign(claimed.event_id, now, claimed.body),
    }
    try:
        status = send(claimed.webhook_url, claimed.body.encode(), headers, timeout, allow_private)
        return Outcome(status, None)
    except DeliveryError as error:
        return Outcome(None, str(error)[:500])


def _settle(session, event_id: int, claimed, outcome: Outcome, now: datetime) -> None:
    values = {"last_status": outcome.status, "last_error": outcome.error}
    if outcome.delivered:
        values |= {"delivered_at": now, "next_attempt_at": None, "last_error": None}
    else:
        retry_at = now + retry_delay(claimed.attempts)
        switched_off = not claimed.webhook_url or not claimed.webhook_secret
        give_up = switched_off or retry_at > claimed.created_at + RETRY_FOR
        values["next_attempt_at"] = None if give_up else retry_at
        if outcome.error is None:
            values["last_error"] = f"answered {outcome.status}"
    with write_transaction(session):
        session.execute(update(WebhookEvent).where(WebhookEvent.id == event_id).values(**values))


def deliver_due(
    session,
    *,
    send: Sender | None = None,
    timeout: float = 10.0,
    allow_private: bool = False,
    at_most: int = 100,
    clock: Callable[[], datetime] = utcnow,
) -> int:
    """Send the due events (at most ``at_most`` attempts), each claimed first; how many arrived.

    A source whose receiver failed is left alone for the rest of the pass, so one receiver
    that hangs or is down costs one timeout per pass, not one per event.
    """
    send = send or post
    lease = timedelta(seconds=2 * timeout + 5)  # past any attempt of ours: only a dead worker loses it
    delivered = attempts = 0
    failing: set[int] = set()
    while attempts < at_most:
        due = _due(session, clock(), at_most - attempts, failing)
        session.rollback()  # no read transaction stays open while we wait on a receiver
        if not due:
            break
        for event_id, due_at, source_id in due:
            if source_id in failing:
                continue
            claimed = _claim(session, event_id, due_at, clock() + lease)
            if claimed is None:
                continue
            attempts += 1
            outcome = _attempt(claimed, clock(), send, timeout, allow_private)
            _settle(session, event_id, claimed, outcome, clock())
            if outcome.delivered:
                delivered += 1
            else:
                failing.add(source_id)
                log.info("webhook %s not delivered: %s", claimed.event_id, outcome.error or outcome.status)
    return delivered


# --- The HTTP request ---------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to next."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443

    def connect(self):
        super().connect()
        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)


def _address(host: str, port: int, allow_private: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise DeliveryError(f"cannot resolve {host}: {error}") from None
    addresses = [info[4][0] for info in infos]
    if not allow_private and any(_refused_address(address) for address in addresses):
        raise DeliveryError(f"{host} resolves to a loopback or private address")
    return addresses[0]


def post(url: str, body: bytes, headers: dict, timeout: float, allow_private: bool) -> int:
    """POST ``body`` to ``url``; the status code. Redirects are not followed (a 3xx is a failure)."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    address = _address(parts.hostname, port, allow_private)
    connection = connection_class(parts.hostname, port, address, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()
