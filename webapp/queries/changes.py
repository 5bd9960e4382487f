"""Has anything the board shows changed since a moment? One statement of index lookups.

The moment is a *mark* taken before the board is read (``change_mark``) and carried in
the board's ETag; ``unchanged_since`` answers for a poll that sends it back. Both read
``change_seq`` of contacts, operators and sources, which the database's triggers keep
(migration 0015): a contact added or changed in any way, an operator's name, status,
limit, schedule or absences, anything of a source. Leads are not watched: what the board
shows of a lead (name, external id) changes only with a contact of it in the same
transaction (intake's upsert, a merge moving its contacts).

SQLite serialises writers and numbers each change max + 1, so the mark is the three
maxima, and any committed change makes one of them grow.

PostgreSQL numbers a change with its transaction's id, and the mark is the reader's
snapshot: what committed after it is a row whose number is at or past the snapshot's
``xmax`` (began later) or in its list of transactions then running (began earlier, committed
later). A plain counter could not be exact there: a number taken by a transaction that
commits after one with a higher number would never raise the maximum.
"""

from __future__ import annotations

from sqlalchemy import Text, cast, exists, false, func, or_, select

from webapp.models import Contact, Operator, Source

WATCHED = (Contact, Operator, Source)


def change_mark(session) -> str:
    """The state of everything the board shows, as a short string: take it before reading the board."""
    if session.get_bind().dialect.name == "postgresql":
        snapshot = session.execute(select(cast(func.pg_current_snapshot(), Text))).scalar_one()
        _xmin, xmax, running = snapshot.split(":")
        return f"{xmax}:{running}"
    return _maxima(session)


def unchanged_since(session, mark: str) -> bool:
    """True when nothing the board shows changed since ``mark`` was taken; False for a garbled mark."""
    if session.get_bind().dialect.name == "postgresql":
        query = _committed_since(mark)
        return query is not None and not session.execute(query).scalar_one()
    return _maxima(session) == mark


def _maxima(session) -> str:
    """SQLite's mark: the highest change_seq of each watched table, "12.3.4"."""
    highest = session.execute(select(*(_highest(model) for model in WATCHED))).one()
    return ".".join(str(value) for value in highest)


def _highest(model):
    return select(func.coalesce(func.max(model.change_seq), 0)).scalar_subquery()


def _committed_since(mark: str):
    """Whether a watched row changed after the snapshot ``xmax:running``; None for a garbled one."""
    xmax, _colon, running = mark.partition(":")
    try:
        later = int(xmax)
        then_running = [int(xid) for xid in running.split(",") if xid]
    except ValueError:
        return None
    checks = []
    for model in WATCHED:
        checks.append(_highest(model) >= later)
        if then_running:
            checks.append(exists().where(model.change_seq.in_(then_running)))
    return select(or_(false(), *checks))
