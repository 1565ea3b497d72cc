"""Deletion requests: a parent asks for their child's data, the coordinator confirms in the
chat, the next tick anonymises the pupil (keeping only depersonalised counts); a pupil's own
request goes to their parents; a declined request deletes nothing; an unanswered one is
carried out when DELETION_DAYS have passed; an adult erasing themselves is told in the chat
that no longer knows them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import String, cast, func, select

from handlers.privacy.buttons import ConfirmDeletion, RequestDeletion
from storage.models import (
    Answer,
    AuditLog,
    Consent,
    DeletionRequest,
    FlowRun,
    Guardian,
    Identity,
    Media,
    Outbox,
    Participant,
    Person,
    PortfolioEntry,
    Summary,
)
from storage.repos.privacy import json_fragment

from .demo_school import COORDINATOR, MENTOR, PARENTS, PUPILS, jpeg

SAULE, MARAT, _KAIRAT = PARENTS
ARUZHAN, DIAS, _MADINA = PUPILS
NOTE = "Астма: ингалятор в левом кармане"


async def count(h, model, *where) -> int:
    async with h.db() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_a_parent_asks_the_coordinator_confirms_and_the_pupil_is_anonymised(h, demo):
    saule = await demo.consent(SAULE, tier="Portfolio only", note=NOTE)
    await demo.held(tier=None, photo=jpeg())
    coordinator = await demo.join(COORDINATOR, lang="en")
    await h.tick(h.now)  # the summary and the portfolio entry are made
    aruzhan_id = demo.id(ARUZHAN)
    async with h.db() as s:
        photo = await s.scalar(select(Media))
        path = h.settings.media_dir / photo.storage_key
        assert path.is_file()
        summary = await s.scalar(select(Summary))
        summary.personal_line = "Аружан тізбекті өзі жинады"
        rubric = await s.scalar(select(FlowRun).where(FlowRun.flow_id == "mentor.rubric"))
        after = await s.scalar(select(FlowRun).where(FlowRun.flow_id == "pupil.after"))
    assert await count(h, PortfolioEntry) == 1

    # The parent: whose data? → the child → are you sure? → yes.
    await saule.says("/forgetme")
    assert "Whose data should be deleted?" in saule.last.text
    await saule.taps("The data of Аружан")
    assert "What goes: the name, phone and chats" in saule.last.text
    reply = await saule.taps("Yes, ask for deletion")
    assert "Your request is recorded (no. 1)" in reply[0].text
    assert await count(h, DeletionRequest, DeletionRequest.status == "pending") == 1
    request = coordinator.new()[-1]
    assert "Deletion request no. 1: the personal data of Аружан Серікқызы (Pupil, class 8А)" \
        in request.text and f"by their parent {SAULE}" in request.text
    # Asking twice makes no second request.
    await saule.presses(RequestDeletion(aruzhan_id).pack())
    assert "already recorded (no. 1)" in saule.last.text
    # Nothing happens before the coordinator confirms.
    await h.tick(h.now + timedelta(minutes=1))
    assert await count(h, Person, Person.anonymised_at.is_not(None)) == 0

    await coordinator.taps("Confirm the deletion", request)
    assert "Confirmed: request no. 1" in coordinator.last.text
    saule.new()
    await h.tick(h.now + timedelta(minutes=2))
    assert [m.text for m in saule.new()] == [
        "Done: the personal data of your child (request no. 1) is deleted from Synaq."]

    async with h.db() as s:
        pupil = await s.get(Person, aruzhan_id)
        assert (pupil.full_name, pupil.phone, pupil.anonymised_at) == ("—", None, h.now)
        assert pupil.role_names == {"pupil"} and pupil.class_id is not None  # for the counts
        assert await s.scalar(select(func.count()).select_from(Identity).where(
            Identity.person_id == aruzhan_id)) == 0
        assert await s.scalar(select(func.count()).select_from(Guardian).where(
            Guardian.pupil_id == aruzhan_id)) == 0
        # Free text and files gone, choices kept: the mentor's scores, her self-ratings.
        card = {a.step_id: a.value for a in await s.scalars(
            select(Answer).where(Answer.run_id == rubric.id))}
        assert card["understanding"] == {"choice": "3"} and card["plus"] == {"redacted": True}
        own = {a.step_id: a.value for a in await s.scalars(
            select(Answer).where(Answer.run_id == after.id))}
        assert own["did"] == {"redacted": True} and own["self_safety"] == {"choice": "3"}
        assert own["artefact"] == {"redacted": True}
        consent = await s.scalar(select(Consent).where(Consent.pupil_id == aruzhan_id))
        assert (consent.participation, consent.medical_note) == ("agree", None)
        assert (await s.get(Summary, summary.id)).personal_line is None
        assert await s.scalar(select(func.count()).select_from(Participant).where(
            Participant.pupil_id == aruzhan_id)) == 1
        assert await s.scalar(select(func.count()).select_from(Outbox).where(
            Outbox.person_id == aruzhan_id)) == 0
        request_row = await s.scalar(select(DeletionRequest))
        assert request_row.status == "done" and request_row.outcome["media"] == 1
        actions = list(await s.scalars(select(AuditLog.action).where(
            AuditLog.subject == f"person:{aruzhan_id}").order_by(AuditLog.id)))
        # Nothing that names her is left in other people's message records.
        named = await s.scalar(select(func.count()).select_from(Outbox).where(
            cast(Outbox.payload, String).contains(json_fragment(ARUZHAN), autoescape=True)))
    assert actions == ["deletion.request", "deletion.confirm", "deletion.done"]
    assert named == 0
    assert await count(h, Media) == 0 and not path.exists()
    assert await count(h, PortfolioEntry) == 0
    # She is a stranger now: her chat gets the invitation to join.
    assert await count(h, Person, Person.full_name == ARUZHAN) == 0


async def test_a_pupils_own_request_goes_to_the_parents(h, demo):
    saule = await demo.join(SAULE, lang="en")
    aruzhan = await demo.join(ARUZHAN, lang="en")
    reply = await aruzhan.says("/forgetme")
    assert "Your parent (your legal representative) asks for this" in reply[0].text
    assert await count(h, DeletionRequest) == 0
    note = saule.new()[-1]
    assert "Аружан asked in Synaq for their data to be deleted" in note.text
    await aruzhan.says("/forgetme")  # once a day: the parents are not flooded
    assert saule.new() == []
    await saule.taps("Ask to delete the data of Аружан", note)
    await saule.taps("Yes, ask for deletion")
    assert await count(h, DeletionRequest, DeletionRequest.subject_id == demo.id(ARUZHAN)) == 1
    # The pupil cannot make the request themselves, even with a forged button.
    await aruzhan.presses(RequestDeletion(demo.id(ARUZHAN)).pack())
    assert await count(h, DeletionRequest) == 1


async def test_a_declined_request_deletes_nothing_and_the_parent_is_told(h, demo):
    marat = await demo.join(MARAT, lang="ru")
    coordinator = await demo.join(COORDINATOR, lang="en")
    await marat.says("/forgetme")
    await marat.taps("Данные: Диас")
    await marat.taps("Да, попросить удалить")
    await coordinator.says("/menu")
    assert "🗑 Deletion requests (1)" in coordinator.last.labels
    await coordinator.taps("Deletion requests")
    await coordinator.taps("Decline")
    assert "Declined: request no. 1" in coordinator.last.text
    assert "Школьный координатор не подтвердил ваш запрос № 1" in marat.last.text
    assert "+77010000001" in marat.last.text  # the coordinator's contact
    await h.tick(h.now + timedelta(days=40))
    assert await count(h, Person, Person.anonymised_at.is_not(None)) == 0
    # A decided request cannot be confirmed after all, nor decided twice.
    await coordinator.presses(ConfirmDeletion(1).pack())
    assert "already decided" in coordinator.last.text
    assert await count(h, DeletionRequest, DeletionRequest.status == "declined") == 1


async def test_an_unanswered_request_is_carried_out_when_its_time_comes(h, demo):
    """An adult erasing themselves: nobody confirms; after DELETION_DAYS the job does it and
    the last message goes to the chat they used, and is not kept."""
    mentor = await demo.join(MENTOR, lang="en")
    await mentor.says("/forgetme")
    assert "Ask the school to delete your personal data from Synaq?" in mentor.last.text
    await mentor.taps("Yes, ask for deletion")
    await h.tick(h.now + timedelta(days=29))
    assert await count(h, Person, Person.anonymised_at.is_not(None)) == 0
    mentor.new()
    await h.tick(h.now + timedelta(days=31))
    [last] = mentor.new()
    assert "your personal data (request no. 1) is deleted" in last.text
    async with h.db() as s:
        person = await s.get(Person, demo.id(MENTOR))
        assert person.full_name == "—" and person.partner_id is not None
        assert await s.scalar(select(func.count()).select_from(Outbox).where(
            Outbox.purpose == "deletion.done")) == 0
        done = await s.scalar(select(AuditLog).where(AuditLog.action == "deletion.done"))
        assert done.detail["unanswered"] is True and done.actor_id is None
    reply = await mentor.says("hello")
    assert "Synaq мектептерге кәсіби сынақтар" in reply[0].text  # the invitation to join
