"""The coordinator's buttons: the trials (new, list, status, move, cancel, staff, duplicate,
invites) and the invites of a class.

Each kind keeps the prefix and the order of parts its buttons had before they were typed, so
buttons already sent in people's chats keep working.
"""

from __future__ import annotations

from handlers.buttons import Payload

# ``IssueTrialInvites.via`` / ``IssueClassInvites.via``: a list of links in the chat, or a
# printable sheet of slips.
LINKS, PDF = "links", "pdf"


class NewTrial(Payload, prefix="tn"):
    """A coordinator starts (or goes on with) setting up a new trial."""


class MyTrials(Payload, prefix="tl"):
    """A coordinator lists the school's trials to come and of the last two months."""


class ShowTrial(Payload, prefix="ts"):
    """A coordinator opens a trial's status message."""

    trial_id: int


class MoveTrial(Payload, prefix="tmv"):
    """A coordinator asks to move a trial to a new time."""

    trial_id: int


class CancelTrial(Payload, prefix="tcx"):
    """A coordinator asks to cancel a trial (asked to confirm first)."""

    trial_id: int


class ConfirmCancel(Payload, prefix="tcy"):
    """A coordinator confirms cancelling a trial."""

    trial_id: int


class AssignStaff(Payload, prefix="tst"):
    """A coordinator chooses a trial's mentor and escort."""

    trial_id: int


class DuplicateTrial(Payload, prefix="tdu"):
    """A coordinator sets up a new trial from a trial's card."""

    trial_id: int


class TrialInvites(Payload, prefix="tin"):
    """A coordinator asks who of a trial would get a new invite code."""

    trial_id: int


class IssueTrialInvites(Payload, prefix="tis"):
    """A coordinator issues new codes for a trial's people who have not joined (``via``
    LINKS or PDF)."""

    trial_id: int
    via: str


class ClassInvites(Payload, prefix="ci"):
    """A coordinator's "Invites of a class": the classes (no id), or what to issue for one."""

    class_id: int | None = None


class IssueClassInvites(Payload, prefix="cis"):
    """A coordinator issues new codes for a class's people who have not joined (``via``
    LINKS or PDF)."""

    class_id: int
    via: str
