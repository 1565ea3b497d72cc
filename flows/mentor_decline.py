"""The mentor cannot come: the reason, in their own words, for the school coordinator."""

from locales import _

from .model import Flow, Text

DECLINE = Flow(
    id="mentor.decline",
    steps=(
        Text(id="reason",
             text=_("What prevents you from leading «{trial}» on {date}? The school "
                    "coordinator will read your answer and look for a solution."),
             max_len=500, voice=False, optional=True),
    ),
    done_text=_("Thank you. The school coordinator has been told."),
)
