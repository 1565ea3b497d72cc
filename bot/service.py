"""Inbound processing: one transaction per event, from de-duplication to the outbox."""

from __future__ import annotations

import asyncio
import logging
import time

from handlers.context import Config, Context
from handlers.delivery import enqueue
from handlers.events import Inbound, Outbound
from handlers.features import WIRING
from handlers.inbound import handle
from locales import _
from storage.db import SessionFactory
from storage.files import FULL, MediaUnwritable
from storage.outage import DatabaseUnavailable, is_outage, reachable
from storage.repos.messaging import InboundLog

log = logging.getLogger(__name__)

SORRY = _("Sorry, something went wrong on our side. Your earlier answers are safe; please "
          "try again in a minute.")
MEDIA_FULL = _("The file could not be saved: the server's storage for files is full. Your "
               "earlier answers are safe. Please tell your school's coordinator (the person "
               "who runs Synaq has to free space), and send it again later.")
MEDIA_READ_ONLY = _("The file could not be saved: the server cannot write to its folder for "
                    "files. Your earlier answers are safe. Please tell your school's "
                    "coordinator (the person who runs Synaq has to fix the folder), and send "
                    "it again later.")


class Service:
    """What every channel adapter calls with an :class:`Inbound`.

    The answer, the de-duplication mark and the replies are committed together: killed at
    any point, the process either did all of it or none of it (and the channel redelivers).
    While the database cannot be reached, :meth:`process` raises
    :class:`~storage.outage.DatabaseUnavailable` instead of dropping the event: the adapter
    must not acknowledge it (polling pauses, a webhook answers 503) so that it comes again.
    """

    def __init__(self, sessions: SessionFactory, config: Config) -> None:
        self.sessions = sessions
        self.config = config
        self.outbox_ready = asyncio.Event()
        # Per-update handling times in seconds (the benchmark reads them).
        self.timings: list[float] = []

    async def process(self, inbound: Inbound) -> bool:
        """Handle one inbound event; False if it was a duplicate. Raises
        :class:`DatabaseUnavailable` if nothing could be committed for want of the database."""
        started = time.perf_counter()
        try:
            async with self.sessions() as session, session.begin():
                if inbound.external_id and not await InboundLog(session).claim(
                        inbound.channel, inbound.external_id, inbound.received_at):
                    return False
                ctx = Context(session=session, wiring=WIRING, now=inbound.received_at, config=self.config)
                messages = await handle(ctx, inbound)
                await enqueue(ctx, messages, inbound)
        except MediaUnwritable as exc:
            log.error("a file could not be saved: %s. To fix: %s", exc, exc.remedy)
            await self._apologise(inbound, MEDIA_FULL if exc.reason == FULL else MEDIA_READ_ONLY)
        except Exception as exc:
            if is_outage(exc) or not await reachable(self.sessions.kw["bind"]):
                log.warning("the database is unreachable (%s: %s); the inbound %s event is "
                            "handed back to be delivered again", type(exc).__name__, exc,
                            inbound.channel)
                raise DatabaseUnavailable(str(exc)) from exc
            log.exception("handling an inbound %s event failed", inbound.channel)
            await self._apologise(inbound)
        finally:
            self.timings.append(time.perf_counter() - started)
            if len(self.timings) > 100_000:
                del self.timings[:50_000]
        self.outbox_ready.set()
        return True

    async def _apologise(self, inbound: Inbound, text: str = SORRY) -> None:
        """Something broke on our side: say so, and do not try this event again."""
        try:
            async with self.sessions() as session, session.begin():
                if inbound.external_id:
                    await InboundLog(session).claim(
                        inbound.channel, inbound.external_id, inbound.received_at)
                ctx = Context(session=session, wiring=WIRING, now=inbound.received_at, config=self.config)
                found = await ctx.people.by_identity(inbound.channel, inbound.address)
                person = found[0] if found else None
                tr = ctx.tr_for(person, inbound.language_hint)
                message = Outbound(text=tr(text), person_id=person.id if person else None)
                await enqueue(ctx, [message], inbound)
        except Exception:
            log.exception("could not even apologise")


