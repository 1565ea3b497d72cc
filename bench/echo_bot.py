"""A bare aiogram echo bot: the yardstick for the service's throughput.

aiogram's defaults (polling, every update handled as a task of its own), no database, one
``sendMessage`` per update. Run: ``TELEGRAM_BOT_TOKEN=… TELEGRAM_API_URL=… python -m
bench.echo_bot``.
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
    bot = Bot(os.environ["TELEGRAM_BOT_TOKEN"], session=session)
    dispatcher = Dispatcher()

    @dispatcher.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @dispatcher.callback_query()
    async def echo_button(query: CallbackQuery) -> None:
        if query.message is not None:
            await bot.send_message(query.message.chat.id, query.data or "")

    await dispatcher.start_polling(bot)


if __name__ == "__main__":
    asyncio.run(main())
