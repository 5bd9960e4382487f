"""Read-only queries behind the dashboard pages: a constant number per page, none per row.

Everything here reads; every change goes through ``directory``, ``contacts``,
``distribution`` and ``tokens``. Counts come from grouped queries keyed by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, lazyload

from webapp.contacts import ContactFilter, contacts_of_lead, filtered_contacts
from webapp.distribution import has_room
from webapp.models import (
    OPEN_CONTACT_STATUSES,
    Contact,
    Lead,
    Operator,
    OperatorSourceWeight,
    Source,
    load_by_operator,
    utcnow,
)

PAGE_SIZE = 50


@dataclass(frozen=True)
class OperatorLoad:
    """An operator with their open contacts, as the pages show it."""

    id: int
    name: str
    status: str
    load: int
    limit: int

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def at_limit(self) -> bool:
        return self.load >= self.limit

    @property
    def can_take_more(self) -> bool:
        """What a manual assignment without override accepts: the distribution's own rule."""
        return has_room(self.is_active, self.load, self.limit)


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    has_next: bool


def start_of_today() -> datetime:
    now = utcnow()
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


# --- Operators ------------------------------------------------------------------


def operator_loads(session, operators) -> list[OperatorLoad]:
    """Operators with their loads: one grouped query for all of them."""
    return _with_loads(operators, load_by_operator(session, [operator.id for operator in operators]))


def _with_loads(operators, loads: dict[int, int]) -> list[OperatorLoad]:
    return [
        OperatorLoad(op.id, op.name, op.status, loads.get(op.id, 0), op.max_active_contacts)
        for op in operators
    ]


def operator_page(session, number: int, size: int = PAGE_SIZE) -> Page:
    rows = list(
        session.execute(
            select(Operator).order_by(Operator.name, Operator.id).offset((number - 1) * size).limit(size + 1)
        ).scalars()
    )
    return Page(operator_loads(session, rows[:size]), number, len(rows) > size)


def operator_sources(session, operator_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """Per operator: (source name, weight) of every source they are weighted on; one query."""
    rows = session.execute(
        select(OperatorSourceWeight.operator_id, Source.name, OperatorSourceWeight.weight)
        .join(Source, Source.id == OperatorSourceWeight.source_id)
        .where(OperatorSourceWeight.operator_id.in_(operator_ids))
        .order_by(Source.name)
    ).all()
    result: dict[int, list[tuple[str, int]]] = {}
    for operator_id, name, weight in rows:
        result.setdefault(operator_id, []).append((name, weight))
    return result


def operators_for_assignment(session) -> list[OperatorLoad]:
    """Every operator with their load, those who can take a contact now first, least loaded first."""
    operators = list(session.execute(select(Operator).order_by(Operator.name)).scalars())
    loads = operator_loads(session, operators)
    return sorted(loads, key=lambda op: (not op.can_take_more, op.load / max(op.limit, 1), op.name))


# --- Overview ---------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    open_contacts: int
    unassigned: int
    oldest_unassigned_at: datetime | None
    operators_active: int
    operators_total: int


def overview(session) -> Overview:
    """The headline numbers: two queries."""
    unassigned = Contact.operator_id.is_(None)
    # Filtered by status in WHERE, so only open contacts are read (ix_contacts_status_id),
    # however much closed history there is.
    open_count, unassigned_count, oldest = session.execute(
        select(
            func.count(),
            func.count().filter(unassigned),
            func.min(case((unassigned, Contact.created_at))),
        ).where(Contact.status.in_(OPEN_CONTACT_STATUSES))
    ).one()
    active, total = session.execute(
        select(func.count().filter(Operator.status == "active"), func.count()).select_from(Operator)
    ).one()
    return Overview(open_count, unassigned_count, oldest, active, total)


def busiest_operators(session, limit: int = 30) -> list[OperatorLoad]:
    """The operators with the most open contacts, then the rest by name, up to ``limit``."""
    loads = load_by_operator(session)
    top_ids = sorted(loads, key=lambda op_id: -loads[op_id])[:limit]
    busiest_first = case((Operator.id.in_(top_ids), 0), else_=1)
    query = select(Operator).order_by(busiest_first, Operator.name).limit(limit)
    operators = list(session.execute(query).scalars())
    rows = _with_loads(operators, loads)
    return sorted(rows, key=lambda row: (-row.load, row.name))[:limit]


def _source_id_for_grouping():
    # "source_id + 0" is no longer the indexed column: SQLite would otherwise scan the
    # whole table in source_id order to group, instead of reading the date range from
    # ix_contacts_created_at (seen: 650 ms against 1 ms at 1,000,000 contacts).
    return (Contact.source_id + 0).label("source_id")


def todays_contacts_by_source_id(session) -> dict[int, int]:
    """{source id: contacts received today (UTC)}; one grouped query over today's range."""
    source_id = _source_id_for_grouping()
    return dict(
        session.execute(
            select(source_id, func.count())
            .where(Contact.created_at >= start_of_today())
            .group_by(source_id)
        ).all()
    )


def contacts_today_by_source(session) -> list[tuple[Source, int]]:
    """Every source with the number of contacts it received today (UTC); one query."""
    counts = todays_contacts_by_source_id(session)
    pairs = ((source, counts.get(source.id, 0)) for source in sources_by_name(session))
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0].name))


