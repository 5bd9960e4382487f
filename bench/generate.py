"""Fill a migrated database with operators, sources, weights, leads and contacts - fast.

Rows go in with the driver's executemany in large batches inside one transaction per table,
respecting every constraint: foreign keys, unique names and external ids, the status checks,
positive weights, and no operator holding more open contacts than its limit.

    .venv/bin/python -m bench.generate sqlite:////tmp/big.sqlite3 --contacts 1000000
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, event, text, update
from sqlalchemy.orm import Session

from bench.databases import migrate
from webapp import counters, worker
from webapp.models import Operator, counted_open_contacts

BATCH = 50_000
OPERATOR_LIMIT = 2_000
STATUS_CUMULATIVE = ((0.80, "closed"), (0.93, "in_progress"), (1.0, "new"))
UNASSIGNED_SHARE = 0.01  # of the "new" contacts
LEADS_PER_CONTACT = 0.6
DUPLICATE_EVERY = 1000  # one lead in this many shares its phone with the lead before it
# Assignment records carry their candidates in full for the contacts of these last days
# (the stats page's 7-day default and "today"); older records carry none.
CANDIDATE_DAYS = timedelta(days=8)


@dataclass(frozen=True)
class FillSummary:
    operators: int
    sources: int
    leads: int
    contacts: int
    seconds: float


def _timestamp_writer(dialect_name: str):
    """Values as SQLAlchemy's UTCDateTime stores them: naive UTC (a string on SQLite)."""
    if dialect_name == "sqlite":
        return lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return lambda moment: moment


