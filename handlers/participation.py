"""Who took part in a trial, and whether it was meaningful for them: one definition of each.

Every report that counts pupils — the digest, the quarterly review, the targets, the journal,
the trial's report, the regional figures, the portfolio and the parents' summary — decides with
these functions, so a number in one is the same number in another.

**Took part** (trial-cycle.md): the parent agreed, and the pupil was not marked absent (an
unmarked pupil counts as there). No pupil takes part without consent.

**Meaningful** (trial-cycle.md; Gatsby Benchmark 6): for a pupil who took part, the trial had
a goal and a mini-task written down (blank text does not count), the mentor gave feedback (a
completed rubric card) and the pupil reflected (the after-trial or the trace questionnaire
completed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.models import Attendance, Participation
from storage.reads.digest import TrialProgress
from storage.reads.journal import TrialFacts
from storage.repos.rubric import REFLECTION_FLOWS


def took_part(participation: str | None, attendance: str | None) -> bool:
    """The current consent decision and the attendance mark of one pupil on one trial."""
    return participation == Participation.AGREE and attendance != Attendance.ABSENT


@dataclass(frozen=True)
class Meaningful:
    goal: bool
    mini_task: bool
    feedback: bool
    reflection: bool

    @property
    def ok(self) -> bool:
        return self.goal and self.mini_task and self.feedback and self.reflection


def meaningful(goal: str | None, mini_task: Sequence[str] | None, *, rated: bool,
               reflected: bool) -> Meaningful:
    """The four parts of the check for one pupil: the trial's goal and mini-task, whether the
    mentor completed the pupil's rubric card, whether the pupil completed a reflection."""
    return Meaningful(
        goal=bool((goal or "").strip()),
        mini_task=any(step.strip() for step in mini_task or ()),
        feedback=rated,
        reflection=reflected,
    )


# --- the same rules over what the digest and the journal read --------------------------------


def present(progress: TrialProgress) -> list[int]:
    """The pupils of a trial in the digest's view who took part."""
    return [p for p in progress.pupils
            if took_part(progress.consent.get(p),
                         Attendance.ABSENT if p in progress.absent else None)]


def meaningful_in(progress: TrialProgress, pupil_id: int) -> bool:
    return meaningful(progress.trial.pupil_goal, progress.trial.mini_task,
                      rated=pupil_id in progress.rated,
                      reflected=pupil_id in progress.reflected).ok


def took_part_in(record: TrialFacts, pupil_id: int) -> bool:
    """Whether a pupil of a trial in the journal's view took part."""
    consent = record.consents.get(pupil_id)
    member = next((p for p in record.participants if p.pupil_id == pupil_id), None)
    return member is not None and took_part(consent.participation if consent else None,
                                            member.attendance)


def meaningful_on(record: TrialFacts, pupil_id: int) -> Meaningful:
    done = record.reflections.get(pupil_id, {})
    return meaningful(record.trial.pupil_goal, record.trial.mini_task,
                      rated=pupil_id in record.rubric,
                      reflected=any(flow in done for flow in REFLECTION_FLOWS))
