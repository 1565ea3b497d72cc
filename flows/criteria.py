"""The rubric of form Б: five criteria, each rated 1–3 (l. 7953–8080)."""

from __future__ import annotations

from dataclasses import dataclass

from locales import _


@dataclass(frozen=True)
class Criterion:
    id: str
    short: str  # the short label of the short card
    question: str  # asked of the mentor and, in the pupil's self-rating, of the pupil


CRITERIA: tuple[Criterion, ...] = (
    Criterion("understanding", _("Understanding"), _("Understanding the task")),
    Criterion("procedure", _("Procedure"), _("Following the procedure")),
    Criterion("accuracy", _("Accuracy"), _("Accuracy and neatness")),
    Criterion("communication", _("Communication"), _("Communication and questions")),
    Criterion("safety", _("Safety"), _("Attention to safety")),
)
