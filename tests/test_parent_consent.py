"""The parent's briefing and consent: per child and trial, recorded in the ledger with who,
when, text version and channel; reviewed, changed and withdrawn from the menu; a second
parent sees the state; a disagreement reaches the coordinator; other families' buttons are
refused and change nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from handlers.context import Context
from handlers.features import WIRING
from handlers.parent.buttons import (
    AnswerConsent,
    AskWithdraw,
    ReadBriefing,
    ViewConsent,
    Withdraw,
)
from storage.models import Consent, FlowRun, Trial
from storage.repos.consents import Consents

from .demo_school import COORDINATOR, PARENTS, PUPILS

SAULE, MARAT, KAIRAT = PARENTS
ARUZHAN, DIAS, MADINA = PUPILS


async def ledger(h, pupil_id=None) -> list[Consent]:
    async with h.db() as s:
        query = select(Consent).order_by(Consent.id)
        if pupil_id is not None:
            query = query.where(Consent.pupil_id == pupil_id)
        return list(await s.scalars(query))


async def count(h, model) -> int:
    async with h.db() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def set_trial(h, demo, **fields) -> None:
    async with h.db() as s:
        trial = await s.get(Trial, demo.trial_id)
        for name, value in fields.items():
            setattr(trial, name, value)


async def consent_agree(parent, tier: str, note: str | None, *, start: str, agree: str,
                        skip: str = "Skip", read: str = "I have read") -> None:
    await parent.taps(start)
    await parent.taps(agree)
    await parent.taps(tier)
    if note is None:
        await parent.taps(skip)
    else:
        await parent.says(note)
    await parent.taps(read)


async def test_portfolio_only_with_a_medical_note_is_recorded_with_who_when_version_channel(
        h, demo):
    await set_trial(h, demo, text_version=3, risks="Ток <12 В> & өткір ұштар — қолғап")
    saule = await demo.join(SAULE, lang="kk")
    await demo.remind("consent.request")
    briefing = saule.last
    assert "Кәсіби сынақ: Электромонтер" in briefing.text
    assert "Тәуекелдер және азайту шаралары: Ток &lt;12 В&gt; &amp; өткір ұштар" in briefing.text
    assert "Мектеп тарапынан: Гүлнар Сейтқали" in briefing.text
    assert "Ілесіп жүретін мұғалім: Айгүл Нұрланова, +77010000002" in briefing.text
    assert "жеке куәлік қажет" in briefing.text  # the site's rules
    assert "Ерлан Жақсыбеков" in briefing.text and "+77010000003" not in briefing.text

    await saule.taps("Жауап беру: келісім")
    assert "Келісесіз бе: Аружан Серікқызы" in saule.last.text
    await saule.taps("Келісемін")
    assert saule.last.labels[:3] == [
        "Жариялауға рұқсат етілген", "Тек портфолио үшін", "Тыйым салынған"]
    await saule.taps("Тек портфолио үшін")
    await saule.says("Шаңға аллергиясы бар <ингалятор>")
    assert "Сынақтың қауіпсіздік ережелері" in saule.last.text
    assert "Телефонды тек үзілісте" in saule.last.text
    h.clock.advance(minutes=7)
    await saule.taps("Қауіпсіздік ережелерімен таныстым")
    assert "Шешіміңіз тіркелді" in saule.last.text
    assert "Тек портфолио үшін" in saule.last.text

    [row] = await ledger(h)
    assert (row.trial_id, row.pupil_id, row.parent_id) == (
        demo.trial_id, demo.id(ARUZHAN), demo.id(SAULE))
    assert (row.action, row.participation, row.photo_tier) == ("given", "agree", "portfolio")
    assert row.medical_note == "Шаңға аллергиясы бар <ингалятор>"
    assert row.safety_read is True
    assert row.text_version == 3
    assert row.channel == "telegram"
    assert row.created_at == h.now


async def test_a_parent_who_declines_is_done_at_once_and_gets_no_reminders(h, demo):
    marat = await demo.join(MARAT, lang="ru")
    await demo.remind("consent.request")
    await marat.taps("Ответить: согласие")
    await marat.taps("Не согласен")
    assert "не будет участвовать" in marat.last.text
    [row] = await ledger(h)
    assert (row.parent_id, row.participation, row.photo_tier, row.medical_note) == (
        demo.id(MARAT), "decline", None, None)
    assert row.action == "given" and row.safety_read is False
    async with h.db() as s:
        [run] = await s.scalars(select(FlowRun).where(FlowRun.flow_id == "parent.consent"))
        assert run.status == "completed"
    h.clock.advance(hours=1)
    reminded = await demo.remind("consent.reminder")
    assert demo.id(MARAT) not in {r.person_id for r in reminded}
    logistics = await demo.remind("logistics")
    assert demo.id(MARAT) not in {r.person_id for r in logistics}
    assert demo.id(DIAS) not in {r.person_id for r in logistics}


async def test_three_families_agree_decline_and_silence_each_get_what_fits(h, demo):
    """Parent A consents (portfolio only, medical note), B declines, C never answers."""
    saule = await demo.join(SAULE, lang="en")
    marat = await demo.join(MARAT, lang="en")
    kairat = await demo.join(KAIRAT, lang="en")
    requested = await demo.remind("consent.request")
    assert {(r.person_id, r.pupil_id) for r in requested} == {
        (demo.id(SAULE), demo.id(ARUZHAN)), (demo.id(MARAT), demo.id(DIAS)),
        (demo.id(KAIRAT), demo.id(MADINA))}
    await consent_agree(saule, "Portfolio only", "Asthma: inhaler in the bag",
                        start="Answer: consent", agree="I agree")
    await marat.taps("Answer: consent")
    await marat.taps("I do not agree")

    # A second consent request finds only the parent who has not answered.
    assert [r.person_id for r in await demo.remind("consent.request")] == [demo.id(KAIRAT)]
    reminded = await demo.remind("consent.reminder")
    assert [(r.person_id, r.pupil_id) for r in reminded] == [(demo.id(KAIRAT), demo.id(MADINA))]
    assert "still need your answer for Мадина Қайратқызы" in kairat.last.text
    assert kairat.last.labels == ["✍️ Answer: consent", "📄 Read the briefing"]

    async with h.db() as s:
        states = await Consents(s).current_for_trial(demo.trial_id)
    assert {p: (c.participation, c.photo_tier, c.medical_note) for p, c in states.items()} == {
        demo.id(ARUZHAN): ("agree", "portfolio", "Asthma: inhaler in the bag"),
        demo.id(DIAS): ("decline", None, None)}
    # The evening before: logistics to the agreeing and the silent families, not the declined.
    logistics = {(r.person_id, r.pupil_id) for r in await demo.remind("logistics")}
    assert logistics == {
        (demo.id(ARUZHAN), demo.id(ARUZHAN)), (demo.id(SAULE), demo.id(ARUZHAN)),
        (demo.id(MADINA), demo.id(MADINA)), (demo.id(KAIRAT), demo.id(MADINA))}
    assert "Tomorrow Мадина Қайратқызы goes to the trial" in kairat.last.text
    assert "Bring: Дәптер мен қалам" in kairat.last.text
    assert "Wear: Диэлектрлік қолғап" in kairat.last.text
    assert "Escorting teacher: Айгүл Нұрланова, +77010000002" in kairat.last.text
    assert "We still need your consent" in kairat.last.text
    assert "We still need your consent" not in saule.last.text


async def test_change_and_withdraw_from_the_menu_add_rows_and_the_latest_stands(h, demo):
    saule = await demo.join(SAULE, lang="en")
    assert saule.last.labels[0].startswith("⏳ Аружан: Электромонтер: қарапайым электр")
    await saule.taps("Аружан")
    assert "No decision yet" in saule.last.text
    await consent_agree(saule, "Publication allowed", None, start="Give consent",
                        agree="I agree")
    h.clock.advance(hours=2)
    await saule.says("/menu")
    await saule.taps("✅ Аружан")
    assert "takes part; photo and video: Publication allowed" in saule.last.text
    assert "Medical restrictions or special needs: none given" in saule.last.text
    assert "Decided by you" in saule.last.text

    await consent_agree(saule, "Prohibited", "Glasses", start="Change the decision",
                        agree="I agree")
    h.clock.advance(hours=1)
    await saule.says("/menu")
    await saule.taps("Аружан")
    await saule.taps("Withdraw consent")
    assert "takes effect at once" in saule.last.text
    assert len(await ledger(h)) == 2  # asking changes nothing
    done, view = await saule.taps("Yes, withdraw")
    assert "the consent is withdrawn" in done.text
    assert "consent withdrawn, does not take part" in view.text
    assert "↩️ Withdraw consent" not in view.labels

    rows = await ledger(h)
    assert [(r.action, r.participation, r.photo_tier) for r in rows] == [
        ("given", "agree", "publication"), ("changed", "agree", "prohibited"),
        ("withdrawn", "decline", None)]
    assert rows[2].created_at == h.now and rows[2].medical_note is None
    async with h.db() as s:
        current = await Consents(s).current(demo.trial_id, demo.id(ARUZHAN))
    assert current is not None and current.id == rows[2].id
    # Withdrawn twice is still one withdrawal.
    await saule.presses(Withdraw(demo.trial_id, demo.id(ARUZHAN)).pack())
    assert "There is no consent to withdraw" in saule.inbox[-2].text
    assert len(await ledger(h)) == 3


async def test_a_parent_of_two_children_answers_for_each_child(h, demo):
    saule = await demo.join(SAULE, lang="en")
    await demo.add_person("Әлихан Серікұлы", "pupil", on_trial=True)
    await demo.link(SAULE, "Әлихан Серікұлы")
    await demo.remind("consent.request")
    requests = [m for m in saule.inbox if "invites" in m.text]
    assert len(requests) == 2
    assert {"Аружан Серікқызы" in m.text for m in requests} == {True, False}

    aruzhan_request = next(m for m in requests if "Аружан Серікқызы" in m.text)
    alikhan_request = next(m for m in requests if "Әлихан Серікұлы" in m.text)
    await saule.taps("Answer: consent", alikhan_request)
    assert "Әлихан Серікұлы takes part" in saule.last.text
    await saule.taps("I do not agree")
    await saule.taps("Answer: consent", aruzhan_request)
    assert "Аружан Серікқызы takes part" in saule.last.text
    await saule.taps("I agree")
    await saule.taps("Portfolio only")
    await saule.taps("Skip")
    await saule.taps("I have read")

    rows = await ledger(h)
    assert {(r.pupil_id, r.participation) for r in rows} == {
        (demo.id("Әлихан Серікұлы"), "decline"), (demo.id(ARUZHAN), "agree")}
    await saule.says("/menu")
    *trials, privacy = saule.last.labels  # every menu ends with the person's data
    assert sorted(label[:2] for label in trials) == ["⛔ ", "✅ "] and privacy == "🔐 My data"


async def test_second_parent_sees_the_state_and_a_differing_decision_alerts_the_coordinator(
        h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    saule = await demo.join(SAULE, lang="en")
    await demo.remind("consent.request")
    await consent_agree(saule, "Publication allowed", None, start="Answer: consent",
                        agree="I agree")
    assert "disagree" not in coordinator.last.text

    # A second parent, linked later: his request shows what stands (his own answer is due).
    h.clock.advance(hours=3)
    await demo.add_person("Серік Алиев", "parent", locale="ru", children=(ARUZHAN,))
    serik = await demo.join("Серік Алиев", lang="ru")
    requested = [r.person_id for r in await demo.remind("consent.request")]
    assert demo.id("Серік Алиев") in requested and demo.id(SAULE) not in requested
    assert "Решение принял(а) Сәуле Серікова" in serik.last.text
    assert "участвует; фото и видео: Публикация разрешена" in serik.last.text
    await serik.says("/menu")
    await serik.taps("Аружан")
    assert "Сәуле Серікова" in serik.last.text and "Публикация разрешена" in serik.last.text

    await serik.taps("Изменить решение")
    await serik.taps("Согласен")
    await serik.taps("Только для портфолио")
    await serik.taps("Пропустить")
    await serik.taps("ознакомлен")
    alert = coordinator.last
    assert "The parents of Аружан Серікқызы disagree" in alert.text
    assert "Сәуле Серікова" in alert.text and "Серік Алиев" in alert.text
    assert "The most recent decision stands: takes part; photo and video: Portfolio only" \
        in alert.text
    assert "Asthma" not in alert.text

    async with h.db() as s:
        conflicts = await Consents(s).conflicts(demo.trial_id)
        current = await Consents(s).current(demo.trial_id, demo.id(ARUZHAN))
    assert [c.pupil_id for c in conflicts] == [demo.id(ARUZHAN)]
    assert [d.parent_id for d in conflicts[0].decisions] == [demo.id(SAULE), demo.id("Серік Алиев")]
    assert current is not None and current.parent_id == demo.id("Серік Алиев")
    assert current.photo_tier == "portfolio"

    await saule.says("/menu")
    await saule.taps("Аружан")
    assert "Decided by Серік Алиев" in saule.last.text
    assert "The other parent's own decision differs" in saule.last.text


async def test_buttons_for_another_familys_child_or_run_are_refused_and_change_nothing(h, demo):
    saule = await demo.join(SAULE, lang="en")
    marat = await demo.join(MARAT, lang="en")
    await demo.remind("consent.request")
    await saule.taps("Answer: consent")
    await saule.taps("I agree")
    async with h.db() as s:
        [saules_run] = await s.scalars(select(FlowRun).where(FlowRun.flow_id == "parent.consent"))
        step_before = saules_run.step_id
    trial, aruzhan = demo.trial_id, demo.id(ARUZHAN)
    forged = [*(kind(trial, aruzhan).pack() for kind in (AnswerConsent, ViewConsent,
                                                          ReadBriefing, AskWithdraw, Withdraw)),
              AnswerConsent(trial, 999999).pack(), AnswerConsent(trial + 1, demo.id(DIAS)).pack(),
              "pcs:x:y", "pcs",
              f"f:{saules_run.id}:photo:publication"]
    for data in forged:
        reply = await marat.presses(data)
        assert reply, data
        assert ("cannot find this child" in reply[-1].text
                or "no longer active" in reply[-1].text), (data, reply[-1].text)
    assert await ledger(h) == []
    async with h.db() as s:
        runs = list(await s.scalars(select(FlowRun).where(FlowRun.flow_id == "parent.consent")))
        assert [(r.person_id, r.step_id) for r in runs] == [(demo.id(SAULE), step_before)]
    # Saule's own conversation goes on untouched.
    await saule.taps("Portfolio only")
    assert "Medical restrictions" in saule.last.text


async def test_consent_reminders_are_registered_with_the_timeline(h, demo):

    request, remind = WIRING.reminders["consent.request"], WIRING.reminders["consent.reminder"]
    assert (request.anchor, request.offsets, request.audience) == ("added", (timedelta(0),),
                                                                   "parent")
    assert (remind.anchor, remind.offsets) == ("start", (-timedelta(days=3), -timedelta(days=1)))
    logistics = WIRING.reminders["logistics"]
    assert (logistics.anchor, logistics.offsets, logistics.at_local) == (
        "start", (-timedelta(days=1),), "18:00")
    async with h.db() as s:
        ctx = Context(session=s, wiring=WIRING, now=h.now, config=h.config)
        trial = await s.get(Trial, demo.trial_id)
        trial.status = "cancelled"
        assert await request.recipients(ctx, trial) == []
        assert await logistics.recipients(ctx, trial) == []
        trial.status = "planned"
        built = await request.build(ctx, trial, (await request.recipients(ctx, trial))[0], 0)
    assert [(m.purpose, m.trial_id) for m in built] == [("consent.request", demo.trial_id)]
    assert built[0].buttons[0][0].payload == f"pcs:{demo.trial_id}:{demo.id(ARUZHAN)}"


async def test_the_scheduler_sends_the_request_once_and_reminds_only_the_undecided(h, demo):
    saule = await demo.join(SAULE, lang="en")
    marat = await demo.join(MARAT, lang="en")
    await h.tick(h.now + timedelta(minutes=1))  # "added" + 0: the briefing and request
    assert "invites Аружан Серікқызы" in saule.last.text
    assert "invites Диас Маратұлы" in marat.last.text
    await h.tick(h.now + timedelta(minutes=2))
    assert sum("invites" in m.text for m in saule.inbox) == 1  # not twice
    await saule.taps("Answer: consent")
    await saule.taps("I agree")
    await saule.taps("Portfolio only")
    await saule.taps("Skip")
    await saule.taps("I have read")
    seen = len(saule.inbox)
    trial = await demo.trial()
    await h.tick(trial.starts_at - timedelta(days=1, minutes=-1))  # T − 1 d
    assert "A reminder: we still need your answer for Диас Маратұлы" in marat.last.text
    assert not any("A reminder" in m.text for m in saule.inbox[seen:])
