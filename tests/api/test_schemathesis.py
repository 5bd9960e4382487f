"""Property-based conformance: schemathesis generates requests from our OpenAPI document.

Runs in-process against the app's WSGI callable, every check schemathesis has and 100
examples per operation with a fixed seed: with an admin token over every operation, and
with a source token over those its views declare bot_allowed. test_schemathesis_live.py
runs the same document from outside, against gunicorn, stateful phase included.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

from tests.builders import make_contact, make_operator, make_source, make_token
from tests.servers import ROOT
from webapp import create_app
from webapp.openapi import bot_operation_ids

# The rules of the contract that JSON Schema cannot state (a well-formed id that names no
# row is a 422, an oversized body a 413), shared with the live run and a hand-run `st run`.
CONFIG = schemathesis.Config.from_path(str(ROOT / "schemathesis.toml"))

load_all_checks()
# Every check schemathesis has (object_level_authorization, use_after_free, ignored_auth...).
ALL_CHECKS = CHECKS.get_all()


class AppProxy:
    """The WSGI app schemathesis calls; each test points it at its own app and database."""

    def __init__(self, app):
        self.app = app
        self.token = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


# The document depends on the routes only, so it is loaded once at import from an
# app without data; each test then points the proxy at its own app (fresh database).
# Schemathesis's from_fixture() loader needs pytest's private Item._nodeid, which
# pytest 9 no longer has.
PROXY = AppProxy(create_app({"DATABASE_URL": "sqlite://", "TESTING": True, "SECRET_KEY": "doc"}))
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", PROXY, config=CONFIG)
BOT_OPERATIONS = bot_operation_ids(PROXY.app)


def not_for_bots(context) -> bool:
    return context.operation.definition.raw["operationId"] not in BOT_OPERATIONS


@schema.auth(refresh_interval=None)
class AdminToken:
    """The admin token of the current test, so schemathesis knows which header is the auth one."""

    def get(self, case, context):
        return PROXY.token

    def set(self, case, token, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


@pytest.fixture
def seeded(app, admin_token):
    """The current app, with contacts of a weighted source; returns that source."""
    PROXY.app, PROXY.token = app, admin_token
    anna, boris = make_operator("Anna", limit=50), make_operator("Boris", limit=2)
    telegram = make_source("Telegram", weights={anna: 1, boris: 2})
    for _ in range(3):
        make_contact(telegram)
    return telegram


@schema.parametrize()
@settings(max_examples=100, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, seeded):
    case.call_and_validate(checks=ALL_CHECKS)


@pytest.fixture
def seeded_for_a_bot(seeded):
    # Contacts of another source, so that reading them must be refused.
    widget = make_source("Widget")
    make_contact(widget)
    PROXY.token = make_token("bot", source_id=seeded.id)[1]
    return seeded


# exclude, not include(operation_id=...): with [[operations]] in the config, schemathesis
# 4.32 adds an include filter of its own that matches every operation.
@schema.exclude(func=not_for_bots).parametrize()
@settings(max_examples=100, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_bot_endpoints_conform_with_a_bot_token(case, seeded_for_a_bot):
    case.call_and_validate(checks=ALL_CHECKS)
