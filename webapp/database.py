"""Engine settings per backend and the one way to start a write transaction."""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager

import orjson
from sqlalchemy import String, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import scoped_session
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType

WRITE_OPTION = "leadcrm_write"


def engine_options(database_url: str, busy_timeout_ms: int, lock_timeout_ms: int) -> dict:
    """SQLAlchemy engine options for the configured database."""
    # JSON columns through orjson: an assignment record lists every candidate (10,000 at most
    # in the bench), and the stats read thousands of records (about 3x faster than json here).
    common = {"json_serializer": _json_text, "json_deserializer": orjson.loads}
    if database_url.startswith("sqlite"):
        # The driver's own transaction handling is switched off (isolation_level
        # None); configure_engine emits BEGIN itself.
        return common | {"connect_args": {"timeout": busy_timeout_ms / 1000, "isolation_level": None}}
    if database_url.startswith("postgresql"):
        # A lock wait longer than this becomes an error (answered 503), never a hang. No JIT:
        # our statements are short, and compiling one cost more than it saved (the stats of 7
        # days' first assignments: 75 ms with it, 50 without, measured at 1,000,000 contacts).
        return common | {
            "pool_pre_ping": True,
            "connect_args": {"options": f"-c lock_timeout={lock_timeout_ms} -c jit=off"},
        }
    return common


def _json_text(value) -> str:
    # Text, not bytes: SQLite would store bytes as a BLOB. Integer keys become strings, as json does.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


