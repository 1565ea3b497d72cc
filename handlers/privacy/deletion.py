"""Deletion requests: a person asks for their data to be deleted, a parent for their child's;
the school coordinator confirms in the chat; the ``deletion`` due job carries it out.

Who may ask (rule ``REQUEST_DELETION`` of handlers/access.py): an adult for themselves, a
parent for each of their children. A pupil's own request goes to their parents instead: the
school treats pupils as minors, whose legal representative acts for them under the
personal-data law (No. 94-V), and a deletion also ends the child's portfolio, which the
family should decide together. The pupil is told so, and each parent gets a button that
starts the request (at most once a day, so a tap cannot flood them).

The request waits for the coordinator of the person's school, who gets it with "confirm" /
"decline" buttons (and a menu entry while any is open). Confirmed requests are carried out
by the next tick; a request nobody has answered is carried out when ``DELETION_DAYS`` have
passed (the promised time: the right does not depend on the school's attention). What the
erasure does is ``PrivacyRepo.erase``: the name becomes "—", channels, phone, family links,
invites, messages, files, the portfolio and every free-text answer go; choices (consent
decisions, rubric scores) stay without a name for the school's counts. Everyone involved is
told, and the request, the decision and the erasure are in the audit log.
"""

from __future__ import annotations

from datetime import timedelta

from handlers import access
from handlers.access import Action
from handlers.context import Context
from handlers.events import Button, Inbound, Outbound
from handlers.feature import Feature
from handlers.menu import ROLE_NAMES, ShowMenu, menu_button
from handlers.privacy.buttons import (
    AskDeletion,
    ConfirmDeletion,
    DeclineDeletion,
    DeletionRequests,
    RequestDeletion,
)
from handlers.privacy.retention import unlink_after_commit
from handlers.refusal import Refusal
from handlers.schedule.school_time import SchoolTime
from locales import Safe, _
from storage.models import DeletionRequest, Person, Role
from storage.repos.privacy import CONFIRMED, DECLINED, PENDING

feature = Feature("privacy.deletion")

# The name an anonymised person keeps: language-neutral, and no one's.
PLACEHOLDER = "—"


def _first(person: Person) -> str:
    return person.full_name.split()[0] if person.full_name.split() else person.full_name


# --- asking ------------------------------------------------------------------------------------


async def ask(ctx: Context) -> list[Outbound]:
    """``/forgetme`` and the privacy page's button: whose data, then "are you sure?"."""
    person = ctx.person
    assert person is not None
    options: list[Person] = []
    if await access.check(ctx, Action.REQUEST_DELETION, pupil_id=person.id) is not None:
        options.append(person)
    for child in await ctx.people.children(person.id):
        if await access.check(ctx, Action.REQUEST_DELETION, pupil_id=child.id) is not None:
            options.append(child)
    if not options:
        if access.holds(person, Role.PUPIL):
            return await pupil_asks(ctx, person)
        raise Refusal()
    if len(options) == 1:
        return [confirm_question(ctx, options[0])]
    tr = ctx.tr
    rows = [[Button(tr.plain(_("🗑 My own data")) if p.id == person.id else
                    tr.plain(_("🗑 The data of {child}"), child=_first(p)),
                    AskDeletion(p.id).pack())] for p in options]
    rows.append([menu_button(tr)])
    return [ctx.say(_("Whose data should be deleted?"), rows)]


