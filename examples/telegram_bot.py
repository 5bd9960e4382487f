"""A Telegram bot that hands every message it receives to the Lead Distribution CRM.

Each message becomes one contact of the bot's source: `external_id` "tg:<user id>" (so one
Telegram user stays one lead), the user's name, and the text. The `Idempotency-Key`
"tg-<update id>" makes a redelivered update, or our own retry, come back as the first answer
instead of a second contact. The user is answered in their Telegram language (Russian or English).

Run it with a bot token from @BotFather and a source token of the CRM
(`flask --app wsgi create-token my-bot --source SOURCE_ID`):

    LEADCRM_URL=http://127.0.0.1:8000 LEADCRM_TOKEN=... TELEGRAM_BOT_TOKEN=123456:ABC... \\
        .venv/bin/python examples/telegram_bot.py

TELEGRAM_API_URL (optional) points the bot at another Bot API server, a local one or a fake.
It polls for updates (no public address needed) and stops on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass

import aiohttp
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.types import Message, Update, User

log = logging.getLogger("telegram_bot")

THANKS = {
    "en": "Thanks, a manager will contact you soon.",
    "ru": "Спасибо! Менеджер скоро свяжется с вами.",
}
SORRY = {
    "en": "Sorry, we could not take your message just now. Please try again in a few minutes.",
    "ru": "Извините, сейчас не получилось принять сообщение. Попробуйте, пожалуйста, через несколько минут.",
}

# The CRM's limits (docs/API.md): longer values would be a 422, so they are cut to fit.
MAX_NAME = 200
MAX_MESSAGE = 4000
# Waits before the second and third try. Only answers that may change on a retry are retried:
# no answer, 409 (the first try of this key is still running), 429 and 5xx.
RETRY_DELAYS = (1.0, 4.0)
CRM_TIMEOUT = aiohttp.ClientTimeout(total=10)
REQUIRED_SETTINGS = ("TELEGRAM_BOT_TOKEN", "LEADCRM_URL", "LEADCRM_TOKEN")


@dataclass(frozen=True)
class Config:
    """The bot's settings; telegram_api_url is None for Telegram's own server."""

    telegram_token: str
    crm_url: str
    crm_token: str
    telegram_api_url: str | None = None


def read_config(environ=os.environ) -> Config:
    """The settings from the environment; a missing one stops the bot with its name."""
    missing = [name for name in REQUIRED_SETTINGS if not environ.get(name)]
    if missing:
        raise SystemExit(f"Set {', '.join(missing)} (see the top of examples/telegram_bot.py).")
    return Config(
        telegram_token=environ["TELEGRAM_BOT_TOKEN"],
        crm_url=environ["LEADCRM_URL"],
        crm_token=environ["LEADCRM_TOKEN"],
        telegram_api_url=environ.get("TELEGRAM_API_URL") or None,
    )


class Crm:
    """The CRM's contact intake as a source token sees it: one POST, retried with the same key."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, token: str):
        self.http = http
        self.contacts_url = f"{base_url.rstrip('/')}/api/v1/contacts/"
        self.headers = {"Authorization": f"Bearer {token}"}

    async def store_contact(self, contact: dict, idempotency_key: str) -> bool:
        """True once the CRM holds the contact (from this call or an earlier one with the key)."""
        status = await self._post(contact, idempotency_key)
        for delay in RETRY_DELAYS:
            if not _worth_retrying(status):
                break
            await asyncio.sleep(delay)
            status = await self._post(contact, idempotency_key)
        return status is not None and 200 <= status < 300

    async def _post(self, contact: dict, idempotency_key: str) -> int | None:
        """The answer's status, or None when the CRM could not be reached."""
        headers = self.headers | {"Idempotency-Key": idempotency_key}
        try:
            async with self.http.post(self.contacts_url, json=contact, headers=headers) as response:
                if response.status >= 400:
                    log.warning(
                        "CRM answered %s for %s: %s", response.status, idempotency_key, await response.text()
                    )
                return response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("CRM unreachable for %s: %r", idempotency_key, error)
            return None


def _worth_retrying(status: int | None) -> bool:
    return status is None or status in (409, 429) or status >= 500


def contact_of(message: Message, user: User) -> dict:
    """The CRM contact for a message; the source comes from the token, so it is left out."""
    contact = {"external_id": f"tg:{user.id}", "name": user.full_name[:MAX_NAME]}
    text = message.text or message.caption
    if text:
        contact["message"] = text[:MAX_MESSAGE]
    return contact


def language_of(user: User) -> str:
    """Russian for "ru", "ru-RU" and the like; English for everyone else."""
    return "ru" if (user.language_code or "").lower().startswith("ru") else "en"


async def forward_message(message: Message, event_update: Update, crm: Crm) -> None:
    """Store the message as a contact, then tell the user whether that worked."""
    user = message.from_user
    stored = await crm.store_contact(contact_of(message, user), f"tg-{event_update.update_id}")
    replies = THANKS if stored else SORRY
    await message.answer(replies[language_of(user)])


def build_dispatcher() -> Dispatcher:
    """Every message with a sender goes to forward_message."""
    dispatcher = Dispatcher()
    # Telegram may leave the sender out (messages sent to channels): no user, no lead to make.
    dispatcher.message.register(forward_message, F.from_user)
    return dispatcher


def build_bot(config: Config) -> Bot:
    api = TelegramAPIServer.from_base(config.telegram_api_url) if config.telegram_api_url else PRODUCTION
    return Bot(config.telegram_token, session=AiohttpSession(api=api))


async def run(config: Config) -> None:
    """Poll Telegram and forward what arrives, until SIGINT or SIGTERM."""
    dispatcher = build_dispatcher()
    async with build_bot(config) as bot, aiohttp.ClientSession(timeout=CRM_TIMEOUT) as http:
        # getUpdates is refused while a webhook is set (say, by an earlier deployment).
        await bot.delete_webhook()
        await dispatcher.start_polling(bot, crm=Crm(http, config.crm_url, config.crm_token))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run(read_config()))


if __name__ == "__main__":
    main()
