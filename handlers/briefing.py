"""What a family reads about a trial, built from its technology card (form А).

The parent's briefing (l. 7520–7536): the task, risks and how they are reduced, who is
responsible at school and at the partner, what goes into the portfolio, and the practicalities
(l. 7538–7542): where and when, what to bring and wear, site rules, the escort's contact.
Everything written by the school or the partner is escaped by the translator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flows.parent_consent import PHOTO_OPTIONS
from handlers.context import Context
from locales import Safe, Translator, _, escape
from storage.models import Partner, Person, Site, Trial

TIER_LABELS = {o.value: o.label for o in PHOTO_OPTIONS}


@dataclass(frozen=True)
class TrialCard:
    trial: Trial
    site: Site | None
    partner: Partner | None
    coordinator: Person | None
    mentor: Person | None
    escort: Person | None
    timezone: str

    @property
    def photo_policy(self) -> str | None:
        """Card А field 19: the trial's own rule, else its site's."""
        return self.trial.photo_policy or (self.site.photo_policy if self.site else None)


async def load_card(ctx: Context, trial: Trial) -> TrialCard:
    site, partner = await ctx.trials.site_and_partner(trial)
    ids = [i for i in (trial.coordinator_id, trial.mentor_id, trial.escort_id) if i]
    people = await ctx.people.many(ids)
    return TrialCard(
        trial, site, partner,
        people.get(trial.coordinator_id or 0), people.get(trial.mentor_id or 0),
        people.get(trial.escort_id or 0), await ctx.timezone_of(trial.school_id),
    )


def when(card: TrialCard, tr: Translator) -> str:
    """"24 November, 10:00–12:00" in the reader's language and the school's time zone."""
    trial = card.trial
    return "{}–{}".format(tr.datetime(trial.starts_at, card.timezone, "d MMMM, HH:mm"),
                          tr.time(trial.ends_at, card.timezone))


def contact_line(person: Person | None, *, position: bool = True,
                 phone: bool = True) -> str | None:
    """"Name, position, phone" as plain text (the summary's PDF uses it too)."""
    if person is None:
        return None
    parts = [person.full_name]
    if position and person.position:
        parts.append(person.position)
    if phone and person.phone:
        parts.append(person.phone)
    return ", ".join(parts)


def _contact(person: Person | None, *, position: bool = True, phone: bool = True) -> Safe | None:
    line = contact_line(person, position=position, phone=phone)
    return Safe(escape(line)) if line is not None else None


def _section(tr: Translator, title: str, lines: Sequence[str]) -> list[str]:
    """A titled paragraph, or nothing when the card has nothing for it."""
    return ["\n".join([f"<b>{tr(title)}</b>", *lines])] if lines else []


def _task(card: TrialCard) -> Safe | None:
    steps = [s for s in card.trial.mini_task if s]
    if steps:
        return Safe("\n".join(f"{i}) {escape(s)}" for i, s in enumerate(steps, 1)))
    return Safe(escape(card.trial.labour_function)) if card.trial.labour_function else None


def safety_text(card: TrialCard, tr: Translator) -> Safe:
    """The safety part that "I have read the safety rules" refers to."""
    trial, site = card.trial, card.site
    lines = []
    if trial.risks:
        lines.append(tr(_("Risks and how they are reduced: {risks}"), risks=trial.risks))
    if trial.ppe:
        lines.append(tr(_("Protective equipment and clothing: {ppe}"), ppe=trial.ppe))
    if site and site.rules:
        lines.append(tr(_("Site rules: {rules}"), rules=site.rules))
    if trial.safety_briefing:
        lines.append(tr(_("Safety briefing: {briefing}"), briefing=trial.safety_briefing))
    evacuation = trial.evacuation or (site.evacuation if site else None)
    if evacuation:
        lines.append(tr(_("In an emergency: {evacuation}"), evacuation=evacuation))
    if not lines:
        lines.append(tr(_("The mentor gives a safety briefing on site before any work "
                          "starts; pupils follow the mentor's and the escort's instructions.")))
    return Safe("\n".join(lines))


def _practicalities(card: TrialCard, tr: Translator) -> list[str]:
    trial, site = card.trial, card.site
    lines: list[str] = []
    if trial.gather_place or trial.gather_at:
        at = tr.datetime(trial.gather_at, card.timezone, "d MMMM, HH:mm") if trial.gather_at \
            else when(card, tr)
        lines.append(tr(_("Gathering: {place}, {at}"), place=trial.gather_place or "—", at=at))
    if site:
        address = ", ".join(p for p in (site.address, site.place) if p)
        lines.append(tr(_("Site: {address}"), address=address))
    if trial.bring:
        lines.append(tr(_("Bring: {bring}"), bring=trial.bring))
    if trial.ppe:
        lines.append(tr(_("Wear: {ppe}"), ppe=trial.ppe))
    if site and site.rules:
        lines.append(tr(_("Site rules: {rules}"), rules=site.rules))
    escort = _contact(card.escort, position=False)
    if escort:
        lines.append(tr(_("Escorting teacher: {escort}"), escort=escort))
    return lines


def briefing_text(card: TrialCard, tr: Translator, child: Person) -> Safe:
    """The parent's briefing for one child, in plain language."""
    trial = card.trial
    parts: list[str] = [
        tr(_("<b>Professional trial: {trial}</b>\n{child} · {when}"), trial=trial.title,
           child=child.full_name, when=when(card, tr)),
        tr(_("At a real workplace your child tries one task of a profession under a mentor, "
             "gets feedback and keeps a record of what they made.")),
    ]
    task: list[str] = [tr(_("Profession: {profession}"), profession=trial.profession)] \
        if trial.profession else []
    if (steps := _task(card)) is not None:
        task.append(steps)
    if trial.pupil_goal:
        task.append(tr(_("The pupil's goal: {goal}"), goal=trial.pupil_goal))
    parts += _section(tr, _("What the pupils will try"), task)
    parts += _section(tr, _("Safety"), [safety_text(card, tr)])
    responsible: list[str] = []
    if (coordinator := _contact(card.coordinator)) is not None:
        responsible.append(tr(_("At school: {person}"), person=coordinator))
    if (mentor := _contact(card.mentor, phone=False)) is not None:
        partner = card.partner.name if card.partner else "—"
        responsible.append(tr(_("At the partner ({partner}): mentor {person}"),
                              partner=partner, person=mentor))
    parts += _section(tr, _("Who is responsible"), responsible)
    portfolio: list[str] = []
    if trial.expected_artefact:
        portfolio.append(tr(_("Your child's result: {artefact}, with their own reflection "
                              "and the mentor's feedback."), artefact=trial.expected_artefact))
    policy = card.photo_policy
    portfolio.append(tr(_("Photos and videos are kept only as far as you allow in your answer "
                          "(and the site allows: {policy}).")
                        if policy else _("Photos and videos are kept only as far as you allow "
                                         "in your answer."),
                        policy=tr(TIER_LABELS[policy]) if policy else ""))
    parts += _section(tr, _("What goes into the portfolio"), portfolio)
    parts += _section(tr, _("Where and when"), _practicalities(card, tr))
    return Safe("\n\n".join(parts))


def logistics_text(card: TrialCard, tr: Translator, child: Person | None) -> Safe:
    """The evening-before message; ``child`` names the pupil when it goes to a parent."""
    title = (tr(_("<b>Tomorrow {child} goes to the trial «{trial}»</b>, {when}."),
                child=child.full_name, trial=card.trial.title, when=when(card, tr))
             if child is not None else
             tr(_("<b>Tomorrow is your trial «{trial}»</b>, {when}."), trial=card.trial.title,
                when=when(card, tr)))
    return Safe("\n".join([title, "", *_practicalities(card, tr)]))
