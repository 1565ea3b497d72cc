"""aiogram's Bot API models are built when first used (bot/lazy_aiogram.py), and they then
validate exactly as aiogram's own import builds them."""

from __future__ import annotations

import subprocess
import sys

CHECK = r"""
import bot.telegram  # what imports aiogram in the service
from aiogram.methods import SendMessage
from aiogram.methods.base import Response
from aiogram.types import (InlineKeyboardButton, InlineKeyboardMarkup, Message, PassportData,
                           Update)
from pydantic import ValidationError

assert not PassportData.__pydantic_complete__  # never used here: never built
update = Update.model_validate({"update_id": 7, "message": {
    "message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
    "from": {"id": 5, "is_bot": False, "first_name": "A"}, "text": "hi",
    "reply_to_message": {"message_id": 2, "date": 0, "chat": {"id": 5, "type": "private"},
                         "photo": [{"file_id": "f", "file_unique_id": "u",
                                    "width": 1, "height": 1}]}}})
assert update.message.text == "hi" and update.message.reply_to_message.photo[0].width == 1
assert isinstance(update.message, Message)
SendMessage(chat_id=5, text="x", reply_markup=InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="a", callback_data="b")]]))
sent = Response[Message].model_validate(
    {"ok": True, "result": {"message_id": 3, "date": 0, "chat": {"id": 5, "type": "private"}}})
assert sent.result.chat.id == 5
try:
    Update.model_validate({"update_id": "not a number"})
except ValidationError:
    print("ok")
"""


def test_models_are_built_on_first_use_and_validate_as_before():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
