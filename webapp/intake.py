"""Receiving a contact: find or create the lead, store the contact, distribute it.

Everything a POST does - the lead, the contact, its operator and the stored
idempotent response - commits in one write transaction, so a request either
leaves all of it or none of it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import set_committed_value

from webapp import distribution, leads, tokens, webhooks
from webapp.clock import utcnow
from webapp.errors import ConflictError, InvalidError, TooManyError
from webapp.models import ApiToken, Contact, IdempotencyKey, Lead, Source, UTCDateTime


@dataclass(frozen=True)
class ContactFields:
    source_id: int
    external_id: str
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    message: str | None = None
    # Sent with a source token: email, phone and name overwrite only a lead whose every
    # earlier contact came through this source; on another's lead they only fill empty ones.
    confined_to_source: bool = False


# What a lead holds about the customer: the fields a source token may not read or change
# on another source's lead.
CUSTOMER_FIELDS = leads.CUSTOMER_FIELDS


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    replayed: bool


def _insert_ignoring_conflict(session, model, values: dict, conflict_columns: list[str]):
    """INSERT ... ON CONFLICT DO NOTHING on either backend; returns the new id or None."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(model.id)
    )
    return session.execute(statement).scalar_one_or_none()


def find_or_create_lead(session, fields: ContactFields) -> Lead:
    """The lead of ``fields.external_id``, created or updated by one upsert statement.

    One external_id is one lead, even when its first contacts arrive at once: the
    unique constraint decides, and ON CONFLICT turns the loser into an update.
    Given email/phone/name overwrite the stored ones (with ``confined_to_source``, only
    on a lead of this source alone; else they fill empty ones); absent ones keep them.
    The update reads the conflicting row as locked, its latest version: a contact of
    another source committed meanwhile is seen (an EXISTS over contacts would not be, on
    PostgreSQL, whose statement snapshot predates the wait for the lock).
    An external_id merged into another lead is an alias: the statement writes the
    survivor's external_id instead, so it conflicts with (and updates) the survivor.
    """
    statement = _LEAD_UPSERT_CONFINED if fields.confined_to_source else _LEAD_UPSERT
    parameters = {
        "external_id": fields.external_id, "email": fields.email, "phone": fields.phone,
        "name": fields.name, "source_id": fields.source_id, "created_at": utcnow(),
    }
    return session.scalars(statement, parameters, execution_options={"populate_existing": True}).one()


def _lead_upsert(confined_to_source: bool):
    """The upsert as SQL text, the same on SQLite and PostgreSQL.

    Text because SQLAlchemy cannot cache the compiled form of an ON CONFLICT DO UPDATE
    (it compiled it anew on every POST); a text statement is compiled once.
    """
    # Every earlier contact of the lead came through this contact's source (false when NULL).
    only_this_source = "leads.sole_source_id = excluded.sole_source_id"
    updates = []
    for column in CUSTOMER_FIELDS:  # a given value replaces the stored one; an absent one never erases
        overwrite = f"coalesce(excluded.{column}, leads.{column})"
        if confined_to_source:  # only on a lead of this source alone; else it fills an empty one
            fill = f"coalesce(leads.{column}, excluded.{column})"
            overwrite = f"CASE WHEN {only_this_source} THEN {overwrite} ELSE {fill} END"
        updates.append(f"{column} = {overwrite}")
    updates.append(f"sole_source_id = CASE WHEN {only_this_source} THEN leads.sole_source_id END")
    upsert = text(f"""
        INSERT INTO leads (external_id, email, phone, name, sole_source_id, created_at)
        VALUES (
            coalesce((SELECT survivor.external_id FROM lead_aliases
                      JOIN leads AS survivor ON survivor.id = lead_aliases.lead_id
                      WHERE lead_aliases.external_id = :external_id), :external_id),
            :email, :phone, :name, :source_id, :created_at)
        ON CONFLICT (external_id) DO UPDATE SET {", ".join(updates)}
        RETURNING leads.id, leads.external_id, leads.email, leads.phone, leads.name, leads.sole_source_id,
                  leads.created_at
    """).bindparams(bindparam("created_at", type_=UTCDateTime)).columns(
        Lead.id, Lead.external_id, Lead.email, Lead.phone, Lead.name, Lead.sole_source_id, Lead.created_at
    )
    return select(Lead).from_statement(upsert)


_LEAD_UPSERT = _lead_upsert(confined_to_source=False)
_LEAD_UPSERT_CONFINED = _lead_upsert(confined_to_source=True)


