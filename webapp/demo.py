"""Demo data for a first start: a believable small call centre."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select

from webapp import demo_history, directory, tokens, users
from webapp.clock import replaying_at
from webapp.models import Source

DEMO_SUPERVISOR = "supervisor"
DEMO_MANAGER = "manager"
# The demo call centre works in Moscow; its users see Moscow time (a deployment default is UTC).
DEMO_TIMEZONE = "Europe/Moscow"

OPERATORS = [  # name, limit, status
    ("Anna", 14, "active"),
    ("Boris", 10, "active"),
    ("Vera", 8, "inactive"),
    ("Gleb", 8, "active"),
    ("Dina", 4, "active"),
]
SOURCES = [  # name, description, {operator: weight}
    ("Telegram bot", "Leads from the Telegram sales bot", {"Anna": 3, "Boris": 5, "Vera": 2}),
    ("Site widget", "The chat widget on the website", {"Anna": 1, "Gleb": 2}),
    ("WhatsApp", "WhatsApp Business number", {"Dina": 1}),
]
@dataclass(frozen=True)
class DemoCredentials:
    supervisor_password: str
    manager_password: str
    admin_token: str
    bot_token: str
    bot_source_id: int

    def as_text(self) -> str:
        return (
            f"Dashboard login (supervisor): {DEMO_SUPERVISOR} / {self.supervisor_password}\n"
            f"Dashboard login (manager): {DEMO_MANAGER} / {self.manager_password}\n"
            f"Demo admin token: {self.admin_token}\n"
            f"Demo bot token (source {self.bot_source_id}, Telegram bot): {self.bot_token}\n"
        )


def has_data(session) -> bool:
    return session.execute(select(func.count()).select_from(Source)).scalar_one() > 0


def seed(session) -> DemoCredentials:
    """Create the demo rows and return the credentials to show once. Caller commits."""
    with replaying_at(demo_history.month_start()):  # the call centre exists before its history
        operators = {name: directory.create_operator(session, name, limit, status).id
                     for name, limit, status in OPERATORS}
        source_ids = []
        for name, description, weights in SOURCES:
            source = directory.create_source(session, name, description)
            directory.replace_weights(session, source.id, [(operators[op], w) for op, w in weights.items()])
            source_ids.append(source.id)
    _seed_history(session, source_ids, operators)
    # A password each: knowing the manager's must not give a supervisor's rights.
    passwords = {DEMO_SUPERVISOR: secrets.token_urlsafe(9), DEMO_MANAGER: secrets.token_urlsafe(9)}
    for username, role in ((DEMO_SUPERVISOR, "supervisor"), (DEMO_MANAGER, "manager")):
        user = users.create_user(session, username, passwords[username], role)
        users.set_preferences(session, user.id, timezone=DEMO_TIMEZONE)
    _row, admin_token = tokens.create_token(session, "demo-admin", is_admin=True)
    _row, bot_token = tokens.create_token(session, "demo-telegram-bot", source_id=source_ids[0])
    return DemoCredentials(
        passwords[DEMO_SUPERVISOR], passwords[DEMO_MANAGER], admin_token, bot_token, source_ids[0]
    )


def _seed_history(session, source_ids: list[int], operators: dict[str, int]) -> None:
    """Thirty days of traffic through the real intake, with the month's events (webapp.demo_history)."""
    sources = {name: source_id for (name, _d, _w), source_id in zip(SOURCES, source_ids, strict=True)}
    statuses = {name: status for name, _limit, status in OPERATORS}
    demo_history.replay_month(session, sources, operators, statuses, random.Random(2026))