async def pupil_asks(ctx: Context, pupil: Person) -> list[Outbound]:
    """A pupil's request goes to their parents, who make it for them."""
    parents = [p for p in await ctx.people.guardians(pupil.id) if p.anonymised_at is None]
    school = await ctx.school_of(pupil)
    hold = SchoolTime.of(school, ctx.config).not_before(ctx.now, Role.PARENT)
    day = ctx.now.date().isoformat()
    out = [ctx.say(_(
        "Your parent (your legal representative) asks for this on your behalf: I have sent "
        "them a message with a button for it. You can also talk to your school "
        "coordinator. Nothing has been deleted yet."))]
    if not parents:
        out = [ctx.say(_("Your parent (your legal representative) asks for this on your "
                         "behalf, and they have not joined Synaq yet. Please talk to them or "
                         "to your school coordinator. Nothing has been deleted."))]
    for parent in parents:
        tr = ctx.tr_for(parent)
        out.append(Outbound(
            text=tr(_("{child} asked in Synaq for their data to be deleted. As their parent "
                      "you can ask the school for it; you may want to talk to your child "
                      "first."), child=_first(pupil)),
            person_id=parent.id, purpose="privacy.ask", not_before=hold,
            dedup_key=f"privacy.ask:{pupil.id}:{parent.id}:{day}",
            buttons=[[Button(tr.plain(_("🗑 Ask to delete the data of {child}"),
                                      child=_first(pupil)),
                                AskDeletion(pupil.id).pack())]]))
    return out


def confirm_question(ctx: Context, subject: Person) -> Outbound:
    tr = ctx.tr
    assert ctx.person is not None
    own = subject.id == ctx.person.id
    lead = (tr(_("Ask the school to delete your personal data from Synaq?")) if own else
            tr(_("Ask the school to delete the personal data of {child} from Synaq?"),
               child=subject.full_name))
    text = Safe(lead + "\n\n" + tr(_(
        "What goes: the name, phone and chats, family links, answers written in words, "
        "photos and files, the personal lines of summaries and the portfolio. What stays, "
        "without a name: that a pupil took part, consent decisions and ratings, for the "
        "school's counts. This cannot be undone.\n\nThe school coordinator confirms the "
        "request; it is carried out within {days} days at the latest."),
        days=ctx.config.deletion_days))
    rows = [[Button(tr.plain(_("🗑 Yes, ask for deletion")),
                    RequestDeletion(subject.id).pack())],
            [Button(tr.plain(_("Keep the data")), ShowMenu().pack())]]
    return Outbound(text=text, person_id=ctx.person.id, buttons=rows)


@feature.command("/forgetme")
async def _forget_command(ctx: Context, inbound: Inbound, arg: str) -> list[Outbound]:
    return await ask(ctx)


@feature.button(AskDeletion)
async def _forget_button(ctx: Context, p: AskDeletion) -> list[Outbound]:
    """Whose data (no id); are you sure (a person's id)?"""
    if p.subject_id is None:
        return await ask(ctx)
    grant = await access.check(ctx, Action.REQUEST_DELETION, pupil_id=p.subject_id)
    if grant is None or grant.pupil is None:
        if ctx.person is not None and p.subject_id == ctx.person.id \
                and access.holds(ctx.person, Role.PUPIL):
            return await pupil_asks(ctx, ctx.person)
        raise Refusal()
    return [confirm_question(ctx, grant.pupil)]


@feature.button(RequestDeletion)
async def _request(ctx: Context, p: RequestDeletion) -> list[Outbound]:
    """Record the request and ask the school coordinator."""
    grant = await access.check(ctx, Action.REQUEST_DELETION, pupil_id=p.subject_id)
    if grant is None or grant.pupil is None or ctx.person is None:
        raise Refusal()
    subject, person = grant.pupil, ctx.person
    repo = ctx.privacy
    tz = await ctx.timezone_of(subject.school_id)
    existing = await repo.open_request(subject.id)
    if existing is not None:
        return [ctx.say(_("A request to delete this data is already recorded (no. {id}); it "
                          "is carried out by {date} at the latest."), id=existing.id,
                        date=ctx.tr.date(existing.due_at, tz, "d MMMM yyyy"))]
    request = await repo.add_request(
        subject_id=subject.id, requested_by=person.id, school_id=subject.school_id,
        channel=ctx.identity.channel if ctx.identity else None, now=ctx.now,
        due_at=ctx.now + timedelta(days=ctx.config.deletion_days))
    await ctx.audit.record(person.id, "deletion.request", f"person:{subject.id}",
                                    ctx.now, request=request.id)
    out = [ctx.say(_("Your request is recorded (no. {id}). The school coordinator confirms "
                     "it, and the data is deleted by {date} at the latest; you will get a "
                     "message when it is done."), id=request.id,
                   date=ctx.tr.date(request.due_at, tz, "d MMMM yyyy"))]
    if subject.school_id is not None:
        for coordinator in await repo.coordinators(subject.school_id):
            out.append(await request_message(ctx, request, subject, person, coordinator))
    return out


