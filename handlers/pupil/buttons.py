"""The pupil's buttons: the questionnaires before and after a trial, and the trace.

Each kind keeps the prefix and the order of parts its buttons had before they were typed, so
buttons already sent in people's chats keep working.
"""

from __future__ import annotations

from handlers.buttons import Payload


class StartBefore(Payload, prefix="pb"):
    """A pupil starts (or resumes) the before-trial questionnaire of a trial."""

    trial_id: int


class StartAfter(Payload, prefix="pqa"):
    """A pupil starts (or resumes) the after-trial questionnaire of a trial."""

    trial_id: int


class StartTrace(Payload, prefix="pqt"):
    """A pupil starts (or resumes) the trace reflection, a day after a trial."""

    trial_id: int
