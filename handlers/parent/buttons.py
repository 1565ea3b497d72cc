"""The parent's buttons: one child's consent for one trial.

Each kind keeps the prefix and the order of parts its buttons had before they were typed, so
buttons already sent in people's chats keep working. The ids are checked against the
database by the handler (``Action.CONSENT``), never trusted.
"""

from __future__ import annotations

from handlers.buttons import Payload


class ViewConsent(Payload, prefix="pcv"):
    """A parent opens the consent state of one child for one trial."""

    trial_id: int
    pupil_id: int


class ReadBriefing(Payload, prefix="pcb"):
    """A parent reads the briefing of a trial again, for one child."""

    trial_id: int
    pupil_id: int


class AnswerConsent(Payload, prefix="pcs"):
    """A parent gives or changes the decision for one child and trial (the consent flow)."""

    trial_id: int
    pupil_id: int


class AskWithdraw(Payload, prefix="pcw"):
    """A parent taps "Withdraw consent": the question before withdrawing."""

    trial_id: int
    pupil_id: int


class Withdraw(Payload, prefix="pcx"):
    """A parent confirms the withdrawal of the consent for one child and trial."""

    trial_id: int
    pupil_id: int
