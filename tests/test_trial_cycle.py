"""A whole trial, start to end, through the real dispatcher and the scheduler's own entry
point: three families, one consents ("portfolio only", a medical note), one declines, one
never answers; the mentor, the escort and pupil A do their parts; parent A gets the summary
in Russian with the photo; B's and C's families get only what the timeline promises them.
Then the refusals: buttons that name someone else's pupil, trial or summary change nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from handlers.mentor.buttons import ANYWAY, AddFeedback, ChangeRating, RateCard, SubmitCard
from handlers.portfolio.buttons import PortfolioPdf, ShowPortfolio
from handlers.summary.buttons import ApproveSummary, ChooseNextStep, ShowDraft, ViewSummary
from storage.models import (
    Consent,
    FlowRun,
    Media,
    Outbox,
    Participant,
    PortfolioEntry,
    Summary,
    Trial,
)

from .demo_school import COORDINATOR, MENTOR, PARENTS, PUPILS, TEACHER, jpeg

SAULE, MARAT, KAIRAT = PARENTS
ARUZHAN, DIAS, MADINA = PUPILS
NOTE = "Астма: ингалятор в левом кармане"
AFTER = ("Мен сызба бойынша тізбек жинадым", "Шам бірден жанды", "Сымды тазалау қиын болды",
         "Ұқыптылық пен чек-парақ", "Маған нақты жұмыс ұнайды", "Иә, колледжге барғым келеді")


def at(trial: Trial, days: int = 0, hours: float = 0, minutes: float = 0):
    """A moment relative to the trial's start (10:00 local)."""
    return trial.starts_at + timedelta(days=days, hours=hours, minutes=minutes)


def with_button(user, label: str):
    """The user's latest message with a button whose label contains ``label``."""
    return next(m for m in reversed(user.inbox) if any(label in x for x in m.labels))


async def purposes(h, person_id: int) -> set[str]:
    async with h.db() as s:
        return set(await s.scalars(select(Outbox.purpose).where(Outbox.person_id == person_id)))