# --- Sources ----------------------------------------------------------------------


@dataclass(frozen=True)
class WeightRow:
    operator: OperatorLoad
    weight: int
    share: float | None  # percent of the source's total weight; None when off the source


# Up to this many operators, a source page also lists those not on the source (weight 0).
SHOW_ALL_OPERATORS_UP_TO = 100


def source_weight_rows(session, source: Source, show_all: bool = False) -> tuple[list[WeightRow], int]:
    """The operators on ``source`` with their weight and share, by name; and how many are left out.

    Operators off the source (weight 0) are listed too when there are few operators
    or ``show_all`` is set. The order never depends on the weights: a row that moved
    while its slider is being dragged would end the drag.
    """
    weights = {row.operator_id: row.weight for row in source.weights}
    total = sum(weights.values())
    everyone = session.execute(select(func.count()).select_from(Operator)).scalar_one()
    query = select(Operator).order_by(Operator.name, Operator.id)
    if not show_all and everyone > SHOW_ALL_OPERATORS_UP_TO:
        query = query.where(Operator.id.in_(list(weights)))
    operators = operator_loads(session, list(session.execute(query).scalars()))
    rows = [
        WeightRow(op, weights.get(op.id, 0), 100 * weights[op.id] / total if op.id in weights else None)
        for op in operators
    ]
    return rows, everyone - len(rows)


def source_summaries(session) -> list[tuple[Source, int, int]]:
    """Every source with its number of weighted operators and today's contacts: three queries."""
    today = todays_contacts_by_source_id(session)
    weighted = dict(
        session.execute(
            select(OperatorSourceWeight.source_id, func.count()).group_by(OperatorSourceWeight.source_id)
        ).all()
    )
    return [(s, weighted.get(s.id, 0), today.get(s.id, 0)) for s in sources_by_name(session)]


# --- Contacts ---------------------------------------------------------------------


def _with_names(query):
    # Board and lead card rows show the source and operator names: load them in the same query
    # (and not the source's weights, which Source loads by default).
    return query.options(joinedload(Contact.source).lazyload(Source.weights), joinedload(Contact.operator))


def sources_by_name(session) -> list[Source]:
    """Every source, without its weights (for lists and filters)."""
    query = select(Source).options(lazyload(Source.weights)).order_by(Source.name)
    return list(session.execute(query).scalars())


def unassigned_contacts(session, contact_filter: ContactFilter, limit: int = PAGE_SIZE):
    """Open contacts without an operator that match the filter, newest first; and how many."""
    base = filtered_contacts(
        ContactFilter(status=contact_filter.status, source_id=contact_filter.source_id, unassigned=True)
    ).where(Contact.status.in_(OPEN_CONTACT_STATUSES))
    if contact_filter.operator_id is not None:
        return [], 0
    count = session.execute(select(func.count()).select_from(base.order_by(None).subquery())).scalar_one()
    return _newest_rows(session, base, limit), count


