"""The stats page's period picker and what its charts and tables show, in the viewer's language.

The numbers come from ``webapp.insight``; here they become the period the picker
chose (days of the viewer's time zone), sentences in plain words, and the data
each chart draws (the same numbers as the table beside it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import insight
from webapp.clock import utcnow
from webapp.errors import InvalidError
from webapp.queries.today import local_today, start_of_day

PERIODS = {"today": _l("Today"), "7d": _l("7 days"), "30d": _l("30 days"), "range": _l("Range")}
PERIOD_DAYS = {"today": 1, "7d": 7, "30d": 30}


@dataclass(frozen=True)
class Period:
    key: str
    first_day: date
    last_day: date
    start: datetime
    end: datetime


def _day(text: str | None, field: str) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        message = _("Give the dates as YYYY-MM-DD.")
        raise InvalidError(message, [{"field": field, "message": "not a date"}]) from None


def choose_period(args, zone: tzinfo) -> Period:
    """The period of the query's ``period`` (today, 7d, 30d, range with ``from`` and ``to`` days).

    ``InvalidError`` for an unknown period, a day that is no date, or a range that is
    reversed or longer than ``insight.MAX_DAYS``.
    """
    key = args.get("period") or "7d"
    if key not in PERIODS:
        raise InvalidError(_("Choose a period from the list."), [{"field": "period", "message": "unknown"}])
    if key == "range":
        first, last = _day(args.get("from"), "from"), _day(args.get("to"), "to")
        if first > last or (last - first).days >= insight.MAX_DAYS:
            raise InvalidError(
                _("The range must run forwards, %(days)d days at most.", days=insight.MAX_DAYS),
                [{"field": "from", "message": "bad range"}],
            )
    else:
        last = local_today(zone)
        first = last - timedelta(days=PERIOD_DAYS[key] - 1)
    return Period(key, first, last, start_of_day(first, zone), start_of_day(last + timedelta(days=1), zone))


def default_period(zone: tzinfo) -> Period:
    return choose_period({}, zone)


def fairness_sentence(share: insight.OperatorShare) -> str:
    """ "Anna got 212, 180 expected: more than chance explains." (or: "within chance")."""
    expected = f"{share.expected:.0f}"
    if share.flag:
        return _("%(name)s got %(got)d, %(expected)s expected: more than chance explains.",
                 name=share.name, got=share.assigned, expected=expected)
    return _("%(name)s got %(got)d, %(expected)s expected: within chance.",
             name=share.name, got=share.assigned, expected=expected)


def fairness_chart(source: insight.SourceStats) -> dict:
    return {
        "type": "bar",
        "labels": [share.name for share in source.operators],
        "datasets": [
            {"label": _("Got"), "data": [share.assigned for share in source.operators]},
            {"label": _("Expected"), "data": [share.expected for share in source.operators]},
        ],
    }


def hourly_chart(counts: list[int]) -> dict:
    return {
        "type": "bar",
        "labels": [f"{hour:02d}" for hour in range(24)],
        "datasets": [{"label": _("Contacts"), "data": counts}],
    }


def load_chart(moments: list[datetime], series: dict[int, list[int]], names: dict[int, str], zone) -> dict:
    return {
        "type": "line",
        "labels": [moment.astimezone(zone).strftime("%d.%m %H:%M") for moment in moments],
        "datasets": [{"label": names[operator_id], "data": loads} for operator_id, loads in series.items()],
    }


@dataclass
class SourceSection:
    stats: insight.SourceStats
    sentences: list[str]
    fairness_chart: dict
    hourly_chart: dict
    times: list[insight.OperatorTimes]


def source_sections(session, period: Period, sources: list[tuple[int, str]], zone) -> list[SourceSection]:
    """The ``sources`` with their fairness, arrivals by hour and operators' times over the period."""
    names = insight.operator_names(session)
    report = insight.stats_report(session, period.start, period.end, sources, names, zone)
    ids = [item.source_id for item in report]
    times = insight.operator_times(session, period.start, period.end, ids, names)
    return [
        SourceSection(
            item,
            [fairness_sentence(share) for share in item.operators if share.assigned or share.expected],
            fairness_chart(item),
            hourly_chart(item.arrivals_by_hour),
            times[item.source_id],
        )
        for item in report
    ]


def load_section(session, period: Period, sections: list[SourceSection], zone) -> tuple[dict, dict]:
    """({operator name: loads}, chart) of the operators in ``sections``; the chart's labels head the table."""
    names = {share.operator_id: share.name for s in sections for share in s.stats.operators}
    moments = insight.sample_times(period.start, min(period.end, utcnow()))
    series = insight.load_over_time(session, moments, sorted(names))
    rows = {names[operator_id]: loads for operator_id, loads in series.items()}
    return rows, load_chart(moments, series, names, zone)


def simulation_chart(outcome, actual, names: dict[int, str]) -> dict:
    """Shares of the replay beside the real ones, per operator of the sandbox or of the real history."""
    ids = sorted(set(outcome.peak_load) | set(actual.assigned), key=lambda op: names.get(op, str(op)))
    return {
        "type": "bar",
        "labels": [names.get(op, str(op)) for op in ids],
        "datasets": [
            {"label": _("Would have got"), "data": [round(outcome.share(op) * 100, 1) for op in ids]},
            {"label": _("Really got"), "data": [round(actual.share(op) * 100, 1) for op in ids]},
        ],
    }
