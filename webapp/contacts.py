"""Contacts after intake: status changes, manual assignment, listings."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, replace

from sqlalchemy import false, or_, select
from sqlalchemy.orm import aliased

from webapp import distribution, leads
from webapp.clock import utcnow
from webapp.database import unicode_lower
from webapp.errors import ConflictError, InvalidError, NotFoundError, StaleError
from webapp.ids import parse_int
from webapp.models import OPEN_CONTACT_STATUSES, Assignment, Contact, ContactNote, Lead


def contact_version(contact: Contact) -> str:
    """A strong validator of what a claim acts on: the contact's operator and status.

    A hash rather than a counter: it needs no column, and two states that read the same
    (the same operator, the same status) are the same state for anyone acting on them.
    """
    return state_version(contact.id, contact.operator_id, contact.status)


def state_version(contact_id: int, operator_id: int | None, status: str) -> str:
    return hashlib.sha256(f"{contact_id}:{operator_id}:{status}".encode()).hexdigest()[:20]


def change_status(
    session, contact_id: int, status: str, *, expected: Collection[str] | None = None
) -> Contact:
    """Move a contact to new, in_progress or closed. Closed is final. Caller commits.

    ``expected``: the versions the caller acted on (If-Match); another one is a StaleError.
    """
    contact = _locked_contact(session, contact_id, expected)
    if contact.status == "closed":
        raise ConflictError("The contact is closed; a closed contact cannot change.")
    if status == "in_progress" and contact.operator_id is None:
        raise ConflictError("An unassigned contact cannot be in progress; assign it first.")
    contact.status = status
    if status == "in_progress" and contact.started_at is None:
        contact.started_at = utcnow()
    if status == "closed":
        contact.closed_at = utcnow()
    session.flush()
    return contact


def set_operator(
    session,
    contact_id: int,
    operator_id: int | None,
    *,
    actor: distribution.Actor,
    force: bool = False,
    reason: str | None = None,
    expected: Collection[str] | None = None,
) -> Contact:
    """A manager's assignment (or unassignment, with None) through the distribution rules. Caller commits."""
    contact = _locked_contact(session, contact_id, expected)
    if operator_id is None:
        distribution.unassign(session, contact, actor=actor, reason=reason)
    else:
        distribution.assign_manually(session, contact, operator_id, actor=actor, force=force, reason=reason)
    return contact


def operators_contact(session, contact_id: int, operator_id: int) -> Contact:
    """The contact if it is given to ``operator_id``; NotFoundError otherwise.

    An operator user acts only on their own contacts, and another operator's
    contact reads to them as one that does not exist (they learn nothing of it).
    """
    contact = session.get(Contact, contact_id)
    if contact is None or contact.operator_id != operator_id:
        raise NotFoundError(f"Contact {contact_id} does not exist.")
    return contact


def operator_open_contacts(session, operator_id: int) -> list[Contact]:
    """An operator's open contacts, oldest first (the one waiting longest on top)."""
    query = (
        select(Contact)
        .where(Contact.operator_id == operator_id)
        .where(Contact.status.in_(OPEN_CONTACT_STATUSES))
        .order_by(Contact.id)
    )
    return list(session.execute(query).scalars())


NOTE_MAX_LENGTH = 5000


def add_note(session, contact_id: int, author_id: int, text: str) -> ContactNote:
    """An internal note on a contact, 1 to NOTE_MAX_LENGTH characters after trimming. Caller commits."""
    text = (text or "").strip()
    if not 1 <= len(text) <= NOTE_MAX_LENGTH:
        message = f"A note is 1 to {NOTE_MAX_LENGTH} characters."
        raise InvalidError(message, [{"field": "text", "message": message}])
    if session.get(Contact, contact_id) is None:
        raise NotFoundError(f"Contact {contact_id} does not exist.")
    note = ContactNote(contact_id=contact_id, author_id=author_id, text=text, created_at=utcnow())
    session.add(note)
    session.flush()
    return note


def contact_notes(session, contact_id: int) -> list[ContactNote]:
    """A contact's notes, oldest first (newest last, as a conversation reads)."""
    query = select(ContactNote).where(ContactNote.contact_id == contact_id).order_by(ContactNote.id)
    return list(session.execute(query).scalars())


