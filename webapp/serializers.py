"""Rows to the JSON shapes of API.md."""

from __future__ import annotations

from datetime import datetime


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def operator_json(operator, active_contacts: int, available: bool) -> dict:
    return {
        "id": operator.id,
        "name": operator.name,
        "status": operator.status,
        "max_active_contacts": operator.max_active_contacts,
        "active_contacts": active_contacts,
        "created_at": iso(operator.created_at),
        "schedule": operator.schedule,
        "available": available,
    }


def absence_json(absence) -> dict:
    return {
        "id": absence.id,
        "operator_id": absence.operator_id,
        "start": iso(absence.start),
        "end": iso(absence.end),
        "note": absence.note,
    }


def source_json(source, waiting) -> dict:
    """``waiting``: the source's ``webapp.queries.routing.Waiting``."""
    return {
        "id": source.id,
        "name": source.name,
        "description": source.description,
        "weights": [
            {"operator_id": w.operator_id, "operator_name": w.operator.name, "weight": w.weight}
            for w in source.weights
        ],
        "created_at": iso(source.created_at),
        "paused": source.paused,
        "auto_drain": source.auto_drain,
        "sticky_days": source.sticky_days,
        "intake_per_minute": source.intake_per_minute,
        "wait_target_minutes": source.wait_target_minutes,
        "response_timeout_minutes": source.response_timeout_minutes,
        "webhook_url": source.webhook_url,
        "waiting": {
            "count": waiting.count,
            "oldest_seconds": waiting.oldest_seconds,
            "overdue": waiting.overdue,
        },
    }


def delivery_json(event) -> dict:
    return {
        "event_id": event.event_id,
        "type": event.type,
        "attempts": event.attempts,
        "last_status": event.last_status,
        "delivered_at": iso(event.delivered_at),
        "next_attempt_at": iso(event.next_attempt_at),
    }


def lead_json(lead, customer_shown: bool = True) -> dict:
    """``customer_shown=False``: email, phone and name are null (another source sent them)."""
    return {
        "id": lead.id,
        "external_id": lead.external_id,
        "email": lead.email if customer_shown else None,
        "phone": lead.phone if customer_shown else None,
        "name": lead.name if customer_shown else None,
        "created_at": iso(lead.created_at),
    }


def assignment_json(record) -> dict:
    return {
        "id": record.id,
        "contact_id": record.contact_id,
        "at": iso(record.at),
        "trigger": record.trigger,
        "rule": record.rule,
        "actor": {"kind": record.actor_kind, "name": record.actor_name},
        "from_operator_id": record.from_operator_id,
        "operator_id": record.operator_id,
        "forced": record.forced,
        "reason": record.reason,
        "candidates": record.candidates,
        "draw": {"point": record.draw_point, "total": record.draw_total} if record.draw_total else None,
    }


def contact_json(contact, customer_shown: bool = True, lead=None) -> dict:
    """``lead``: the contact's lead when ``contact.lead`` is not loaded (a flush in progress)."""
    return {
        "id": contact.id,
        "lead": lead_json(lead or contact.lead, customer_shown),
        "source_id": contact.source_id,
        "operator_id": contact.operator_id,
        "status": contact.status,
        "message": contact.message,
        "created_at": iso(contact.created_at),
        "assigned_at": iso(contact.assigned_at),
        "closed_at": iso(contact.closed_at),
    }


def source_stats_json(stats) -> dict:
    """``stats``: a ``webapp.insight.SourceStats``."""
    return {
        "source_id": stats.source_id,
        "name": stats.name,
        "contacts": stats.contacts,
        "picks": stats.picks,
        "waited_seconds_p50": stats.waited_seconds_p50,
        "waited_seconds_p90": stats.waited_seconds_p90,
        "operators": [
            {
                "operator_id": share.operator_id,
                "name": share.name,
                "assigned": share.assigned,
                "expected": share.expected,
                "actual_share": share.actual_share,
                "target_share": share.target_share,
                "flag": share.flag,
            }
            for share in stats.operators
        ],
    }


def weight_plan_json(plan) -> dict:
    return {
        "id": plan.id,
        "source_id": plan.source_id,
        "weights": plan.weights,
        "start": iso(plan.start),
        "end": iso(plan.end),
        "status": plan.status,
        "applied_at": iso(plan.applied_at),
        "reverted_at": iso(plan.reverted_at),
        "created_at": iso(plan.created_at),
    }


def _outcome_operators(outcome, operator_ids) -> list[dict]:
    return [
        {"operator_id": op, "share": outcome.share(op), "peak_load": outcome.peak_load.get(op, 0)}
        for op in operator_ids
    ]


def simulation_json(outcome, actual, operator_ids) -> dict:
    """The replay (``webapp.simulator.Outcome``) for ``operator_ids``, and what really happened beside it."""
    real_ids = sorted(set(actual.assigned) | set(actual.peak_load))
    return {
        "contacts": outcome.contacts,
        "operators": _outcome_operators(outcome, sorted(operator_ids)),
        "waited": outcome.waited,
        "actual": {"operators": _outcome_operators(actual, real_ids), "waited": actual.waited},
    }
