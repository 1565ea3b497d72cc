"""The mentor's buttons: the confirmation, the short card and the rubric.

Each kind keeps the prefix and the order of parts its buttons had before they were typed, so
buttons already sent in people's chats keep working.
"""

from __future__ import annotations

from handlers.buttons import Payload

# ``SubmitCard.anyway``: submit even with pupils not rated.
ANYWAY = "1"


class ShortCard(Payload, prefix="sc"):
    """The short card of a trial (its mentor and escort on the day, its coordinator any time)."""

    trial_id: int


class ShowConfirmation(Payload, prefix="mc"):
    """A mentor opens a trial's details and the "I will come" / "I can't come" buttons."""

    trial_id: int


class WillCome(Payload, prefix="my"):
    """A mentor answers "I will come" to a trial."""

    trial_id: int


class CannotCome(Payload, prefix="mn"):
    """A mentor answers "I can't come" to a trial (the reason is asked next)."""

    trial_id: int


class RateCard(Payload, prefix="mr"):
    """A mentor opens the rubric card of a trial (the next unrated pupil, or this one)."""

    trial_id: int
    pupil_id: int | None = None


class RubricOverview(Payload, prefix="mo"):
    """A mentor opens the overview of a trial's rubric card (every pupil's scores)."""

    trial_id: int


class PupilRatings(Payload, prefix="mp"):
    """A mentor opens one pupil's ratings (a rubric run), each a button that changes it."""

    run_id: int


class AskRating(Payload, prefix="mx"):
    """A mentor asks to change one rating (a rubric step) of a pupil's run."""

    run_id: int
    step_id: str


class ChangeRating(Payload, prefix="mv"):
    """A mentor gives a rating (a rubric step) of a pupil's run a new value."""

    run_id: int
    step_id: str
    value: str


class AddFeedback(Payload, prefix="mf"):
    """A mentor adds (or rewrites) the 2-minute feedback of a rated pupil's run."""

    run_id: int


class SubmitCard(Payload, prefix="ms"):
    """A mentor submits a trial's rubric card; ``anyway=ANYWAY`` even with pupils not rated."""

    trial_id: int
    anyway: str | None = None