def _locked_contact(session, contact_id: int, expected: Collection[str] | None = None) -> Contact:
    # The version is compared under the row lock: of two claims on one version, the second
    # waits for the first to commit and then sees the version it changed.
    contact = session.execute(
        select(Contact).where(Contact.id == contact_id).with_for_update(of=Contact)
    ).scalar_one_or_none()
    if contact is None:
        raise NotFoundError(f"Contact {contact_id} does not exist.")
    if expected is not None and contact_version(contact) not in expected:
        raise StaleError(f"Contact {contact_id} changed since that version; read it again.")
    return contact


def latest_assignment(session, contact_id: int) -> Assignment | None:
    """The contact's most recent assignment record: who gave it to whom, and when."""
    query = select(Assignment).where(Assignment.contact_id == contact_id).order_by(Assignment.id.desc())
    return session.execute(query.limit(1)).scalar_one_or_none()


SEARCH_MAX_LENGTH = 200
# Only digits and what people write between them: such a text may be (a part of) a phone.
PHONE_LIKE = re.compile(r"[0-9\s()+\-.]+")


@dataclass(frozen=True)
class ContactSearch:
    """What a search box text can mean: a contact number, a lead's name, email or phone."""

    text: str  # as typed, trimmed
    contact_id: int | None = None
    number_only: bool = False  # "#123" asks for contact 123 and nothing else
    phone: str | None = None  # the text as a whole phone, in E.164
    digits: str | None = None  # the text as a part of a phone (3 digits or more)
    # The leads the text finds, when ``with_found_leads`` looked them up and they were few.
    lead_ids: tuple[int, ...] | None = None


def parse_search(text: str | None, phone_region: str = leads.DEFAULT_PHONE_REGION) -> ContactSearch | None:
    """The search a box text asks for; None for an empty one.

    ``123`` finds contact #123 and leads whose name, email or phone holds 123; ``#123``
    contact #123 alone. A phone matches in any spelling that reads as the same number
    (``8 912 345-67-89`` is ``+79123456789`` with ``phone_region`` RU) or by its digits; one
    written whole with its ``+`` and country code matches that number only.
    """
    text = " ".join((text or "").split())[:SEARCH_MAX_LENGTH]
    if not text:
        return None
    if text.startswith("#"):
        return ContactSearch(text, parse_int(text[1:].strip()), number_only=True)
    phone = digits = None
    if PHONE_LIKE.fullmatch(text):
        digits = re.sub("[^0-9]", "", text)
        digits = digits if len(digits) >= 3 else None
        try:
            phone = leads.normalise_phone(text, phone_region)
        except InvalidError:
            phone = None
        if phone and text.startswith("+"):
            # A whole number in international form means that number: its digits are not
            # looked for inside longer ones too (their trigrams match most phone numbers).
            digits = None
    return ContactSearch(text, parse_int(text), phone=phone, digits=digits)


def search_condition(search: ContactSearch):
    """Contacts the search finds: by number, or by their lead's name, external id, email or phone.

    A subquery, not a join, so any listing (the board, the export, which joins leads itself) can
    add it; of contact ids, so the listing reads the few contacts found by their ids rather than
    testing each contact it would list (SQLite chose that, 50 times slower at 1,000,000).
    """
    if search.number_only:
        return Contact.id == search.contact_id if search.contact_id is not None else false()
    found = aliased(Contact)
    conditions = [found.id == search.contact_id] if search.contact_id is not None else []
    if search.lead_ids is None:
        conditions.extend(_lead_conditions(search, found.lead_id))
    elif search.lead_ids:
        conditions.append(found.lead_id.in_(search.lead_ids))
    if not conditions:
        return false()  # found nobody: the listing reads nothing
    return Contact.id.in_(select(found.id).where(or_(*conditions)))


def _lead_conditions(search: ContactSearch, lead_id) -> list:
    """``lead_id`` is a lead the text finds: by name, external id, email or phone. Case-insensitive
    for every alphabet. A text of 3 characters or more is looked up in the leads' trigram index
    (``leads.in_search_index``); a shorter one in every lead."""
    words = search.text.lower()
    indexed = words if _indexed(search) else None
    conditions = []
    if indexed or search.digits:
        conditions.append(leads.in_search_index(lead_id, indexed, search.digits))
    if indexed is None:
        scanned = [unicode_lower(column).contains(words, autoescape=True)
                   for column in (Lead.name, Lead.external_id, Lead.email)]
        conditions.append(lead_id.in_(select(Lead.id).where(or_(*scanned))))
    if search.phone:
        conditions.append(lead_id.in_(select(Lead.id).where(Lead.phone == search.phone)))
    return conditions


