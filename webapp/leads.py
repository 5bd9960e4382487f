"""One customer, one lead: normalised identifiers, lookups, possible duplicates, and merging.

Phones are stored in E.164 (parsed with the deployment's ``PHONE_REGION``), emails
lowercased, so the same customer written two ways matches. A merge moves every contact of
one lead to another, keeps the merged lead's external_id as an alias of the survivor
(``lead_aliases``: lookups and new contacts find the survivor), and records itself in
``lead_merges``. Functions here run inside the caller's write transaction (or a read);
they flush, never commit, and know nothing of Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import phonenumbers
from sqlalchemy import column, delete, func, insert, or_, select, table, text, update

from webapp.database import on_sqlite_else
from webapp.distribution import Actor
from webapp.errors import InvalidError, NotFoundError
from webapp.models import Contact, Lead, LeadAlias, LeadMerge, SharedLeadValue

DEFAULT_PHONE_REGION = "RU"
# What a lead holds about the customer (a merge fills the survivor's empty ones).
CUSTOMER_FIELDS = ("email", "phone", "name")

# Every intake (shared) and every merge (exclusive) takes this PostgreSQL advisory lock
# first. A merge thus starts only once the intakes in flight have committed, and an
# intake that arrives meanwhile waits before its lead upsert, whose snapshot then shows
# the new alias (without it, the upsert would wait on the deleted lead's row and then
# insert a fresh lead under the merged-away external_id). Merges are rare and take
# milliseconds; intakes do not wait for one another. SQLite needs none: BEGIN IMMEDIATE
# already serialises every writer.
MERGE_LOCK_KEY = 0x1EAD_3E26


def normalise_phone(phone: str | None, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """``phone`` in E.164 (``+79123456789``), parsed with ``region`` when it has no +country code.

    Raises ``InvalidError`` naming ``phone`` when it cannot be parsed or cannot be a phone
    number of that country (wrong length): such a value identifies nobody. Validity
    against the numbering plan is not asked for: a newly opened range would be refused
    until the library is updated.
    """
    if phone is None:
        return None
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise InvalidError(
            "The phone cannot be parsed as a phone number.",
            [{"field": "phone", "message": "not a phone number"}],
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(email: str | None) -> str | None:
    """``email`` lowercased (the whole address: customers and bots do not mind the case)."""
    return email.lower() if email is not None else None


# --- Lookups -----------------------------------------------------------------------


def external_id_lead(external_id: str):
    """The id of the lead ``external_id`` finds: its own, or the one it was merged into."""
    aliased = select(LeadAlias.lead_id).where(LeadAlias.external_id == external_id)
    return or_(Lead.external_id == external_id, Lead.id.in_(aliased))


def find_leads(session, *, external_id=None, email=None, phone=None, region=DEFAULT_PHONE_REGION):
    """Leads matching every given identifier, on their normalised forms; up to 500, oldest first."""
    query = select(Lead).order_by(Lead.id)
    if external_id is not None:
        query = query.where(external_id_lead(external_id))
    if email is not None:
        query = query.where(Lead.email == normalise_email(email))
    if phone is not None:
        query = query.where(Lead.phone == normalise_phone(phone, region))
    return list(session.execute(query.limit(500)).scalars())


# --- Search ---------------------------------------------------------------------------

# The fewest characters the trigram index finds a text by; a shorter one is looked for in every lead.
TRIGRAM = 3
# Migration 0018's FTS5 table on SQLite; its column named like the table is the one MATCH reads.
_SEARCH_INDEX = table("lead_search", column("rowid"), column("lead_search"))


def in_search_index(lead_id, words: str | None, digits: str | None):
    """``lead_id`` is a lead whose name, external id or email hold ``words`` (lowercase, at least
    ``TRIGRAM`` characters), or whose phone holds ``digits``: found through migration 0018's
    trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL) rather than by reading every lead."""
    fts_query = " OR ".join(
        f'{column_name} : "{text.replace(chr(34), chr(34) * 2)}"'  # a phrase: its quotes doubled
        for column_name, text in (("words", words), ("phone", digits)) if text
    )
    on_sqlite = lead_id.in_(select(_SEARCH_INDEX.c.rowid).where(_SEARCH_INDEX.c.lead_search.match(fts_query)))
    holding = []
    if words:  # lead_search_words(): the indexed expression, an immutable function of migration 0018
        indexed = func.lead_search_words(Lead.name, Lead.external_id, Lead.email)
        holding.append(indexed.contains(words, autoescape=True))
    if digits:
        holding.append(Lead.phone.contains(digits, autoescape=True))
    return on_sqlite_else(on_sqlite, lead_id.in_(select(Lead.id).where(or_(*holding))))


# --- Possible duplicates -------------------------------------------------------------

@dataclass(frozen=True)
class DuplicateGroup:
    matched_on: str  # "phone" or "email"
    value: str
    leads: list[Lead]


MAX_GROUPS = 100
MAX_LEADS_PER_GROUP = 50


def _shared_values(session, field: str, limit: int) -> list[str]:
    """Values of ``field`` held by more than one lead, the group with the oldest lead first:
    read from the triggers' table (migration 0020), not by grouping every lead."""
    query = (
        select(SharedLeadValue.value)
        .where(SharedLeadValue.field == field)
        .order_by(SharedLeadValue.first_lead_id, SharedLeadValue.value)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def _groups_on(session, field: str, limit: int) -> list[DuplicateGroup]:
    column = getattr(Lead, field)
    values = _shared_values(session, field, limit)
    if not values:
        return []
    leads = session.execute(select(Lead).where(column.in_(values)).order_by(Lead.id)).scalars()
    by_value: dict[str, list[Lead]] = {value: [] for value in values}
    for lead in leads:
        if len(by_value[getattr(lead, field)]) < MAX_LEADS_PER_GROUP:
            by_value[getattr(lead, field)].append(lead)
    return [DuplicateGroup(field, value, by_value[value]) for value in values]


def duplicate_groups(session, limit: int = MAX_GROUPS) -> list[DuplicateGroup]:
    """Leads sharing a phone, then leads sharing an email; four queries, whatever the number of leads.

    A group on email with exactly the leads of a group on phone is left out: it says
    nothing new. At most ``limit`` groups per field, ``MAX_LEADS_PER_GROUP`` leads each.
    """
    by_phone = _groups_on(session, "phone", limit)
    seen = {frozenset(lead.id for lead in group.leads) for group in by_phone}
    by_email = [
        group for group in _groups_on(session, "email", limit)
        if frozenset(lead.id for lead in group.leads) not in seen
    ]
    return by_phone + by_email


def contact_counts(session, lead_ids) -> dict[int, int]:
    """Contacts per lead id, one grouped query (leads without contacts are absent)."""
    query = select(Contact.lead_id, func.count()).where(Contact.lead_id.in_(lead_ids))
    return dict(session.execute(query.group_by(Contact.lead_id)).all())


# --- Merging ---------------------------------------------------------------------------


def check_merge(session, lead_id: int, other_id: int) -> tuple[Lead, Lead]:
    """(survivor, merged) if ``other_id`` may be merged into ``lead_id``; else the refusal.

    ``NotFoundError`` when ``lead_id`` does not exist; ``InvalidError`` naming ``lead_id``
    for the lead itself or an unknown other.
    """
    if other_id == lead_id:
        raise InvalidError(
            "A lead cannot be merged into itself.",
            [{"field": "lead_id", "message": "the same lead as the one in the path"}],
        )
    survivor = session.get(Lead, lead_id)
    if survivor is None:
        raise NotFoundError(f"Lead {lead_id} does not exist.")
    merged = session.get(Lead, other_id)
    if merged is None:
        raise InvalidError(
            f"Lead {other_id} does not exist.", [{"field": "lead_id", "message": "no lead with this id"}]
        )
    return survivor, merged


def _lock_leads(session, lead_ids: list[int]) -> None:
    """The merge lock (PostgreSQL), then both lead rows FOR UPDATE in id order (no deadlock
    between two merges of the same pair); SQLite: BEGIN IMMEDIATE already holds everything."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MERGE_LOCK_KEY})
    session.execute(
        select(Lead.id).where(Lead.id.in_(lead_ids)).order_by(Lead.id).with_for_update()
    ).all()


class Merged(NamedTuple):
    lead: Lead  # the survivor
    contacts_moved: int


def merge_leads(session, lead_id: int, other_id: int, *, actor: Actor) -> Merged:
    """Merge lead ``other_id`` into ``lead_id``, inside the caller's write transaction.

    Every contact of the other lead moves to ``lead_id`` (their assignment records stay
    with them: a merge changes no operator); the survivor's empty email, phone or name
    are filled from the other's; the other's external_id, every alias that pointed at it
    and its earlier merge records now belong to the survivor; the other lead is deleted;
    ``lead_merges`` records it all, with the other's identity fields. The survivor's
    ``sole_source_id`` is recomputed from its contacts, so a source token reads its
    customer fields only if every contact now came through that source. Returns the
    survivor and how many contacts moved.
    """
    _lock_leads(session, sorted((lead_id, other_id)))
    session.expire_all()  # re-read both under the lock: a concurrent merge may have run
    survivor, merged = check_merge(session, lead_id, other_id)
    moved = session.execute(
        update(Contact).where(Contact.lead_id == merged.id).values(lead_id=survivor.id)
    ).rowcount
    # Its aliases and earlier merges now belong to the survivor (a chain of merges keeps them all).
    for model in (LeadAlias, LeadMerge):
        session.execute(update(model).where(model.lead_id == merged.id).values(lead_id=survivor.id))
    _record_merge(session, survivor, merged, moved, actor)
    for field in CUSTOMER_FIELDS:
        if getattr(survivor, field) is None:
            setattr(survivor, field, getattr(merged, field))
    _replace_by_alias(session, merged, survivor)
    survivor.sole_source_id = session.execute(_sole_source(survivor.id)).scalar_one_or_none()
    session.flush()
    return Merged(survivor, moved)


def _record_merge(session, survivor: Lead, merged: Lead, moved: int, actor: Actor) -> None:
    session.execute(
        insert(LeadMerge).values(
            lead_id=survivor.id, merged_lead_id=merged.id, merged_external_id=merged.external_id,
            merged_email=merged.email, merged_phone=merged.phone, merged_name=merged.name,
            contacts_moved=moved, actor_kind=actor.kind, actor_name=actor.name,
        )
    )


def _replace_by_alias(session, merged: Lead, survivor: Lead) -> None:
    """Delete the merged lead; its external_id becomes an alias of the survivor."""
    external_id = merged.external_id
    session.execute(delete(Lead).where(Lead.id == merged.id).execution_options(synchronize_session=False))
    session.expunge(merged)
    # After the delete: the alias takes over the external_id the unique index held.
    session.add(LeadAlias(external_id=external_id, lead_id=survivor.id))


def _sole_source(lead_id: int):
    """The one source all of the lead's contacts came through, or NULL (several, or none)."""
    return select(
        func.min(Contact.source_id)
    ).where(Contact.lead_id == lead_id).having(func.count(func.distinct(Contact.source_id)) == 1)
