"""The contact board's listings and the lead card's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from webapp.contacts import ContactFilter, contacts_of_lead, filtered_contacts
from webapp.models import OPEN_CONTACT_STATUSES, Contact, Operator, Source
from webapp.queries.operators import PAGE_SIZE


def _with_names(query):
    # Board and lead card rows show the source and operator names: load them in the same query
    # (and not the source's weights, which Source loads by default).
    return query.options(joinedload(Contact.source).lazyload(Source.weights), joinedload(Contact.operator))


# The waiting queue is read whole up to this many rows a page: past a few hundred, pages.
WAITING_PAGE_SIZE = 200


@dataclass(frozen=True)
class Waiting:
    """One page of the waiting queue, oldest first, and the figures of the whole queue."""

    rows: list[Contact]
    count: int
    oldest: datetime | None
    next_after: int | None  # the id the next page starts after, or None on the last page


def _waiting(contact_filter: ContactFilter):
    return filtered_contacts(
        ContactFilter(status=contact_filter.status, source_id=contact_filter.source_id, unassigned=True)
    ).where(Contact.status.in_(OPEN_CONTACT_STATUSES))


def unassigned_contacts(session, contact_filter: ContactFilter, *, after_id: int | None = None,
                        until_id: int | None = None, limit: int = WAITING_PAGE_SIZE) -> Waiting:
    """Open contacts without an operator that match the filter, oldest first (the longest wait on top).

    ``until_id`` holds back what arrived after the board was drawn (the "N new" bar shows them);
    the count and the oldest moment are of the whole queue.
    """
    if contact_filter.operator_id is not None:
        return Waiting([], 0, None, None)
    base = _waiting(contact_filter)
    queue = base.order_by(None).subquery()
    count, oldest = session.execute(select(func.count(), func.min(queue.c.created_at))).one()
    page = base.order_by(None).order_by(Contact.id)
    if after_id is not None:
        page = page.where(Contact.id > after_id)
    if until_id is not None:
        page = page.where(Contact.id <= until_id)
    rows = _first_rows(session, page, limit + 1, Contact.id)
    return Waiting(rows[:limit], count, oldest, rows[limit - 1].id if len(rows) > limit else None)


def _first_rows(session, query, limit: int, order=None) -> list[Contact]:
    """The first ``limit`` contacts of ``query`` (newest first unless ``order``), with their names.

    Always two queries: the ids come first from the indexes alone; joining leads, sources
    and operators before the LIMIT made SQLite sort every open contact (120 ms at 100k,
    0.3 ms this way).
    """
    ids = list(session.execute(query.with_only_columns(Contact.id).limit(limit)).scalars())
    rows = select(Contact).where(Contact.id.in_(ids)).order_by(Contact.id.desc() if order is None else order)
    return list(session.execute(_with_names(rows)).scalars())


def assigned_contacts(session, contact_filter: ContactFilter, before_id: int | None, limit: int = PAGE_SIZE,
                      until_id: int | None = None):
    """One page of contacts with an operator (open unless a status filter says otherwise), newest first."""
    query = _assigned(contact_filter)
    if before_id is not None:
        query = query.where(Contact.id < before_id)
    if until_id is not None:
        query = query.where(Contact.id <= until_id)
    rows = _first_rows(session, query, limit + 1)
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def _assigned(contact_filter: ContactFilter):
    query = filtered_contacts(contact_filter).where(Contact.operator_id.is_not(None))
    if contact_filter.status is None:
        query = query.where(Contact.status.in_(OPEN_CONTACT_STATUSES))
    return query


def arrived_since(session, contact_filter: ContactFilter, since_id: int) -> int:
    """How many contacts the board would show that arrived after ``since_id`` (the "N new" bar)."""
    query = filtered_contacts(contact_filter).where(Contact.id > since_id)
    if contact_filter.status is None:
        query = query.where(Contact.status.in_(OPEN_CONTACT_STATUSES))
    return session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()


def latest_contact_id(session) -> int:
    return session.execute(select(func.max(Contact.id))).scalar_one() or 0


def lead_history(session, lead_id: int, limit: int = 500) -> list[Contact]:
    return list(session.execute(_with_names(contacts_of_lead(lead_id, limit))).scalars())


def operator_names(session, records) -> dict[int, str]:
    """Names of every operator the assignment records mention (given, taken, candidates): one query."""
    ids = set()
    for record in records:
        ids.update(i for i in (record.operator_id, record.from_operator_id) if i is not None)
        ids.update(candidate["operator_id"] for candidate in record.candidates or [])
    if not ids:
        return {}
    return dict(session.execute(select(Operator.id, Operator.name).where(Operator.id.in_(ids))).all())


# The CSV export's columns, in order.
