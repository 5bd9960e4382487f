"""A fake Telegram Bot API server on 127.0.0.1: just enough for a bot that polls and replies.

It answers getMe, deleteWebhook, getUpdates and sendMessage. Each update the test queues is
served once, whatever `offset` the bot sends: that is how a test redelivers an update, as
Telegram does to a bot that stopped before confirming it. sendMessage calls are recorded.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager, suppress

from aiohttp import web

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "CRM test bot", "username": "crm_test_bot"}


class FakeTelegram:
    def __init__(self):
        self.url = ""
        self.methods_called: list[str] = []
        self.sent: list[dict] = []
        self._queued_updates: list[dict] = []
        self._closing = False
        self._changed = asyncio.Condition()

    async def deliver(self, update: dict) -> None:
        """Queue an update for the bot's next getUpdates (or the one waiting now)."""
        async with self._changed:
            self._queued_updates.append(update)
            self._changed.notify_all()

    async def wait_for_sent(self, count: int, timeout: float = 20.0) -> list[dict]:
        """Block until the bot has sent ``count`` messages in all; TimeoutError after ``timeout``."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.sent) >= count), timeout)
        return self.sent

    async def close(self) -> None:
        """End any getUpdates still waiting, so the server can stop at once."""
        async with self._changed:
            self._closing = True
            self._changed.notify_all()

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.methods_called.append(method)
        answer = getattr(self, f"_{method}", None)
        if answer is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.json_response({"ok": True, "result": await answer(await request.post())})

    async def _getMe(self, fields) -> dict:  # noqa: N802 - named as the Bot API method
        return BOT_USER

    async def _deleteWebhook(self, fields) -> bool:  # noqa: N802
        return True

    async def _getUpdates(self, fields) -> list[dict]:  # noqa: N802
        """Long polling: wait up to the bot's `timeout` for an update, then answer what is queued."""
        async with self._changed:
            with suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self._queued_updates or self._closing),
                    float(fields.get("timeout", 0)),
                )
            served, self._queued_updates = self._queued_updates, []
        return served

    async def _sendMessage(self, fields) -> dict:  # noqa: N802
        chat_id = int(fields["chat_id"])
        async with self._changed:
            self.sent.append({"chat_id": chat_id, "text": fields["text"]})
            self._changed.notify_all()
            message_id = len(self.sent)
        chat = {"id": chat_id, "type": "private"}
        return {"message_id": message_id, "date": int(time.time()), "chat": chat, "text": fields["text"]}


@asynccontextmanager
async def fake_telegram():
    """Serve a FakeTelegram on a free port of 127.0.0.1; yields it, with ``url`` set."""
    telegram = FakeTelegram()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", telegram.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    telegram.url = f"http://{host}:{port}"
    try:
        yield telegram
    finally:
        await telegram.close()
        await runner.cleanup()
