"""Setting up a trial in the chat: a new one step by step (flow ``trial.setup``), or a copy of
a past one (``trial.copy``); the options their steps offer and how typed answers are read.

Why a flow and not a sequence of handlers: every answer is stored as it comes (a restart loses
nothing), "back" and "skip" work as in every questionnaire, typed text reaches the open
question, and WhatsApp shows the same steps. Options that are rows of the database come from
the providers below, asked again when a step is answered, always within the coordinator's
school: a forged button naming another school's site, class or pupil is not among them and
changes nothing. Nothing is written before the last step; then the trial and its participants
are created together (``Participant.added_at`` = now), so the consent requests go out on the
scheduler's next tick (handlers/parent.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flows.engine import Checked
from flows.model import Option
from flows.trial_setup import CREATE, TRIAL_COPY, TRIAL_MOVE, TRIAL_SETUP
from handlers import conversation
from handlers.briefing import TIER_LABELS
from handlers.context import Context
from handlers.coordinator.buttons import DuplicateTrial, NewTrial, ShowTrial, TrialInvites
from handlers.coordinator.overlaps import overlap_lines
from handlers.coordinator.status import pending_people
from handlers.coordinator.trials import (
    NO_CLASSES,
    NOT_FOUND,
    coordinator,
    managed_trial,
    school_of,
    school_trial,
    span,
)
from handlers.coordinator.when import (
    SAME_TIME,
    TOO_MANY_STEPS,
    When,
    example_when,
    parse_steps,
    parse_when,
    stored_when,
)
from handlers.events import Button, Outbound
from handlers.feature import Feature
from handlers.menu import menu_button
from handlers.refusal import Refusal
from locales import Safe, Translator, _, escape
from storage.importer.plan import band
from storage.models import FlowRun, Partner, Person, Role, RunStatus, School, SchoolClass, Site

feature = Feature("coordinator.setup")

Answers = dict[str, dict[str, Any]]


async def _zone(ctx: Context) -> ZoneInfo:
    school = await school_of(ctx)
    return ZoneInfo(school.timezone if school else ctx.config.timezone)


@feature.text_check("when")
async def _check_when(ctx: Context, run: FlowRun, text: str) -> Checked:
    zone = await _zone(ctx)
    example = example_when(ctx.now, zone)
    parsed = parse_when(text, ctx.now, zone)
    if not isinstance(parsed, When):
        problem, params = parsed
        return Checked(problem=problem, params={**params, "example": example})
    if run.flow_id == TRIAL_MOVE.id:
        trial = await school_trial(ctx, run.trial_id)
        if trial is not None and (trial.starts_at, trial.ends_at) == (parsed.starts,
                                                                      parsed.ends):
            return Checked(problem=SAME_TIME, params={"example": example})
    return Checked({"starts": parsed.starts.isoformat(), "ends": parsed.ends.isoformat()})


@feature.text_check("steps")
async def _check_steps(ctx: Context, run: FlowRun, text: str) -> Checked:
    steps = parse_steps(text)
    if len(steps) > 3:
        return Checked(problem=TOO_MANY_STEPS, params={"count": len(steps)})
    return Checked({"steps": steps})


# --- what the steps offer: always within the coordinator's school ----------------------------

def _school_id(ctx: Context, run: FlowRun) -> int | None:
    person = coordinator(ctx)
    return person.school_id if person is not None and person.id == run.person_id else None


def _id(answers: Answers, step: str) -> int | None:
    value = answers.get(step, {}).get("choice")
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _people(people: list[Person]) -> list[Option]:
    return [Option(str(p.id), p.full_name, literal=True) for p in people]


async def mentors_of_site(ctx: Context, school_id: int, site_id: int | None) -> list[Person]:
    found = await ctx.trial_setup.site(school_id, site_id)
    if found is None:
        return []
    return await ctx.trial_setup.staff(school_id, Role.MENTOR, found[1].id)


@feature.options_from("sites")
async def _sites(ctx: Context, run: FlowRun) -> list[Option]:
    school_id = _school_id(ctx, run)
    if school_id is None:
        return []
    return [Option(str(site.id), f"{partner.name} — {site.name}", literal=True)
            for site, partner in await ctx.trial_setup.sites(school_id)]


@feature.options_from("mentors")
async def _mentors(ctx: Context, run: FlowRun) -> list[Option]:
    school_id = _school_id(ctx, run)
    if school_id is None:
        return []
    answers = await ctx.runs.answers(run.id)
    return _people(await mentors_of_site(ctx, school_id, _id(answers, "site")))


@feature.options_from("teachers")
async def _teachers(ctx: Context, run: FlowRun) -> list[Option]:
    school_id = _school_id(ctx, run)
    if school_id is None:
        return []
    return _people(await ctx.trial_setup.staff(school_id, Role.TEACHER))


@feature.options_from("classes")
async def _classes(ctx: Context, run: FlowRun) -> list[Option]:
    school_id = _school_id(ctx, run)
    if school_id is None:
        return []
    return [Option(str(c.id), c.name, literal=True)
            for c in await ctx.trial_setup.classes(school_id)]


@feature.options_from("pupils")
async def _pupils(ctx: Context, run: FlowRun) -> list[Option]:
    school_id = _school_id(ctx, run)
    if school_id is None:
        return []
    answers = await ctx.runs.answers(run.id)
    repo = ctx.trial_setup
    school_class = await repo.school_class(school_id, _id(answers, "class"))
    if school_class is None:
        return []
    return _people(await repo.pupils(school_id, school_class.id))


# --- the card being set up ---------------------------------------------------------------------

@dataclass
class Draft:
    """A trial as the answers so far describe it, every row checked against the school."""

    title: str
    when: When | None
    site: Site | None
    partner: Partner | None
    mentor: Person | None
    escort: Person | None
    school_class: SchoolClass | None
    pupils: list[Person]
    fields: dict[str, Any] = field(default_factory=dict)  # the card's other fields


def _text(answers: Answers, step: str) -> str | None:
    value = answers.get(step, {}).get("text")
    return value if isinstance(value, str) and value else None


async def draft_of(ctx: Context, run: FlowRun, school: School,
                   answers: Answers) -> Draft | None:
    """None when a duplicate's source is not the school's (any more)."""
    repo = ctx.trial_setup
    if run.flow_id == TRIAL_COPY.id:
        source = await repo.school_trial(school.id, run.trial_id)
        if source is None:
            return None
        fields = repo.copied(source)
        for name in ("title", "site_id", "mentor_id", "escort_id"):  # checked below
            del fields[name]
        title, site_id = source.title, source.site_id
        mentor_id, escort_id = source.mentor_id, source.escort_id
        if source.gather_at is not None and (when := stored_when(answers)) is not None:
            fields["gather_at"] = when.starts + (source.gather_at - source.starts_at)
    else:
        title = _text(answers, "title") or ""
        site_id, mentor_id, escort_id = (_id(answers, "site"), _id(answers, "mentor"),
                                         _id(answers, "escort"))
        photo = answers.get("photo", {}).get("choice")
        fields = {"pupil_goal": _text(answers, "goal"),
                  "mini_task": list(answers.get("task", {}).get("steps", [])),
                  "ppe": _text(answers, "ppe"), "bring": _text(answers, "bring"),
                  "risks": _text(answers, "risks"),
                  "photo_policy": photo if photo in TIER_LABELS else None}
    found = await repo.site(school.id, site_id)
    site, partner = found if found else (None, None)
    mentors = await repo.staff(school.id, Role.MENTOR, partner.id) if partner else []
    teachers = await repo.staff(school.id, Role.TEACHER)
    school_class = await repo.school_class(school.id, _id(answers, "class"))
    if school_class is not None:  # Annex 2's grade band, as the import sets it
        fields["grade_band"] = band(school_class.grade) or fields.get("grade_band")
    chosen = set(answers.get("pupils", {}).get("chosen", []))
    pupils = ([p for p in await repo.pupils(school.id, school_class.id) if str(p.id) in chosen]
              if school_class else [])
    return Draft(
        title=title, when=stored_when(answers), site=site, partner=partner,
        mentor=next((p for p in mentors if p.id == mentor_id), None),
        escort=next((p for p in teachers if p.id == escort_id), None),
        school_class=school_class, pupils=pupils, fields=fields)


def card_lines(tr: Translator, draft: Draft, tz: str) -> list[str]:
    """The card in a few lines (form А's fields the chat set), for the coordinator."""
    dash = "—"
    f = draft.fields
    where = ", ".join(x for x in (draft.partner.name if draft.partner else None,
                                  draft.site.name if draft.site else None,
                                  draft.site.address if draft.site else None) if x)
    steps = [f"{i}) {escape(s)}" for i, s in enumerate(f.get("mini_task") or [], 1)]
    policy = f.get("photo_policy")
    if policy in TIER_LABELS:
        photo = tr(TIER_LABELS[policy])
    elif draft.site is not None and draft.site.photo_policy in TIER_LABELS:
        photo = tr(_("{policy} (the site's rule)"),
                   policy=tr(TIER_LABELS[draft.site.photo_policy]))
    else:
        photo = Safe(dash)
    class_name = draft.school_class.name if draft.school_class else dash
    return [
        tr(_("<b>Name:</b> {title}"), title=draft.title or dash),
        tr(_("<b>When:</b> {when}"),
           when=span(tr, draft.when.starts, draft.when.ends, tz) if draft.when else dash),
        tr(_("<b>Where:</b> {where}"), where=where or dash),
        tr(_("<b>Mentor:</b> {mentor}"),
           mentor=draft.mentor.full_name if draft.mentor else tr(_("to be assigned later"))),
        tr(_("<b>Escort:</b> {escort}"),
           escort=draft.escort.full_name if draft.escort else tr(_("to be assigned later"))),
        tr(_("<b>Class {name}, pupils ({count}):</b> {pupils}"), name=class_name,
           count=len(draft.pupils), pupils=", ".join(p.full_name for p in draft.pupils) or dash),
        tr(_("<b>Goal for the pupil:</b> {goal}"), goal=f.get("pupil_goal") or dash),
        tr(_("<b>Mini-task:</b> {steps}"), steps=Safe("\n" + "\n".join(steps)) if steps else dash),
        tr(_("<b>PPE and clothing:</b> {ppe}"), ppe=f.get("ppe") or dash),
        tr(_("<b>What to bring:</b> {bring}"), bring=f.get("bring") or dash),
        tr(_("<b>Risks and mitigations:</b> {risks}"), risks=f.get("risks") or dash),
        tr(_("<b>Photo and video:</b> {photo}"), photo=photo),
    ]


# --- the conversation --------------------------------------------------------------------------

async def _setup_context(ctx: Context, run: FlowRun) -> dict[str, Any]:
    school = await school_of(ctx)
    values: dict[str, Any] = {"example": "", "source": "", "class_name": "", "mentor_note": "",
                              "site_policy": "—", "summary": ""}
    if school is None:
        return values
    tr = ctx.tr
    values["example"] = example_when(ctx.now, ZoneInfo(school.timezone))
    answers = await ctx.runs.answers(run.id)
    repo = ctx.trial_setup
    if run.flow_id == TRIAL_COPY.id:
        source = await repo.school_trial(school.id, run.trial_id)
        values["source"] = source.title if source else ""
    school_class = await repo.school_class(school.id, _id(answers, "class"))
    values["class_name"] = school_class.name if school_class else ""
    found = await repo.site(school.id, _id(answers, "site"))
    if found is not None:
        site, partner = found
        values["site_policy"] = tr(TIER_LABELS.get(site.photo_policy, _("not set")))
        if run.step_id == "mentor" and not await repo.staff(school.id, Role.MENTOR, partner.id):
            values["mentor_note"] = Safe("\n\n<i>" + tr(_(
                "No mentor of {partner} has joined the school's lists yet: skip this step, "
                "import the mentor and assign them later."), partner=partner.name) + "</i>")
    if run.step_id == "confirm":
        draft = await draft_of(ctx, run, school, answers)
        if draft is not None:
            clashes = await overlap_lines(
                ctx, draft.when.starts, draft.when.ends, school.timezone,
                mentor_id=draft.mentor.id if draft.mentor else None,
                class_id=draft.school_class.id if draft.school_class else None) \
                if draft.when else []
            values["summary"] = Safe("\n".join(
                [tr(_("<b>Please check the new trial:</b>")), *card_lines(tr, draft,
                                                                           school.timezone),
                 *clashes]))
    return values


async def _setup_guard(ctx: Context, run: FlowRun) -> list[Outbound] | None:
    """The person is still a coordinator (and a duplicate's source still their school's)."""
    if coordinator(ctx) is not None and (
            run.flow_id != TRIAL_COPY.id or await school_trial(ctx, run.trial_id) is not None):
        return None
    await ctx.runs.cancel(run, ctx.now)
    return [ctx.say(NOT_FOUND)]  # answered here, not raised: the run is cancelled first


async def _create(ctx: Context, run: FlowRun, answers: Answers) -> list[Outbound]:
    """"Create": the trial, its participants, and what was made of it."""
    person, school = coordinator(ctx), await school_of(ctx)
    if person is None or school is None:  # answered, not raised: the run is complete by now
        return [ctx.say(NOT_FOUND)]
    tr = ctx.tr
    if answers.get("confirm", {}).get("choice") != CREATE:
        return [ctx.say(_("Nothing was created. You can start a new trial from the menu at "
                          "any time."), [[menu_button(tr)]])]
    draft = await draft_of(ctx, run, school, answers)
    if draft is None:
        return [ctx.say(NOT_FOUND)]
    problem = _missing(ctx, draft)
    if problem is not None:
        return [ctx.say(problem, [[menu_button(tr)]])]
    assert draft.when and draft.site and draft.school_class
    trial = await ctx.trial_setup.create(
        school_id=school.id, title=draft.title, class_id=draft.school_class.id,
        starts_at=draft.when.starts, ends_at=draft.when.ends, site_id=draft.site.id,
        coordinator_id=person.id, mentor_id=draft.mentor.id if draft.mentor else None,
        escort_id=draft.escort.id if draft.escort else None,
        created_at=ctx.now, updated_at=ctx.now, **draft.fields)
    for pupil in draft.pupils:
        await ctx.trials.add_participant(trial.id, pupil.id, ctx.now)
    await ctx.audit.record(person.id, "trial.create", f"trial:{trial.id}", ctx.now,
                                    copied_from=run.trial_id, pupils=len(draft.pupils))
    waiting = len(await pending_people(ctx, trial))
    lines = [tr(_("✅ The trial is created.")), "", *card_lines(tr, draft, school.timezone), "",
             tr(_("The parents of the pupils get the briefing and the consent request within "
                  "a few minutes, as soon as they have joined Synaq; the mentor is asked to "
                  "confirm two days before."))]
    rows: list[list[Button]] = []
    if waiting:
        lines.append(tr(_("People of this trial who have not joined Synaq yet: {count}."),
                        count=waiting))
        rows.append([Button(tr.plain(_("✉️ Invite those who have not joined ({count})"),
                                     count=waiting), TrialInvites(trial.id).pack())])
    rows += [[Button(tr.plain(_("📋 Trial status")), ShowTrial(trial.id).pack())],
             [menu_button(tr)]]
    return [Outbound(text=Safe("\n".join(lines)), person_id=person.id, buttons=rows,
                     trial_id=trial.id)]


def _missing(ctx: Context, draft: Draft) -> str | None:
    """Why the trial cannot be created after all (something changed meanwhile)."""
    if draft.when is None or draft.when.starts <= ctx.now:
        return _("The time you gave has passed meanwhile, so nothing was created. Please "
                 "start again from the menu.")
    if draft.site is None or draft.school_class is None or not draft.title:
        return _("The site or the class is no longer in the school's lists, so nothing was "
                 "created. Please start again from the menu.")
    if not draft.pupils:
        return _("None of the chosen pupils is in the class any more, so nothing was created. "
                 "Please start again from the menu.")
    return None


# --- the menu's buttons ----------------------------------------------------------------------------

async def _check_can_start(ctx: Context, school_id: int) -> None:
    """Raises the :class:`Refusal` saying what the school's lists lack for a trial."""
    repo = ctx.trial_setup
    if not await repo.sites(school_id):
        raise Refusal(_("There are no partners' sites yet. Import the partners and their sites "
                        "first: send me the school's spreadsheet (XLSX or CSV)."))
    if not await repo.classes(school_id):
        raise Refusal(NO_CLASSES)


@feature.button(NewTrial)
async def _new(ctx: Context, p: NewTrial) -> list[Outbound]:
    """Start (or go on with) a new trial."""
    person = coordinator(ctx)
    if person is None or person.school_id is None:
        raise Refusal(_("Only a school coordinator can set up trials."))
    await _check_can_start(ctx, person.school_id)
    run = await ctx.runs.latest(person.id, TRIAL_SETUP.id)
    if run is not None and run.status == RunStatus.ACTIVE:
        return await conversation.resume(ctx, run)
    return await conversation.start(ctx, TRIAL_SETUP)


@feature.button(DuplicateTrial)
async def _duplicate(ctx: Context, p: DuplicateTrial) -> list[Outbound]:
    """A new trial from this one's card."""
    trial = await managed_trial(ctx, p.trial_id)
    if trial.school_id is None:
        raise Refusal(NOT_FOUND)
    await _check_can_start(ctx, trial.school_id)
    if await ctx.trial_setup.site(trial.school_id, trial.site_id) is None:
        raise Refusal(_("This trial's site is no longer in the school's lists, so its card "
                        "cannot be copied. Please set up a new trial instead."))
    return await conversation.start(ctx, TRIAL_COPY, trial_id=trial.id)


feature.flow(TRIAL_SETUP, context=_setup_context, guard=_setup_guard, on_complete=_create)
feature.flow(TRIAL_COPY, context=_setup_context, guard=_setup_guard, on_complete=_create)
