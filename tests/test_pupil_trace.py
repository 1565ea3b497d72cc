"""The trace reflection a day or two later: Annex 6 choices, the trace questions, and a warm
answer to "this is not for me"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.features import WIRING
from storage.models import Answer, FlowRun

from .demo_school import PARENTS, PUPILS

SAULE, MARAT, KAIRAT = PARENTS
ARUZHAN, DIAS, MADINA = PUPILS


async def a_day_later(h, demo, hours: int = 24):
    trial = await demo.trial()
    h.clock.set(trial.ends_at + timedelta(hours=hours))
    return trial


async def trace_answers(h, person_id: int) -> dict[str, dict]:
    async with h.db() as s:
        run = await s.scalar(select(FlowRun).where(FlowRun.flow_id == "pupil.trace",
                                                   FlowRun.person_id == person_id))
        assert run is not None and run.status == "completed"
        rows = await s.scalars(select(Answer).where(Answer.run_id == run.id))
        return {a.step_id: a.value for a in rows}


async def test_not_for_me_is_answered_warmly_as_a_step_forward(h, demo):
    await demo.consent(SAULE)
    await a_day_later(h, demo)
    aruzhan = await demo.join(ARUZHAN, lang="en")
    assert [r.person_id for r in await demo.remind("pupil.trace")] == [demo.id(ARUZHAN)]
    await aruzhan.taps("Answer")
    assert "Did you like taking part in the trial?" in aruzhan.last.text
    assert aruzhan.last.labels[:3] == ["Yes", "No", "Hard to say"]
    await aruzhan.taps("Yes")
    assert "Would you like to choose this profession?" in aruzhan.last.text
    warm, useful = await aruzhan.taps("No")
    assert "a real step forward" in warm.text
    assert "Will this experience be useful in your life?" in useful.text
    await aruzhan.taps("Yes")
    await aruzhan.says("How a workshop checks every part")
    await aruzhan.says("Easy: the diagram. Hard: standing for two hours")
    await aruzhan.says("Precision is fine for me; shift work raises doubts")
    done = await aruzhan.says("Try a trial at an IT company")
    assert "Your reflection is saved" in done[-1].text
    answers = await trace_answers(h, demo.id(ARUZHAN))
    assert {k: v.get("choice", v.get("text")) for k, v in answers.items()} == {
        "liked": "yes", "choose": "no", "useful": "yes",
        "new": "How a workshop checks every part",
        "easy_hard": "Easy: the diagram. Hard: standing for two hours",
        "requirements": "Precision is fine for me; shift work raises doubts",
        "next_step": "Try a trial at an IT company"}
    # Done: the repeat is not pending any more.
    h.clock.advance(days=1)
    assert await demo.remind("pupil.trace", occurrence=1) == []


async def test_kazakh_wording_and_hard_to_say_gets_its_own_kind_word(h, demo):
    await demo.consent(SAULE)
    await a_day_later(h, demo)
    aruzhan = await demo.join(ARUZHAN, lang="kk")
    await aruzhan.taps("Із бойынша")
    assert "Кәсіби сынаққа қатысу сізге ұнады ма?" in aruzhan.last.text
    note, choose = await aruzhan.taps("Жоқ")
    assert "Шыныңызды айтқаныңыз үшін рақмет" in note.text
    assert "Осындай мамандықты таңдағыңыз келді ме?" in choose.text
    note, useful = await aruzhan.taps("Жауап беруге қиналамын")
    assert "Бұл қалыпты жағдай" in note.text
    assert "Алған тәжірибеңіз сізге өмірде пайдалы бола ма?" in useful.text
    await aruzhan.taps("Иә")
    for _ in range(4):  # every trace prompt is optional
        await aruzhan.taps("Өткізіп жіберу")
    assert "Рефлексияңыз сақталды" in aruzhan.last.text
    answers = await trace_answers(h, demo.id(ARUZHAN))
    assert answers["choose"] == {"choice": "unsure"} and answers["next_step"] == {"skipped": True}


async def test_trace_needs_consent_too(h, demo):
    await a_day_later(h, demo)
    madina = await demo.join(MADINA, lang="ru")
    await madina.taps("Спустя день")
    assert "ещё не дал согласие" in madina.last.text
    assert await demo.remind("pupil.trace") == []


async def test_trace_reminder_timing_and_recipients(h, demo):
    trace = WIRING.reminders["pupil.trace"]
    assert (trace.anchor, trace.offsets, trace.at_local) == (
        "end", (timedelta(days=1), timedelta(days=2)), "15:00")
    await demo.consent(SAULE)
    await demo.consent(MARAT, tier=None)
    await a_day_later(h, demo)
    madina = await demo.join(MADINA, lang="en")
    # Madina's family never answered, Dias's declined: only Aruzhan is asked.
    assert [(r.person_id, r.pupil_id) for r in await demo.remind("pupil.trace")] == [
        (demo.id(ARUZHAN), demo.id(ARUZHAN))]
    assert madina.last.labels == ["📝 After the trial: Электромонтер: қарапайым электр тізбегін "
                                  "жинау", "💭 A day later: Электромонтер: қарапайым электр "
                                  "тізбегін жинау", "🔐 My data"]
