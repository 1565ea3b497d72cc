"""The trace reflection, 1–2 days after the trial (l. 7482–7506, Annex 6 l. 11872–11916).

Annex 6 Q1, Q3, Q4 as three-choice buttons, then the trace questions as short free text
(Annex 6 Q2 merges into them, forms.md). "This is not for me" is a valid, valuable outcome
(l. 7494–7506): it is answered at once as a step forward, never as failure.
"""

from locales import _

from .model import Eq, Flow, Note, Text, YesNoUnsure

TRACE = Flow(
    id="pupil.trace",
    steps=(
        YesNoUnsure("liked", _("Did you like taking part in the trial?")),
        Note(id="liked_no", text=_("Thank you for saying it honestly. Noticing what you did "
                                   "not enjoy is useful too: it tells you what to look for "
                                   "next time."),
             when=Eq("liked", "no")),
        YesNoUnsure("choose", _("Would you like to choose this profession?")),
        Note(id="choose_no", text=_("Thank you for the honest answer. Finding out that a "
                                    "profession is not yours is a real step forward: it "
                                    "closes one path and frees your time and energy to look "
                                    "for your own."),
             when=Eq("choose", "no")),
        Note(id="choose_unsure", text=_("That is fine: a choice takes more than one try. Each "
                                        "trial adds a piece of the picture."),
             when=Eq("choose", "unsure")),
        YesNoUnsure("useful", _("Will this experience be useful in your life?")),
        Text(id="new", text=_("What was new for you? (What does this specialist do, where and "
                              "in what conditions?)"), max_len=500, optional=True),
        Text(id="easy_hard", text=_("What was easy, and what was hard?"), max_len=500,
             optional=True),
        Text(id="requirements", text=_("Which requirements of the profession feel acceptable "
                                       "to you, and which raise doubts?"),
             max_len=500, optional=True),
        Text(id="next_step", text=_("What next step are you ready to take?"), max_len=500,
             optional=True),
    ),
    done_text=_("Thank you! Your reflection is saved. Every trial, whatever it showed, brings "
                "you closer to your own choice."),
)
