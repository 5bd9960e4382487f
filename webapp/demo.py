"""Demo data for a first start: a believable small call centre."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select

from webapp import directory, distribution, intake, tokens, users
from webapp.models import Source

DEMO_SUPERVISOR = "supervisor"
DEMO_ACTOR = distribution.Actor("system", "demo data")
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
MESSAGES = [
    "Need a quote for 20 units",
    "When can you deliver?",
    "Is there a discount for schools?",
    "Please call me back",
    "Do you ship abroad?",
    None,
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
    operators = {
        name: directory.create_operator(session, name, limit, status).id for name, limit, status in OPERATORS
    }
    source_ids = []
    for name, description, weights in SOURCES:
        source = directory.create_source(session, name, description)
        directory.replace_weights(session, source.id, [(operators[op], w) for op, w in weights.items()])
        source_ids.append(source.id)
    _seed_contacts(session, source_ids)
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


def _seed_contacts(session, source_ids: list[int]) -> None:
    # Enough contacts that WhatsApp (one operator, limit 4) leaves some waiting.
    for number in range(36):
        source_id = source_ids[number % len(source_ids)]
        fields = intake.ContactFields(
            source_id=source_id,
            external_id=f"demo-{number % 24:03d}",
            name=f"Customer {number % 24 + 1}",
            phone=f"+7 900 000-{number % 24:04d}",
            message=MESSAGES[number % len(MESSAGES)],
        )
        intake.receive_contact(session, fields, DEMO_ACTOR)
