"""Choosing the language (kk, ru, en): one question, asked on joining and by /language."""

from locales import LANGUAGE_NAMES, LOCALES, _

from .model import Choice, Flow, Option

LANGUAGE = Flow(
    id="person.language",
    steps=(
        # The prompt is shown in all three languages at once (the handler fills it in):
        # the person may not read the one we guessed.
        Choice(id="locale", text="{prompt}",
               options=tuple(Option(loc, LANGUAGE_NAMES[loc]) for loc in LOCALES), row=3),
    ),
    finished_text=_("Your language is already saved. To change it, send /language."),
)
