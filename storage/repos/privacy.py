"""What Synaq holds about a person (for ``/mydata``), deletion requests and the erasure they
lead to, and the retention purge of old media, free text and message records.

Longer than most modules on purpose: what is held, what erasure removes and what the purge
removes are read against each other table by table, and must not drift apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Answer,
    AuditLog,
    Consent,
    DeletionRequest,
    FlowRun,
    Guardian,
    Identity,
    Invite,
    Media,
    Outbox,
    OutboxStatus,
    Participant,
    Person,
    PortfolioEntry,
    ProcessedInbound,
    RunStatus,
    School,
    SchoolClass,
    Summary,
    Trial,
)
from storage.repos.sql import chunks

from .rubric import RUBRIC_FLOW

PENDING, CONFIRMED, DECLINED, DONE = "pending", "confirmed", "declined", "done"
OPEN = (PENDING, CONFIRMED)
# What a redacted answer or message keeps: that there was one, not what it said.
REDACTED: dict[str, Any] = {"redacted": True}
UNSENT = (OutboxStatus.QUEUED, OutboxStatus.SENDING)


@dataclass
class Held:
    """Every row about one person, as loaded for their data file."""

    person: Person
    school: School | None
    school_class: SchoolClass | None
    identities: list[Identity]
    parents: list[Person]
    children: list[Person]
    participations: list[tuple[Participant, Trial]]
    consents: list[Consent]  # about them (a pupil) or given by them (a parent)
    runs: list[FlowRun]  # theirs, and those about them
    answers: dict[int, dict[str, dict[str, Any]]]  # run id → step → value
    media: list[Media]
    summaries: list[Summary]
    portfolio: list[PortfolioEntry]
    messages: list[Outbox]  # to them, and about them to their parents
    audit: list[AuditLog]
    invites: list[Invite]
    requests: list[DeletionRequest]
    trials: dict[int, Trial] = field(default_factory=dict)  # every trial named above


@dataclass
class Erased:
    """What an erasure removed: counts for the request's record, keys of files to delete."""

    counts: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def add(self, what: str, count: int) -> None:
        if count:
            self.counts[what] = self.counts.get(what, 0) + count


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def json_fragment(text: str) -> str:
    """How ``text`` appears inside a stored JSON value (the JSON type writes ``json.dumps``
    output: non-ASCII as ``\\uXXXX``), to find it with LIKE."""
    import json

    return json.dumps(text)[1:-1]


class PrivacyRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- what is held ------------------------------------------------------------------------

    async def held(self, person: Person) -> Held:
        """Everything about ``person``, and the messages to their parents (the caller keeps
        those about this person). Runs by them about someone else (a mentor's ratings of
        pupils) are listed without their answers by the caller."""
        s = self.session
        pid = person.id
        school = await s.get(School, person.school_id) if person.school_id else None
        school_class = await s.get(SchoolClass, person.class_id) if person.class_id else None
        identities = list(await s.scalars(
            select(Identity).where(Identity.person_id == pid).order_by(Identity.id)))
        parents = list(await s.scalars(
            select(Person).join(Guardian, Guardian.parent_id == Person.id)
            .where(Guardian.pupil_id == pid).order_by(Person.id)))
        children = list(await s.scalars(
            select(Person).join(Guardian, Guardian.pupil_id == Person.id)
            .where(Guardian.parent_id == pid).order_by(Person.id)))
        participations = [(p, t) for p, t in await s.execute(
            select(Participant, Trial).join(Trial, Trial.id == Participant.trial_id)
            .where(Participant.pupil_id == pid).order_by(Trial.starts_at, Trial.id))]
        consents = list(await s.scalars(
            select(Consent).where(or_(Consent.pupil_id == pid, Consent.parent_id == pid))
            .order_by(Consent.created_at, Consent.id)))
        runs = list(await s.scalars(
            select(FlowRun).where(or_(FlowRun.person_id == pid, FlowRun.pupil_id == pid))
            .order_by(FlowRun.id)))
        answers: dict[int, dict[str, dict[str, Any]]] = {r.id: {} for r in runs}
        for ids in chunks(sorted(answers)):
            for a in await s.scalars(select(Answer).where(Answer.run_id.in_(ids))):
                answers[a.run_id][a.step_id] = a.value
        media = list(await s.scalars(
            select(Media).where(or_(Media.pupil_id == pid, Media.person_id == pid))
            .order_by(Media.id)))
        summaries = list(await s.scalars(
            select(Summary).where(Summary.pupil_id == pid).order_by(Summary.id)))
        portfolio = list(await s.scalars(
            select(PortfolioEntry).where(PortfolioEntry.pupil_id == pid)
            .order_by(PortfolioEntry.id)))
        recipients = [pid, *(g.id for g in parents)]
        messages = list(await s.scalars(
            select(Outbox).where(Outbox.person_id.in_(recipients)).order_by(Outbox.id)))
        audit = [row for row in await s.scalars(
            select(AuditLog).where(or_(
                AuditLog.actor_id == pid, AuditLog.subject == f"person:{pid}",
                AuditLog.action == "read.medical")).order_by(AuditLog.id))
            if row.actor_id == pid or row.subject == f"person:{pid}"
            or pid in (row.detail or {}).get("pupils", [])]
        invites = list(await s.scalars(
            select(Invite).where(Invite.person_id == pid).order_by(Invite.id)))
        requests = list(await s.scalars(
            select(DeletionRequest).where(or_(DeletionRequest.subject_id == pid,
                                              DeletionRequest.requested_by == pid))
            .order_by(DeletionRequest.id)))
        held = Held(person, school, school_class, identities, parents, children,
                    participations, consents, runs, answers, media, summaries, portfolio,
                    messages, audit, invites, requests)
        trial_ids = ({t.id for _p, t in participations} | {c.trial_id for c in consents}
                     | {r.trial_id for r in runs if r.trial_id}
                     | {m.trial_id for m in media if m.trial_id}
                     | {x.trial_id for x in summaries} | {e.trial_id for e in portfolio}
                     | {m.trial_id for m in messages if m.trial_id})
        for ids in chunks(sorted(trial_ids)):
            for trial in await s.scalars(select(Trial).where(Trial.id.in_(ids))):
                held.trials[trial.id] = trial
        return held

    # --- deletion requests -----------------------------------------------------------------

    async def open_request(self, subject_id: int) -> DeletionRequest | None:
        return await self.session.scalar(
            select(DeletionRequest).where(DeletionRequest.subject_id == subject_id,
                                          DeletionRequest.status.in_(OPEN))
            .order_by(DeletionRequest.id.desc()).limit(1))

    async def add_request(self, *, subject_id: int, requested_by: int, school_id: int | None,
                          channel: str | None, now: datetime,
                          due_at: datetime) -> DeletionRequest:
        request = DeletionRequest(
            subject_id=subject_id, requested_by=requested_by, school_id=school_id,
            channel=channel, status=PENDING, requested_at=now, due_at=due_at, outcome={})
        self.session.add(request)
        await self.session.flush()
        return request

    async def decide(self, request: DeletionRequest, status: str, by: int,
                     now: datetime) -> bool:
        """Pending → ``status``; False if it was decided already (a second tap)."""
        result = await self.session.execute(
            update(DeletionRequest)
            .where(DeletionRequest.id == request.id, DeletionRequest.status == PENDING)
            .values(status=status, decided_by=by, decided_at=now)
            .execution_options(synchronize_session=False))
        if _rowcount(result) != 1:
            return False
        await self.session.refresh(request)
        return True

    async def due(self, now: datetime) -> list[DeletionRequest]:
        """Confirmed requests, and pending ones whose promised time has come."""
        return list(await self.session.scalars(
            select(DeletionRequest).where(or_(
                DeletionRequest.status == CONFIRMED,
                (DeletionRequest.status == PENDING) & (DeletionRequest.due_at <= now)))
            .order_by(DeletionRequest.id).with_for_update(skip_locked=True)))

    async def pending_for_school(self, school_id: int) -> list[DeletionRequest]:
        return list(await self.session.scalars(
            select(DeletionRequest).where(DeletionRequest.school_id == school_id,
                                          DeletionRequest.status == PENDING)
            .order_by(DeletionRequest.id)))

    async def done(self, request: DeletionRequest, now: datetime,
                   outcome: dict[str, int]) -> None:
        request.status = DONE
        request.done_at = now
        request.outcome = outcome
        await self.session.flush()

    async def coordinators(self, school_id: int) -> list[Person]:
        from storage.models import PersonRole

        return list(await self.session.scalars(
            select(Person).join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.school_id == school_id, PersonRole.role == "coordinator",
                   Person.anonymised_at.is_(None)).order_by(Person.id)))

    # --- erasure -------------------------------------------------------------------------------

    async def erase(self, person: Person, now: datetime, placeholder: str) -> Erased:
        """Anonymise ``person``: their name becomes ``placeholder``; their channels, phone,
        guardian links, invites, messages, files, portfolio and every free-text answer by or
        about them go; choices (consent decisions, rubric scores, self-ratings) stay, so the
        school's depersonalised counts still add up. Runs still open are closed."""
        s = self.session
        pid = person.id
        done = Erased()
        full_name = person.full_name
        guardians = list(await s.scalars(select(Guardian.parent_id)
                                         .where(Guardian.pupil_id == pid)))

        # Free text and files in answers: of the person's own runs (not those about someone
        # else, such as a mentor's ratings of pupils), and of every run about them.
        runs = list(await s.scalars(select(FlowRun).where(or_(
            (FlowRun.person_id == pid) & (or_(FlowRun.pupil_id.is_(None),
                                              FlowRun.pupil_id == pid)),
            FlowRun.pupil_id == pid))))
        done.add("answers_redacted", await self._redact_answers([r.id for r in runs]))
        for run in runs:
            if run.status == RunStatus.ACTIVE:
                run.status = RunStatus.CANCELLED
                run.updated_at = now
                run.version += 1
                done.add("runs_closed", 1)

        media = list(await s.scalars(select(Media).where(
            or_(Media.pupil_id == pid, Media.person_id == pid))))
        done.files += [m.storage_key for m in media]
        if media:
            await s.execute(delete(Media).where(Media.id.in_([m.id for m in media])))
        done.add("media", len(media))

        done.add("medical_notes", _rowcount(await s.execute(
            update(Consent).where(Consent.pupil_id == pid, Consent.medical_note.is_not(None))
            .values(medical_note=None))))
        done.add("summary_lines", _rowcount(await s.execute(
            update(Summary).where(Summary.pupil_id == pid, Summary.personal_line.is_not(None))
            .values(personal_line=None))))
        done.add("portfolio", _rowcount(await s.execute(
            delete(PortfolioEntry).where(PortfolioEntry.pupil_id == pid))))

        # Messages: theirs go; others' that name them in full keep only purpose and dates;
        # their parents' waiting messages that name them are withdrawn.
        done.add("messages", _rowcount(await s.execute(
            delete(Outbox).where(Outbox.person_id == pid))))
        names = [full_name]
        first = full_name.split()[0] if full_name.split() else ""
        named = or_(*(cast(Outbox.payload, String).contains(json_fragment(n), autoescape=True)
                      for n in names))
        if guardians and len(first) >= 3:
            family = Outbox.person_id.in_(guardians) & cast(Outbox.payload, String).contains(
                json_fragment(first), autoescape=True)
            named = or_(named, family)
            done.add("messages_withdrawn", _rowcount(await s.execute(
                update(Outbox).where(Outbox.person_id.in_(guardians),
                                     Outbox.status == OutboxStatus.QUEUED, named)
                .values(status=OutboxStatus.CANCELLED, payload=REDACTED,
                        error="the person's data was deleted")
                .execution_options(synchronize_session=False))))
        done.add("messages_redacted", _rowcount(await s.execute(
            update(Outbox).where(Outbox.status.not_in(UNSENT), named)
            .values(payload=REDACTED).execution_options(synchronize_session=False))))

        done.add("identities", _rowcount(await s.execute(
            delete(Identity).where(Identity.person_id == pid))))
        done.add("guardian_links", _rowcount(await s.execute(
            delete(Guardian).where(or_(Guardian.pupil_id == pid, Guardian.parent_id == pid)))))
        done.add("invites", _rowcount(await s.execute(
            delete(Invite).where(Invite.person_id == pid))))

        person.full_name = placeholder
        person.phone = None
        person.position = None
        person.locale = None
        person.special_needs = False
        person.unreachable_since = None
        person.unreachable_reason = None
        person.anonymised_at = now
        await s.flush()
        return done

    async def _redact_answers(self, run_ids: list[int]) -> int:
        """Text and file answers of these runs become ``REDACTED``; choices stay."""
        count = 0
        for ids in chunks(run_ids):
            rows = list(await self.session.scalars(select(Answer).where(
                Answer.run_id.in_(ids), _has_content())))
            count += await self._redact(rows)
        return count

    async def _redact(self, rows: list[Answer]) -> int:
        changed = [a.id for a in rows if "text" in a.value or "media" in a.value]
        for ids in chunks(changed):
            await self.session.execute(
                update(Answer).where(Answer.id.in_(ids)).values(value=REDACTED)
                .execution_options(synchronize_session=False))
        return len(changed)

    # --- a withdrawn consent ----------------------------------------------------------------

    async def open_cards_about(self, trial_id: int, pupil_id: int) -> list[FlowRun]:
        """The mentor's rubric cards of the trial about the pupil still open."""
        return list(await self.session.scalars(
            select(FlowRun).where(FlowRun.trial_id == trial_id,
                                  FlowRun.status == RunStatus.ACTIVE,
                                  FlowRun.pupil_id == pupil_id, FlowRun.flow_id == RUBRIC_FLOW)
            .order_by(FlowRun.id)))

    async def waiting_about(self, trial_id: int, person_ids: list[int]) -> list[int]:
        """Ids of timed messages of the trial still waiting for these people."""
        return list(await self.session.scalars(
            select(Outbox.id).where(Outbox.trial_id == trial_id,
                                    Outbox.person_id.in_(person_ids),
                                    Outbox.status == OutboxStatus.QUEUED,
                                    Outbox.dedup_key.is_not(None))))

    async def media_of(self, trial_id: int, pupil_id: int) -> list[Media]:
        return list(await self.session.scalars(
            select(Media).where(Media.trial_id == trial_id, Media.pupil_id == pupil_id)))

    # --- retention -------------------------------------------------------------------------------

    async def old_media(self, before: datetime) -> list[Media]:
        return list(await self.session.scalars(
            select(Media).where(Media.created_at < before).order_by(Media.id)))

    async def delete_media(self, ids: list[int]) -> int:
        count = 0
        for chunk in chunks(ids):
            count += _rowcount(await self.session.execute(
                delete(Media).where(Media.id.in_(chunk))))
        return count

    async def redact_old_answers(self, before: datetime) -> int:
        """Free text (and file references) answered before ``before``, in runs no longer
        open; open runs untouched since then are closed first."""
        await self.session.execute(
            update(FlowRun).where(FlowRun.status == RunStatus.ACTIVE, FlowRun.updated_at < before)
            .values(status=RunStatus.CANCELLED, version=FlowRun.version + 1)
            .execution_options(synchronize_session=False))
        rows = list(await self.session.scalars(
            select(Answer).join(FlowRun, FlowRun.id == Answer.run_id)
            .where(Answer.answered_at < before, FlowRun.status != RunStatus.ACTIVE,
                   _has_content())))
        return await self._redact(rows)

    async def clear_old_notes(self, before: datetime) -> int:
        """Medical notes of old consents, teachers' lines of old summaries, mentors' reasons
        for not coming to old trials."""
        count = _rowcount(await self.session.execute(
            update(Consent).where(Consent.created_at < before, Consent.medical_note.is_not(None))
            .values(medical_note=None)))
        count += _rowcount(await self.session.execute(
            update(Summary).where(Summary.created_at < before, Summary.personal_line.is_not(None))
            .values(personal_line=None)))
        count += _rowcount(await self.session.execute(
            update(Trial).where(Trial.ends_at < before, Trial.mentor_reason.is_not(None))
            .values(mentor_reason=None)))
        return count

    async def redact_old_messages(self, before: datetime) -> int:
        """Messages handled before ``before`` keep purpose, status and dates only."""
        return _rowcount(await self.session.execute(
            update(Outbox).where(Outbox.created_at < before, Outbox.status.not_in(UNSENT),
                                 Outbox.address != "")
            .values(payload=REDACTED, address="")
            .execution_options(synchronize_session=False)))

    async def delete_old_messages(self, before: datetime) -> int:
        return _rowcount(await self.session.execute(
            delete(Outbox).where(Outbox.created_at < before, Outbox.status.not_in(UNSENT))
            .execution_options(synchronize_session=False)))

    async def forget_inbound(self, before: datetime) -> int:
        return _rowcount(await self.session.execute(
            delete(ProcessedInbound).where(ProcessedInbound.received_at < before)))

    async def referenced_files(self) -> set[str]:
        """Storage keys still in use: media rows, and attachments of messages whose
        payload is kept (a summary PDF waiting in the outbox)."""
        keys = set(await self.session.scalars(select(Media.storage_key)))
        payloads = await self.session.scalars(
            select(Outbox.payload).where(Outbox.address != "", cast(
                Outbox.payload, String).contains('"attachments": [{', autoescape=True)))
        for payload in payloads:
            keys.update(a.get("key", "") for a in payload.get("attachments", []))
        return keys

    async def last_audit(self, action: str) -> datetime | None:
        return await self.session.scalar(
            select(AuditLog.at).where(AuditLog.action == action)
            .order_by(AuditLog.at.desc()).limit(1))


def _has_content() -> Any:
    """Answers whose stored JSON holds a text or a file (a cheap filter, read again in
    Python before anything changes)."""
    text = cast(Answer.value, String)
    return or_(text.contains('"text"', autoescape=True), text.contains('"media"', autoescape=True))
