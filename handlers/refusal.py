"""One way to refuse: a handler raises :class:`Refusal`; the pipeline says it, once, for all.

A refusal is raised before anything is written (an access check, a trial that has started), so
nothing of the event is kept but the answer; ``handlers/inbound.py`` renders it in the person's
language and ends the event there.
"""

from __future__ import annotations

from typing import Any

from locales import _

# The texts several features refuse with; each exists once, here.
NOT_ACTIVE = _("This button is no longer active.")


class Refusal(Exception):
    """What a person asked cannot be done: ``msgid`` (with ``params``) says why."""

    def __init__(self, msgid: str = NOT_ACTIVE, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params
