"""The what-if simulator: the replay equals a brute-force one, draw for draw, and reads the real traffic."""

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


class BruteForce:
    """The replay's rules, done the slow way: every load counted afresh from every contact's state."""

    def __init__(self, traffic: simulator.Traffic, weights: dict, limits: dict, rng: random.Random):
        self.weights, self.limits, self.rng = weights, limits, rng
        self.rows = [{"number": n - len(traffic.held), "op": op, "closes": closes, "state": "held"}
                     for n, (op, closes) in enumerate(traffic.held)]
        self.assigned, self.waited = {}, 0
        self.peak = {op: self.load(op) for op, _closes in traffic.held}

    def load(self, op):
        return sum(1 for row in self.rows if row["state"] == "held" and row["op"] == op)

    def pick(self):
        eligible = [op for op in sorted(self.weights)
                    if self.weights[op] > 0 and self.load(op) < self.limits.get(op, 0)]
        if not eligible:
            return None
        point, running = self.rng.randrange(sum(self.weights[op] for op in eligible)), 0
        for op in eligible:
            running += self.weights[op]
            if point < running:
                return op

    def give(self, row) -> bool:
        op = self.pick()
        if op is None:
            return False
        row.update(op=op, state="held")
        self.assigned[op] = self.assigned.get(op, 0) + 1
        self.peak[op] = max(self.peak.get(op, 0), self.load(op))
        return True

    def due(self, moment):
        return sorted((row["closes"], row["number"]) for row in self.rows
                      if row["state"] != "closed" and row["closes"] is not None and row["closes"] <= moment)

    def close_due(self, moment):
        while due := self.due(moment):
            row = next(row for row in self.rows if row["number"] == due[0][1])
            was_held, row["state"] = row["state"] == "held", "closed"
            while was_held and (queue := [row for row in self.rows if row["state"] == "waiting"]):
                if not self.give(min(queue, key=lambda row: row["number"])):
                    break

    def run(self, arrivals) -> simulator.Outcome:
        for number, (arrives_at, closes_at) in enumerate(arrivals):
            self.close_due(arrives_at)
            row = {"number": number, "op": None, "closes": closes_at, "state": "waiting"}
            self.rows.append(row)
            self.waited += not self.give(row)
        self.close_due(datetime.max.replace(tzinfo=UTC))
        return simulator.Outcome(len(arrivals), self.assigned, self.peak, self.waited)


def brute_force(traffic, weights, limits, rng) -> simulator.Outcome:
    return BruteForce(traffic, weights, limits, rng).run(traffic.arrivals)


def random_traffic(seed: int) -> tuple[simulator.Traffic, dict, dict]:
    rng = random.Random(seed)
    arrivals = []
    for _ in range(250):
        arrives = T0 + timedelta(minutes=rng.randrange(600))
        lasts = timedelta(minutes=rng.choice([0, 5, 30, 60, 240]))
        closes = None if rng.random() < 0.1 else arrives + lasts
        arrivals.append((arrives, closes))
    arrivals.sort(key=lambda arrival: arrival[0])
    held = [(rng.randrange(1, 5), T0 + timedelta(minutes=rng.randrange(200)))
            for _ in range(rng.randrange(4))]
    weights = {op: rng.randrange(0, 6) for op in range(1, 5)}
    limits = {op: rng.randrange(1, 8) for op in range(1, 5)}
    return simulator.Traffic(arrivals, held), weights, limits


@pytest.mark.parametrize("seed", range(25))
def test_the_replay_equals_the_brute_force_replay(seed):
    traffic, weights, limits = random_traffic(seed)
    fast = simulator.replay(traffic, weights, limits, random.Random(seed))
    slow = brute_force(traffic, weights, limits, random.Random(seed))
    assert fast.assigned == slow.assigned and fast.waited == slow.waited
    def peaks(outcome):
        return {op: n for op, n in outcome.peak_load.items() if n}

    assert peaks(fast) == peaks(slow)


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
    def replay(weights, limits):
        with replaying_at(T0 + timedelta(hours=1)):
            return simulator.simulate(db.session, source.id, weights, limits, 1, random.Random(3))

    same, actual = replay([(dina.id, 1)], {})
    wider, _ = replay([(dina.id, 1)], {dina.id: 2})
    shared, _ = replay([(dina.id, 1), (oleg.id, 1)], {})
    assert (actual.contacts, actual.assigned, actual.peak_load[dina.id]) == (2, {dina.id: 2}, 1)
    assert actual.waited == 1
    assert (same.assigned, same.peak_load[dina.id], same.waited) == ({dina.id: 2}, 1, 1)
    assert (wider.assigned, wider.peak_load[dina.id], wider.waited) == ({dina.id: 2}, 2, 0)
    assert shared.waited == 0 and sum(shared.assigned.values()) == 2


def test_contacts_from_before_the_window_hold_their_places_from_when_they_were_assigned(app):
    """Dina (limit 2) holds two contacts when the window starts; a third, waiting then, gets her
    place when one of the two closes. One closed before the window counts for nothing."""
    dina = make_operator("Dina", limit=2)
    source = make_source("WhatsApp", weights={dina: 1})
    start = T0 + timedelta(days=1)
    gone = arrive(source.id, T0)
    arrive(source.id, T0 + timedelta(minutes=1))
    at(T0 + timedelta(minutes=2), contacts.change_status, gone, "closed")
    closing = arrive(source.id, T0 + timedelta(minutes=3))
    arrive(source.id, T0 + timedelta(minutes=4))  # waits: Dina is full
    arrive(source.id, start + timedelta(hours=1))  # in the window: waits too
    at(start + timedelta(hours=2), contacts.change_status, closing, "closed")
    with replaying_at(start + timedelta(hours=2)):
        jobs.drain(db.session, [source.id])  # the oldest waiting one, from before the window

    def replay(limits):
        with replaying_at(start + timedelta(days=1)):
            return simulator.simulate(db.session, source.id, [(dina.id, 1)], limits, 1, random.Random(3))

    same, actual = replay({})
    wider, _ = replay({dina.id: 4})
    # Really: two held from the start; at 2 h one closes and the late one takes its place.
    assert (actual.contacts, actual.assigned, actual.peak_load[dina.id], actual.waited) == (1, {}, 2, 1)
    # Replayed, the three she holds now are hers from the start: the window's contact waits.
    assert (same.assigned, same.peak_load[dina.id], same.waited) == ({}, 3, 1)
    assert (wider.assigned, wider.peak_load[dina.id], wider.waited) == ({dina.id: 1}, 4, 0)


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
    traffic = simulator.Traffic([(row.created_at.replace(tzinfo=UTC), row.closed_at and row.closed_at.replace(
        tzinfo=UTC)) for row in rows], [])
    with replaying_at(end):
        outcome, _actual = simulator.simulate(db.session, source.id, [(anna.id, 2), (boris.id, 1)],
                                              {boris.id: 1}, 2, random.Random(5))
    expected = brute_force(traffic, {anna.id: 2, boris.id: 1}, {anna.id: 3, boris.id: 1}, random.Random(5))
    assert (outcome.contacts, outcome.assigned, outcome.waited) == (60, expected.assigned, expected.waited)
    assert outcome.peak_load == expected.peak_load
