"""Form В, "before the trial" (l. 8082–8144): sent the day before, with the pupil's goal."""

from locales import _

from .model import Flow, Note, Text

BEFORE_TRIAL = Flow(
    id="pupil.before",
    steps=(
        # The goal of card А field 7, shown first: the pupil should know why they go.
        Note(id="goal", text=_("Your trial: <b>{trial}</b>, {when}.\nYour goal: {goal}")),
        Text(id="expect", text=_("What do I expect?"), max_len=1000),
        Text(id="worry", text=_("What am I worried about, or what might be hard?"), max_len=1000),
        # l. 7173–7185: each pupil brings one personal hypothesis to test; optional.
        Text(
            id="hypothesis",
            text=_("One guess about yourself you want to check at the trial "
                   "(for example: “I like working with my hands”)."),
            max_len=500,
            optional=True,
        ),
    ),
    done_text=_("Thank you! Your answers are saved. Good luck at the trial — "
                "notice what you do and how it feels."),
)
