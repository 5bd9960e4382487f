"""Target against actual: the stats of a period, on histories made by the real intake at set times."""

from __future__ import annotations

import random
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.builders import make_operator, make_source
from tests.histories import T0, arrive, at, weighted_history
from tests.randoms import LeaningRandom, ScriptedRandom
from webapp import contacts, directory, insight, jobs
from webapp.clock import replaying_at
from webapp.distribution import SYSTEM
from webapp.extensions import db
from webapp.fairness import Tally, beyond_chance, pick_chances, poisson_binomial, two_sided_p_value


def report_of(start, end, source_id=None, zone=UTC):
    sources = insight.source_names(db.session, source_id)
    return insight.stats_report(db.session, start, end, sources, insight.operator_names(db.session), zone)


def shares(report, source_id):
    (source,) = [item for item in report if item.source_id == source_id]
    return source, {share.name: share for share in source.operators}


def test_expected_counts_follow_the_chances_each_pick_had(app):
    anna, boris, gleb = make_operator("Anna", limit=1), make_operator("Boris"), make_operator("Gleb")
    idle = make_operator("Idle")
    source = make_source("Telegram", weights={anna: 1, boris: 1, gleb: 2, idle: 1})
    at(T0, directory.set_operator_status, idle.id, "inactive")
    # 1: everyone but Idle eligible (1+1+2): point 0 gives Anna, now at her limit of 1.
    arrive(source.id, T0, ScriptedRandom(0))
    # 2: Anna at her limit: Boris and Gleb (1+2); point 0 gives Boris.
    arrive(source.id, T0 + timedelta(minutes=1), ScriptedRandom(0))
    # 3: Gleb away too: Boris alone.
    at(T0 + timedelta(minutes=2), directory.set_operator_status, gleb.id, "inactive")
    arrive(source.id, T0 + timedelta(minutes=3), ScriptedRandom(0))
    # A manual hand-over is no weighted pick: it changes nothing here.
    manual = arrive(source.id, T0 + timedelta(minutes=4), ScriptedRandom(0))
    at(T0 + timedelta(minutes=5), contacts.set_operator, manual, gleb.id, actor=SYSTEM, force=True)

    report = report_of(T0, T0 + timedelta(hours=1), source.id)
    stats, by_name = shares(report, source.id)
    assert (stats.contacts, stats.picks) == (4, 4)
    assert by_name["Anna"].assigned == 1 and by_name["Anna"].expected == pytest.approx(1 / 4, abs=1e-3)
    assert by_name["Boris"].assigned == 3
    assert by_name["Boris"].expected == pytest.approx(1 / 4 + 1 / 3 + 1 + 1, abs=1e-3)
    assert by_name["Gleb"].assigned == 0
    assert by_name["Gleb"].expected == pytest.approx(2 / 4 + 2 / 3, abs=1e-3)
    # Never a candidate, still listed, with nothing expected of them.
    assert (by_name["Idle"].assigned, by_name["Idle"].expected) == (0, 0)
    assert by_name["Boris"].target_share == pytest.approx((1 / 4 + 1 / 3 + 2) / 4, abs=1e-3)
    assert by_name["Boris"].actual_share == 0.75
    assert not any(share.flag for share in by_name.values())


def test_a_period_counts_only_its_own_picks(app):
    anna = make_operator("Anna")
    source = make_source("Telegram", weights={anna: 1})
    arrive(source.id, T0 - timedelta(days=2))
    arrive(source.id, T0 + timedelta(minutes=1))
    stats, by_name = shares(report_of(T0, T0 + timedelta(days=1)), source.id)
    assert (stats.contacts, stats.picks, by_name["Anna"].assigned) == (1, 1, 1)


def test_waiting_first_response_and_handling_times(app):
    dina = make_operator("Dina", limit=1)
    source = make_source("WhatsApp", weights={dina: 1})
    first = arrive(source.id, T0)
    arrive(source.id, T0 + timedelta(seconds=60))  # Dina is full: it waits
    at(T0 + timedelta(seconds=90), contacts.change_status, first, "in_progress")
    at(T0 + timedelta(seconds=300), contacts.change_status, first, "closed")
    with replaying_at(T0 + timedelta(seconds=300)):
        assert jobs.drain(db.session, [source.id]) == 1  # waited 240 s

    period = (T0, T0 + timedelta(hours=1))
    stats, by_name = shares(report_of(*period), source.id)
    assert (stats.waited_seconds_p50, stats.waited_seconds_p90) == (0, 240)
    assert (by_name["Dina"].assigned, by_name["Dina"].expected, by_name["Dina"].flag) == (2, 2, False)
    names = insight.operator_names(db.session)
    (times,) = insight.operator_times(db.session, *period, [source.id], names)[source.id]
    assert (times.first_response_p50, times.handling_p50, times.closed) == (90, 300, 1)
    # Load over time: one held from T0, none after the close, one again once drained.
    moments = [T0, T0 + timedelta(seconds=299), T0 + timedelta(seconds=301)]
    assert insight.load_over_time(db.session, moments, [dina.id]) == {dina.id: [1, 1, 1]}
    assert stats.arrivals_by_hour[9] == 2