async def request_message(ctx: Context, request: DeletionRequest, subject: Person,
                          requester: Person | None, viewer: Person) -> Outbound:
    """What the coordinator reads: who, asked by whom, by when; confirm or decline."""
    tr = ctx.tr_for(viewer)
    tz = await ctx.timezone_of(subject.school_id)
    roles = ", ".join(tr(ROLE_NAMES[r]) for r in sorted(subject.role_names) if r in ROLE_NAMES)
    school_class = await ctx.schools.school_class(subject.class_id) if subject.class_id \
        else None
    who = (tr(_("{name} ({roles}, class {class_name})"), name=subject.full_name,
                roles=Safe(roles), class_name=school_class.name) if school_class else
           tr(_("{name} ({roles})"), name=subject.full_name, roles=Safe(roles)))
    by = (tr(_("by themselves")) if requester is None or requester.id == subject.id else
          tr(_("by their parent {name}"), name=requester.full_name))
    text = tr(_("🗑 Deletion request no. {id}: the personal data of {who}, asked {by} on "
                "{date}. Please confirm it; if nobody answers, it is carried out on {due}."),
              id=request.id, who=who, by=by,
              date=tr.date(request.requested_at, tz, "d MMMM"),
              due=tr.date(request.due_at, tz, "d MMMM yyyy"))
    rows = [[Button(tr.plain(_("✅ Confirm the deletion")), ConfirmDeletion(request.id).pack()),
             Button(tr.plain(_("✋ Decline")), DeclineDeletion(request.id).pack())]]
    return Outbound(text=text, person_id=viewer.id, buttons=rows, purpose="deletion.request",
                    dedup_key=f"deletion.request:{request.id}:{viewer.id}")


# --- the coordinator decides -------------------------------------------------------------------


ALREADY = _("This request is already decided.")


async def _decidable(ctx: Context, request_id: int) -> DeletionRequest:
    """The pending request if the current person may decide it (the coordinator of its
    school: ``Action.CONFIRM_DELETION``); raises a :class:`Refusal` otherwise."""
    grant = await access.check(ctx, Action.CONFIRM_DELETION, request_id=request_id)
    if grant is None or grant.request is None:
        raise Refusal()
    if grant.request.status != PENDING:
        raise Refusal(ALREADY)
    return grant.request


@feature.button(ConfirmDeletion)
async def _confirm(ctx: Context, p: ConfirmDeletion) -> list[Outbound]:
    """Confirmed; the next tick carries it out."""
    found = await _decidable(ctx, p.request_id)
    assert ctx.person is not None
    if not await ctx.privacy.decide(found, CONFIRMED, ctx.person.id, ctx.now):
        raise Refusal(ALREADY)  # decided by a tap before this one: nothing was written
    await ctx.audit.record(ctx.person.id, "deletion.confirm",
                                    f"person:{found.subject_id}", ctx.now, request=found.id)
    return [ctx.say(_("✅ Confirmed: request no. {id} is carried out within a few minutes."),
                    id=found.id)]


