"""A small load harness: client threads sending bounded calls to servers on 127.0.0.1.

Bounded in count (the calls given) and in time (``time_limit``: calls not sent by
then are reported, never silently dropped). Each thread keeps its own
connection alive while the server allows it (gunicorn's sync workers close
after every response, so most calls open a new one).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict | None = None
    headers: dict = field(default_factory=dict)
    tag: object = None  # what the test matches the answer with (a key, an external id...)


@dataclass
class Answer:
    call: Call
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    def json(self):
        return json.loads(self.body)


@dataclass
class LoadResult:
    answers: list[Answer]
    seconds: float
    not_sent: int

    def statuses(self) -> Counter:
        return Counter(answer.status for answer in self.answers)

    def with_status(self, status: int) -> list[Answer]:
        return [answer for answer in self.answers if answer.status == status]

    @property
    def server_errors(self) -> list[Answer]:
        return [answer for answer in self.answers if answer.status is not None and answer.status >= 500]

    @property
    def unanswered(self) -> list[Answer]:
        return [answer for answer in self.answers if answer.status is None]

    def percentile_ms(self, fraction: float) -> float:
        times = sorted(answer.seconds for answer in self.answers if answer.status is not None)
        if not times:
            return 0.0
        return 1000 * times[min(len(times) - 1, int(fraction * len(times)))]

    def requests_per_second(self) -> float:
        return len(self.answers) / self.seconds if self.seconds else 0.0


class _Client:
    """One thread's HTTP/1.1 connection to one server."""

    def __init__(self, base_url: str, timeout: float):
        parts = urlsplit(base_url)
        if parts.hostname != LOOPBACK:
            raise ValueError(f"load is only ever sent to {LOOPBACK}, not {parts.hostname}")
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.connection: http.client.HTTPConnection | None = None

    def send(self, call: Call, auth: dict) -> Answer:
        started = time.perf_counter()
        headers = {"Accept": "application/json"} | auth | call.headers
        payload = None
        if call.body is not None:
            payload = json.dumps(call.body).encode()
            headers["Content-Type"] = "application/json"
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.connection.request(call.method, call.path, body=payload, headers=headers)
            response = self.connection.getresponse()
            body = response.read()
            answer = Answer(call, response.status, body, dict(response.getheaders()))
            if response.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            answer = Answer(call, None, error=f"{type(error).__name__}: {error}")
        answer.seconds = time.perf_counter() - started
        return answer

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass
class Load:
    """Calls to send, and how: ``group`` calls at a time leave together (a barrier)."""

    base_urls: list[str]
    calls: Iterable[Call]
    token: str
    threads: int = 64
    group: int = 1
    time_limit: float = 180.0
    request_timeout: float = 30.0
    on_answer: Callable[[Answer], None] | None = None

    def run(self) -> LoadResult:
        teams = max(1, self.threads // self.group)
        source = _SharedIterator(self.calls, self.group)
        answers: list[Answer] = []
        lock = threading.Lock()
        deadline = time.monotonic() + self.time_limit
        started = time.perf_counter()
        workers = []
        for team in range(teams):
            barrier = threading.Barrier(self.group)
            for member in range(self.group):
                client = _Client(self.base_urls[(team * self.group + member) % len(self.base_urls)],
                                 self.request_timeout)
                worker = threading.Thread(
                    target=self._work,
                    args=(client, source, team, member, barrier, deadline, answers, lock),
                    daemon=True,
                )
                workers.append(worker)
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(self.time_limit + self.request_timeout + 5)
        return LoadResult(answers, time.perf_counter() - started, source.remaining())

    def _work(self, client, source, team, member, barrier, deadline, answers, lock):
        auth = {"Authorization": f"Bearer {self.token}"}
        try:
            while time.monotonic() < deadline:
                batch = source.next_batch(team)
                if batch is None:
                    return
                if self.group > 1:
                    barrier.wait(timeout=self.request_timeout)
                if member >= len(batch):
                    continue
                answer = client.send(batch[member], auth)
                with lock:
                    answers.append(answer)
                if self.on_answer is not None:
                    self.on_answer(answer)
        except threading.BrokenBarrierError:
            return
        finally:
            client.close()


class _SharedIterator:
    """Hands out batches of ``size`` calls; every member of a team gets the same batch."""

    def __init__(self, calls: Iterable[Call], size: int):
        self.calls: Iterator[Call] = iter(calls)
        self.size = size
        self.lock = threading.Lock()
        self.current: dict[int, tuple[int, list[Call] | None]] = {}
        self.rounds: dict[tuple[int, int], int] = {}
        self.taken = 0
        self.exhausted = False

    def next_batch(self, team: int) -> list[Call] | None:
        with self.lock:
            round_number, batch = self.current.get(team, (0, None))
            seen = self.rounds.get((team, round_number), 0)
            if batch is None or seen >= self.size:
                batch = [call for _, call in zip(range(self.size), self.calls, strict=False)]
                self.taken += len(batch)
                round_number += 1
                self.current[team] = (round_number, batch or None)
                seen = 0
            self.rounds[(team, round_number)] = seen + 1
            return batch or None

    def remaining(self) -> int:
        with self.lock:
            return sum(1 for _ in self.calls)