async def test_a_whole_trial_through_the_bot_and_the_scheduler(h, demo):
    trial = await demo.trial()
    # --- Monday 09:00: everybody joins --------------------------------------------------------
    saule = await demo.join(SAULE, lang="ru")
    marat = await demo.join(MARAT, lang="ru")
    kairat = await demo.join(KAIRAT, lang="kk")
    aruzhan = await demo.join(ARUZHAN, lang="kk")
    dias = await demo.join(DIAS, lang="kk")
    madina = await demo.join(MADINA, lang="kk")
    mentor = await demo.join(MENTOR, lang="en")
    escort = await demo.join(TEACHER, lang="en")
    coordinator = await demo.join(COORDINATOR, lang="en")
    await h.tick(h.now)  # the consent requests: the pupils were put on the trial just now

    # Parent A: agrees, "portfolio only", a medical note.
    await saule.taps("Ответить: согласие", with_button(saule, "Ответить: согласие"))
    await saule.taps("Согласен(на)")
    await saule.taps("Только для портфолио")
    await saule.says(NOTE)
    await saule.taps("С правилами безопасности ознакомлен(а)")
    # Parent B declines; parent C never answers.
    await marat.taps("Ответить: согласие", with_button(marat, "Ответить: согласие"))
    await marat.taps("Не согласен(на)")
    assert with_button(kairat, "Жауап беру: келісім")

    # --- Monday 10:00 (T − 1 d): the mentor confirms -----------------------------------------
    await h.tick(at(trial, days=-1))
    await mentor.taps("I will come")
    assert "Thank you! We are expecting you" in mentor.last.text
    for moment in (at(trial, days=-1, hours=5), at(trial, days=-1, hours=8)):  # 15:00, 18:00
        await h.tick(moment)

    # --- Tuesday 08:00: the short card --------------------------------------------------------
    await h.tick(at(trial, hours=-2))
    card = next(m for m in reversed(mentor.inbox) if "Short card of the trial" in m.text)
    pupils = card.text.split("Pupils (3):</b>")[1]
    assert f"{ARUZHAN} — ⚕️ note from the parent: {NOTE}" in pupils
    assert f"{DIAS} — ⛔ do not admit" in pupils and f"{MADINA} — ⛔ do not admit" in pupils

    # --- Tuesday 10:00: the escort marks attendance ----------------------------------------------
    await h.tick(at(trial))
    attendance = escort.last
    assert "Do not admit (no parent consent)" in attendance.text
    assert [label for label in attendance.labels if "Аружан" in label] == [f"⬜ {ARUZHAN}"]
    await escort.taps(ARUZHAN)
    assert f"✅ {ARUZHAN}" in escort.last.labels

    # --- Tuesday 12:00: the end; the mentor rates pupil A ---------------------------------------
    await h.tick(at(trial, hours=2))
    assert "Pupils to rate: 1" in mentor.last.text
    first = await mentor.taps("Rate the pupils")
    assert ARUZHAN in first[-1].text and "Understanding the task" in first[-1].text
    taps = 0
    for label in ("3", "2", "3", "3", "3", "Yes"):
        await mentor.taps(label)
        taps += 1
    assert taps <= 6 and "📨 Submit the card" in mentor.last.labels
    h.clock.advance(minutes=2)
    await mentor.taps(f"Add feedback: {ARUZHAN}", with_button(mentor, "Add feedback"))
    await mentor.taps("Skip")  # comment
    await mentor.says("Сызбаны жақсы оқиды")  # plus
    await mentor.taps("Skip")  # delta
    await mentor.taps("Skip")  # next step
    await mentor.taps("Submit the card")
    assert "is submitted. Pupils rated: 1" in mentor.last.text

    # Pupil A: the after-questionnaire with a photo.
    photo = jpeg()
    await aruzhan.taps("Бастау")
    for answer in AFTER:
        await aruzhan.says(answer)
    await aruzhan.taps("Иә")  # into the portfolio
    await aruzhan.taps("Иә")  # photos allowed
    for rating in ("3", "2", "2", "3", "3"):
        await aruzhan.taps(rating)
    await aruzhan.sends_photo(photo)
    await aruzhan.taps("Дайын")
    async with h.db() as s:
        [kept] = list(await s.scalars(select(Media)))
        assert (kept.tier, kept.pupil_id) == ("portfolio", demo.id(ARUZHAN))

    # The next tick: both parts are in, so the summary goes to parent A, in Russian.
    saule.new()
    await h.tick(at(trial, hours=2, minutes=30))
    summary = saule.new()
    text = next(m for m in summary if m.method == "sendmessage")
    assert f"Итоги для родителей: {ARUZHAN}" in text.text
    for part in ("1. Что это было и зачем", "2. Где и с кем", "3. Чему учатся дети",
                 "4. Как обеспечивалась безопасность", "5. Что делал мой ребёнок",
                 "6. Артефакт", "7. Следующий шаг (по выбору семьи)", "8. Контакты"):
        assert part in text.text, part
    assert "Аружан: мини-задание выполнено." in text.text
    assert "«Сызбаны жақсы оқиды»" in text.text and "«Мен сызба бойынша тізбек жинадым»" in text.text
    assert NOTE not in text.text  # the medical note is need-to-know: not in the summary
    assert "🔁 Другая операция" in text.labels
    [sent_photo] = [m for m in summary if m.method == "sendphoto"]
    assert sent_photo.file_bytes == photo
    [pdf] = [m for m in summary if m.method == "senddocument"]
    assert pdf.file_bytes is not None and pdf.file_bytes.startswith(b"%PDF")

    # --- Wednesday 15:00: the trace reflection ------------------------------------------------
    await h.tick(at(trial, days=1, hours=5))
    await aruzhan.taps("Жауап беру")
    await aruzhan.taps("Иә")  # liked
    await aruzhan.taps("Жоқ")  # would not choose it: a step forward
    await aruzhan.taps("Иә")  # useful
    for _ in range(4):
        await aruzhan.taps("Өткізіп жіберу")
    assert "Рефлексияңыз сақталды" in aruzhan.last.text
    # … and T + 3 d passes: nothing more is made for anybody.
    await h.tick(at(trial, days=3, hours=3))
    await h.tick(at(trial, days=4))

    # --- what B's and C's families got: the timeline's promises and nothing about results ---
    assert await purposes(h, demo.id(MARAT)) == {"reply", "consent.request"}
    assert await purposes(h, demo.id(DIAS)) == {"reply"}
    assert await purposes(h, demo.id(KAIRAT)) == {
        "reply", "consent.request", "consent.reminder", "logistics"}
    assert await purposes(h, demo.id(MADINA)) == {"reply", "pupil.before", "logistics"}
    for user in (marat, dias, kairat, madina):
        for message in user.inbox:
            assert message.file_bytes is None
            assert "Итоги" not in message.text and "қорытынды" not in message.text.lower()
    assert "summary" in await purposes(h, demo.id(SAULE))
    async with h.db() as s:
        summaries = list(await s.scalars(select(Summary)))
        assert [(x.pupil_id, x.status) for x in summaries] == [(demo.id(ARUZHAN), "sent")]
        entries = list(await s.scalars(select(PortfolioEntry)))
        assert [e.pupil_id for e in entries] == [demo.id(ARUZHAN)]
        rubric_runs = list(await s.scalars(select(FlowRun.pupil_id).where(
            FlowRun.flow_id == "mentor.rubric")))
        assert rubric_runs == [demo.id(ARUZHAN)]
    # The "portfolio only" photo went to the family and nowhere else.
    family = {saule.id, aruzhan.id}
    assert {m.chat_id for m in h.fake.sent if m.file_bytes == photo} <= family
    assert not any(m.file_bytes == photo for m in mentor.inbox + escort.inbox + coordinator.inbox)