@feature.button(DeclineDeletion)
async def _decline(ctx: Context, p: DeclineDeletion) -> list[Outbound]:
    """Declined; whoever asked is told to contact the coordinator."""
    found = await _decidable(ctx, p.request_id)
    person = ctx.person
    assert person is not None
    if not await ctx.privacy.decide(found, DECLINED, person.id, ctx.now):
        raise Refusal(ALREADY)  # decided by a tap before this one: nothing was written
    await ctx.audit.record(person.id, "deletion.decline",
                                    f"person:{found.subject_id}", ctx.now, request=found.id)
    out = [ctx.say(_("Declined: request no. {id}. Whoever asked is told to contact you; "
                     "please talk to them."), id=found.id)]
    requester = await ctx.people.get(found.requested_by) if found.requested_by else None
    if requester is not None and requester.anonymised_at is None:
        contact = ", ".join(x for x in (person.full_name, person.phone) if x)
        out.append(Outbound(
            text=ctx.tr_for(requester)(_(
                "The school coordinator did not confirm your request no. {id} to delete "
                "data. Please contact them: {contact}. You can ask again at any time."),
                id=found.id, contact=contact),
            person_id=requester.id, purpose="deletion.declined"))
    return out


@feature.menu(Role.COORDINATOR)
async def _open_requests(ctx: Context) -> list[Button]:
    person = access.coordinator(ctx.person)
    if person is None or person.school_id is None:
        return []
    count = len(await ctx.privacy.pending_for_school(person.school_id))
    if not count:
        return []
    return [Button(ctx.tr.plain(_("🗑 Deletion requests ({count})"), count=count),
                   DeletionRequests().pack())]


@feature.button(DeletionRequests)
async def _list(ctx: Context, p: DeletionRequests) -> list[Outbound]:
    """Every open request of the school, each with its buttons."""
    grant = await access.check(ctx, Action.SET_UP_TRIAL)  # a coordinator with a school
    if grant is None or grant.school_id is None:
        raise Refusal()
    out = []
    for request in await ctx.privacy.pending_for_school(grant.school_id):
        subject = await ctx.people.get(request.subject_id)
        requester = await ctx.people.get(request.requested_by) if request.requested_by \
            else None
        if subject is not None:
            message = await request_message(ctx, request, subject, requester, grant.person)
            message.dedup_key = None
            out.append(message)
    return out or [ctx.say(_("There are no open deletion requests."))]


# --- carrying it out ----------------------------------------------------------------------------


@feature.due("deletion")
async def _carry_out(ctx: Context) -> list[Outbound]:
    """Confirmed requests, and unanswered ones whose time has come."""
    repo = ctx.privacy
    out: list[Outbound] = []
    for request in await repo.due(ctx.now):
        subject = await ctx.people.get(request.subject_id)
        if subject is None or subject.anonymised_at is not None:
            await repo.done(request, ctx.now, {})
            continue
        unanswered = request.status == PENDING
        out += await _told(ctx, request, subject)
        erased = await repo.erase(subject, ctx.now, PLACEHOLDER)
        unlink_after_commit(ctx, erased.files)
        await repo.done(request, ctx.now, erased.counts)
        await ctx.audit.record(request.decided_by, "deletion.done",
                                        f"person:{subject.id}", ctx.now, request=request.id,
                                        unanswered=unanswered, **erased.counts)
    return out


async def _told(ctx: Context, request: DeletionRequest, subject: Person) -> list[Outbound]:
    """The message to whoever asked, made before their chat is forgotten: for a person
    erasing themselves it goes to the chat they used, and is not kept once sent."""
    requester = await ctx.people.get(request.requested_by) if request.requested_by else None
    if requester is None or requester.anonymised_at is not None:
        return []
    tr = ctx.tr_for(requester)
    if requester.id != subject.id:
        return [Outbound(text=tr(_("Done: the personal data of your child (request no. {id}) "
                                   "is deleted from Synaq."), id=request.id),
                         person_id=requester.id, purpose="deletion.done")]
    chats = await ctx.people.preferred_identities([requester.id])
    chat = chats.get(requester.id)
    if chat is None:
        return []
    return [Outbound(text=tr(_("Done: your personal data (request no. {id}) is deleted from "
                               "Synaq. This chat is no longer linked to you; to join again "
                               "you would need a new invite from the school."), id=request.id),
                     person_id=None, purpose="deletion.done",
                     reply_to=(chat.channel, chat.address))]
