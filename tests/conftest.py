"""Shared fixtures: a fresh migrated database per test, the app, clients, tokens, users.

The backend comes from LEADCRM_TEST_BACKEND: "sqlite" (default; a real file per
test, copied from one migrated template) or "postgresql" (a throwaway cluster
started for the run; tables emptied between tests).

One app-context policy, for every suite: the test's own code (builders, reads) runs
in the app context the ``app`` fixture holds for the whole test, and every request runs
in an app context of its own, as on a real server: a test-client request too (see
IsolatedClient), not only one to a live gunicorn. So no request shares ``g`` or the
database session with the test or with another request; the test sees what requests
committed once it ends its own read transaction (``db.session.rollback()``), and ends
it (``db.session.remove()``) before a live server works on the same database.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from tests.builders import make_token, make_user
from tests.postgres import postgres_cluster
from webapp import create_app
from webapp.extensions import db

BACKEND = os.environ.get("LEADCRM_TEST_BACKEND", "sqlite")
TRANSLATIONS = Path(__file__).resolve().parents[1] / "webapp" / "translations"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """The .po catalogs compiled in-process (as `make` does), so `pytest` alone works from a fresh clone."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as po:
            catalog = read_po(po, locale=po_path.parts[-3])
        with po_path.with_suffix(".mo").open("wb") as mo:
            write_mo(mo, catalog)


def pytest_report_header(config):
    return f"leadcrm backend: {BACKEND}"


def _migrate(database_url: str, instance_path) -> None:
    from flask_migrate import upgrade

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated, empty database made once per run: a file, or a PostgreSQL database."""
    if BACKEND == "postgresql":
        with postgres_cluster() as server_url:
            engine = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text("CREATE DATABASE leadcrm_test"))
            engine.dispose()
            url = f"{server_url}/leadcrm_test"
            _migrate(url, tmp_path_factory.mktemp("pg-instance"))
            yield url
        return
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _migrate(f"sqlite:///{path}", path.parent)
    yield str(path)


APPLICATION_TABLES = (
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
)


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(text(APPLICATION_TABLES)).scalars().all()
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(database_template, tmp_path):
    """The URL of an empty, migrated database for this test alone."""
    if BACKEND == "postgresql":
        _empty_postgres(database_template)
        return database_template
    path = tmp_path / "leadcrm.sqlite3"
    shutil.copyfile(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_config(database_url):
    """Overrides for create_app; a test module may extend it by overriding this fixture."""
    return {"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret"}


class IsolatedClient(FlaskClient):
    """Each request in an app context of its own, as on a real server.

    A request pushed while the ``app`` fixture's context is open would reuse it: ``g``
    (Flask-Login's cached user, Flask-WTF's token) and the database session would then
    leak between the test and its requests, and from one request into the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    return db.session


class ApiClient:
    """The Flask test client with a bearer token on every call."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, headers):
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return merged | (headers or {})

    def get(self, path, **kwargs):
        return self.client.get(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.client.post(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.client.put(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def delete(self, path, **kwargs):
        return self.client.delete(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.client.patch(
            path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )


@pytest.fixture
def admin_token(app):
    return make_token("test-admin", is_admin=True)[1]


@pytest.fixture
def api(client, admin_token):
    """An API client holding an admin token."""
    return ApiClient(client, admin_token)


def bot_api(client, source_id: int) -> ApiClient:
    """An API client holding a new bot token of ``source_id``."""
    return ApiClient(client, make_token(f"bot-{source_id}", source_id=source_id)[1])


# --- Dashboard users (the dashboard and browser suites sign them in) ---------------

PASSWORD = "correct horse battery"


@pytest.fixture
def supervisor_user(app):
    return make_user("sue", PASSWORD, "supervisor")


@pytest.fixture
def manager_user(app):
    return make_user("max", PASSWORD, "manager")
