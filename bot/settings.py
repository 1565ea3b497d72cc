"""One settings object, read from the environment and ``.env`` (see ``.env.example``)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.context import Config


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///data/synaq.db"

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # Overall sending rate per bot; Telegram allows about 30 messages a second. Shared by
    # every process of the bot through the database on PostgreSQL.
    telegram_rate: float = Field(default=29.0, gt=0)
    # Routine timed bulk as Telegram paid broadcast (allow_paid_broadcast: 0.1 Star a message
    # beyond the free limit, billed to the bot's Star balance), at up to this rate.
    telegram_paid_broadcast: bool = False
    telegram_paid_rate: float = Field(default=1000.0, gt=0)

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_whatsapp_from: str | None = None
    twilio_api_url: str | None = None
    # The WhatsApp sender's throughput: Twilio's default is 80 messages a second.
    whatsapp_rate: float = Field(default=80.0, gt=0)
    # Approved Content templates for WhatsApp messages outside the 24-hour window, per
    # purpose and language (TOML; bot/whatsapp_templates.py, README "WhatsApp").
    whatsapp_templates_file: Path | None = None

    public_base_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8080

    timezone: str = "Asia/Almaty"
    default_locale: str = "kk"
    quiet_hours: str = "21:00-08:00"
    # Timed work: overrides of the timeline (handlers/schedule/reminders.py), how late a missed
    # reminder may still go out, the digest's local time, the days quarters start on.
    reminders: str = ""
    reminder_catch_up_hours: float = Field(default=12, gt=0)
    digest_at: str = "08:00"
    quarter_starts: str = "01-01,04-01,07-01,10-01"
    media_dir: Path = Path("data/media")
    # Privacy (README "Privacy"): a deletion request is carried out within this many days;
    # media and free text are kept until RETENTION ("school-year+N": the end of the N-th
    # school year after the one they were made in, a school year ending 31 May; or "Nd");
    # message texts for MESSAGE_TEXT_DAYS.
    deletion_days: int = Field(default=30, ge=1)
    retention: str = "school-year+2"
    message_text_days: int = Field(default=30, ge=1)
    invite_ttl_days: int = Field(default=30, ge=1)
    max_upload_mb: int = Field(default=20, ge=1)
    log_level: str = "INFO"

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        if not re.fullmatch(r"\d\d:\d\d-\d\d:\d\d", value):
            raise ValueError("QUIET_HOURS must look like 21:00-08:00")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from .zones import check_zone_data

        check_zone_data(value)  # refuses zone data older than Kazakhstan's UTC+5 (2024a)
        return value

    @field_validator("reminders")
    @classmethod
    def _reminders(cls, value: str) -> str:
        from handlers.schedule.reminders import parse_overrides

        parse_overrides(value)  # raises ValueError with what is wrong
        return value

    @field_validator("digest_at")
    @classmethod
    def _digest_at(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("DIGEST_AT must look like 08:00")
        return value

    @field_validator("quarter_starts")
    @classmethod
    def _quarter_starts(cls, value: str) -> str:
        from handlers.schedule.school_time import parse_quarter_starts

        parse_quarter_starts(value)
        return value

    @field_validator("retention")
    @classmethod
    def _retention(cls, value: str) -> str:
        from handlers.privacy.retention import parse_retention

        parse_retention(value)
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in ("kk", "ru", "en"):
            raise ValueError("DEFAULT_LOCALE must be kk, ru or en")
        return value

    @field_validator("telegram_bot_token", "telegram_webhook_secret", "twilio_auth_token",
                     "whatsapp_templates_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _webhook_secret(self) -> Settings:
        """A webhook without its secret would take updates from anyone who finds the URL."""
        if self.telegram_webhook_url:
            secret = self.telegram_webhook_secret
            if secret is None:
                raise ValueError("TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_SECRET (Telegram "
                                 "sends it with every update; nothing else is accepted)")
            if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret.get_secret_value()):
                raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 16–256 letters, digits, _ or -")
        return self

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token
                    and self.twilio_whatsapp_from)

    def handler_config(self, telegram_username: str | None = None) -> Config:
        return Config(
            timezone=self.timezone,
            default_locale=self.default_locale,
            media_dir=self.media_dir,
            invite_ttl=timedelta(days=self.invite_ttl_days),
            telegram_username=telegram_username,
            whatsapp_from=self.twilio_whatsapp_from,
            max_upload_bytes=self.max_upload_mb * 2**20,
            quiet_hours=self.quiet_hours,
            reminders=self.reminders,
            reminder_catch_up=timedelta(hours=self.reminder_catch_up_hours),
            digest_at=self.digest_at,
            quarter_starts=self.quarter_starts,
            deletion_days=self.deletion_days,
            retention=self.retention,
            message_text_days=self.message_text_days,
        )
