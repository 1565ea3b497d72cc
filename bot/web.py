"""The HTTP server: Telegram's webhook (secret header checked), health, and channel routes."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from aiohttp import web

from .runtime import Runtime

# Channel modules add their routes here (e.g. WhatsApp's webhook) when configured.
RouteInstaller = Callable[[web.Application, Runtime], None]
ROUTE_INSTALLERS: list[RouteInstaller] = []


def build_app(runtime: Runtime, dispatcher: object | None = None) -> web.Application:
    app = web.Application(client_max_size=25 * 2**20)

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_get("/healthz", health)
    settings = runtime.settings
    if dispatcher is not None and settings.telegram_webhook_url and runtime.bot is not None:
        from aiogram.webhook.aiohttp_server import SimpleRequestHandler

        secret = settings.telegram_webhook_secret
        SimpleRequestHandler(
            dispatcher=dispatcher,  # type: ignore[arg-type]
            bot=runtime.bot,  # type: ignore[arg-type]
            # Answer Telegram only once the update is committed: on a failure it retries,
            # and de-duplication makes the retry harmless.
            handle_in_background=False,
            secret_token=secret.get_secret_value() if secret else None,
        ).register(app, path=webhook_path(settings.telegram_webhook_url))
    if settings.whatsapp_enabled:
        from .whatsapp_web import install as install_whatsapp

        install_whatsapp(app, runtime)
    for install in ROUTE_INSTALLERS:
        install(app, runtime)
    return app


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/telegram/webhook"
