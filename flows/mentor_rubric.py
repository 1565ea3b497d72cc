"""Form Б, the mentor's observation card (l. 7953–8080), one run per pupil.

Five criteria on the 1–3 scale and the mini-task result: six taps. The "2-minute feedback"
(comment, plus, delta, next step; l. 7444–7452, 8070–8080) follows only when the mentor asks
for it with the "feedback" button under the pupil's saved ratings, which records
``more = yes``: the next pupil comes straight after the sixth tap, and the texts stay one tap
away.
"""

from locales import _
from storage.repos.rubric import RUBRIC_FLOW

from .criteria import CRITERIA
from .model import NO, YES, Choice, Eq, Flow, Option, Scale3, Text

QUESTIONS = {
    "understanding": _("<b>{pupil}</b> · 1/6\nUnderstanding the task"),
    "procedure": _("<b>{pupil}</b> · 2/6\nFollowing the procedure"),
    "accuracy": _("<b>{pupil}</b> · 3/6\nAccuracy and neatness"),
    "communication": _("<b>{pupil}</b> · 4/6\nCommunication and questions"),
    "safety": _("<b>{pupil}</b> · 5/6\nAttention to safety"),
}
PARTLY = Option("partly", _("Partially"))
RESULT_OPTIONS = (YES, NO, PARTLY)

# Set by the "feedback" button, never asked as a question.
FEEDBACK = Eq("more", "yes")

RUBRIC = Flow(
    id=RUBRIC_FLOW,
    steps=(
        *(Scale3(c.id, QUESTIONS[c.id]) for c in CRITERIA),
        Choice(id="result", text=_("<b>{pupil}</b> · 6/6\nResult of the mini-task"),
               options=RESULT_OPTIONS, row=3),
        Text(id="comment", text=_("<b>{pupil}</b>\nYour comment on the work (1–2 sentences)"),
             max_len=500, voice=False, optional=True, when=FEEDBACK),
        Text(id="plus", text=_("<b>{pupil}</b>\nPlus: what the pupil did well"),
             max_len=300, voice=False, optional=True, when=FEEDBACK),
        Text(id="delta", text=_("<b>{pupil}</b>\nDelta: what to improve"),
             max_len=300, voice=False, optional=True, when=FEEDBACK),
        Text(id="next_step",
             text=_("<b>{pupil}</b>\nNext step (for example: repeat the trial on another "
                    "operation, or move to a harder task)"),
             max_len=300, voice=False, optional=True, when=FEEDBACK),
    ),
    done_text=_("Saved. Thank you!"),
    finished_text=_("This pupil's ratings are saved. To change one, open “All pupils” in the "
                    "rubric."),
)

RATING_STEPS: tuple[str, ...] = (*(c.id for c in CRITERIA), "result")
FEEDBACK_STEPS: tuple[str, ...] = ("comment", "plus", "delta", "next_step")
