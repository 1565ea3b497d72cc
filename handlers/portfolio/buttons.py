"""The portfolio's buttons (the pupil's own, and each parent's per child).

Each kind keeps the prefix and the order of parts its buttons had before they were typed, so
buttons already sent in people's chats keep working. The pupil id is checked against the
database by the handler (``Action.PORTFOLIO``).
"""

from __future__ import annotations

from handlers.buttons import Payload


class ShowPortfolio(Payload, prefix="pf"):
    """A pupil or a parent opens a pupil's portfolio in the chat."""

    pupil_id: int


class PortfolioPdf(Payload, prefix="pfp"):
    """A pupil or a parent asks for a pupil's whole portfolio as a PDF."""

    pupil_id: int
