"""Form В after the trial: only with the parent's consent; six answers (a voice note counts),
two permissions, the self-rating, the artefact under the three-tier photo rule."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from flows.criteria import CRITERIA
from handlers.context import Context
from handlers.features import WIRING
from handlers.pupil.buttons import StartAfter, StartTrace
from storage.models import Answer, FlowRun, Media, Participant, Trial

from .demo_school import PARENTS, PUPILS

SAULE, MARAT, KAIRAT = PARENTS
ARUZHAN, DIAS, MADINA = PUPILS

SIX = ("I wired a circuit from a diagram", "The lamp lit at the first try",
       "Stripping the wire; the mentor showed me", "Care and following the checklist",
       "I like exact work", "Yes, a college open day")


async def after_the_trial(h, demo, minutes: int = 10) -> Trial:
    trial = await demo.trial()
    h.clock.set(trial.ends_at + timedelta(minutes=minutes))
    return trial


async def answers_of(h, flow_id: str, person_id: int) -> dict[str, dict]:
    async with h.db() as s:
        run = await s.scalar(select(FlowRun).where(FlowRun.flow_id == flow_id,
                                                   FlowRun.person_id == person_id))
        assert run is not None
        rows = await s.scalars(select(Answer).where(Answer.run_id == run.id))
        return {a.step_id: a.value for a in rows}


async def media_rows(h) -> list[Media]:
    async with h.db() as s:
        return list(await s.scalars(select(Media).order_by(Media.id)))


def files(h) -> list:
    return sorted(p for p in h.settings.media_dir.glob("**/*") if p.is_file())


async def through_the_questions(pupil, portfolio: str = "Yes", photo: str = "Yes") -> None:
    for answer in SIX:
        await pupil.says(answer)
    await pupil.taps(portfolio)
    await pupil.taps(photo)
    for rating in ("3", "2", "2", "1", "3"):
        await pupil.taps(rating)


async def test_a_pupil_without_consent_cannot_start_and_is_told_why_kindly(h, demo):
    await after_the_trial(h, demo)
    aruzhan = await demo.join(ARUZHAN, lang="en")
    await aruzhan.taps("After the trial")
    assert "your parent has not given consent" in aruzhan.last.text
    assert "not something you did wrong" in aruzhan.last.text
    # A forged start changes nothing either, and the reminder does not go to her.
    await aruzhan.presses(StartAfter(demo.trial_id).pack())
    assert "has not given consent" in aruzhan.last.text
    async with h.db() as s:
        assert await s.scalar(select(func.count()).select_from(FlowRun).where(
            FlowRun.flow_id == "pupil.after")) == 0
    assert await demo.remind("pupil.after") == []


async def test_a_declined_family_sees_no_reflection_and_a_stale_button_explains(h, demo):
    await demo.consent(MARAT, tier=None)
    await after_the_trial(h, demo)
    dias = await demo.join(DIAS, lang="ru")
    assert not any("После пробы" in label for label in dias.last.labels)
    await dias.presses(StartAfter(demo.trial_id).pack())
    assert "не дал согласия" in dias.last.text


async def test_the_pupil_completes_after_with_self_rating_two_photos_and_done(h, demo):
    await demo.consent(SAULE, tier="Publication allowed")
    aruzhan = await demo.join(ARUZHAN, lang="en")
    await after_the_trial(h, demo)
    assert [r.person_id for r in await demo.remind("pupil.after")] == [demo.id(ARUZHAN)]
    assert "Thank you for taking part" in aruzhan.last.text
    await aruzhan.taps("Start")
    assert "What exactly did I do?" in aruzhan.last.text
    await through_the_questions(aruzhan)
    prompt = aruzhan.last
    assert "Your artefact" in prompt.text
    assert "Only you, your parents and the school staff" in prompt.text  # the site: portfolio
    assert {"Done", "I have none"} <= set(prompt.labels)
    await aruzhan.sends_photo(b"\xff\xd8\xff circuit 1")
    assert "Received. Send more" in aruzhan.last.text
    await aruzhan.sends_photo(b"\xff\xd8\xff circuit 2")
    await aruzhan.taps("Done")
    assert "Your reflection is saved" in aruzhan.last.text

    answers = await answers_of(h, "pupil.after", demo.id(ARUZHAN))
    assert answers["did"] == {"text": SIX[0]} and answers["continue"] == {"text": SIX[5]}
    assert answers["portfolio_ok"] == {"choice": "yes"} and answers["photo_ok"] == {"choice": "yes"}
    assert [answers[f"self_{c.id}"]["choice"] for c in CRITERIA] == ["3", "2", "2", "1", "3"]
    photos = await media_rows(h)
    assert answers["artefact"] == {"media": [m.id for m in photos]}
    assert [(m.kind, m.tier, m.pupil_id, m.trial_id) for m in photos] == [
        ("photo", "portfolio", demo.id(ARUZHAN), demo.trial_id)] * 2
    assert len(files(h)) == 2
    # Done: the menu no longer offers it, the repeat reminder is not pending.
    h.clock.advance(days=1)
    assert await demo.remind("pupil.after", occurrence=1) == []


async def test_prohibited_tier_photo_is_not_stored_and_the_pupil_is_told(h, demo):
    await demo.consent(SAULE, tier="Prohibited")
    await after_the_trial(h, demo)
    aruzhan = await demo.join(ARUZHAN, lang="en")
    await aruzhan.taps("After the trial")
    await through_the_questions(aruzhan)
    assert "cannot be kept" in aruzhan.last.text  # said before anything is sent
    reply = await aruzhan.sends_photo(b"\xff\xd8\xff face")
    assert "I have not saved the file" in reply[0].text
    assert await media_rows(h) == [] and files(h) == []
    await aruzhan.sends_document(b"%PDF-1.4 checklist", "checklist.pdf", "application/pdf")
    assert await media_rows(h) == [] and files(h) == []
    await aruzhan.taps("I have none")
    assert "Your reflection is saved" in aruzhan.last.text
    answers = await answers_of(h, "pupil.after", demo.id(ARUZHAN))
    assert answers["artefact"] == {"skipped": True}


async def test_a_pupil_who_refuses_photos_is_not_asked_for_an_artefact(h, demo):
    await demo.consent(SAULE, tier="Publication allowed")
    await after_the_trial(h, demo)
    aruzhan = await demo.join(ARUZHAN, lang="kk")
    await aruzhan.taps("Сынақтан кейін")
    assert "Мен нақты не істедім?" in aruzhan.last.text
    await through_the_questions(aruzhan, portfolio="Иә", photo="Жоқ")
    assert "Рефлексияңыз сақталды" in aruzhan.last.text
    assert "artefact" not in await answers_of(h, "pupil.after", demo.id(ARUZHAN))


async def test_a_voice_note_answers_a_text_question_and_is_kept_as_media(h, demo):
    await demo.consent(SAULE, tier="Portfolio only")
    await after_the_trial(h, demo)
    aruzhan = await demo.join(ARUZHAN, lang="ru")
    await aruzhan.taps("После пробы")
    assert "голосовое" in aruzhan.last.text.lower()
    await aruzhan.sends_voice(b"OggS what I did")
    assert "Что получилось хорошо" in aruzhan.last.text
    [voice] = await media_rows(h)
    assert (voice.kind, voice.mime, voice.step_id) == ("voice", "audio/ogg", "did")
    assert (h.settings.media_dir / voice.storage_key).read_bytes() == b"OggS what I did"
    answers = await answers_of(h, "pupil.after", demo.id(ARUZHAN))
    assert answers["did"] == {"media": [voice.id], "kind": "voice"}


async def test_a_withdrawal_stops_an_open_questionnaire_at_once(h, demo):
    saule = await demo.consent(SAULE, tier="Portfolio only")
    await after_the_trial(h, demo)
    aruzhan = await demo.join(ARUZHAN, lang="en")
    await aruzhan.taps("After the trial")
    await aruzhan.says(SIX[0])
    await saule.says("/menu")
    await saule.taps("Аружан")
    await saule.taps("Withdraw consent")
    await saule.taps("Yes, withdraw")
    reply = await aruzhan.says(SIX[1])
    assert "did not give consent" in reply[-1].text
    assert "went_well" not in await answers_of(h, "pupil.after", demo.id(ARUZHAN))
    await aruzhan.sends_photo()
    assert await media_rows(h) == []


async def test_a_pupil_pressing_another_pupils_buttons_is_refused(h, demo):
    await demo.consent(SAULE, tier="Portfolio only")
    await demo.consent(MARAT, tier="Portfolio only")
    await after_the_trial(h, demo)
    aruzhan = await demo.join(ARUZHAN, lang="en")
    dias = await demo.join(DIAS, lang="en")
    stranger = await demo.add_person("Ерасыл Нұрланұлы", "pupil")
    erasyl = await demo.join(stranger.full_name, lang="en")
    await aruzhan.taps("After the trial")
    for answer in SIX:
        await aruzhan.says(answer)
    async with h.db() as s:
        run = await s.scalar(select(FlowRun).where(FlowRun.flow_id == "pupil.after"))
        version = run.version
    for data in (f"f:{run.id}:portfolio_ok:no", f"f:{run.id}:portfolio_ok:~back",
                 f"f:{run.id}:x:~skip", f"f:{run.id + 100}:portfolio_ok:yes"):
        assert "no longer active" in (await dias.presses(data))[-1].text
    assert "no longer active" in (await erasyl.presses(StartAfter(demo.trial_id).pack()))[-1].text
    assert "no longer active" in (await erasyl.presses(StartTrace(demo.trial_id).pack()))[-1].text
    async with h.db() as s:
        again = await s.get(FlowRun, run.id)
        assert (again.version, again.step_id) == (version, "portfolio_ok")
        assert await s.scalar(select(func.count()).select_from(FlowRun).where(
            FlowRun.person_id.in_([demo.id(DIAS), stranger.id]),
            FlowRun.flow_id == "pupil.after")) == 0
    await aruzhan.taps("Yes")
    assert "photos and videos of you" in aruzhan.last.text


async def test_a_pupil_marked_absent_gets_no_after_questionnaire(h, demo):
    await demo.consent(SAULE, tier="Portfolio only")
    aruzhan = await demo.join(ARUZHAN, lang="en")
    async with h.db() as s:
        participant = await s.scalar(select(Participant).where(
            Participant.pupil_id == demo.id(ARUZHAN)))
        participant.attendance = "absent"
    await after_the_trial(h, demo)
    assert await demo.remind("pupil.after") == []
    await aruzhan.presses(StartAfter(demo.trial_id).pack())
    assert "marked you as absent" in aruzhan.last.text


async def test_before_and_after_reminders_go_to_the_right_pupils(h, demo):
    await demo.consent(SAULE, tier="Portfolio only")
    await demo.consent(MARAT, tier=None)
    aruzhan = await demo.join(ARUZHAN, lang="en")
    before, after = WIRING.reminders["pupil.before"], WIRING.reminders["pupil.after"]
    assert (before.anchor, before.offsets, before.at_local) == (
        "start", (-timedelta(days=1),), "15:00")
    assert (after.anchor, after.offsets) == ("end", (timedelta(0), timedelta(days=1)))
    # The day before: every pupil except the one whose family declined.
    assert {r.person_id for r in await demo.remind("pupil.before")} == {
        demo.id(ARUZHAN), demo.id(MADINA)}
    assert "Your goal: Бүгін мен электромонтер" in aruzhan.last.text
    await aruzhan.taps("Answer")
    assert "What do I expect?" in aruzhan.last.text
    await aruzhan.says("To see real work")
    await aruzhan.says("Electricity")
    await aruzhan.taps("Skip")
    assert {r.person_id for r in await demo.remind("pupil.before")} == {demo.id(MADINA)}
    # After the end: only the pupil with consent.
    trial = await after_the_trial(h, demo)
    async with h.db() as s:
        ctx = Context(session=s, wiring=WIRING, now=h.now, config=h.config)
        fresh = await s.get(Trial, trial.id)
        assert [r.person_id for r in await after.recipients(ctx, fresh)] == [demo.id(ARUZHAN)]
        [message] = await after.build(ctx, fresh, (await after.recipients(ctx, fresh))[0], 1)
    assert (message.purpose, message.trial_id) == ("pupil.after", trial.id)
    assert message.buttons[0][0].payload == f"pqa:{trial.id}"
    assert "still waiting" in message.text