class IntakeLimited(TooManyError):
    """The source received ``intake_per_minute`` contacts in the last 60 s; nothing was stored."""

    def __init__(self, source_id: int, retry_after: int, noted_recently: bool):
        super().__init__(
            f"Source {source_id} accepts no more contacts this minute; retry in {retry_after} s.",
            retry_after=retry_after,
        )
        self.source_id = source_id
        self.noted_recently = noted_recently


INTAKE_WINDOW = timedelta(seconds=60)


class SourceSettings(NamedTuple):
    intake_per_minute: int | None
    intake_limited_at: datetime | None
    hooked: bool  # has a webhook
    paused: bool
    sticky_days: int


SOURCE_SETTINGS = (
    Source.intake_per_minute, Source.intake_limited_at, Source.webhook_url.is_not(None),
    *distribution.ROUTING_COLUMNS,
)


# The caller's token, read in the same statement (``read_source``): uncorrelated, each is
# looked up once per statement, not per candidate.
_CALLER_COLUMNS = tuple(
    select(column).where(ApiToken.token_hash == bindparam("token_hash")).scalar_subquery()
    for column in tokens.TOKEN_COLUMNS
)
# What the intake needs of the source, in one query: its limit, routing and candidates; on
# PostgreSQL the same statement takes the merge lock, shared - with every other intake,
# exclusive for a merge (``leads.MERGE_LOCK_KEY``): the lead upsert after it never runs beside
# a merge, and no statement is added per POST. In a subquery: taken once, not once per candidate.
_MERGE_LOCK = select(func.pg_advisory_xact_lock_shared(leads.MERGE_LOCK_KEY)).scalar_subquery()
_SOURCE_QUERIES = {
    "sqlite": distribution.source_with_candidates_query((*SOURCE_SETTINGS, *_CALLER_COLUMNS)),
    "postgresql": distribution.source_with_candidates_query(
        (*SOURCE_SETTINGS, *_CALLER_COLUMNS, _MERGE_LOCK)
    ),
}


class IntakeSource(NamedTuple):
    source_id: int
    settings: SourceSettings | None  # None: no such source
    caller: tokens.TokenIdentity | None  # the token of ``token_hash``; None without one
    candidates: list[distribution.Candidate]


def read_source(session, source_id: int, token_hash: str | None = None) -> IntakeSource:
    """The source's settings and candidates, and the caller's token by its hash, in one statement.

    The API reads the token here rather than apart: a statement fewer per contact. Without
    the source there is no row, so no caller either: the API then checks the token apart.
    """
    query = _SOURCE_QUERIES[session.get_bind().dialect.name]
    row, candidates = distribution.source_with_candidates(session, query, source_id, token_hash=token_hash)
    if row is None:
        return IntakeSource(source_id, None, None, candidates)
    settings_end = len(SOURCE_SETTINGS)
    caller = tokens.identity_of(row[settings_end: settings_end + len(_CALLER_COLUMNS)])
    return IntakeSource(source_id, SourceSettings(*row[:settings_end]), caller, candidates)


def normalised(fields: ContactFields, phone_region: str) -> ContactFields:
    """``fields`` with the phone in E.164 and the email lowercased; InvalidError naming ``phone``."""
    phone = leads.normalise_phone(fields.phone, phone_region)
    return dataclasses.replace(fields, phone=phone, email=leads.normalise_email(fields.email))


def _check_intake_limit(session, source_id: int, per_minute: int, limited_at) -> None:
    """Refuse a contact past the source's limit, counted from the stored contacts themselves.

    Counted inside the write transaction, so it holds across processes and servers:
    exact on SQLite (one writer at a time); on PostgreSQL transactions that count at
    the same moment may each add one, so at most one more per concurrent writer
    (RELIABILITY.md, "Per-source guards").
    """
    now = utcnow()
    count, oldest = session.execute(
        select(func.count(), func.min(Contact.created_at)).where(
            Contact.source_id == source_id, Contact.created_at > now - INTAKE_WINDOW
        )
    ).one()
    if count < per_minute:
        return
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    free_at = (oldest or now) + INTAKE_WINDOW
    retry_after = max(1, math.ceil((free_at - now).total_seconds()))
    recently = limited_at is not None and now - limited_at < INTAKE_WINDOW
    raise IntakeLimited(source_id, retry_after, recently)


def note_intake_limited(session, source_id: int) -> None:
    """Remember that the source's limit refused a contact (the overview lists today's).

    Written at most about once a minute per source (the intake skips it when recent),
    in a transaction of its own: the refused request stores nothing.
    """
    session.execute(update(Source).where(Source.id == source_id).values(intake_limited_at=utcnow()))