async def test_a_prohibited_photo_is_not_stored_and_the_summary_says_so(h, demo):
    async with h.db() as s:
        (await s.get(Trial, demo.trial_id)).photo_policy = "prohibited"  # the site forbids
    trial = await demo.trial()
    saule = await demo.consent(SAULE, tier="Publication allowed")
    aruzhan = await demo.join(ARUZHAN, lang="en")
    h.clock.set(at(trial, hours=2, minutes=5))
    await aruzhan.says("/menu")
    await aruzhan.taps("After the trial")
    for answer in AFTER:
        await aruzhan.says(answer)
    await aruzhan.taps("Yes")
    await aruzhan.taps("Yes")
    for rating in ("3", "3", "3", "3", "3"):
        await aruzhan.taps(rating)
    assert "cannot be kept" in aruzhan.last.text  # told before anything is sent
    reply = await aruzhan.sends_photo(jpeg())
    assert "I have not saved the file" in reply[0].text
    await aruzhan.taps("I have none")
    async with h.db() as s:
        assert await s.scalar(select(func.count()).select_from(Media)) == 0
    assert not list(h.settings.media_dir.glob("**/*.jpg"))

    saule.new()
    await h.tick(at(trial, days=3, hours=2, minutes=1))  # T + 3 d: no mentor card, still made
    [text] = [m for m in saule.new() if m.method == "sendmessage"]
    assert "No photos of the work were kept" in text.text
    assert "Аружан, in their own words: «Мен сызба бойынша тізбек жинадым»." in text.text
    assert not any(m.method == "sendphoto" for m in saule.inbox)