def _insert(connection, table: str, columns: tuple[str, ...], rows) -> None:
    """Rows into `table`: COPY on PostgreSQL, batched executemany elsewhere."""
    if connection.dialect.name == "postgresql":
        _copy(connection, table, columns, rows)
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table} ({_quoted(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            connection.exec_driver_sql(sql, batch)
            batch = []
    if batch:
        connection.exec_driver_sql(sql, batch)


def _quoted(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{column}"' for column in columns)  # "end" is a reserved word


def _copy(connection, table: str, columns: tuple[str, ...], rows) -> None:
    # psycopg 3's COPY, on the connection (and in the transaction) SQLAlchemy holds.
    driver_connection = connection.connection.driver_connection
    with driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({_quoted(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _weights(operators: int, sources: int, rng: random.Random) -> dict[int, list[int]]:
    """Source index -> operator indexes weighted on it: each operator on two sources."""
    on_source: dict[int, list[int]] = {source: [] for source in range(sources)}
    for operator in range(operators):
        first = operator % sources
        second = (first + 1 + rng.randrange(sources - 1)) % sources if sources > 1 else first
        on_source[first].append(operator)
        if second != first:
            on_source[second].append(operator)
    return on_source


def _status(rng: random.Random) -> str:
    draw = rng.random()
    return next(status for bound, status in STATUS_CUMULATIVE if draw < bound)


def _contact_rows(contacts, leads, on_source, ids, stamp, rng, start):
    """Contacts oldest first; open ones go round-robin to their source's operators, under limits."""
    open_load = [0] * len(ids["operators"])
    turn = {source: 0 for source in on_source}
    step = timedelta(days=365) / max(contacts, 1)
    for number in range(contacts):
        source = rng.randrange(len(on_source))
        lead = number if number < leads else rng.randrange(leads)
        status = _status(rng)
        created = start + step * number
        operator = None
        candidates = on_source[source]
        if candidates and not (status == "new" and rng.random() < UNASSIGNED_SHARE):
            operator = candidates[turn[source] % len(candidates)]
            turn[source] += 1
            if status != "closed":
                if open_load[operator] >= OPERATOR_LIMIT:
                    operator, status = None, "new"
                else:
                    open_load[operator] += 1
        if operator is None and status == "in_progress":
            status = "new"
        assigned = stamp(created + timedelta(seconds=1)) if operator is not None else None
        started = stamp(created + timedelta(minutes=10)) if assigned and status != "new" else None
        closed = stamp(created + timedelta(hours=2)) if status == "closed" else None
        yield (
            ids["leads"][lead],
            ids["sources"][source],
            ids["operators"][operator] if operator is not None else None,
            status,
            f"Generated contact {number}",
            stamp(created),
            assigned,
            started,
            closed,
        )


def _ids(connection, table: str) -> list[int]:
    return list(connection.exec_driver_sql(f"SELECT id FROM {table} ORDER BY id").scalars())


def _schedule(number: int) -> str | None:
    """Every third operator works weekdays 09:00-18:00 in Moscow; the others are always on shift."""
    if number % 3:
        return None
    weekly = [{"day": day, "start": "09:00", "end": "18:00"} for day in range(5)]
    return json.dumps({"timezone": "Europe/Moscow", "weekly": weekly})


def _fill_directory(connection, operators, sources, weights, stamp, now):
    _insert(
        connection,
        "operators",
        ("name", "name_key", "status", "max_active_contacts", "created_at", "schedule"),
        (
            (f"Operator {n:05d}", f"operator {n:05d}", "active" if n % 10 else "inactive", OPERATOR_LIMIT,
             stamp(now), _schedule(n))
            for n in range(operators)
        ),
    )
    _insert(
        connection,
        "sources",
        ("name", "name_key", "description", "created_at", "wait_target_minutes", "response_timeout_minutes"),
        (
            (f"Source {n:02d}", f"source {n:02d}", f"Generated source {n}", stamp(now),
             30 if n % 2 else None, 60 if n % 4 == 1 else None)
            for n in range(sources)
        ),
    )
    ids = {"operators": _ids(connection, "operators"), "sources": _ids(connection, "sources")}
    _insert(
        connection,
        "operator_source_weights",
        ("operator_id", "source_id", "weight"),
        (
            (ids["operators"][op], ids["sources"][source], weight)
            for source, members in weights.items()
            for op, weight in members.items()
        ),
    )
    return ids


@contextmanager
def _triggers_off(connection, table: str, names: str = "%"):
    """The table's triggers whose names are LIKE ``names`` off while the caller loads rows."""
    if connection.dialect.name == "sqlite":
        triggers = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND name LIKE ?",
            (table, names),
        ).all()
    else:
        triggers = connection.exec_driver_sql(
            "SELECT tgname, NULL FROM pg_trigger WHERE tgrelid = %(table)s::regclass AND NOT tgisinternal "
            "AND tgname LIKE %(names)s",
            {"table": table, "names": names},
        ).all()
    sqlite = connection.dialect.name == "sqlite"
    for name, _sql in triggers:
        off = f'DROP TRIGGER "{name}"' if sqlite else f'ALTER TABLE {table} DISABLE TRIGGER "{name}"'
        connection.exec_driver_sql(off)
    yield
    for name, sql in triggers:
        connection.exec_driver_sql(sql if sqlite else f'ALTER TABLE {table} ENABLE TRIGGER "{name}"')


@contextmanager
def _triggers_after(connection):
    """The contacts' triggers off during the load, then what they would have written, in one
    statement each: every operator's open_contacts recounted (migration 0014) and, on SQLite,
    distinct growing change marks, as migration 0015 numbers existing rows. A trigger per
    inserted row made the load 4x slower on PostgreSQL and 2x on SQLite."""
    with _triggers_off(connection, "contacts"):
        yield
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("UPDATE contacts SET change_seq = id")
    connection.execute(update(Operator).values(open_contacts=counted_open_contacts()))


@contextmanager
def _shared_values_after(connection):
    """The leads' shared-value triggers (migration 0020) off during the load, then the table
    written in one statement. On PostgreSQL the trigger's plan, made while the table was
    empty, read every lead for every row inserted by the same statement (40,000 leads: 150 s)."""
    with _triggers_off(connection, "leads", "leads_shared_%"):
        yield
    counters.repair_shared_values(connection)


@contextmanager
def _indexes_rebuilt_after(connection, table: str):
    """SQLite: drop the table's plain indexes, load, then create them again from their own DDL
    (one sorted build instead of a million random inserts). Unique indexes stay in place, and
    so does ``change_seq``'s: the insert trigger reads its maximum for every row (migration 0015)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    indexes = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
        "AND sql NOT LIKE 'CREATE UNIQUE%' AND name NOT LIKE '%change_seq'",
        (table,),
    ).all()
    for name, _sql in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _name, sql in indexes:
        connection.exec_driver_sql(sql)


def fill(database_url: str, *, operators=1000, sources=20, contacts=1_000_000, seed=7) -> FillSummary:
    """Add the rows to an already migrated, empty database; returns what went in and how long."""
    started = time.monotonic()
    rng = random.Random(seed)
    engine = create_engine(database_url)
    if engine.dialect.name == "sqlite":
        # Bulk load only: the rows are regenerated if the machine crashes meanwhile.
        event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA synchronous=OFF"))
    stamp = _timestamp_writer(engine.dialect.name)
    now = datetime.now(UTC).replace(tzinfo=None)
    leads = max(1, int(contacts * LEADS_PER_CONTACT)) if contacts else 0
    on_source = _weights(operators, sources, rng)
    weights = {source: {op: rng.randint(1, 100) for op in members} for source, members in on_source.items()}
    with engine.begin() as connection:
        ids = _fill_directory(connection, operators, sources, weights, stamp, now)
    with engine.begin() as connection, _shared_values_after(connection):
        _insert(
            connection,
            "leads",
            ("external_id", "email", "phone", "name", "created_at"),
            (
                (
                    f"gen-{n}",
                    f"lead{n}@example.com" if n % 2 else None,
                    _phone(n),
                    f"Lead {n}",
                    stamp(now - timedelta(days=366)),
                )
                for n in range(leads)
            ),
        )
        ids["leads"] = _ids(connection, "leads")
    with (
        engine.begin() as connection,
        _triggers_after(connection),
        _indexes_rebuilt_after(connection, "contacts"),
    ):
        _insert(
            connection,
            "contacts",
            (
                "lead_id",
                "source_id",
                "operator_id",
                "status",
                "message",
                "created_at",
                "assigned_at",
                "started_at",
                "closed_at",
            ),
            _contact_rows(contacts, leads, on_source, ids, stamp, rng, now - timedelta(days=365)),
        )
    with engine.begin() as connection:
        _fill_records(connection, ids, weights, stamp, now)
    _fold_finished_days(engine)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return FillSummary(operators, sources, leads, contacts, time.monotonic() - started)


def _fold_finished_days(engine) -> None:
    """What the worker does to a database in use: every finished day's picks folded (pick_tallies)."""
    with Session(engine) as session:
        while worker.fold_finished_days(session):
            pass


def _phone(number: int) -> str | None:
    """Most leads have a phone of their own; one in DUPLICATE_EVERY shares the previous lead's
    (the duplicates page has groups to show)."""
    if not number % 3:
        return None
    owner = number - 1 if number % DUPLICATE_EVERY == 1 else number
    return f"+4470{owner:08d}"


def _fill_records(connection, ids, weights, stamp, now) -> None:
    """What the pages read besides contacts: an assignment record per contact (in SQL, from the
    contacts), absences, weight plans, a webhook with deliveries and notes."""
    _assignment_records(connection, ids, weights, stamp(now - CANDIDATE_DAYS))
    operators, sources = ids["operators"], ids["sources"]
    _insert(
        connection,
        "operator_absences",
        ("operator_id", "start", "end", "note", "created_at"),
        (
            (operator, stamp(now + timedelta(days=offset)), stamp(now + timedelta(days=offset + 7)),
             "Holiday", stamp(now))
            for number, operator in enumerate(operators)
            if not number % 7
            for offset in (-30, 10)
        ),
    )
    plan = json.dumps([{"operator_id": op, "weight": 10} for op in operators[:5]])
    _insert(
        connection,
        "weight_plans",
        ("source_id", "weights", "start", "end", "status", "actor_kind", "actor_name", "created_at"),
        (
            (source, plan, stamp(now + timedelta(days=days)), stamp(now + timedelta(days=days + 1)), status,
             "user", "bench", stamp(now))
            for source in sources
            for days, status in ((-20, "done"), (-10, "cancelled"), (3, "scheduled"))
        ),
    )
    _webhook(connection, sources[0], stamp, now)
    _notes(connection, stamp, now)


def _assignment_records(connection, ids, weights, recent: str) -> None:
    """One intake record per contact, as the pick writes it; the candidates (every operator
    weighted on the source) in full for the contacts since ``recent``, empty before (a year of
    full candidate lists would be gigabytes)."""
    columns = (
        "INSERT INTO assignments (contact_id, at, \"trigger\", rule, actor_kind, actor_name, operator_id, "
        "forced, candidates) SELECT id, COALESCE(assigned_at, created_at), 'intake', "
        "CASE WHEN operator_id IS NULL THEN 'none' ELSE 'weighted' END, 'system', 'system', operator_id, "
    )
    false = "false" if connection.dialect.name == "postgresql" else "0"
    as_json = "CAST(:candidates AS JSON)" if connection.dialect.name == "postgresql" else ":candidates"
    connection.execute(
        text(columns + f"{false}, {as_json} FROM contacts WHERE created_at < :recent ORDER BY id"),
        {"candidates": "[]", "recent": recent},
    )
    for index, source in enumerate(ids["sources"]):
        candidates = json.dumps([
            {"operator_id": ids["operators"][op], "weight": weight, "load": 100, "limit": OPERATOR_LIMIT,
             "eligible": op % 10 != 0, "excluded_because": None if op % 10 else "inactive"}
            for op, weight in sorted(weights[index].items())
        ])
        connection.execute(
            text(columns + f"{false}, {as_json} FROM contacts WHERE created_at >= :recent "
                 "AND source_id = :source ORDER BY id"),
            {"candidates": candidates, "recent": recent, "source": source},
        )


def _webhook(connection, source: int, stamp, now) -> None:
    """The first source sends webhooks: its latest contacts each have a delivered event."""
    connection.execute(
        text("UPDATE sources SET webhook_url = 'https://example.com/hook', webhook_secret = 'whsec_YmVuY2g=' "
             "WHERE id = :source"),
        {"source": source},
    )
    contacts = connection.execute(
        text("SELECT id FROM contacts WHERE source_id = :source ORDER BY id DESC LIMIT 500"),
        {"source": source},
    ).scalars()
    _insert(
        connection,
        "webhook_events",
        ("event_id", "source_id", "contact_id", "type", "body", "created_at", "attempts", "last_status",
         "delivered_at"),
        (
            (str(uuid.UUID(int=contact)), source, contact, "contact.created", "{}", stamp(now), 1, 200,
             stamp(now))
            for contact in contacts
        ),
    )


def _notes(connection, stamp, now) -> None:
    """A writer and a note on every hundredth of the latest contacts."""
    _insert(
        connection,
        "users",
        ("username", "password_hash", "role", "created_at"),
        [("generated-writer", "!", "supervisor", stamp(now))],
    )
    author = connection.execute(text("SELECT id FROM users WHERE username = 'generated-writer'")).scalar_one()
    contacts = connection.execute(text("SELECT id FROM contacts ORDER BY id DESC LIMIT 20000")).scalars()
    _insert(
        connection,
        "contact_notes",
        ("contact_id", "author_id", "created_at", "text"),
        ((contact, author, stamp(now), "Called back.") for contact in contacts if not contact % 100),
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--operators", type=int, default=1000)
    parser.add_argument("--sources", type=int, default=20)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--no-migrate", action="store_true", help="the database is already migrated")
    args = parser.parse_args(argv)
    if not args.no_migrate:
        migrate(args.database_url)
    summary = fill(args.database_url, operators=args.operators, sources=args.sources, contacts=args.contacts)
    print(
        f"{summary.contacts:,} contacts, {summary.leads:,} leads, {summary.operators:,} operators, "
        f"{summary.sources} sources in {summary.seconds:.1f} s"
    )


if __name__ == "__main__":
    main()


def add_history(
    database_url: str, source_id: int, contacts: int, *, seed: int = 11, all_open: bool = False
) -> None:
    """Earlier contacts (each with a lead of its own) on one source, spread over its weighted
    operators and within their limits: the history that must not change an intake's cost.
    With `all_open`, every one is still open (in progress): a load the operators hold."""
    rng = random.Random(seed)
    engine = create_engine(database_url)
    stamp = _timestamp_writer(engine.dialect.name)
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30)
    prefix = f"history-{source_id}-"
    with engine.begin() as connection:
        operators = connection.execute(
            text(
                "SELECT o.id, o.max_active_contacts FROM operators o JOIN operator_source_weights w "
                "ON w.operator_id = o.id WHERE w.source_id = :source ORDER BY o.id"
            ),
            {"source": source_id},
        ).all()
        _insert(
            connection,
            "leads",
            ("external_id", "created_at"),
            ((f"{prefix}{n}", stamp(start)) for n in range(contacts)),
        )
        lead_ids = (
            connection.execute(
                text("SELECT id FROM leads WHERE external_id LIKE :prefix ORDER BY id"),
                {"prefix": prefix + "%"},
            )
            .scalars()
            .all()
        )
        _insert(
            connection,
            "contacts",
            ("lead_id", "source_id", "operator_id", "status", "created_at", "assigned_at", "closed_at"),
            _history_rows(lead_ids, source_id, operators, stamp, start, rng, all_open),
        )
    engine.dispose()


def _history_rows(lead_ids, source_id, operators, stamp, start, rng, all_open=False):
    load = [0] * len(operators)
    for number, lead_id in enumerate(lead_ids):
        index = number % len(operators)
        status = "in_progress" if all_open else _status(rng)
        if status != "closed" and load[index] >= operators[index][1]:
            status = "closed"
        load[index] += status != "closed"
        created = stamp(start + timedelta(seconds=number))
        yield (
            lead_id,
            source_id,
            operators[index][0],
            status,
            created,
            created,
            created if status == "closed" else None,
        )
