"""Telegram through aiogram 3: updates in as :class:`Inbound`, outbox rows out as Bot API calls.

Nothing here decides anything: an ``if role == …`` in this file would be in the wrong room.
"""

from __future__ import annotations

from . import lazy_aiogram  # noqa: F401  (before aiogram itself: see there)

# isort: split
import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatType, ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import Response
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    File,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)

from handlers.events import Inbound, IncomingMedia
from storage.files import MediaStore
from storage.models import Outbox
from storage.repos.messaging import BULK

from .outbox import SendResult

log = logging.getLogger(__name__)

# aiogram reads every answer of the Bot API as ``Response[<the method's type>]``. pydantic
# keeps such a parametrised class only while something holds it, so without these the
# garbage collector dropped it between calls and each call built the class anew (in the
# benchmark's profile: 6 % of the service's time).
RESPONSE_TYPES = (Response[Message], Response[bool], Response[list[Update]], Response[User],
                  Response[File])

Process = Callable[[Inbound], Awaitable[bool]]

# Bot API calls made while an update is handled get short timeouts (aiogram's default is 60 s,
# during which the chat — on SQLite every chat — would wait).
ACK_TIMEOUT = 5  # answerCallbackQuery: only stops the button's spinner
GET_FILE_TIMEOUT = 10
DOWNLOAD_TIMEOUT = 30


