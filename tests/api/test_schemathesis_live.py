"""The OpenAPI document checked from outside: schemathesis's CLI against a live gunicorn.

What a client sees is what is checked: `st run .../api/v1/openapi.json --checks all`,
every phase (the stateful one included), once with an admin token over every operation
and once with a source token over the operations a source token may call (those its
views declare with ``operation(..., bot_allowed=True)``). A fixed seed and a bounded
number of examples keep the run repeatable and under a minute per token. The rules
of the contract that JSON Schema cannot state live in schemathesis.toml at the root, which
a hand-run `st run` from there reads too.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.builders import make_contact, make_operator, make_source, make_token
from tests.servers import ROOT, gunicorn_server
from webapp.extensions import db
from webapp.openapi import bot_operation_ids

ST = str(Path(sys.executable).with_name("st"))
CONFIG = ROOT / "schemathesis.toml"
SEED = 8
MAX_EXAMPLES = 100
# Far above a run's minute; only a hung server would reach it.
RUN_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class LiveApi:
    base_url: str
    log_path: str
    admin_token: str
    bot_token: str


@pytest.fixture
def live_api(app, database_url):
    """gunicorn (two workers) on a database with weighted operators, contacts and both token kinds."""
    anna, boris = make_operator("Anna", limit=50), make_operator("Boris", limit=2)
    telegram = make_source("Telegram", weights={anna: 1, boris: 2})
    for _ in range(3):
        make_contact(telegram)
    # A contact of another source: what a Telegram token must not read.
    make_contact(make_source("Widget"))
    admin_token = make_token("schemathesis-admin", is_admin=True)[1]
    bot_token = make_token("schemathesis-bot", source_id=telegram.id)[1]
    db.session.remove()  # no transaction of ours stays open while the server works
    with gunicorn_server(database_url, workers=2, env={"SECRET_KEY": "schemathesis-live"}) as (url, process):
        yield LiveApi(url, process.log_path, admin_token, bot_token)


def run_schemathesis(live: LiveApi, token: str, workdir: Path, operation_ids=()):
    """`st run` with every check and phase; its replay cache goes to ``workdir``, not the repository."""
    command = [
        ST,
        "--config-file",
        str(CONFIG),
        "run",
        f"{live.base_url}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        # Examples found by earlier runs would make this one depend on them.
        "--generation-database",
        "none",
        "--no-color",
    ]
    for operation_id in sorted(operation_ids):
        command += ["--include-operation-id", operation_id]
    return subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, check=False
    )


def assert_no_failures(result: subprocess.CompletedProcess, live: LiveApi) -> None:
    report = f"{result.stdout}\n{result.stderr}\n--- gunicorn log ---\n{Path(live.log_path).read_text()}"
    assert result.returncode == 0, report
    assert "✅ Stateful" in result.stdout, report  # the stateful phase ran and passed


def test_admin_token_finds_the_document_true(live_api, tmp_path):
    result = run_schemathesis(live_api, live_api.admin_token, tmp_path)
    assert_no_failures(result, live_api)
    assert re.search(r"(\d+) selected / \1 total", result.stdout), result.stdout


def test_source_token_finds_the_document_true(live_api, app, tmp_path):
    bot_operations = bot_operation_ids(app)
    result = run_schemathesis(live_api, live_api.bot_token, tmp_path, bot_operations)
    assert_no_failures(result, live_api)
    assert f"{len(bot_operations)} selected /" in result.stdout
