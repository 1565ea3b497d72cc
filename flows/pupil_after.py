"""Form В, "after the trial" (l. 8082–8144): six questions, two permissions, the self-rating
on the rubric of form Б, and the artefact."""

from locales import _

from .criteria import CRITERIA
from .model import All, Eq, Flow, Note, Scale3, Text, Upload, YesNo

AFTER_TRIAL = Flow(
    id="pupil.after",
    steps=(
        Text(id="did", text=_("What exactly did I do?"), max_len=1000),
        Text(id="went_well", text=_("What went well, and why?"), max_len=1000),
        Text(id="hard", text=_("What was hard, and how did I solve it?"), max_len=1000),
        Text(id="requirements", text=_("What requirements of the profession did I see?"),
             max_len=1000),
        Text(id="about_me", text=_("What did I understand about myself?"), max_len=1000),
        Text(id="continue", text=_("Do I want to keep exploring this field, and how?"),
             max_len=1000),
        YesNo("portfolio_ok", _("May your artefact go into your portfolio?")),
        YesNo("photo_ok", _("Do you allow photos and videos of you from this trial?")),
        Note(id="rate_intro", text=_("Now rate your own work on the five criteria the mentor "
                                     "uses too.")),
        *(Scale3(f"self_{c.id}", c.question) for c in CRITERIA),
        # Asked only when the pupil wants the artefact kept and allows photos: otherwise
        # nothing sent here could be kept (the photo rule covers photos and scans alike).
        # The effective tier also depends on the parent and the site; the prompt says so.
        Upload(
            id="artefact",
            text=_("Your artefact: send a photo, a scan or a file of what you made or filled "
                   "in. Several are fine.{tier_note}"),
            many=True,
            optional=True,
            when=All((Eq("portfolio_ok", "yes"), Eq("photo_ok", "yes"))),
        ),
    ),
    done_text=_("Thank you! Your reflection is saved. In a day or two I will ask a few short "
                "questions about what stayed with you."),
)
