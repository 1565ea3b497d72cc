"""The coordinator's side of a trial's technology card (form А, l. 7646–7950), in the chat.

A new trial asks the card's fields in the order a coordinator fills the paper card with the
partner: name, time, site, the responsible people, the class and its pupils, then the
pupil's side (goal, mini-task, PPE, what to bring, risks, photo rule), every one of those
skippable. Sites, people, classes and pupils are rows of the school's database: their
options come from providers registered by handlers/trial_setup.py (``source``), and typed
dates and step lists are read by its checks (``check``). Nothing is created before the last
step: the coordinator sees the whole card and says "create".

A duplicate keeps the card of a past trial and asks only the new time and the pupils; a move
asks the new time; "mentor and escort" assigns those left for later.
"""

from locales import _

from .model import Choice, Flow, Option, Pick, Text
from .parent_consent import PHOTO_OPTIONS

CREATE, DISCARD = "create", "discard"
MOVE, KEEP = "move", "keep"

DONE = _("Thank you! Nothing else is needed.")
CARD_FINISHED = _("This trial card is already finished. Your trials are in the menu: /menu")
CHANGE_FINISHED = _("This change is already done. Your trials are in the menu: /menu")

# The class, its pupils and the last look: the same for a new trial and a duplicate.
_GROUP = (
    Choice(id="class", text=_("Which class takes part (card А, field 2)?"), source="classes",
           row=4),
    Pick(id="pupils", text=_("Pupils of class {class_name}: everyone is on the list. Tap a "
                             "name to take them off (tap again to put them back), then "
                             "“Done”."), source="pupils", row=2),
    Choice(id="confirm", text=_("{summary}\n\nCreate this trial? The parents of the pupils "
                                "will then get the briefing and the consent request."),
           options=(Option(CREATE, _("✅ Create the trial")),
                    Option(DISCARD, _("✖️ Discard it"))), row=2),
)

TRIAL_SETUP = Flow(
    id="trial.setup",
    steps=(
        Text(id="title", text=_("A new trial. First its name (card А, field 1), for example "
                                "«Electrician: assembling a simple circuit»."),
             max_len=200, voice=False),
        Text(id="when", text=_("When is it (field 3)? Type the date and the time from–to "
                               "(school time), like this:\n<b>{example}</b>"),
             max_len=80, voice=False, check="when"),
        Choice(id="site", text=_("Where is it (fields 4–5)? Choose the partner's site:"),
               source="sites"),
        Choice(id="mentor", text=_("The mentor from the partner (field 6). You can skip this "
                                   "and assign the mentor later.{mentor_note}"),
               source="mentors", optional=True),
        Choice(id="escort", text=_("The escorting teacher from the school (field 6). You can "
                                   "skip this and assign one later."),
               source="teachers", optional=True),
        *_GROUP[:2],
        Text(id="goal", text=_("The goal for the pupil (field 7), one or two plain "
                               "sentences. The methodology's template:\n<i>Today I will try "
                               "___ to understand how ___ is done in the ___ profession."
                               "</i>"),
             max_len=500, voice=False, optional=True),
        Text(id="task", text=_("The pupil's mini-task (field 10): up to three steps, each on "
                               "its own line."),
             max_len=600, voice=False, optional=True, check="steps"),
        Text(id="ppe", text=_("Protective equipment and clothing (field 13): gloves, helmet, "
                              "closed shoes… and who issues them."),
             max_len=300, voice=False, optional=True),
        Text(id="bring", text=_("What should the pupils bring?"), max_len=300, voice=False,
             optional=True),
        Text(id="risks", text=_("Risks and how they are reduced (field 14), for example "
                                "«sharp edges – gloves; noise – ear muffs». Parents read "
                                "this in the briefing."),
             max_len=500, voice=False, optional=True),
        Choice(id="photo", text=_("Photo and video at this trial (field 19). Skip to keep "
                                  "the site's rule: {site_policy}."),
               options=PHOTO_OPTIONS, optional=True),
        _GROUP[2],
    ),
    done_text=DONE,
    finished_text=CARD_FINISHED,
)

TRIAL_COPY = Flow(
    id="trial.copy",
    steps=(
        Text(id="when", text=_("A new trial from the card of «{source}»: everything but the "
                               "time and the pupils is copied. When is it? Type the date and "
                               "the time from–to (school time), like this:\n<b>{example}</b>"),
             max_len=80, voice=False, check="when"),
        *_GROUP,
    ),
    done_text=DONE,
    finished_text=CARD_FINISHED,
)

TRIAL_MOVE = Flow(
    id="trial.move",
    steps=(
        Text(id="when", text=_("Move «{trial}», now {current}, to a new time. Type the date "
                               "and the time from–to (school time), like this:\n"
                               "<b>{example}</b>"),
             max_len=80, voice=False, check="when"),
        Choice(id="confirm", text=_("Move «{trial}» from {current} to {new}? The families, "
                                    "the mentor and the escort will be told, and the mentor "
                                    "is asked to confirm again."),
               options=(Option(MOVE, _("📅 Move it")), Option(KEEP, _("Keep the old time"))),
               row=2),
    ),
    done_text=DONE,
    finished_text=CHANGE_FINISHED,
)

TRIAL_STAFF = Flow(
    id="trial.staff",
    steps=(
        Choice(id="mentor", text=_("The mentor of «{trial}» (now: {mentor}). Choose one, or "
                                   "skip to leave it as it is.{mentor_note}"),
               source="trial_mentors", optional=True),
        Choice(id="escort", text=_("The escorting teacher of «{trial}» (now: {escort}). Choose "
                                   "one, or skip to leave it as it is."),
               source="teachers", optional=True),
    ),
    done_text=DONE,
    finished_text=CHANGE_FINISHED,
)
