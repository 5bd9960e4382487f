"""Thirty days of a believable call centre for the demo, made by the real domain functions at their times.

Contacts arrive by the hour of the Moscow day and the weekday; operators take them up,
work and close them; operators go off shift at night (inactive) and come back, and the
waiting contacts are handed out when they do or when a contact closes (as the drain
does). Mid-month the Telegram bot's weights change, and for a few days last week its
pick leaned towards the first operators - the skew the stats page's fairness flag is
there to catch. Every step runs with the clock set to its moment
(``webapp.clock.replaying_at``) inside the caller's write transaction.
"""

from __future__ import annotations

import heapq
import itertools
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from webapp import contacts, directory, distribution, intake
from webapp.clock import replaying_at, utcnow
from webapp.models import Contact

DAYS = 30
MOSCOW = ZoneInfo("Europe/Moscow")
# Contacts per hour of the Moscow day on a weekday (a weekend day gets half).
HOURLY = [0.1, 0.1, 0.0, 0.0, 0.0, 0.1, 0.2, 0.5, 1.0, 1.6, 2.0, 2.2, 2.0, 1.8, 2.0, 2.2, 2.0, 1.7, 1.3, 1.0,
          0.8, 0.6, 0.4, 0.2]
SOURCE_MIX = (("Telegram bot", 0.5), ("Site widget", 0.35), ("WhatsApp", 0.15))
# Moscow working hours of each operator; Vera works the first two weeks and then leaves.
SHIFTS = {"Anna": (9, 18), "Boris": (12, 21), "Vera": (9, 18), "Gleb": (9, 18), "Dina": (10, 19)}
VERA_LEAVES_ON_DAY = 16
WEIGHTS_CHANGE_ON_DAY = 15
NEW_TELEGRAM_WEIGHTS = {"Anna": 4, "Boris": 4, "Gleb": 2}
SKEWED_DAYS = (24, 29)  # [first, last) day of the window: within the stats page's default 7 days
# The last hours' contacts are left open, for a newcomer to find on the board.
LEFT_OPEN = timedelta(hours=6)
CUSTOMERS = 700


class LeaningRandom(random.Random):
    """The lowest of four points: a pick that favours the first operators, as a faulty integration might."""

    def randrange(self, stop, *args):
        return min([super().randrange(stop), super().randrange(stop), super().randrange(stop),
                    super().randrange(stop)])


def replay_month(session, source_ids: dict[str, int], operator_ids: dict[str, int],
                 statuses_now: dict[str, str], rng: random.Random) -> int:
    """Replay the last DAYS days of traffic, ending with the operators in ``statuses_now``.

    Returns how many contacts arrived.
    """
    month = _Month(session, source_ids, operator_ids, rng, month_start(), statuses_now)
    return month.run(utcnow() - timedelta(minutes=5))


def month_start() -> datetime:
    """Where the demo's history begins: DAYS days ago, on the hour."""
    return (utcnow() - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)


