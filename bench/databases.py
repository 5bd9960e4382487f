"""Bench databases: fresh, migrated, with the floor's table, seeded through the app's own code."""

from __future__ import annotations

import random
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from bench.floor_app import create_floor_table
from tests.postgres import postgres_cluster
from webapp import create_app, directory
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import Operator, OperatorSourceWeight
from webapp.tokens import create_token

# Limits so high that every contact of a run gets an operator (the check allows any int >= 0).
HIGH_LIMIT = 10_000_000


@dataclass(frozen=True)
class IntakeTarget:
    database_url: str
    source_id: int
    token: str


class DatabaseFactory:
    """Hands out empty database URLs on one backend; PostgreSQL runs in a throwaway cluster."""

    def __init__(self, backend: str, directory_: Path, server_url: str | None = None):
        self.backend = backend
        self.directory = directory_
        self.server_url = server_url
        self._template: str | None = None

    def new_migrated(self, name: str) -> str:
        """A new database with the schema (and the floor table): migrated once, then copied."""
        if self._template is None:
            self._template = self.new("bench_template")
            migrate(self._template)
        if self.backend == "sqlite":
            url = self.new(name)
            shutil.copyfile(self._template.removeprefix("sqlite:///"), url.removeprefix("sqlite:///"))
            return url
        return self.new(name, template="bench_template")

    def new(self, name: str, template: str | None = None) -> str:
        if self.backend == "sqlite":
            path = self.directory / f"{name}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return f"sqlite:///{path}"
        engine = create_engine(f"{self.server_url}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            connection.execute(
                text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
            )
        engine.dispose()
        return f"{self.server_url}/{name}"


@contextmanager
def database_factory(backend: str, directory_: Path):
    """A DatabaseFactory; for PostgreSQL a cluster with durable commits (fsync on)."""
    if backend == "sqlite":
        yield DatabaseFactory("sqlite", directory_)
        return
    with postgres_cluster() as server_url:
        # tests/postgres.py starts the cluster with fsync=off (fast tests); a benchmark of
        # durable writes needs it on. fsync is reloadable, no restart needed.
        engine = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("ALTER SYSTEM SET fsync = on"))
            connection.execute(text("SELECT pg_reload_conf()"))
        engine.dispose()
        yield DatabaseFactory("postgresql", directory_, server_url)


@contextmanager
def app_on(database_url: str, *, with_floors: bool = False, **config):
    """The production app (plus the floors if asked) bound to `database_url`, in an app context."""
    from bench.floor_app import create_bench_app

    factory = create_bench_app if with_floors else create_app
    app = factory({"DATABASE_URL": database_url, "SECRET_KEY": "bench"} | config)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def migrate(database_url: str) -> None:
    """The app's migrations plus the floor table."""
    from flask_migrate import upgrade

    with app_on(database_url):
        upgrade()
        create_floor_table(db.engine)


def add_operators(
    session, count: int, *, prefix: str = "Bench operator", limit: int = HIGH_LIMIT
) -> list[int]:
    """Insert `count` active operators in one executemany; returns their ids in order."""
    names = [f"{prefix} {number}" for number in range(count)]
    session.execute(
        insert(Operator), [{"name": name, "max_active_contacts": limit, "status": "active"} for name in names]
    )
    session.commit()
    rows = (
        session.execute(
            Operator.__table__.select().with_only_columns(Operator.id).where(Operator.name.in_(names))
        )
        .scalars()
        .all()
    )
    return sorted(rows)


def seed_intake(
    database_url: str,
    operators: int = 10,
    *,
    max_weight: int = 1_000_000,
    seed: int = 5,
    name: str = "Bench",
    settings: dict | None = None,
) -> IntakeTarget:
    """A source with `operators` eligible weighted operators and a bot token of that source.
    `name` keeps the names unique when one database gets several such sources; `settings`
    are the source's routing settings (``directory.SOURCE_SETTINGS``), the defaults if None."""
    rng = random.Random(seed)
    with app_on(database_url):
        operator_ids = add_operators(db.session, operators, prefix=f"{name} operator")
        with write_transaction(db.session):
            source = directory.create_source(db.session, f"{name} source ({operators} operators)")
            if settings:
                directory.update_source(db.session, source.id, settings)
            db.session.execute(
                insert(OperatorSourceWeight),
                [
                    {"operator_id": operator_id, "source_id": source.id, "weight": rng.randint(1, max_weight)}
                    for operator_id in operator_ids
                ],
            )
            _row, token = create_token(db.session, "bench bot", source_id=source.id)
        return IntakeTarget(database_url, source.id, token)