def make_bot(token: str, api_url: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(token=token, session=session,
               default=DefaultBotProperties(parse_mode=ParseMode.HTML,
                                            link_preview_is_disabled=True))


def make_dispatcher(process: Process, clock: Callable[[], datetime] | None = None) -> Dispatcher:
    """A dispatcher whose only job is to turn updates into :class:`Inbound` for ``process``.

    ``clock`` stamps each event (tests pass their own; the service uses the real time)."""
    now = clock or (lambda: datetime.now(UTC))
    router = Router(name="synaq")
    acknowledging: set[asyncio.Task[None]] = set()

    def acknowledge(query: CallbackQuery, bot: Bot) -> None:
        """Stop the button's spinner without waiting for Telegram: a slow or hung answer
        must not hold up this update or the next."""
        task = asyncio.create_task(_answer_query(bot, query))
        acknowledging.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(acknowledging.discard)

    @router.message()
    async def on_message(message: Message, bot: Bot, event_update: Update) -> None:
        if message.chat.type != ChatType.PRIVATE or message.from_user is None:
            return  # Synaq talks to people one to one; group chats are ignored
        await process(message_inbound(message, bot, event_update.update_id, now()))

    @router.callback_query()
    async def on_callback(query: CallbackQuery, bot: Bot, event_update: Update) -> None:
        chat = query.message.chat if query.message else None
        acknowledge(query, bot)
        if chat is not None and chat.type != ChatType.PRIVATE:
            return
        await process(Inbound(
            channel="telegram", address=str(chat.id if chat else query.from_user.id),
            received_at=now(), external_id=f"{bot.id}:{event_update.update_id}",
            callback=query.data or "", language_hint=query.from_user.language_code,
        ))

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def _answer_query(bot: Bot, query: CallbackQuery) -> None:
    try:
        await bot(query.answer(), request_timeout=ACK_TIMEOUT)
    except Exception as exc:  # too old, hung, refused: the reply goes out all the same
        log.info("could not answer callback query %s: %s", query.id, type(exc).__name__)


def message_inbound(message: Message, bot: Bot, update_id: int, at: datetime) -> Inbound:
    media: list[IncomingMedia] = []
    unsupported = False

    def fetcher(file_id: str) -> Callable[[], Awaitable[bytes]]:
        async def fetch() -> bytes:
            file = await bot.get_file(file_id, request_timeout=GET_FILE_TIMEOUT)
            assert file.file_path is not None
            buffer = await bot.download_file(file.file_path, timeout=DOWNLOAD_TIMEOUT)
            assert buffer is not None
            return buffer.read()
        return fetch

    if message.photo:
        best = message.photo[-1]  # the largest size
        media.append(IncomingMedia("photo", "image/jpeg", best.file_size, fetcher(best.file_id)))
    elif message.document:
        doc = message.document
        kind = "photo" if (doc.mime_type or "").startswith("image/") else "document"
        media.append(IncomingMedia(kind, doc.mime_type or "application/octet-stream",
                                   doc.file_size, fetcher(doc.file_id), doc.file_name))
    elif message.voice:
        media.append(IncomingMedia("voice", message.voice.mime_type or "audio/ogg",
                                   message.voice.file_size, fetcher(message.voice.file_id)))
    elif message.audio:
        media.append(IncomingMedia("voice", message.audio.mime_type or "audio/mpeg",
                                   message.audio.file_size, fetcher(message.audio.file_id)))
    elif message.video:
        media.append(IncomingMedia("video", message.video.mime_type or "video/mp4",
                                   message.video.file_size, fetcher(message.video.file_id)))
    elif message.text is None:
        unsupported = True  # stickers, locations, contacts, polls…
    user = message.from_user
    return Inbound(
        channel="telegram", address=str(message.chat.id), received_at=at,
        external_id=f"{bot.id}:{update_id}", text=message.text or message.caption,
        media=tuple(media), language_hint=user.language_code if user else None,
        unsupported=unsupported,
    )


class TelegramSender:
    """Sends one outbox payload with one Bot API call."""

    channel = "telegram"

    def __init__(self, bot: Bot, media: MediaStore, paid_broadcast: bool = False) -> None:
        self.bot = bot
        self.media = media
        self.paid_broadcast = paid_broadcast

    async def send_row(self, row: Outbox) -> SendResult:
        # TELEGRAM_PAID_BROADCAST: routine bulk may go beyond the free 30 a second, paid.
        return await self.send(row.address, row.payload,
                               paid=self.paid_broadcast and row.priority == BULK)

    async def send(self, address: str, payload: dict[str, Any], paid: bool = False) -> SendResult:
        text = payload.get("text") or ""
        extra: dict[str, Any] = {"allow_paid_broadcast": True} if paid else {}
        markup = _keyboard(payload.get("buttons") or [])
        attachments = payload.get("attachments") or []
        try:
            if attachments:
                a = attachments[0]
                file = BufferedInputFile(self.media.read(a["key"]),
                                         filename=a.get("name") or a["key"].rsplit("/", 1)[-1])
                if a["kind"] == "photo":
                    sent = await self.bot.send_photo(int(address), file, caption=text or None,
                                                     reply_markup=markup, **extra)
                else:
                    sent = await self.bot.send_document(int(address), file,
                                                        caption=text or None, reply_markup=markup,
                                                        **extra)
            else:
                sent = await self.bot.send_message(int(address), text, reply_markup=markup,
                                                   **extra)
        except TelegramRetryAfter as exc:
            return SendResult(ok=False, retry_after=float(exc.retry_after), error="429")
        except TelegramForbiddenError as exc:
            return SendResult(ok=False, unreachable=True, error=f"403: {exc.message}")
        except TelegramNotFound as exc:
            return SendResult(ok=False, unreachable=True, error=f"404: {exc.message}")
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message.lower():
                return SendResult(ok=False, unreachable=True, error=f"400: {exc.message}")
            return SendResult(ok=False, error=f"400: {exc.message}")
        except (TelegramServerError, TelegramNetworkError) as exc:
            return SendResult(ok=False, transient=True, error=type(exc).__name__)
        except FileNotFoundError:
            return SendResult(ok=False, error="attachment file is missing")
        return SendResult(ok=True, external_id=str(sent.message_id))


def _keyboard(rows: list[list[list[str]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=label, callback_data=data) for label, data in row]
        for row in rows if row
    ])
