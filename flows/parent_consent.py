"""The parent's informed consent for one child and one trial (l. 7339–7361, forms.md).

The briefing is sent before this flow starts (it is the message with the button that starts
it); the safety step repeats the safety part so that "I have read" refers to text on screen.
A run carries the pupil and the trial; declining ends the flow at once.
"""

from locales import _

from .model import Choice, Eq, Flow, Option, Text

AGREE, DECLINE = "agree", "decline"
# Values are the PhotoTier values of storage.models (the flow knows nothing of storage).
PHOTO_OPTIONS = (
    Option("publication", _("Publication allowed")),
    Option("portfolio", _("Portfolio only")),
    Option("prohibited", _("Prohibited")),
)

_agreed = Eq("participation", AGREE)

PARENT_CONSENT = Flow(
    id="parent.consent",
    steps=(
        Choice(
            id="participation",
            text=_("Do you agree that {child} takes part in the trial «{trial}» on {when}?"),
            options=(Option(AGREE, _("I agree")), Option(DECLINE, _("I do not agree"))),
            row=2,
        ),
        Choice(
            id="photo",
            text=_("Photo and video of {child} at the trial. Who may see them?"),
            options=PHOTO_OPTIONS,
            legend=_("Publication: the school may show them publicly. Portfolio only: only "
                     "your child, you and the school staff see them. Prohibited: no photos or "
                     "videos of your child are kept."),
            when=_agreed,
        ),
        Text(
            id="medical",
            text=_("Medical restrictions or special educational needs of {child} that the "
                   "mentor and the escorting teacher should know about. Only they will see "
                   "it. If there are none, tap “Skip”."),
            max_len=500,
            voice=False,  # it goes into the mentor's written card
            optional=True,
            when=_agreed,
        ),
        Choice(
            id="safety",
            text=_("Safety rules of the trial:\n{safety}\n\nPlease confirm that you have read "
                   "them."),
            options=(Option("read", _("✅ I have read the safety rules")),),
            when=_agreed,
        ),
    ),
    done_text=_("Thank you! Your decision is recorded."),
    finished_text=_("This decision is already recorded. To change it, open the menu: /menu"),
)
