"""Planned weight changes: a weight set for a period of a source, applied at its start, reverted at its end.

A plan is ``scheduled`` until the sweep (``webapp.jobs.apply_weight_plans``) finds it due:
then its weights replace the source's, the replaced ones are kept on the plan, and it is
``active``; at its end the kept weights come back and it is ``done``. A plan without an
end is ``done`` once applied (nothing to revert). One whose whole period passed before a
sweep saw it is ``missed`` and changes nothing. Cancelling a scheduled plan changes
nothing; cancelling an active one brings the kept weights back at once. The weights
change through ``directory.replace_weights``, as every weight change does.

Plans of one source may not overlap: each revert restores what its own start replaced.
Every function runs inside the caller's write transaction; none commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import or_, select

from webapp import directory
from webapp.distribution import Actor
from webapp.errors import ConflictError, InvalidError, NotFoundError
from webapp.models import OperatorSourceWeight, Source, WeightPlan

OPEN_STATUSES = ("scheduled", "active")


def create_plan(session, source_id: int, weights: list[tuple[int, int]], start: datetime,
                end: datetime | None, actor: Actor, now: datetime) -> WeightPlan:
    """Schedule ``weights`` on the source from ``start`` to ``end`` (None: for good).

    ``InvalidError`` for unknown or repeated operators, an end not after the start or
    already past; ``ConflictError`` when it overlaps another open plan of the source.
    """
    directory.get_existing(session, Source, source_id)
    directory.check_weight_items(session, weights)
    if end is not None and end <= start:
        raise InvalidError("The plan must end after it starts.",
                           [{"field": "end", "message": "not after start"}])
    if end is not None and end <= now:
        raise InvalidError("The plan would end in the past.", [{"field": "end", "message": "in the past"}])
    clash = _overlapping(session, source_id, start, end)
    if clash is not None:
        raise ConflictError(f"Weight plan {clash.id} of this source overlaps that period; cancel it first.")
    plan = WeightPlan(
        source_id=source_id,
        weights=[{"operator_id": op, "weight": weight} for op, weight in weights],
        start=start,
        end=end,
        status="scheduled",
        actor_kind=actor.kind,
        actor_name=actor.name,
        created_at=now,
    )
    session.add(plan)
    session.flush()
    return plan


def _overlapping(session, source_id: int, start: datetime, end: datetime | None) -> WeightPlan | None:
    query = select(WeightPlan).where(WeightPlan.source_id == source_id, WeightPlan.status.in_(OPEN_STATUSES))
    query = query.where(or_(WeightPlan.end.is_(None), WeightPlan.end > start))
    if end is not None:
        query = query.where(WeightPlan.start < end)
    return session.execute(query.limit(1)).scalar_one_or_none()


def source_plans(session, source_id: int, limit: int | None = None) -> list[WeightPlan]:
    """The source's plans (the latest ``limit``), the latest start first."""
    query = select(WeightPlan).where(WeightPlan.source_id == source_id)
    query = query.order_by(WeightPlan.start.desc(), WeightPlan.id.desc()).limit(limit)
    return list(session.execute(query).scalars())


def get_plan(session, source_id: int, plan_id: int) -> WeightPlan:
    plan = session.get(WeightPlan, plan_id)
    if plan is None or plan.source_id != source_id:
        raise NotFoundError(f"Weight plan {plan_id} of source {source_id} does not exist.")
    return plan


def due_plan_ids(session, now: datetime) -> list[int]:
    """Plans that should change state at ``now``: scheduled ones that started, active ones that ended."""
    query = select(WeightPlan.id).where(
        or_(
            (WeightPlan.status == "scheduled") & (WeightPlan.start <= now),
            (WeightPlan.status == "active") & (WeightPlan.end <= now),
        )
    )
    return list(session.execute(query.order_by(WeightPlan.start, WeightPlan.id)).scalars())


class WeightChange(NamedTuple):
    """A source whose weights a plan changed, and its weights just before: the drain compares them."""

    source_id: int
    weights_before: dict[int, int]


def advance_plan(session, plan_id: int, now: datetime) -> WeightChange | None:
    """Move one plan on if it is due at ``now`` (re-read and locked in this transaction).

    Returns the change of weights it made, or None.
    """
    plan = session.get(WeightPlan, plan_id, populate_existing=True, with_for_update=True)
    if plan is None:
        return None
    before = current_weights(session, plan.source_id)
    if plan.status == "scheduled" and plan.start <= now:
        if plan.end is not None and plan.end <= now:
            plan.status = "missed"
            session.flush()
            return None
        _apply(session, plan, before, now)
    elif plan.status == "active" and plan.end is not None and plan.end <= now:
        _revert(session, plan, now, "done")
    else:
        return None
    return WeightChange(plan.source_id, dict(_pairs(before)))


def cancel_plan(session, source_id: int, plan_id: int, now: datetime) -> WeightChange | None:
    """Cancel a scheduled plan, or end an active one now (its kept weights come back).

    Returns the change of weights (an active plan's), or None. ``ConflictError`` for a
    plan that is already over.
    """
    plan = get_plan(session, source_id, plan_id)
    session.refresh(plan, with_for_update=True)
    if plan.status not in OPEN_STATUSES:
        raise ConflictError(f"Weight plan {plan_id} is already {plan.status}.")
    if plan.status == "scheduled":
        plan.status = "cancelled"
        session.flush()
        return None
    before = current_weights(session, source_id)
    _revert(session, plan, now, "cancelled")
    return WeightChange(source_id, dict(_pairs(before)))


def current_weights(session, source_id: int) -> list[dict]:
    rows = session.execute(
        select(OperatorSourceWeight.operator_id, OperatorSourceWeight.weight)
        .where(OperatorSourceWeight.source_id == source_id)
        .order_by(OperatorSourceWeight.operator_id)
    ).all()
    return [{"operator_id": op, "weight": weight} for op, weight in rows]


def _apply(session, plan: WeightPlan, before: list[dict], now: datetime) -> None:
    plan.previous_weights = before
    directory.replace_weights(session, plan.source_id, _pairs(plan.weights))
    plan.applied_at = now
    plan.status = "active" if plan.end is not None else "done"
    session.flush()


def _revert(session, plan: WeightPlan, now: datetime, status: str) -> None:
    directory.replace_weights(session, plan.source_id, _pairs(plan.previous_weights or []))
    plan.reverted_at = now
    plan.status = status
    session.flush()


def _pairs(weights: list[dict]) -> list[tuple[int, int]]:
    return [(item["operator_id"], item["weight"]) for item in weights]
