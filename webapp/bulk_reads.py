"""Reading a period's worth of records at once (the stats, the simulator): plain rows, no cycle
collector, and times as seconds where only differences and comparisons are needed.

Each cuts a cost that grows with the rows and buys nothing here: the ORM's per-row work on a
query that selects columns, the cycle collector rescanning every row tuple it has already
seen (half the time of a 30-day replay, measured; the rows hold no cycles), and turning each
stored time into an aware datetime (more than the query itself for the stats of 30 days).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement


def plain_rows(session, query) -> list:
    """The rows of ``query`` on the session's connection (Core), in the session's transaction."""
    return session.connection().execute(query).all()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off inside the block (or the decorated function); back on as it ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# SQLite's date functions keep times to the millisecond, so ``epoch_seconds`` is exact only to
# that: seconds compared or shown are taken to the millisecond, on every backend alike (a
# float's tail, far below it, then never decides a comparison or shows).
MILLISECOND = 0.001


def to_the_millisecond(seconds: float) -> float:
    return round(seconds, 3)


class epoch_seconds(ColumnElement):  # noqa: N801 - used like a SQL function
    """A stored UTC time as seconds since 1970, computed by the database (to the millisecond)."""

    # Without a result processor: the driver's float is handed on as it is.
    type = Float(asdecimal=False)
    inherit_cache = True

    def __init__(self, column):
        self.column = column


@compiles(epoch_seconds)
def _epoch_default(element, compiler, **kw):
    # PostgreSQL 14+ answers EXTRACT with a numeric (a Decimal in Python): cast to a float.
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.column, **kw)}) AS DOUBLE PRECISION)"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    # julianday() reads the 'YYYY-MM-DD HH:MM:SS.ffffff' text SQLAlchemy stores.
    return f"((julianday({compiler.process(element.column, **kw)}) - 2440587.5) * 86400.0)"
