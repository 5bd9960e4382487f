"""A real HTTP receiver on 127.0.0.1 for webhook tests: it records what arrives and answers
what the test scripts (a status per request, or holding the request until released)."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.postgres import free_port


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int
    # Statuses to answer, in turn; once used up, 200.
    statuses: list[int] = field(default_factory=list)
    received: list[Delivery] = field(default_factory=list)
    # While set, a request is held (after it was recorded) until ``release``.
    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def events(self) -> list[dict]:
        with self.lock:
            return [delivery.event for delivery in self.received]

    def hold(self) -> None:
        self.released.clear()
        self.holding.set()

    def release(self) -> None:
        self.holding.clear()
        self.released.set()


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            headers = {name.lower(): value for name, value in self.headers.items()}
            with receiver.lock:
                receiver.received.append(Delivery(self.path, headers, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            if receiver.holding.is_set():
                receiver.released.wait(60)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args):
            pass

    return Handler


@contextmanager
def webhook_receiver(port: int | None = None):
    """Serve on ``port`` (a free one by default) until the block ends; yields the Receiver."""
    receiver = Receiver(port or free_port())
    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()
        server.shutdown()
        server.server_close()
        thread.join(10)
