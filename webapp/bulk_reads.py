"""Reading a period's worth of records at once (the stats, the simulator): plain rows, no cycle collector.

Both cut costs that grow with the rows and buy nothing here: the ORM's per-row work on
a query that selects columns, and the cycle collector rescanning every row tuple it has
already seen (half the time of a 30-day replay, measured). The rows hold no cycles.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
