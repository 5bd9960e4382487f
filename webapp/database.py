"""Engine settings per backend and the one way to start a write transaction."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import scoped_session

WRITE_OPTION = "leadcrm_write"


def engine_options(database_url: str, busy_timeout_ms: int, lock_timeout_ms: int) -> dict:
    """SQLAlchemy engine options for the configured database."""
    if database_url.startswith("sqlite"):
        # The driver's own transaction handling is switched off (isolation_level
        # None); configure_engine emits BEGIN itself.
        return {"connect_args": {"timeout": busy_timeout_ms / 1000, "isolation_level": None}}
    if database_url.startswith("postgresql"):
        # A lock wait longer than this becomes an error (answered 503), never a hang.
        return {
            "pool_pre_ping": True,
            "connect_args": {"options": f"-c lock_timeout={lock_timeout_ms}"},
        }
    return {}


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    """Install the per-connection settings that the concurrency guarantees rest on."""
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

    @event.listens_for(engine, "begin")
    def begin_sqlite_transaction(connection):
        # SQLAlchemy's documented pysqlite recipe. A write transaction takes the
        # write lock at BEGIN (IMMEDIATE), so its reads - the count before the
        # pick - already run under the lock, and a busy database makes it wait
        # up to busy_timeout instead of failing on the upgrade later.
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def begin_write(session) -> None:
    """End any read transaction and start a write transaction on ``session``.

    Call it before the first read of a unit of work that will write. On SQLite it
    becomes BEGIN IMMEDIATE; on PostgreSQL a plain transaction, whose row locks
    are taken by the distribution service.
    """
    # scoped_session proxies most, but not all, Session methods.
    real_session = session() if isinstance(session, scoped_session) else session
    if real_session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_OPTION: True})