class WriterQueue:
    """Makes the SQLite writers of every process on this host wait in line, not in a sleep loop.

    SQLite's busy handler polls with sleeps that grow to 100 ms, so under load a
    waiting writer keeps losing the lock to whichever process polls at the right
    moment: waits of seconds (and 503s past the busy timeout) for a lock that is
    held a millisecond at a time. A blocking ``flock`` on a file next to the
    database wakes a waiter as soon as the holder lets go. The queue only orders
    writers; BEGIN IMMEDIATE, taken right after, still guards the data (and still
    excludes writers that bypass the queue, such as the sqlite3 shell). A writer
    that waited ``timeout`` seconds in line goes on to BEGIN IMMEDIATE anyway, whose
    own busy timeout then decides; a killed process leaves the line at once (the
    kernel drops its locks).
    """

    def __init__(self, path: str, timeout: float):
        self.path = path
        self.timeout = timeout

    def acquire(self) -> int | None:
        """A file descriptor holding the lock (close it to release), or None after the timeout."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return None  # no lock file (read-only folder?): SQLite's busy handler alone
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            pass
        except OSError:
            os.close(fd)
            return None
        return fd if self._wait_in_line(fd) else None

    def _wait_in_line(self, fd: int) -> bool:
        # flock has no timeout: a helper thread blocks in it while we wait with one.
        decided = threading.Lock()
        locked = threading.Event()
        gave_up = []

        def wait():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                return
            with decided:
                if not gave_up:
                    locked.set()
                    return
            os.close(fd)  # the requester left the line: pass the lock on

        threading.Thread(target=wait, name="sqlite-writer-queue", daemon=True).start()
        locked.wait(self.timeout)
        with decided:
            if locked.is_set():
                return True
            gave_up.append(True)
            return False


QUEUE_FD = "leadcrm_writer_queue_fd"


class unicode_lower(FunctionElement):  # noqa: N801 - named like the SQL function it is
    """``lower()`` that folds every alphabet on both backends, for case-insensitive search.

    SQLite's own ``lower()`` folds ASCII only ("Анна" stays "Анна"): there it is Python's
    ``str.lower``, registered on each connection. PostgreSQL's ``lower()`` follows the
    database's LC_CTYPE (any UTF-8 locale folds Cyrillic).
    """

    type = String()
    name = "unicode_lower"
    inherit_cache = True


@compiles(unicode_lower)
def _lower_elsewhere(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(unicode_lower, "sqlite")
def _lower_on_sqlite(element, compiler, **kw):
    return f"unicode_lower({compiler.process(element.clauses, **kw)})"


class on_sqlite_else(FunctionElement):  # noqa: N801 - a SQL condition, named like one
    """A condition written one way for SQLite and another for PostgreSQL, chosen when the
    statement is compiled: for the query builders, which know no session."""

    # Untyped: typed Boolean, SQLite would be sent "… IN (…) = 1", which no index serves.
    type = NullType()
    name = "on_sqlite_else"
    inherit_cache = True

    def __init__(self, on_sqlite, elsewhere):
        super().__init__(on_sqlite, elsewhere)


@compiles(on_sqlite_else)
def _elsewhere(element, compiler, **kw):
    return compiler.process(element.clauses.clauses[1], **kw)


@compiles(on_sqlite_else, "sqlite")
def _on_sqlite(element, compiler, **kw):
    return compiler.process(element.clauses.clauses[0], **kw)


def declared_by_the_models(name, type_, _parent_names) -> bool:
    """Alembic's ``include_name``: leaves out the lead search's index (migration 0018: SQLite's FTS5
    tables, PostgreSQL's trigram indexes), which SQL keeps, not the models."""
    return not (type_ == "table" and name.startswith("lead_search")
                or type_ == "index" and name.startswith("ix_leads_search"))


def _unicode_lower(text):
    return text.lower() if isinstance(text, str) else text


def configure_engine(engine: Engine, busy_timeout_ms: int, writer_queue: bool = True) -> None:
    """Install the per-connection settings that the concurrency guarantees rest on.

    ``writer_queue`` (setting ``SQLITE_WRITER_QUEUE``) lines SQLite writers up in a
    ``WriterQueue``; off, they wait in SQLite's own busy handler.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def set_sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)

    database = engine.url.database
    queue = None
    if writer_queue and database and database != ":memory:" and not database.startswith("file:"):
        queue = WriterQueue(f"{database}-writers.lock", busy_timeout_ms / 1000)

    @event.listens_for(engine, "begin")
    def begin_sqlite_transaction(connection):
        # SQLAlchemy's documented pysqlite recipe. A write transaction takes the
        # write lock at BEGIN (IMMEDIATE), so its reads - the count before the
        # pick - already run under the lock, and a busy database makes it wait
        # up to busy_timeout instead of failing on the upgrade later.
        if connection.get_execution_options().get(WRITE_OPTION):
            info = connection.connection.info
            if queue is not None and info.get(QUEUE_FD) is None:
                info[QUEUE_FD] = queue.acquire()
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    def leave_queue(_dbapi_connection, record, *_args):
        # The session hands its connection back to the pool right after COMMIT or
        # ROLLBACK: that is when the next writer in line may go.
        fd = record.info.pop(QUEUE_FD, None)
        if fd is not None:
            os.close(fd)

    for pool_event in ("checkin", "invalidate", "soft_invalidate", "close", "detach"):
        event.listen(engine, pool_event, leave_queue)


class NestedWriteError(RuntimeError):
    """A write transaction was asked for inside one that is already open."""


WRITING = "leadcrm_writing"


def real_session(session):
    # scoped_session proxies most, but not all, Session methods.
    return session() if isinstance(session, scoped_session) else session


@contextmanager
def write_transaction(session):
    """The unit of work: one write transaction, committed on success, rolled back on any error.

    Opened by the boundary - a view, a CLI command, a worker task - never by a
    domain function (those flush, never commit). On SQLite it starts with BEGIN
    IMMEDIATE, so every read inside already runs under the write lock; on
    PostgreSQL the distribution service takes its row locks inside it. A read
    transaction still open from the request's checks is ended first: nothing read
    there may be written back, so domain functions re-read what they change.
    Opening a second write inside the first would silently split one unit of work
    in two, so it is an error, as are changes left pending outside any write.
    """
    real = real_session(session)
    if real.info.get(WRITING):
        raise NestedWriteError("a write transaction is already open on this session")
    if real.new or real.dirty or real.deleted:
        raise NestedWriteError("changes were made outside a write transaction")
    if real.in_transaction():
        real.commit()  # only reads happened: ends the read transaction
    real.info[WRITING] = True
    try:
        real.connection(execution_options={WRITE_OPTION: True})
        yield real
        real.commit()
    except BaseException:
        real.rollback()
        raise
    finally:
        real.info.pop(WRITING, None)
