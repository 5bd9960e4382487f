"""The application's clock: every "now" in the product comes from here, in UTC.

``replaying_at`` sets "now" for the code run inside it, so a history can be replayed
through the real domain functions at the times it happened (the demo's 30 days).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_replayed_now: ContextVar[datetime | None] = ContextVar("replayed_now", default=None)


def utcnow() -> datetime:
    return _replayed_now.get() or datetime.now(UTC)


@contextmanager
def replaying_at(moment: datetime) -> Iterator[None]:
    """Make ``utcnow()`` answer ``moment`` (aware) inside the block, in this context only."""
    token = _replayed_now.set(moment)
    try:
        yield
    finally:
        _replayed_now.reset(token)
