"""The escort's buttons: attendance and the +/− card of a trial.

Each kind keeps the prefix and the order of parts its buttons had before they were typed, so
buttons already sent in people's chats keep working.
"""

from __future__ import annotations

from handlers.buttons import Payload


class ShowAttendance(Payload, prefix="ea"):
    """The escort (or coordinator) opens a trial's attendance list."""

    trial_id: int


class TogglePresence(Payload, prefix="et"):
    """A pupil's button on the attendance list: switch present / absent."""

    participant_id: int


class RestPresent(Payload, prefix="el"):
    """"All the others are present": every admitted pupil not marked yet is present."""

    trial_id: int


class ShowMarks(Payload, prefix="ek"):
    """The escort (or coordinator) opens a trial's +/− card (activity, completion)."""

    trial_id: int


class SwitchMark(Payload, prefix="em"):
    """A pupil's +/− mark on the card: ``which`` is "a" (activity) or "c" (completion)."""

    participant_id: int
    which: str