class _Month:
    """The events of the month in time order: arrivals, work, closings, shifts, the weight change."""

    def __init__(self, session, source_ids, operator_ids, rng, start, statuses_now):
        self.session, self.sources, self.operators, self.rng = session, source_ids, operator_ids, rng
        self.start = start
        self.statuses_now = statuses_now
        self.events: list = []
        self.order = itertools.count()
        self.leaning = LeaningRandom(rng.random())
        self.arrived = 0
        # Sources with contacts waiting: a change elsewhere need not look for any.
        self.waiting: dict[int, int] = {}

    def at(self, moment: datetime, action, *args) -> None:
        heapq.heappush(self.events, (moment, next(self.order), action, args))

    def run(self, until: datetime) -> int:
        self.until = until
        self._plan_arrivals(until)
        self._plan_shifts(until)
        self.at(self._day(WEIGHTS_CHANGE_ON_DAY, 10), self._change_weights)
        while self.events and self.events[0][0] < until:
            moment, _order, action, args = heapq.heappop(self.events)
            with replaying_at(moment):
                action(moment, *args)
        # Whoever works now, whatever the hour of the demo's first start: the board has people on it.
        for name, status in self.statuses_now.items():
            self._shift(until, name, status)
        return self.arrived

    def _day(self, day: int, hour: int) -> datetime:
        local = self.start.astimezone(MOSCOW).replace(hour=0, minute=0, second=0, microsecond=0)
        return (local + timedelta(days=day, hours=hour)).astimezone(UTC)

    def _plan_arrivals(self, until: datetime) -> None:
        moment = self.start
        while moment < until:
            local = moment.astimezone(MOSCOW)
            rate = HOURLY[local.hour] * (0.5 if local.weekday() >= 5 else 1.0)
            for _ in range(_poisson(self.rng, rate)):
                self.at(moment + timedelta(seconds=self.rng.randrange(3600)), self._arrive)
            moment += timedelta(hours=1)

    def _plan_shifts(self, until: datetime) -> None:
        for day in range(DAYS + 1):
            for name, (first_hour, last_hour) in SHIFTS.items():
                if name == "Vera" and day >= VERA_LEAVES_ON_DAY:
                    continue
                self.at(self._day(day, first_hour), self._shift, name, "active")
                self.at(self._day(day, last_hour), self._shift, name, "inactive")

    def _arrive(self, moment: datetime) -> None:
        name = self._source_name()
        number = self.rng.randrange(CUSTOMERS)
        fields = intake.ContactFields(
            source_id=self.sources[name], external_id=f"demo-{number:04d}", name=f"Customer {number + 1}",
            phone=f"+7 900 {number // 100:03d}-{number % 100:02d}-{number % 97:02d}",
            message=self.rng.choice(MESSAGES),
        )
        contact = intake.receive_contact(self.session, fields, DEMO_ACTOR, rng=self._rng_for(name, moment))
        self.arrived += 1
        if contact.operator_id is not None:
            self._plan_work(contact.id, moment)
        else:
            self.waiting[contact.source_id] = self.waiting.get(contact.source_id, 0) + 1

    def _source_name(self) -> str:
        point, running = self.rng.random(), 0.0
        for name, share in SOURCE_MIX:
            running += share
            if point < running:
                return name
        return SOURCE_MIX[-1][0]

    def _rng_for(self, source_name: str, moment: datetime) -> random.Random:
        skewed = self._day(SKEWED_DAYS[0], 0) <= moment < self._day(SKEWED_DAYS[1], 0)
        return self.leaning if skewed and source_name == "Telegram bot" else self.rng

    def _plan_work(self, contact_id: int, moment: datetime) -> None:
        started = moment + timedelta(minutes=self.rng.randrange(1, 25))
        if moment > self.until - LEFT_OPEN:
            if self.rng.random() < 0.5:
                self.at(started, self._set_status, contact_id, "in_progress")
            return
        self.at(started, self._set_status, contact_id, "in_progress")
        closed = started + timedelta(minutes=self.rng.randrange(10, 150))
        self.at(closed, self._set_status, contact_id, "closed")

    def _set_status(self, moment: datetime, contact_id: int, status: str) -> None:
        contact = self.session.get(Contact, contact_id)
        if contact.status == "closed" or contact.operator_id is None:
            return
        operator_id = contact.operator_id
        contacts.change_status(self.session, contact_id, status)
        if status == "closed":
            self._drain(moment, distribution.sources_of_operator(self.session, operator_id))

    def _shift(self, moment: datetime, name: str, status: str) -> None:
        operator_id = self.operators[name]
        directory.set_operator_status(self.session, operator_id, status)
        if status == "active":
            self._drain(moment, distribution.sources_of_operator(self.session, operator_id))

    def _change_weights(self, moment: datetime) -> None:
        weights = [(self.operators[name], weight) for name, weight in NEW_TELEGRAM_WEIGHTS.items()]
        directory.replace_weights(self.session, self.sources["Telegram bot"], weights)

    def _drain(self, moment: datetime, source_ids: list[int]) -> None:
        """Hand the waiting contacts out, oldest first, as the app's drain does after a change.

        A source whose contact found nobody is done for this time, as in ``jobs.drain``.
        """
        source_ids = [source_id for source_id in source_ids if self.waiting.get(source_id)]
        if not source_ids:
            return
        full: set[int] = set()
        for contact_id, source_id in distribution.drainable_contacts(self.session, source_ids):
            if source_id in full:
                continue
            assigned = distribution.assign_waiting(
                self.session, contact_id, self.rng, trigger="drain", actor=distribution.SYSTEM
            )
            if assigned:
                self.waiting[source_id] -= 1
                self._plan_work(contact_id, moment)
            elif assigned is False:
                full.add(source_id)


def _poisson(rng: random.Random, rate: float) -> int:
    """A Poisson-distributed count with mean ``rate`` (Knuth's method: the rates here are small)."""
    limit, count, product = pow(2.718281828459045, -rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


MESSAGES = [
    "Need a quote for 20 units",
    "When can you deliver?",
    "Is there a discount for schools?",
    "Please call me back",
    "Do you ship abroad?",
    None,
]
DEMO_ACTOR = distribution.Actor("system", "demo data")
