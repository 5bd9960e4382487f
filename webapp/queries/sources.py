"""Sources as the pages list them, and a source's weight rows with their shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from webapp.distribution import load_candidates, shares_now
from webapp.models import Operator, OperatorSourceWeight, Source
from webapp.queries.operators import OperatorLoad, operator_loads
from webapp.queries.today import todays_contacts_by_source_id


@dataclass(frozen=True)
class WeightRow:
    operator: OperatorLoad
    weight: int
    share: float | None  # percent of the source's total weight; None when off the source
    share_now: float | None  # percent of the next contact's chance now (the pick's rule); None when off


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
    chances = shares_now(load_candidates(session, source.id))
    rows = [
        WeightRow(
            op,
            weights.get(op.id, 0),
            100 * weights[op.id] / total if op.id in weights else None,
            100 * chances.get(op.id, 0) if op.id in weights else None,
        )
        for op in operators
    ]
    return rows, everyone - len(rows)


def source_summaries(session, zone: tzinfo = UTC) -> list[tuple[Source, int, int]]:
    """Every source with its number of weighted operators and today's contacts: three queries."""
    today = todays_contacts_by_source_id(session, zone)
    weighted = dict(
        session.execute(
            select(OperatorSourceWeight.source_id, func.count()).group_by(OperatorSourceWeight.source_id)
        ).all()
    )
    # Inactive (archived) sources last: they are kept for their history, not worked on.
    rows = [(s, weighted.get(s.id, 0), today.get(s.id, 0)) for s in sources_by_name(session)]
    return sorted(rows, key=lambda row: not row[0].active)


def sources_by_name(session) -> list[Source]:
    """Every source, without its weights (for lists and filters)."""
    query = select(Source).options(lazyload(Source.weights)).order_by(Source.name)
    return list(session.execute(query).scalars())
