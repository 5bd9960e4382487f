"""Lead Distribution CRM: the application factory."""

import os

from flask import Flask

from webapp import webhooks
from webapp.config import Config, default_database_url, ensure_secret_key, load_environment
from webapp.database import configure_engine, declared_by_the_models, engine_options
from webapp.extensions import csrf, db, limiter, migrate
from webapp.i18n import init_i18n
from webapp.ids import IdConverter
from webapp.presentation import register_template_helpers
from webapp.private_files import create_sqlite_file

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(test_config=None):
    """Build the app: configuration, extensions, blueprints, error handlers, commands."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    configure(app, test_config)
    # Before any route is added: every <int:...> of the dashboard and the API is an id.
    app.url_map.converters["int"] = IdConverter
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def configure(app, test_config):
    app.config.from_object(Config)
    app.config.from_pyfile("config.py", silent=True)
    load_environment(app.config)
    if test_config:
        app.config.update(test_config)
    ensure_secret_key(app.config, app.instance_path)
    url = app.config["DATABASE_URL"] or default_database_url(app.instance_path)
    create_sqlite_file(url, app.instance_path)  # 0600 (with its -wal and -shm), before SQLite makes it 0644
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        url, app.config["SQLITE_BUSY_TIMEOUT_MS"], app.config["PG_LOCK_TIMEOUT_MS"]
    )
    app.config["MAX_CONTENT_LENGTH"] = app.config["API_MAX_BODY_BYTES"]


def register_extensions(app):
    db.init_app(app)
    webhooks.install(db.session.session_factory.class_)  # the outbox, written with each change
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"], app.config["SQLITE_WRITER_QUEUE"])
    migrate.init_app(
        app, db, directory=MIGRATIONS_DIR, render_as_batch=True, include_name=declared_by_the_models
    )
    csrf.init_app(app)
    limiter.init_app(app)
    init_i18n(app)


def register_blueprints(app):
    from webapp.blueprints import (
        auth,
        availability,
        board,
        contact,
        leads,
        operators,
        overview,
        settings,
        sources,
        users,
    )
    from webapp.blueprints.api import bp as api_bp
    from webapp.blueprints.meta import bp as meta_bp
    from webapp.security import init_security

    app.register_blueprint(meta_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)
    init_security(app)  # headers on every response, Flask-Login
    dashboards = (auth, overview, board, contact, operators, availability, sources, settings, leads, users)
    for dashboard in dashboards:
        app.register_blueprint(dashboard.bp)
    from webapp.blueprints import sandbox  # a source's "try it" mode and its weight plans

    app.register_blueprint(sandbox.bp)


def register_error_handlers(app):
    from webapp.error_handlers import register_error_handlers

    register_error_handlers(app)


def register_commands(app):
    from webapp.commands import bp as commands_bp
    from webapp.worker import bp as worker_bp

    app.register_blueprint(commands_bp)
    app.register_blueprint(worker_bp)
