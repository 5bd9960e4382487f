"""The what-if simulator: the fast replay equals a brute-force one, draw for draw, and reads the real traffic."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tests.builders import make_operator, make_source
from tests.histories import T0, arrive, at
from webapp import contacts, jobs, simulator
from webapp.clock import replaying_at
from webapp.extensions import db
from webapp.models import Contact


def brute_force(traffic: simulator.Traffic, weights: dict, limits: dict, rng: random.Random) -> simulator.Outcome:
    """The replay's rules, done the slow way: every load counted afresh from every contact's state."""
    rows = [{"number": -len(traffic.held) + n, "op": op, "closes": closes, "state": "held"}
            for n, (op, closes) in enumerate(traffic.held)]
    assigned, peak, waited = {}, {}, 0

    def load(op):
        return sum(1 for row in rows if row["state"] == "held" and row["op"] == op)

    def pick():
        eligible = [op for op in sorted(weights) if weights[op] > 0 and load(op) < limits.get(op, 0)]
        if not eligible:
            return None
        point, running = rng.randrange(sum(weights[op] for op in eligible)), 0
        for op in eligible:
            running += weights[op]
            if point < running:
                return op

    def give(row, op):
        row.update(op=op, state="held")
        assigned[op] = assigned.get(op, 0) + 1

    for op in {op for op, _closes in traffic.held}:
        peak[op] = load(op)
    def close_due(moment):
        while due := sorted((row["closes"], row["number"]) for row in rows
                            if row["state"] != "closed" and row["closes"] is not None and row["closes"] <= moment):
            row = next(row for row in rows if row["number"] == due[0][1])
            was_held, row["state"] = row["state"] == "held", "closed"
            while was_held and (queue := [row for row in rows if row["state"] == "waiting"]):
                op = pick()
                if op is None:
                    break
                give(min(queue, key=lambda row: row["number"]), op)
                peak[op] = max(peak.get(op, 0), load(op))

    for number, (arrives_at, closes_at) in enumerate(traffic.arrivals):
        close_due(arrives_at)
        row = {"number": number, "op": None, "closes": closes_at, "state": "waiting"}
        rows.append(row)
        op = pick()
        if op is None:
            waited += 1
        else:
            give(row, op)
            peak[op] = max(peak.get(op, 0), load(op))
    close_due(datetime.max.replace(tzinfo=UTC))
    return simulator.Outcome(len(traffic.arrivals), assigned, peak, waited)


def random_traffic(seed: int) -> tuple[simulator.Traffic, dict, dict]:
    rng = random.Random(seed)
    arrivals = []
    for _ in range(250):
        arrives = T0 + timedelta(minutes=rng.randrange(600))
        closes = None if rng.random() < 0.1 else arrives + timedelta(minutes=rng.choice([0, 5, 30, 60, 240]))
        arrivals.append((arrives, closes))
    arrivals.sort(key=lambda arrival: arrival[0])
    held = [(rng.randrange(1, 5), T0 + timedelta(minutes=rng.randrange(200))) for _ in range(rng.randrange(4))]
    weights = {op: rng.randrange(0, 6) for op in range(1, 5)}
    limits = {op: rng.randrange(1, 8) for op in range(1, 5)}
    return simulator.Traffic(arrivals, held), weights, limits


@pytest.mark.parametrize("seed", range(25))
def test_the_replay_equals_the_brute_force_replay(seed):
    traffic, weights, limits = random_traffic(seed)
    fast = simulator.replay(traffic, weights, limits, random.Random(seed))
    slow = brute_force(traffic, weights, limits, random.Random(seed))
    assert fast.assigned == slow.assigned and fast.waited == slow.waited
    assert {op: n for op, n in fast.peak_load.items() if n} == {op: n for op, n in slow.peak_load.items() if n}


def test_nobody_is_ever_over_the_limit_and_zero_weights_get_nothing():
    traffic, _weights, _limits = random_traffic(99)
    outcome = simulator.replay(traffic, {1: 0, 2: 1, 3: 1}, {1: 5, 2: 3, 3: 2}, random.Random(1))
    assert outcome.assigned.get(1, 0) == 0
    assert outcome.peak_load[2] <= 3 + sum(1 for op, _c in traffic.held if op == 2)
    assert outcome.peak_load[3] <= 2 + sum(1 for op, _c in traffic.held if op == 3)


def test_the_source_traffic_as_it_really_happened(app):
    """Dina (limit 1) gets a contact, the next one waits until she closes the first."""
    dina, oleg = make_operator("Dina", limit=1), make_operator("Oleg", limit=5)
    source = make_source("WhatsApp", weights={dina: 1})
    first = arrive(source.id, T0)
    arrive(source.id, T0 + timedelta(minutes=1))
    at(T0 + timedelta(minutes=5), contacts.change_status, first, "closed")
    with replaying_at(T0 + timedelta(minutes=5)):
        jobs.drain(db.session, [source.id])
    with replaying_at(T0 + timedelta(hours=1)):
        same, actual = simulator.simulate(db.session, source.id, [(dina.id, 1)], {}, 1, random.Random(3))
        wider, _ = simulator.simulate(db.session, source.id, [(dina.id, 1)], {dina.id: 2}, 1, random.Random(3))
        shared, _ = simulator.simulate(db.session, source.id, [(dina.id, 1), (oleg.id, 1)], {}, 1, random.Random(3))
    assert (actual.contacts, actual.assigned, actual.peak_load[dina.id], actual.waited) == (2, {dina.id: 2}, 1, 1)
    assert (same.assigned, same.peak_load[dina.id], same.waited) == ({dina.id: 2}, 1, 1)
    assert (wider.assigned, wider.peak_load[dina.id], wider.waited) == ({dina.id: 2}, 2, 0)
    assert shared.waited == 0 and sum(shared.assigned.values()) == 2


def test_the_database_replay_equals_the_brute_force_replay(app):
    anna, boris = make_operator("Anna", limit=3), make_operator("Boris", limit=2)
    source = make_source("Telegram", weights={anna: 1, boris: 1})
    rng = random.Random(11)
    for number in range(60):
        contact_id = arrive(source.id, T0 + timedelta(minutes=3 * number), rng, external_id=f"d-{number}")
        if number % 3 == 0:
            at(T0 + timedelta(minutes=3 * number + 1), contacts.change_status, contact_id, "closed")
    end = T0 + timedelta(days=1)
    rows = db.session.execute(Contact.__table__.select().order_by(Contact.created_at, Contact.id)).all()
    traffic = simulator.Traffic([(row.created_at.replace(tzinfo=T0.tzinfo),
                                  row.closed_at and row.closed_at.replace(tzinfo=T0.tzinfo)) for row in rows], [])
    with replaying_at(end):
        outcome, _actual = simulator.simulate(db.session, source.id, [(anna.id, 2), (boris.id, 1)],
                                              {boris.id: 1}, 2, random.Random(5))
    expected = brute_force(traffic, {anna.id: 2, boris.id: 1}, {anna.id: 3, boris.id: 1}, random.Random(5))
    assert (outcome.contacts, outcome.assigned, outcome.waited) == (60, expected.assigned, expected.waited)
    assert outcome.peak_load == expected.peak_load
