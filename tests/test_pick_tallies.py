"""The stats of a period are the same whether its days were folded into the pick tallies or not;
only finished days are folded, each once; `flask check` proves the folded days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.builders import make_operator, make_source
from tests.histories import arrive, at
from tests.randoms import LeaningRandom
from webapp import directory, insight, pick_tallies, worker
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import PickTally

DAY_ONE = datetime(2026, 11, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)


def report(start, end):
    sources = insight.source_names(db.session)
    items = insight.stats_report(db.session, start, end, sources, insight.operator_names(db.session), UTC)
    db.session.rollback()  # a fresh snapshot for the next read
    return {
        (item.source_id, item.picks, share.operator_id): (share.assigned, share.expected, share.flag)
        for item in items for share in item.operators
    }


def three_days_of_picks():
    """Picks every 20 minutes for three days, leaning to the first operators (Anna is flagged);
    Rare is a candidate for 10 picks on day two and 5 on day three: fewer than 30 in all, so
    their flag needs every chance they had (the exact test), across two folded days."""
    anna, boris, vera = (make_operator(name, limit=10_000) for name in ("Anna", "Boris", "Vera"))
    rare = make_operator("Rare", limit=10_000)
    source = make_source("Telegram", weights={anna: 3, boris: 5, vera: 2, rare: 9})
    rng = LeaningRandom(20261204)
    at(DAY_ONE, directory.set_operator_status, rare.id, "inactive")
    rare_picks = {72: "active", 82: "inactive", 144: "active", 149: "inactive"}
    for number in range(3 * 72):
        moment = DAY_ONE + number * timedelta(minutes=20)
        if number in rare_picks:
            at(moment - timedelta(seconds=1), directory.set_operator_status, rare.id, rare_picks[number])
        arrive(source.id, moment, rng, external_id=f"p-{number}")
    return source


def fold_everything():
    while worker.fold_finished_days(db.session):
        pass


PERIODS = {
    "the three days": (DAY_ONE, DAY_ONE + 3 * 24 * HOUR),
    "days of UTC+3": (DAY_ONE - 3 * HOUR, DAY_ONE + 2 * 24 * HOUR - 3 * HOUR),
    "within a day": (DAY_ONE + 24 * HOUR + 5 * HOUR, DAY_ONE + 24 * HOUR + 7 * HOUR),
    "from the middle of one day to the middle of the next": (DAY_ONE + 13 * HOUR, DAY_ONE + 37 * HOUR),
    "the second day only": (DAY_ONE + 24 * HOUR, DAY_ONE + 48 * HOUR),
}


def test_a_period_reads_the_same_before_and_after_its_days_are_folded(app):
    three_days_of_picks()
    before = {name: report(*period) for name, period in PERIODS.items()}
    fold_everything()
    assert pick_tallies.folded_until(db.session) == DAY_ONE + 3 * 24 * HOUR
    for name, period in PERIODS.items():
        after = report(*period)
        assert after.keys() == before[name].keys(), name
        for key, (assigned, expected, flag) in after.items():
            assert (assigned, flag) == (before[name][key][0], before[name][key][2]), (name, key)
            assert expected == pytest.approx(before[name][key][1], abs=1e-3), (name, key)
    flags = {key[2]: value[2] for key, value in before["the three days"].items()}
    assert any(flags.values()) and not all(flags.values())  # both outcomes are compared


def test_only_a_finished_day_is_folded_and_only_once(app):
    anna = make_operator("Anna")
    source = make_source("Telegram", weights={anna: 1})
    arrive(source.id, DAY_ONE + 10 * HOUR)
    arrive(source.id, DAY_ONE + 34 * HOUR)

    def fold(now):
        with write_transaction(db.session):
            return pick_tallies.fold_next_day(db.session, now)

    second_day = DAY_ONE + 24 * HOUR
    assert fold(second_day + pick_tallies.SETTLE - timedelta(seconds=1)) is None  # a late record may come
    assert fold(second_day + pick_tallies.SETTLE) == DAY_ONE
    assert fold(second_day + pick_tallies.SETTLE) is None  # the second day has not ended
    assert db.session.execute(select(func.sum(PickTally.assigned))).scalar() == 1
    # The second day's pick comes from its record.
    assert report(DAY_ONE, DAY_ONE + 48 * HOUR)[(source.id, 2, anna.id)][0] == 2


def test_days_without_picks_are_passed_over(app):
    anna = make_operator("Anna")
    source = make_source("Telegram", weights={anna: 1})
    arrive(source.id, DAY_ONE + 10 * HOUR)
    arrive(source.id, DAY_ONE + 10 * 24 * HOUR)
    fold_everything()
    days = db.session.execute(select(PickTally.day).order_by(PickTally.day)).scalars().all()
    assert days == [DAY_ONE, DAY_ONE + 10 * 24 * HOUR]


def test_check_finds_a_record_added_to_a_folded_day_and_repair_folds_again(app, runner):
    anna = make_operator("Anna")
    source = make_source("Telegram", weights={anna: 1})
    arrive(source.id, DAY_ONE + 10 * HOUR, external_id="first")
    fold_everything()
    assert runner.invoke(args=["check"]).exit_code == 0

    arrive(source.id, DAY_ONE + 11 * HOUR, external_id="late")  # a restore, say: the day was folded
    found = runner.invoke(args=["check"])
    assert found.exit_code == 1
    assert (f"Picks of operator {anna.id} on source {source.id} in the folded days: "
            "1 stored, 2 in the records.") in found.output

    repaired = runner.invoke(args=["check", "--repair"])
    assert repaired.exit_code == 0 and "the picks are folded again by the worker" in repaired.output
    assert db.session.execute(select(func.count()).select_from(PickTally)).scalar() == 0
    fold_everything()
    assert runner.invoke(args=["check"]).exit_code == 0
    assert report(DAY_ONE, DAY_ONE + 24 * HOUR)[(source.id, 2, anna.id)][0] == 2