def test_arrivals_by_hour_are_hours_of_the_zone_asked_for(app):
    """Kolkata is 5:30 ahead of UTC: 09:00 there is 03:30 UTC, and a contact a millisecond
    before it arrived in the hour of 8."""
    source = make_source("Telegram", weights={make_operator("Anna"): 1})
    nine_in_kolkata = T0.replace(hour=3, minute=30)
    for offset in (timedelta(milliseconds=-1), timedelta(0), timedelta(minutes=29, seconds=59)):
        arrive(source.id, nine_in_kolkata + offset, external_id=str(offset))
    period = (nine_in_kolkata - timedelta(hours=1), nine_in_kolkata + timedelta(hours=1))
    stats, _ = shares(report_of(*period, zone=ZoneInfo("Asia/Kolkata")), source.id)
    assert {hour: count for hour, count in enumerate(stats.arrivals_by_hour) if count} == {8: 1, 9: 2}
    stats, _ = shares(report_of(*period), source.id)
    assert {hour: count for hour, count in enumerate(stats.arrivals_by_hour) if count} == {3: 3}


def test_load_over_time_follows_every_change_of_an_operator(app):
    """Loads at each moment, through a handover, an unassignment and a closing; the moments
    before the first change read what the operators held then, not what they hold now."""
    anna, boris = make_operator("Anna"), make_operator("Boris")
    source = make_source("Telegram", weights={anna: 1})
    minute = timedelta(minutes=1)
    first = arrive(source.id, T0, external_id="first")
    second = arrive(source.id, T0 + 2 * minute, external_id="second")
    at(T0 + 4 * minute, contacts.set_operator, first, boris.id, actor=SYSTEM)
    at(T0 + 6 * minute, contacts.set_operator, second, None, actor=SYSTEM)
    at(T0 + 8 * minute, contacts.change_status, first, "closed")
    arrive(source.id, T0 + 10 * minute, external_id="third")
    moments = [T0 - minute, T0, T0 + 3 * minute, T0 + 5 * minute, T0 + 7 * minute, T0 + 9 * minute,
               T0 + 11 * minute]
    loads = insight.load_over_time(db.session, moments, [anna.id, boris.id])
    assert loads == {anna.id: [0, 1, 2, 1, 0, 0, 1], boris.id: [0, 0, 0, 1, 1, 0, 0]}
    # Asked for one operator (a source's page), the changes of the other are left out, not
    # their handovers to or from this one.
    assert insight.load_over_time(db.session, moments, [boris.id]) == {boris.id: loads[boris.id]}
    assert insight.load_over_time(db.session, moments, [anna.id]) == {anna.id: loads[anna.id]}


def history(rng):
    source = weighted_history(rng)
    return shares(report_of(T0, T0 + timedelta(days=1)), source.id)


def test_a_fair_history_raises_no_flag(app):
    stats, by_name = history(random.Random(20261203))
    assert stats.picks == 400
    assert not any(share.flag for share in by_name.values())
    assert by_name["Boris"].target_share == pytest.approx(0.5)


def test_a_skewed_history_of_the_same_size_is_flagged(app):
    # The lower of two points: Anna (first, weight 3 of 10) gets about 51 % instead of 30 %.
    stats, by_name = history(LeaningRandom(20261203))
    assert stats.picks == 400
    assert by_name["Anna"].flag and by_name["Anna"].assigned > by_name["Anna"].expected
    assert by_name["Vera"].flag and by_name["Vera"].assigned < by_name["Vera"].expected


def test_chances_come_from_the_eligible_candidates_of_the_record():
    record = [
        {"operator_id": 1, "weight": 3, "eligible": True, "excluded_because": None},
        {"operator_id": 2, "weight": 5, "eligible": False, "excluded_because": "off_shift"},
        {"operator_id": 3, "weight": 1, "eligible": True, "excluded_because": None},
        {"operator_id": 4, "weight": 2, "eligible": False, "excluded_because": "at_limit"},
    ]
    assert pick_chances(record) == {1: 0.75, 3: 0.25}
    assert pick_chances(record[1:2]) == {}


def test_the_exact_test_below_thirty_picks():
    assert poisson_binomial([0.5, 0.5]) == [0.25, 0.5, 0.25]
    # Ten fair coin flips, all heads: 2 × 2⁻¹⁰ ≈ 0.002, not below 0.001.
    assert two_sided_p_value(10, [0.5] * 10) == pytest.approx(2 / 1024)
    assert not beyond_chance(10, [0.5] * 10)
    assert beyond_chance(12, [0.5] * 12)
    # From 30 on, the normal approximation: 30 of 30 at one half is z ≈ 5.5.
    assert beyond_chance(30, [0.5] * 30) and not beyond_chance(17, [0.5] * 30)


def test_a_tally_gives_the_same_verdicts_as_the_whole_list_of_chances():
    """The tally keeps sums, and each chance only below thirty: its verdicts are those above."""

    def verdict(assigned, chances):
        tally = Tally(assigned=assigned)
        for chance in chances:
            tally.add_chance(chance)
        return tally.beyond_chance()

    skewed = [0.9] * 20 + [0.1] * 9  # 29 picks: still the exact test, on the chances themselves
    for assigned, chances in ((10, [0.5] * 10), (12, [0.5] * 12), (30, [0.5] * 30), (17, [0.5] * 30),
                              (29, skewed), (18, skewed), (0, [])):
        assert verdict(assigned, chances) == (bool(chances) and beyond_chance(assigned, chances))
    tally = Tally()
    for chance in [0.25] * 40:
        tally.add_chance(chance)
    assert (tally.trials, tally.expected, tally.variance) == (40, 10, 7.5)


def test_a_bad_period_is_refused():
    with pytest.raises(insight.InvalidError):
        insight.resolve_period(T0, T0)
    with pytest.raises(insight.InvalidError):
        insight.resolve_period(T0 - timedelta(days=400), T0)
    assert insight.resolve_period(None, T0) == (T0 - timedelta(days=7), T0)