def _newest_rows(session, query, limit: int) -> list[Contact]:
    """The first ``limit`` contacts of ``query`` (newest first), with their names: always two queries.

    The ids come first from the indexes alone; joining leads, sources and operators
    before the LIMIT made SQLite sort every open contact (120 ms at 100k, 0.3 ms this way).
    """
    ids = list(session.execute(query.with_only_columns(Contact.id).limit(limit)).scalars())
    rows = select(Contact).where(Contact.id.in_(ids)).order_by(Contact.id.desc())
    return list(session.execute(_with_names(rows)).scalars())


def assigned_contacts(session, contact_filter: ContactFilter, before_id: int | None, limit: int = PAGE_SIZE):
    """One page of contacts with an operator (open unless a status filter says otherwise), newest first."""
    query = filtered_contacts(contact_filter).where(Contact.operator_id.is_not(None))
    if contact_filter.status is None:
        query = query.where(Contact.status.in_(OPEN_CONTACT_STATUSES))
    if before_id is not None:
        query = query.where(Contact.id < before_id)
    rows = _newest_rows(session, query, limit + 1)
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def latest_contact_id(session) -> int:
    return session.execute(select(func.max(Contact.id))).scalar_one() or 0


def lead_history(session, lead_id: int, limit: int = 500) -> list[Contact]:
    return list(session.execute(_with_names(contacts_of_lead(lead_id, limit))).scalars())


# The CSV export's columns, in order.
EXPORT_FIELDS = {
    "id": Contact.id,
    "created_at": Contact.created_at,
    "status": Contact.status,
    "source": Source.name,
    "operator": Operator.name,
    "lead_external_id": Lead.external_id,
    "lead_name": Lead.name,
    "email": Lead.email,
    "phone": Lead.phone,
    "message": Contact.message,
    "assigned_at": Contact.assigned_at,
    "closed_at": Contact.closed_at,
}


def export_rows(session, contact_filter: ContactFilter, batch: int = 1000):
    """Every contact matching the filter as plain rows of EXPORT_FIELDS, fetched ``batch`` at a time.

    Plain columns, not ORM objects: a 100k-row export stays flat in memory and is
    several times faster than building a Contact, a Lead and a Source per row.
    """
    query = (
        filtered_contacts(contact_filter)
        .with_only_columns(*EXPORT_FIELDS.values())
        .select_from(Contact)
        .join(Lead, Lead.id == Contact.lead_id)
        .join(Source, Source.id == Contact.source_id)
        .outerjoin(Operator, Operator.id == Contact.operator_id)
        .execution_options(yield_per=batch)
    )
    return session.execute(query)


# --- Stats ------------------------------------------------------------------------


def last_days(days: int) -> list[date]:
    today = utcnow().date()
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def contacts_per_source_per_day(session, days: int = 14) -> dict[int, dict[date, int]]:
    """{source id: {day: contacts}} over the last ``days`` days (UTC); one grouped query."""
    since = start_of_today() - timedelta(days=days - 1)
    day = func.date(Contact.created_at)
    source_id = _source_id_for_grouping()
    rows = session.execute(
        select(source_id, day, func.count())
        .where(Contact.created_at >= since)
        .group_by(source_id, day)
    ).all()
    result: dict[int, dict[date, int]] = {}
    for source_id, when, count in rows:
        when = date.fromisoformat(when) if isinstance(when, str) else when
        result.setdefault(source_id, {})[when] = count
    return result


def operator_activity(session, days: int = 14, limit: int = 100) -> list[tuple[Operator, int, int]]:
    """Per operator: contacts received and closed in the last ``days`` days; busiest first."""
    since = start_of_today() - timedelta(days=days - 1)
    received = func.count().filter(Contact.assigned_at >= since)
    closed = func.count().filter((Contact.closed_at >= since) & (Contact.status == "closed"))
    rows = session.execute(
        select(Operator, received, closed)
        .join(Contact, Contact.operator_id == Operator.id)
        .where((Contact.assigned_at >= since) | (Contact.closed_at >= since))
        .group_by(Operator.id)
        .order_by(received.desc(), Operator.name)
        .limit(limit)
    ).all()
    return [(operator, got, done) for operator, got, done in rows]
