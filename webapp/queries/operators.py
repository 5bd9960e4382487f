"""Operators with their loads: the operators page, the assign menu, the overview's busiest."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from webapp import schedules
from webapp.clock import utcnow
from webapp.distribution import has_room
from webapp.models import Operator, OperatorSourceWeight, Source

PAGE_SIZE = 50


@dataclass(frozen=True)
class OperatorLoad:
    """An operator with their open contacts, as the pages show it."""

    id: int
    name: str
    status: str
    load: int
    limit: int
    # Shift and absence now (webapp/schedules.py); None where a page does not show them.
    availability: schedules.Availability | None = None

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def away(self) -> str | None:
        """"absent", "off_shift" or None: why an active operator takes nothing now."""
        if self.availability is None:
            return None
        if self.availability.absent:
            return "absent"
        return None if self.availability.shift.on_shift else "off_shift"

    @property
    def can_take_more(self) -> bool:
        """What a manual assignment without override accepts: the distribution's own rule."""
        return has_room(self.is_active, self.load, self.limit) and self.away is None

    @property
    def state(self) -> str:
        """inactive, absent, off_shift, over_limit, at_limit or available: the one word every page
        shows for the load."""
        if not self.is_active:
            return "inactive"
        if self.away:
            return self.away
        if self.load > self.limit:
            return "over_limit"
        if self.load == self.limit:
            return "at_limit"
        return "available"


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    has_next: bool


def operator_loads(session, operators) -> list[OperatorLoad]:
    """Operators with their loads (their ``open_contacts``), shifts and absences: one query, for absences."""
    return _with_loads(operators, schedules.availability(session, operators, utcnow()))


def _with_loads(operators, availability=None) -> list[OperatorLoad]:
    availability = availability or {}
    return [
        OperatorLoad(op.id, op.name, op.status, op.open_contacts, op.max_active_contacts,
                     availability.get(op.id))
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


def operator_choices(session):
    """(id, name) rows of every operator by name: the menus that pick one (filters, a user's operator)."""
    return session.execute(select(Operator.id, Operator.name).order_by(Operator.name)).all()


# What the menus show of each operator: read as rows, not entities, as they list every operator.
_MENU_COLUMNS = (Operator.id, Operator.name, Operator.status, Operator.open_contacts,
                 Operator.max_active_contacts, Operator.schedule)


def operators_for_assignment(session) -> list[OperatorLoad]:
    """Every operator with their load, those who can take a contact now first, least loaded first."""
    operators = session.execute(select(*_MENU_COLUMNS).order_by(Operator.name)).all()
    loads = operator_loads(session, operators)
    return sorted(loads, key=lambda op: (not op.can_take_more, op.load / max(op.limit, 1), op.name))


def busiest_operators(session, limit: int = 30) -> list[OperatorLoad]:
    """The operators with the most open contacts, then the rest by name, up to ``limit``: one query."""
    query = select(Operator).order_by(Operator.open_contacts.desc(), Operator.name).limit(limit)
    return _with_loads(session.execute(query).scalars())
