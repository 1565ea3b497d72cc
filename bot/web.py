"""The HTTP server: Telegram's webhook (secret header checked), health, and channel routes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from storage.outage import is_outage

from .runtime import Runtime

log = logging.getLogger(__name__)
# Seconds a webhook caller is asked to wait while the database is unreachable.
RETRY_AFTER = 30

# Channel modules add their routes here (e.g. WhatsApp's webhook) when configured.
RouteInstaller = Callable[[web.Application, Runtime], None]
ROUTE_INSTALLERS: list[RouteInstaller] = []


def build_app(runtime: Runtime, dispatcher: object | None = None) -> web.Application:
    app = web.Application(client_max_size=25 * 2**20, middlewares=[hold_back_in_outages])

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


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def hold_back_in_outages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """While the database is unreachable, a webhook is answered 503, never 200: Telegram
    and Twilio then deliver the update again, and nothing is acknowledged that was not
    committed (de-duplication makes the redelivery of what was committed harmless)."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as exc:
        if not is_outage(exc):
            raise
        log.warning("the database is unreachable: %s answered 503 (%s)", request.path,
                    type(exc).__name__)
        return web.Response(status=503, text="database unavailable, try again later",
                            headers={"Retry-After": str(RETRY_AFTER)})
