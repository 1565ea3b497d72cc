"""``/mydata``: everything Synaq holds about a person — and, for a parent, about each child —
as one JSON file in the chat (the personal-data law lets the subject and their legal
representative ask what is held).

The file lists the profile, roles, the channels they reach us on (addresses masked but for
the last digits), guardian links, consents, trials, questionnaires with their answers, the
files kept (described, not attached), summaries, portfolio entries, the messages sent to
them and to their parents about them (purpose, channel, dates — no texts), who read their
medical notes and what they did themselves that the audit log records, invites and deletion
requests. What they wrote about someone else (a mentor's ratings of pupils) is listed
without its content: that is the other person's data.

The document goes out as a reply that is not kept once sent (the outbox row has no person,
so it is deleted after delivery and the file is swept by the retention job); the read
itself is written to the audit log.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from handlers import access
from handlers.access import Action
from handlers.context import Context
from handlers.events import Attachment, Button, Inbound, Outbound
from handlers.feature import EVERYONE, Feature
from handlers.menu import menu_button
from handlers.privacy.buttons import AskDeletion, DownloadMyData, PrivacyPage
from handlers.refusal import Refusal
from handlers.schedule.reminders import parse_key
from locales import Translator, _
from storage.files import MediaStore
from storage.models import Person
from storage.repos.privacy import Held

feature = Feature("privacy.mydata")

MIME = "application/json"
# Who wrote a questionnaire that is about someone else, by the flow.
AUTHORS = {"mentor.rubric": "mentor", "parent.consent": "parent",
           "summary.edit": "class teacher"}


def mask(value: str | None, keep: int = 2) -> str | None:
    """"whatsapp:+77010000001" → "whatsapp:+*********01"; "500001" → "****01"."""
    if not value:
        return value
    head = ""
    if value.startswith("whatsapp:"):
        head, value = "whatsapp:", value[len("whatsapp:"):]
    if value.startswith("+"):
        head, value = head + "+", value[1:]
    shown = value[-keep:] if len(value) > keep else ""
    return head + "*" * (len(value) - len(shown)) + shown


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def person_file(held: Held, names: dict[int, str], about_child: bool = False) -> dict[str, Any]:
    """The data of one person as plain JSON values. ``names`` are the names of the staff
    who appear in it (who read a medical note)."""
    p = held.person
    trials = held.trials

    def title(trial_id: int | None) -> str | None:
        trial = trials.get(trial_id or 0)
        return trial.title if trial else None

    guardians = {g.id for g in held.parents}
    own_children = {c.id for c in held.children}
    questionnaires = []
    for run in held.runs:
        mine = run.person_id == p.id
        about_other = mine and run.pupil_id not in (None, p.id) \
            and run.pupil_id not in own_children
        questionnaires.append({
            "flow": run.flow_id, "trial": title(run.trial_id), "status": run.status,
            "started_at": _at(run.started_at), "completed_at": _at(run.completed_at),
            "by": "you" if mine else AUTHORS.get(run.flow_id, "school"),
            "answers": ("about another person: not included" if about_other
                        else held.answers.get(run.id, {})),
        })
    own_trials = {t.id for _part, t in held.participations}
    messages = []
    for row in held.messages:
        if row.person_id == p.id:
            to = "you"
        else:
            # To a parent about this child: the timeline's key names the child; a message
            # without one counts when it is about one of the child's trials.
            key = parse_key(row.dedup_key or "")
            about = (key.recipient.pupil_id == p.id if key is not None
                     else row.trial_id in own_trials)
            if row.person_id not in guardians or not about:
                continue
            to = "your parent"
        messages.append({"to": to, "purpose": row.purpose, "channel": row.channel,
                         "status": row.status, "trial": title(row.trial_id),
                         "created_at": _at(row.created_at), "sent_at": _at(row.sent_at)})
    return {
        "about": "your child" if about_child else "you",
        "profile": {
            "id": p.id, "name": p.full_name, "language": p.locale, "phone": mask(p.phone),
            "position": p.position, "special_needs": p.special_needs,
            "school": held.school.name if held.school else None,
            "class": held.school_class.name if held.school_class else None,
            "roles": sorted(p.role_names), "created_at": _at(p.created_at),
            "unreachable_since": _at(p.unreachable_since),
        },
        "channels": [{"channel": i.channel, "address": mask(i.address),
                      "joined_at": _at(i.created_at), "last_message_at": _at(i.last_inbound_at),
                      "blocked_at": _at(i.blocked_at)} for i in held.identities],
        "parents": [{"id": g.id, "name": g.full_name} for g in held.parents],
        "children": [{"id": c.id, "name": c.full_name} for c in held.children],
        "trials": [{"trial": t.title, "starts_at": _at(t.starts_at), "ends_at": _at(t.ends_at),
                    "status": t.status, "attendance": part.attendance,
                    "activity_mark": part.activity_mark, "completed_mark": part.completed_mark}
                   for part, t in held.participations],
        "consents": [{"trial": title(c.trial_id), "child_id": c.pupil_id,
                      "decided_by": "you" if c.parent_id == p.id else "parent",
                      "action": c.action, "participation": c.participation,
                      "photo_tier": c.photo_tier, "medical_note": c.medical_note,
                      "safety_rules_read": c.safety_read, "text_version": c.text_version,
                      "channel": c.channel, "at": _at(c.created_at)} for c in held.consents],
        "questionnaires": questionnaires,
        "files": [{"id": m.id, "kind": m.kind, "type": m.mime, "bytes": m.size,
                   "trial": title(m.trial_id), "photo_tier": m.tier, "sha256": m.sha256,
                   "received_at": _at(m.created_at)} for m in held.media],
        "summaries": [{"trial": title(x.trial_id), "status": x.status,
                       "teachers_line": x.personal_line, "family_choice": x.family_choice,
                       "sent_at": _at(x.sent_at)} for x in held.summaries],
        "portfolio": [{"trial": title(e.trial_id), "added_at": _at(e.created_at)}
                      for e in held.portfolio],
        "messages": messages,
        "audit": [{"action": a.action, "at": _at(a.at),
                   "by": "you" if a.actor_id == p.id else names.get(a.actor_id or 0, "system"),
                   "subject": a.subject} for a in held.audit],
        "invites": [{"role": i.role, "issued_at": _at(i.created_at),
                     "expires_at": _at(i.expires_at), "used_at": _at(i.used_at),
                     "revoked_at": _at(i.revoked_at)} for i in held.invites],
        "deletion_requests": [{"id": r.id, "status": r.status,
                               "for": "you" if r.subject_id == p.id else "your child",
                               "requested_at": _at(r.requested_at), "due_at": _at(r.due_at),
                               "done_at": _at(r.done_at)} for r in held.requests],
    }


async def collect(ctx: Context, person: Person) -> tuple[dict[str, Any], list[int]]:
    """The person's file and, for a parent, a file per child the policy lets them see;
    returns the document and the ids of everyone in it."""
    repo = ctx.privacy
    held = await repo.held(person)
    files = [(held, False)]
    for child in held.children:
        grant = await access.check(ctx, Action.MY_DATA, pupil_id=child.id)
        if grant is not None and grant.pupil is not None:
            files.append((await repo.held(grant.pupil), True))
    staff = {a.actor_id for h, _c in files for a in h.audit if a.actor_id}
    names = {i: p.full_name for i, p in (await ctx.people.many(staff)).items()}
    document = {
        "service": "Synaq",
        "generated_at": _at(ctx.now),
        "note": ctx.tr.plain(_(
            "Everything Synaq holds about you and, if you are a parent, about your "
            "children. Phone numbers and chat addresses are shown masked. To ask for your "
            "data to be deleted, send /forgetme.")),
        "people": [person_file(h, names, about_child) for h, about_child in files],
    }
    return document, [h.person.id for h, _c in files]


def counts_line(tr: Translator, document: dict[str, Any]) -> str:
    people = document["people"]
    return tr(_("People in the file: {people}. Questionnaires: {runs}; consent decisions: "
                "{consents}; files kept: {files}; messages: {messages}."),
              people=len(people), runs=sum(len(p["questionnaires"]) for p in people),
              consents=sum(len(p["consents"]) for p in people),
              files=sum(len(p["files"]) for p in people),
              messages=sum(len(p["messages"]) for p in people))


async def my_data(ctx: Context) -> list[Outbound]:
    """The file, as a reply that is not kept once it is sent."""
    assert ctx.person is not None
    grant = await access.check(ctx, Action.MY_DATA, pupil_id=ctx.person.id)
    if grant is None:
        raise Refusal()
    document, ids = await collect(ctx, ctx.person)
    data = json.dumps(document, ensure_ascii=False, indent=2).encode()
    key, _digest = MediaStore(ctx.config.media_dir).put(data, MIME, ctx.now)
    await ctx.audit.record(ctx.person.id, "read.mydata", f"person:{ctx.person.id}",
                                    ctx.now, people=ids, bytes=len(data))
    tr = ctx.tr
    text = tr(_("Here is everything Synaq holds about you, as a file (JSON: it opens in any "
                "text editor).")) + "\n" + counts_line(tr, document)
    return [Outbound(text=text, person_id=None, purpose="privacy.mydata",
                     attachments=[Attachment("document", key, "synaq-my-data.json", MIME)])]


def privacy_page(ctx: Context) -> Outbound:
    tr = ctx.tr
    assert ctx.person is not None
    rows = [[Button(tr.plain(_("📦 Get my data as a file")), DownloadMyData().pack())],
            [Button(tr.plain(_("🗑 Ask to delete data")), AskDeletion().pack())],
            [menu_button(tr)]]
    return Outbound(text=tr(_(
        "<b>Your data in Synaq</b>\nSynaq keeps what the school and you entered for the "
        "trials, on the school's own server. You can get all of it as a file, and you can "
        "ask for it to be deleted (a parent also for their child); the school coordinator "
        "confirms a deletion. Consent for a trial can be withdrawn at any time from the "
        "trial's button in the menu.")), person_id=ctx.person.id, buttons=rows)


@feature.command("/mydata")
async def _command(ctx: Context, inbound: Inbound, arg: str) -> list[Outbound]:
    return await my_data(ctx)


@feature.button(DownloadMyData)
async def _download(ctx: Context, p: DownloadMyData) -> list[Outbound]:
    return await my_data(ctx)


@feature.button(PrivacyPage)
async def _page(ctx: Context, p: PrivacyPage) -> list[Outbound]:
    return [privacy_page(ctx)]


@feature.menu(EVERYONE)
async def _entry(ctx: Context) -> list[Button]:
    return [Button(ctx.tr.plain(_("🔐 My data")), PrivacyPage().pack())]