async def test_buttons_naming_someone_elses_pupil_trial_or_summary_change_nothing(h, demo):
    other_trial = await demo.other_trial("Бауыржан Сейітов", "Ерасыл Нұрланұлы")
    trial = await demo.trial()
    saule = await demo.consent(SAULE, tier="Portfolio only")
    marat = await demo.consent(MARAT, tier="Portfolio only")
    mentor = await demo.join(MENTOR, lang="en")
    aruzhan = await demo.join(ARUZHAN, lang="en")
    dias = await demo.join(DIAS, lang="en")
    h.clock.set(at(trial, hours=2, minutes=5))
    erasyl = demo.id("Ерасыл Нұрланұлы")

    # The mentor names a pupil of another trial in their own trial's button, and the other
    # trial itself.
    for data in (RateCard(demo.trial_id, erasyl).pack(), RateCard(other_trial).pack(),
                 RateCard(other_trial, erasyl).pack(), SubmitCard(other_trial).pack()):
        assert "no longer active" in (await mentor.presses(data))[-1].text
    # A pupil sends the mentor's callbacks.
    await mentor.presses(RateCard(demo.trial_id).pack())
    async with h.db() as s:
        run = await s.scalar(select(FlowRun).where(FlowRun.flow_id == "mentor.rubric"))
        version = run.version
    for data in (RateCard(demo.trial_id).pack(), SubmitCard(demo.trial_id, ANYWAY).pack(),
                 f"f:{run.id}:understanding:3", ChangeRating(run.id, "understanding", "1").pack(),
                 AddFeedback(run.id).pack()):
        assert "no longer active" in (await aruzhan.presses(data))[-1].text
    async with h.db() as s:
        again = await s.get(FlowRun, run.id)
        assert (again.version, again.step_id) == (version, "understanding")
        assert (await s.get(Trial, demo.trial_id)).card_submitted_at is None

    # Rate Аружан and Диас, submit; both reflect; summaries go out.
    for _pupil in (ARUZHAN, DIAS):
        for label in ("3", "3", "3", "3", "3", "Yes"):
            await mentor.taps(label)
    await mentor.taps("Submit the card")
    for pupil in (aruzhan, dias):
        await demo.reflect(pupil)
    await h.tick(h.now)
    async with h.db() as s:
        summaries = {x.pupil_id: x for x in await s.scalars(select(Summary))}
        consents = await s.scalar(select(func.count()).select_from(Consent))
    assert set(summaries) == {demo.id(ARUZHAN), demo.id(DIAS)}
    theirs = summaries[demo.id(DIAS)]

    # A parent asks for another family's summary, or picks their next step: refused.
    for data in (ViewSummary(demo.trial_id, demo.id(DIAS)).pack(),
                 ChooseNextStep(theirs.id, "college").pack(),
                 ViewSummary(other_trial, erasyl).pack(), ShowPortfolio(demo.id(DIAS)).pack(),
                 PortfolioPdf(demo.id(DIAS)).pack()):
        reply = (await saule.presses(data))[-1]
        assert "cannot find" in reply.text and reply.file_bytes is None
    # The pupil cannot approve or read a summary either.
    for data in (ApproveSummary(theirs.id).pack(), ShowDraft(theirs.id).pack(),
                 ViewSummary(demo.trial_id, demo.id(ARUZHAN)).pack()):
        assert "no longer active" in (await aruzhan.presses(data))[-1].text or \
            "cannot find" in aruzhan.last.text
    async with h.db() as s:
        fresh = await s.get(Summary, theirs.id)
        assert (fresh.family_choice, fresh.status) == (None, "sent")
        assert await s.scalar(select(func.count()).select_from(Consent)) == consents
        assert await s.scalar(select(Participant.attendance).where(
            Participant.pupil_id == erasyl)) is None
    # Their own family's choice works.
    await marat.presses(ChooseNextStep(theirs.id, "college").pack())
    async with h.db() as s:
        assert (await s.get(Summary, theirs.id)).family_choice == "college"