def _indexed(search: ContactSearch) -> bool:
    """Long enough for the trigram index; a shorter text is looked for in every lead."""
    return len(search.text.lower()) >= leads.TRIGRAM


# A search that finds at most this many leads names them in the listings' statements.
FEW_LEADS = 500


def with_found_leads(session, search: ContactSearch | None) -> ContactSearch | None:
    """``search`` with the leads it finds, looked up once, when they are ``FEW_LEADS`` or fewer.

    For a page that lists with one search several times (the board: the queue, its count, the
    open list): each statement then reads the few leads' contacts by index instead of searching
    the trigram index again (on a 1,000,000-contact bench, three searches of 25 ms each).
    """
    if search is None or search.number_only or not _indexed(search):
        return search  # a text read in every lead finds many, or reads them all to find few
    found = aliased(Lead)
    query = select(found.id).where(or_(*_lead_conditions(search, found.id))).limit(FEW_LEADS + 1)
    lead_ids = tuple(session.execute(query).scalars())
    return replace(search, lead_ids=lead_ids) if len(lead_ids) <= FEW_LEADS else search


@dataclass(frozen=True)
class ContactFilter:
    status: str | None = None
    source_id: int | None = None
    operator_id: int | None = None
    lead_id: int | None = None
    unassigned: bool = False
    search: ContactSearch | None = None


def filtered_contacts(contact_filter: ContactFilter):
    """Contacts matching the filter, newest first."""
    query = select(Contact).order_by(Contact.id.desc())
    if contact_filter.status:
        query = query.where(Contact.status == contact_filter.status)
    if contact_filter.source_id is not None:
        query = query.where(Contact.source_id == contact_filter.source_id)
    if contact_filter.operator_id is not None:
        query = query.where(Contact.operator_id == contact_filter.operator_id)
    if contact_filter.lead_id is not None:
        query = query.where(Contact.lead_id == contact_filter.lead_id)
    if contact_filter.unassigned:
        query = query.where(Contact.operator_id.is_(None))
    if contact_filter.search is not None:
        query = query.where(search_condition(contact_filter.search))
    return query


def encode_cursor(contact_id: int) -> str:
    return base64.urlsafe_b64encode(f"c{contact_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    """The id a cursor points below, or None when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not text.startswith("c"):
        return None
    # Up to the 11 digits the documented cursor pattern allows; past MAX_ID it means
    # "below every id", which the API reads as the first page.
    return parse_int(text[1:], minimum=0, maximum=10**11 - 1)


def contact_page(session, contact_filter: ContactFilter, limit: int, before_id: int | None = None):
    """One page of contacts, newest first; returns (contacts, next_cursor)."""
    query = filtered_contacts(contact_filter).limit(limit + 1)
    if before_id is not None:
        query = query.where(Contact.id < before_id)
    contacts = list(session.execute(query).scalars())
    next_cursor = encode_cursor(contacts[limit - 1].id) if len(contacts) > limit else None
    return contacts[:limit], next_cursor


def assignment_history(session, contact_id: int) -> list[Assignment]:
    """Every assignment record of a contact, oldest first."""
    query = select(Assignment).where(Assignment.contact_id == contact_id).order_by(Assignment.id)
    return list(session.execute(query).scalars())


def assignment_histories(session, contact_ids) -> dict[int, list[Assignment]]:
    """The assignment records of several contacts (one query), oldest first per contact."""
    histories: dict[int, list[Assignment]] = {contact_id: [] for contact_id in contact_ids}
    query = select(Assignment).where(Assignment.contact_id.in_(list(histories))).order_by(Assignment.id)
    for record in session.execute(query).scalars():
        histories[record.contact_id].append(record)
    return histories


def contacts_of_lead(lead_id: int, limit: int = 500):
    """A lead's contacts, newest first."""
    return select(Contact).where(Contact.lead_id == lead_id).order_by(Contact.id.desc()).limit(limit)


def lead_contacts(session, lead_id: int, limit: int = 500):
    return list(session.execute(contacts_of_lead(lead_id, limit)).scalars())
