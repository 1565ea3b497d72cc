"""The buttons of the summary for parents: the class teacher's draft, the family's copy.

Each kind keeps the prefix and the order of parts its buttons had before they were typed, so
buttons already sent in people's chats keep working. The ids are checked against the
database by the handler (``Action.APPROVE_SUMMARY``, ``Action.FAMILY_SUMMARY``).
"""

from __future__ import annotations

from handlers.buttons import Payload


class ShowDraft(Payload, prefix="gd"):
    """The approver opens a draft summary with its buttons (from the menu)."""

    summary_id: int


class ApproveSummary(Payload, prefix="ga"):
    """The approver approves a draft summary, which then goes to the parents."""

    summary_id: int


class EditLine(Payload, prefix="ge"):
    """The approver rewrites the personal line of a draft summary (the ``summary.edit`` flow)."""

    summary_id: int


class ViewSummary(Payload, prefix="gv"):
    """A parent reads a sent summary again, with its photos and the PDF."""

    trial_id: int
    pupil_id: int


class ChooseNextStep(Payload, prefix="gn"):
    """A parent picks the family's next step (a key of ``NEXT_STEPS``) under a summary."""

    summary_id: int
    choice: str
