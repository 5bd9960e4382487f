"""The contact board's listings and the lead card's history."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.selectable import Join

from webapp.contacts import ContactFilter, contacts_of_lead, filtered_contacts
from webapp.ids import parse_int
from webapp.models import OPEN_CONTACT_STATUSES, Contact, Operator, Source
from webapp.queries.operators import PAGE_SIZE


def _with_names(query):
    # Board and lead card rows show the source and operator names: load them in the same query
    # (and not the source's weights, which Source loads by default).
    return query.options(joinedload(Contact.source).lazyload(Source.weights), joinedload(Contact.operator))


# The waiting queue's page, as long as the open list's: every row carries its menus, and the
# board is drawn again on every poll (200 rows took 50 ms of a 110 ms poll at 1,000,000 contacts).
WAITING_PAGE_SIZE = PAGE_SIZE


@dataclass(frozen=True)
class Waiting:
    """One page of the waiting queue, oldest first, and the figures of the whole queue."""

    rows: list[Contact]
    count: int
    oldest: datetime | None
    next_after: int | None  # the id the next page starts after, or None on the last page


def _waiting(contact_filter: ContactFilter):
    return filtered_contacts(
        ContactFilter(status=contact_filter.status, source_id=contact_filter.source_id, unassigned=True,
                      search=contact_filter.search)
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
    rows = _first_rows(session, page, limit + 1)
    return Waiting(rows[:limit], count, oldest, rows[limit - 1].id if len(rows) > limit else None)


def _first_rows(session, query, limit: int) -> list[Contact]:
    """The first ``limit`` contacts of ``query``, in its order, with their names.

    Always two queries: the ids come first from the indexes alone; joining leads, sources
    and operators before the LIMIT made SQLite sort every open contact (120 ms at 100k,
    0.3 ms this way).
    """
    ids = list(session.execute(query.with_only_columns(Contact.id).limit(limit)).scalars())
    loaded = session.execute(_with_names(select(Contact).where(Contact.id.in_(ids)))).scalars()
    rows = {row.id: row for row in loaded}
    return [rows[contact_id] for contact_id in ids if contact_id in rows]


# --- The open list's orders ---------------------------------------------------------
# Each order is (key, key ascending?, ids ascending?); the key is None where the id alone
# orders (ids are given in arrival order: the id order is the age order). Names order by
# their case-folded ``name_key``. Ties go newest first. Paging is by keyset on (key, id):
# the cursor carries the last row's key, so the next page starts right after it even when
# that contact was handed elsewhere or closed meanwhile (a key read back from the row
# would then skip or repeat a stretch of the list).
DEFAULT_SORT = "age"
SORTS = {
    "age": (None, True, False),  # the youngest first: age ascending
    "-age": (None, True, True),  # the longest waiting first
    "operator": ("operator", True, False),
    "-operator": ("operator", False, False),
    "source": ("source", True, False),
    "-source": ("source", False, False),
}


def _sort_key(name: str | None):
    # The export's order: a correlated subquery, not a join, so the export keeps its contacts
    # without an operator and can join operators and sources itself; aliased, so it never
    # correlates to them. The board's open list joins instead (_joined_sort): it pages.
    if name == "operator":
        named = aliased(Operator)
        return select(named.name_key).where(named.id == Contact.operator_id).scalar_subquery()
    if name == "source":
        named = aliased(Source)
        return select(named.name_key).where(named.id == Contact.source_id).scalar_subquery()
    return None


def sort_order(sort: str) -> list:
    """ORDER BY clauses of a sort of SORTS for the export (every matching contact)."""
    name, key_ascending, ids_ascending = SORTS[sort]
    key = _sort_key(name)
    by_id = Contact.id.asc() if ids_ascending else Contact.id.desc()
    if key is None:
        return [by_id]
    return [(key.asc() if key_ascending else key.desc()).nulls_last(), by_id]


@dataclass(frozen=True)
class Cursor:
    """Where the next page of the open list starts: after this row's key and id."""

    contact_id: int
    key: str | None = None

    def encode(self) -> str:
        if self.key is None:
            return str(self.contact_id)
        return f"{self.contact_id}.{base64.urlsafe_b64encode(self.key.encode()).decode()}"


def decode_cursor(text: str | None, sort: str) -> Cursor | None:
    """The cursor of a ``before`` argument under ``sort``; None (the first page) when it is not one."""
    number, _dot, key = (text or "").partition(".")
    contact_id = parse_int(number)
    if contact_id is None or (SORTS[sort][0] is None) != (not key):
        return None
    if not key:
        return Cursor(contact_id)
    try:
        return Cursor(contact_id, base64.urlsafe_b64decode(key.encode("ascii")).decode())
    except (binascii.Error, UnicodeError, ValueError):
        return None


def _after(cursor: Cursor, sort: str, key=None):
    name, key_ascending, ids_ascending = SORTS[sort]
    after_id = Contact.id > cursor.contact_id if ids_ascending else Contact.id < cursor.contact_id
    if name is None:
        return after_id
    after_key = key > cursor.key if key_ascending else key < cursor.key
    return or_(after_key, and_(key == cursor.key, after_id))


class CrossJoin(Join):
    """``left CROSS JOIN right`` (the join condition goes into WHERE): SQLite then reads ``left``
    first, as the outer loop; PostgreSQL plans it as any inner join."""

    inherit_cache = True

    def __init__(self, left, right):
        super().__init__(left, right, true())


@compiles(CrossJoin)
def _compile_cross_join(element, compiler, **kw):
    kw["asfrom"] = True
    return f"{compiler.process(element.left, **kw)} CROSS JOIN {compiler.process(element.right, **kw)}"


def _joined_sort(query, sort: str):
    """``query`` in ``sort`` by joining the operators or sources it orders by: (query, ORDER BY, key).

    The join reads the names in order from their index and each one's contacts from
    ix_contacts_operator_status or ix_contacts_source_id_status, so a page costs the same
    at any size; ordering by a correlated subquery (as the export does) sorted every open
    contact first (160 ms at 1,000,000 contacts on SQLite).
    """
    name, key_ascending, ids_ascending = SORTS[sort]
    by_id = Contact.id.asc() if ids_ascending else Contact.id.desc()
    if name is None:
        return query, [by_id], None
    named = aliased(Operator if name == "operator" else Source)
    owner = Contact.operator_id if name == "operator" else Contact.source_id
    query = query.select_from(CrossJoin(named, Contact)).where(named.id == owner)
    key = named.name_key
    return query, [key.asc() if key_ascending else key.desc(), by_id], key


def _cursor_of(contact: Contact, sort: str) -> Cursor:
    name = SORTS[sort][0]
    if name is None:
        return Cursor(contact.id)
    named = contact.operator if name == "operator" else contact.source
    return Cursor(contact.id, named.name_key)


def assigned_contacts(session, contact_filter: ContactFilter, cursor: Cursor | None, limit: int = PAGE_SIZE,
                      until_id: int | None = None, sort: str = DEFAULT_SORT):
    """One page of contacts with an operator (open unless a status filter says otherwise) in ``sort``.

    Returns (rows, the cursor of the next page or None).
    """
    query, order, key = _joined_sort(_assigned(contact_filter).order_by(None), sort)
    query = query.order_by(*order)
    if cursor is not None:
        query = query.where(_after(cursor, sort, key))
    if until_id is not None:
        query = query.where(Contact.id <= until_id)
    rows = _first_rows(session, query, limit + 1)
    return rows[:limit], (_cursor_of(rows[limit - 1], sort) if len(rows) > limit else None)


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