def receive_contact(
    session,
    fields: ContactFields,
    actor: distribution.Actor,
    *,
    phone_region: str = leads.DEFAULT_PHONE_REGION,
    rng: random.Random | None = None,
    source: IntakeSource | None = None,
) -> Contact:
    """Store a contact and let the distribution pick its operator (with ``rng``, as given). Caller commits.

    ``source``, when the caller has read it already (``read_source``), saves reading it again.
    The phone is parsed with ``phone_region`` (the setting PHONE_REGION); one that cannot
    be is a 422 naming ``phone`` and stores nothing.
    """
    fields = normalised(fields, phone_region)
    if source is None or source.source_id != fields.source_id:
        source = read_source(session, fields.source_id)
    settings, candidates = source.settings, source.candidates
    if settings is None:
        raise InvalidError(
            f"Source {fields.source_id} does not exist.",
            [{"field": "source_id", "message": "no source with this id"}],
        )
    per_minute, limited_at = settings.intake_per_minute, settings.intake_limited_at
    webhooks.note_source(session, fields.source_id, settings.hooked)
    routing = distribution.SourceRouting(settings.paused, settings.sticky_days)
    if per_minute is not None:
        _check_intake_limit(session, fields.source_id, per_minute, limited_at)
    lead = find_or_create_lead(session, fields)
    contact = Contact(lead_id=lead.id, source_id=fields.source_id, message=fields.message, status="new")
    # Picked before the contact is written, so one INSERT already carries its operator.
    distribution.assign_automatically(
        session, contact, rng, trigger="intake", actor=actor, routing=routing, candidates=candidates
    )
    # The response shows the lead without a query. Set as loaded, not as a change: the lead's
    # contacts are not touched, so the commit has nothing left to flush.
    set_committed_value(contact, "lead", lead)
    return contact


def body_fingerprint(body: dict) -> str:
    """Same JSON value, same fingerprint, whatever the key order or spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _claim_key(session, token_id: int, key: str, fingerprint: str, ttl: timedelta):
    """Claim an idempotency key for this request, or return the earlier response.

    On PostgreSQL the insert waits while another transaction holds the same key
    uncommitted, then sees its row: so a concurrent repeat replays the first.
    """
    now = utcnow()
    session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.token_id == token_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at < now - ttl,
        )
    )
    values = {"token_id": token_id, "key": key, "fingerprint": fingerprint, "created_at": now}
    try:
        claimed = _insert_ignoring_conflict(session, IdempotencyKey, values, ["token_id", "key"])
    except OperationalError:
        raise ConflictError(
            "A request with this Idempotency-Key is still being processed; retry later."
        ) from None
    if claimed is not None:
        return claimed, None
    earlier = session.execute(
        select(IdempotencyKey).where(IdempotencyKey.token_id == token_id, IdempotencyKey.key == key)
    ).scalar_one()
    if earlier.fingerprint != fingerprint:
        raise InvalidError(
            "This Idempotency-Key was used with a different request body.",
            [{"field": "Idempotency-Key", "message": "reused with a different body"}],
        )
    return None, StoredResponse(earlier.status_code, earlier.response_body, replayed=True)


def receive_contact_once(
    session,
    fields: ContactFields,
    render: Callable[[Contact], str],
    *,
    token_id: int,
    idempotency_key: str | None,
    fingerprint: str,
    ttl: timedelta,
    actor: distribution.Actor,
    phone_region: str = leads.DEFAULT_PHONE_REGION,
    source: IntakeSource | None = None,
) -> StoredResponse:
    """Receive a contact at most once per (token, Idempotency-Key), in the caller's write transaction.

    ``render`` turns the new contact into the response body; with a key, that
    body is stored in the same transaction and replayed to later repeats.
    """
    key_id = None
    if idempotency_key is not None:
        key_id, earlier = _claim_key(session, token_id, idempotency_key, fingerprint, ttl)
        if earlier is not None:
            return earlier
    contact = receive_contact(session, fields, actor, phone_region=phone_region, source=source)
    body = render(contact)
    if key_id is not None:
        key_row = session.get(IdempotencyKey, key_id)
        key_row.status_code, key_row.response_body = 201, body
        session.flush()
    return StoredResponse(201, body, replayed=False)


def purge_idempotency_keys(session, ttl: timedelta) -> int:
    """Delete stored responses older than ``ttl``; returns how many. Caller commits."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - ttl))
    return result.rowcount
