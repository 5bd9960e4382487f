"""examples/telegram_bot.py as a user runs it, between a fake Telegram and the real app.

The app runs on gunicorn; the fake Bot API server runs in this test's event loop on
127.0.0.1; the bot is the example script in its own process, configured from the
environment as the README shows, and stopped with SIGTERM.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import os
import signal
import subprocess
import sys
import time
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from tests.builders import make_operator, make_source, make_token
from tests.examples.fake_telegram import fake_telegram
from tests.postgres import free_port
from tests.servers import ROOT, gunicorn_server
from webapp.extensions import db
from webapp.models import Contact

BOT_SCRIPT = ROOT / "examples" / "telegram_bot.py"
THANKS_EN = "Thanks, a manager will contact you soon."
THANKS_RU = "Спасибо! Менеджер скоро свяжется с вами."
SORRY_EN = "Sorry, we could not take your message just now. Please try again in a few minutes."
SORRY_RU = "Извините, сейчас не получилось принять сообщение. Попробуйте, пожалуйста, через несколько минут."

IVAN = {"id": 555001, "is_bot": False, "first_name": "Иван", "last_name": "Петров", "language_code": "ru"}
ANNA = {"id": 555002, "is_bot": False, "first_name": "Anna", "language_code": "en"}
KLAUS = {"id": 555003, "is_bot": False, "first_name": "Klaus", "language_code": "de"}


def message_update(update_id: int, user: dict, text: str) -> dict:
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    message = {"message_id": update_id, "date": int(time.time()), "chat": chat, "from": user, "text": text}
    return {"update_id": update_id, "message": message}


@pytest.fixture
def crm(app, database_url):
    """The app on gunicorn with a Telegram source and an operator; yields (url, source token)."""
    operator = make_operator("Olga", limit=10)
    source = make_source("Telegram", weights={operator: 1})
    token = make_token("telegram-bot", source_id=source.id)[1]
    with gunicorn_server(database_url, workers=1, env={"SECRET_KEY": "x"}) as (url, _process):
        yield url, token


def contacts_in_crm() -> list[tuple]:
    """(external_id, name, message, assigned) of every stored contact, read afresh."""
    contacts = db.session.scalars(select(Contact).order_by(Contact.id)).all()
    rows = [(c.lead.external_id, c.lead.name, c.message, c.operator_id is not None) for c in contacts]
    db.session.remove()  # the next read starts a new transaction and sees the bot's later writes
    return rows


@asynccontextmanager
async def bot_process(environment: dict, log_path):
    """The example bot, run as the README says; stopped with SIGTERM, which it must obey."""
    with open(log_path, "wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(BOT_SCRIPT),
            cwd=ROOT,
            env=os.environ | environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        except TimeoutError as error:
            raise AssertionError(
                f"the bot did not answer in time; its log:\n{log_path.read_text()}"
            ) from error
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
    assert process.returncode == 0, log_path.read_text()


def run_bot(crm, tmp_path, scenario, crm_token=None):
    """Run ``scenario(telegram)`` while the bot polls a fake Telegram; returns the fake."""
    url, token = crm

    async def talk():
        async with fake_telegram() as telegram:
            environment = {
                "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
                "TELEGRAM_API_URL": telegram.url,
                "LEADCRM_URL": url,
                "LEADCRM_TOKEN": crm_token or token,
            }
            async with bot_process(environment, tmp_path / "bot.log"):
                await scenario(telegram)
        return telegram

    # The browser tests' Playwright keeps an event loop running in the main thread for the
    # whole session, so the bot's loop gets a thread of its own (with this test's app context).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(contextvars.copy_context().run, asyncio.run, talk()).result()


def test_a_message_becomes_one_contact_and_its_redelivery_no_second(crm, tmp_path):
    update = message_update(1001, IVAN, "Нужна консультация по тарифам")
    after_first_delivery = []

    async def scenario(telegram):
        await telegram.deliver(update)
        await telegram.wait_for_sent(1)
        after_first_delivery.extend(contacts_in_crm())
        # Telegram sends an update again when the bot did not confirm it (a restart, a lost answer).
        await telegram.deliver(update)
        await telegram.wait_for_sent(2)

    telegram = run_bot(crm, tmp_path, scenario)

    assert after_first_delivery == [("tg:555001", "Иван Петров", "Нужна консультация по тарифам", True)]
    assert contacts_in_crm() == after_first_delivery
    assert telegram.sent == [{"chat_id": IVAN["id"], "text": THANKS_RU}] * 2
    assert {"getMe", "deleteWebhook", "getUpdates"} <= set(telegram.methods_called)


def test_each_user_is_thanked_in_their_language(crm, tmp_path):
    async def scenario(telegram):
        await telegram.deliver(message_update(2001, ANNA, "Do you ship to Riga?"))
        await telegram.deliver(message_update(2002, IVAN, "Здравствуйте"))
        await telegram.wait_for_sent(2)

    telegram = run_bot(crm, tmp_path, scenario)

    assert sorted(contacts_in_crm()) == [
        ("tg:555001", "Иван Петров", "Здравствуйте", True),
        ("tg:555002", "Anna", "Do you ship to Riga?", True),
    ]
    assert sorted(telegram.sent, key=lambda sent: sent["chat_id"]) == [
        {"chat_id": IVAN["id"], "text": THANKS_RU},
        {"chat_id": ANNA["id"], "text": THANKS_EN},
    ]


def test_a_refused_message_gets_a_polite_answer_and_stores_nothing(crm, tmp_path):
    async def scenario(telegram):
        await telegram.deliver(message_update(3001, KLAUS, "Guten Tag"))
        await telegram.wait_for_sent(1)

    # An unknown token is a 401, which no retry can mend: the bot answers at once.
    telegram = run_bot(crm, tmp_path, scenario, crm_token="not-a-token")

    assert contacts_in_crm() == []
    assert telegram.sent == [{"chat_id": KLAUS["id"], "text": SORRY_EN}]


def test_while_the_crm_is_down_the_bot_retries_then_apologises(tmp_path):
    nobody_listens = f"http://127.0.0.1:{free_port()}"

    async def scenario(telegram):
        await telegram.deliver(message_update(4001, IVAN, "Алло?"))
        await telegram.wait_for_sent(1)

    # The bot's own back-off between its three tries takes about 5 s.
    telegram = run_bot((nobody_listens, "any-token"), tmp_path, scenario)

    assert telegram.sent == [{"chat_id": IVAN["id"], "text": SORRY_RU}]
    assert (tmp_path / "bot.log").read_text().count("CRM unreachable for tg-4001") == 3
