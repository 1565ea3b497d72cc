"""The class teacher rewrites the personal line of a parent summary (form Г, part 5) before
approving it: one short text, in plain words about what the pupil did."""

from locales import _

from .model import Flow, Text

SUMMARY_EDIT = Flow(
    id="summary.edit",
    steps=(
        Text(id="line",
             text=_("{child} — the line “what my child did” now reads:\n<i>{line}</i>\n\n"
                    "Send the new line: one or two plain sentences about what the pupil did "
                    "and how it went — about the work, not about the child."),
             max_len=500, voice=False),
    ),
    done_text=_("Saved."),
)
