"""A coordinator acts within their own school only: another school's coordinator forging
buttons for this school's trial, site, class or pupils is refused and nothing changes. Bad
input during the set-up gets a clear answer in the coordinator's language and loses nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.coordinator.buttons import (
    LINKS,
    PDF,
    AssignStaff,
    CancelTrial,
    ConfirmCancel,
    DuplicateTrial,
    IssueTrialInvites,
    MoveTrial,
    ShowTrial,
    TrialInvites,
)
from storage.models import Answer, AuditLog, FlowRun, Invite, Site
from storage.repos.invites import Invites
from storage.repos.people import People
from storage.repos.schools import Schools

from .demo_school import COORDINATOR, PUPILS
from .test_coordinator_setup import demo_trial

ARUZHAN, DIAS, MADINA = PUPILS
NOT_FOUND = "I cannot find this trial among your school's trials, so nothing was changed."


def run_of(message) -> int:
    """The flow run a step's buttons belong to (``f:<run>:<step>:<value>``)."""
    data = next(d for row in message.buttons for _label, d in row if d.startswith("f:"))
    return int(data.split(":")[1])


async def other_school(h):
    """School № 12 with its own class, partner site and pupil; its coordinator joins."""
    async with h.db() as session:
        schools, people = Schools(session), People(session)
        school = await schools.add(name="№ 12 мектеп", timezone="Asia/Almaty")
        school_class = await schools.add_class(school.id, "9Б", 9)
        partner = await schools.add_partner(school_id=school.id, name="«Nan» ЖШС")
        await schools.add_site(partner_id=partner.id, name="Наубайхана", address="Алматы")
        await people.add("Ерасыл Бекұлы", ["pupil"], school_id=school.id,
                         class_id=school_class.id)
        coordinator = await people.add("Бақыт Ахметов", ["coordinator"], school_id=school.id)
        code = await Invites(session).issue(coordinator.id, "coordinator", school.id, h.now,
                                            h.config.invite_ttl)
    user = h.user("Бақыт")
    await user.says(f"/start {code}")
    await user.taps("English")
    return user


async def counts(h, demo) -> tuple[int, int, int]:
    """Invites of the demo school's people, runs about the demo trial, audit entries."""
    async with h.db() as session:
        invites = await session.scalar(select(func.count()).select_from(Invite).where(
            Invite.school_id == demo.school_id))
        runs = await session.scalar(select(func.count()).select_from(FlowRun).where(
            FlowRun.trial_id == demo.trial_id))
        audit = await session.scalar(select(func.count()).select_from(AuditLog))
    return int(invites or 0), int(runs or 0), int(audit or 0)


async def test_another_schools_coordinator_cannot_touch_this_schools_trial(h, demo):
    own = await demo.join(COORDINATOR, lang="en")
    await own.taps("New trial")  # their own set-up, open
    stranger = await other_school(h)
    before = await counts(h, demo)
    trial = demo.trial_id
    for forged in (ShowTrial(trial).pack(), MoveTrial(trial).pack(), CancelTrial(trial).pack(),
                   ConfirmCancel(trial).pack(), DuplicateTrial(trial).pack(),
                   AssignStaff(trial).pack(), TrialInvites(trial).pack(),
                   IssueTrialInvites(trial, LINKS).pack(), IssueTrialInvites(trial, PDF).pack()):
        reply = await stranger.presses(forged)
        assert len(reply) == 1 and NOT_FOUND in reply[0].text, forged
    assert await counts(h, demo) == before
    after = await demo_trial(h, trial)
    assert (after.status, after.text_version, after.schedule_version, after.mentor_status) == (
        "planned", 1, 1, "pending")

    # Its own set-up offers its own school only; forged options of this school are refused.
    await stranger.taps("New trial")
    await stranger.says("Наубайшы: нан пісіру")
    await stranger.says("30.11.2026 10:00-12:00")
    assert stranger.last.labels == ["«Nan» ЖШС — Наубайхана", "« Back"]
    run_id = run_of(stranger.last)
    async with h.db() as session:
        demo_site = await session.scalar(select(Site.id).where(Site.name == "Электр шеберханасы"))
    refused = await stranger.presses(f"f:{run_id}:site:{demo_site}")
    assert "That button belongs to an earlier question" in refused[0].text
    assert await step_and_answers(h, run_id) == ("site", {"title", "when"})
    await stranger.taps("Наубайхана")
    await stranger.taps("Skip")  # no mentor of «Nan» has joined the lists
    await stranger.taps("Skip")  # no teacher either
    assert stranger.last.labels == ["9Б", "« Back"]
    demo_class = (await demo_trial(h, trial)).class_id
    await stranger.presses(f"f:{run_id}:class:{demo_class}")
    step, answered = await step_and_answers(h, run_id)
    assert (step, "class" in answered) == ("class", False)
    await stranger.taps("9Б")
    await stranger.presses(f"f:{run_id}:pupils:{demo.id(ARUZHAN)}")
    step, answered = await step_and_answers(h, run_id)
    assert (step, "pupils" in answered) == ("pupils", False)
    assert stranger.last.labels == ["✅ Ерасыл Бекұлы", "Done", "« Back"]
    # And a button of the demo coordinator's own conversation is not theirs to press.
    async with h.db() as session:
        own_run_id = await session.scalar(select(FlowRun.id).where(
            FlowRun.person_id == demo.id(COORDINATOR), FlowRun.flow_id == "trial.setup"))
    reply = await stranger.presses(f"f:{own_run_id}:title:x")
    assert "This button is no longer active" in reply[0].text


async def step_and_answers(h, run_id: int) -> tuple[str | None, set[str]]:
    async with h.db() as session:
        run = await session.get(FlowRun, run_id)
        assert run is not None
        steps = set(await session.scalars(select(Answer.step_id).where(Answer.run_id == run_id)))
    return run.step_id, steps


async def test_bad_input_in_kazakh_gets_a_clear_answer_and_loses_nothing(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="kk")
    await coordinator.taps("Жаңа сынақ")
    await coordinator.says("Аспаз: салат дайындау")
    answers = {
        "01.01.2026 10:00-12:00": "Бұл уақыт өтіп кетті (01.01.2026 10:00)",
        "27.11.2026 12:00-10:00": "Аяқталу уақыты (10:00) басталу уақытынан (12:00) кеш "
                                  "болуы керек",
        "ертең түсте": "Мұнда күн мен уақытты оқи алмадым",
        "27.11.2026 10:00-25:30": "Тәулікте мұндай уақыт жоқ: 25:30",
    }
    for typed, problem in answers.items():
        reply = await coordinator.says(typed)
        assert problem in reply[0].text and "30.11.2026 10:00-12:00" in reply[0].text, typed
        assert "Қашан өтеді" in reply[-1].text  # asked again
    await coordinator.says("27.11 10.00–12.00")  # no year, dots, a dash: the next 27 November
    assert "Қайда өтеді" in coordinator.last.text
    reply = await coordinator.says("бір нәрсе")  # text where a button is expected
    assert "Жауаптардың бірін таңдаңыз" in reply[0].text
    await coordinator.says("1")  # the first site, by its number
    await coordinator.taps("Өткізіп жіберу")
    await coordinator.taps("Өткізіп жіберу")
    await coordinator.taps("8А")
    await coordinator.says("1, 2, 3")  # everyone off the list
    assert coordinator.last.labels[:3] == [f"⬜ {p}" for p in sorted(PUPILS)]
    reply = await coordinator.taps("Дайын")
    assert "Тізімде кемінде біреу қалуы керек" in reply[0].text
    await coordinator.says("2")
    await coordinator.taps("Дайын")
    await coordinator.says("Бүгін мен аспаз мамандығында салат қалай дайындалатынын түсіну "
                           "үшін көкөніс туралап көремін.")
    reply = await coordinator.says("Жуу\nТурау\nАраластыру\nТатып көру")
    assert "ең көбі үш қадам сыяды, ал сіз 4 қадам жаздыңыз" in reply[0].text
    await coordinator.says("Жуу; Турау; Араластыру")
    for _field in ("ppe", "bring", "risks", "photo"):
        await coordinator.taps("Өткізіп жіберу")
    summary = coordinator.last.text
    assert "<b>Жаңа сынақты тексеріңіз:</b>" in summary
    assert "жұма, 27 қараша, 10:00–12:00" in summary
    assert f"<b>8А сыныбы, оқушылар (1):</b> {DIAS}" in summary
    assert "1) Жуу\n2) Турау\n3) Араластыру" in summary
    assert "Тек портфолио үшін (алаң ережесі бойынша)" in summary
    created = await coordinator.taps("Сынақты жасау")
    assert "✅ Сынақ жасалды." in created[0].text


async def test_bad_input_in_russian_gets_a_clear_answer(h, demo):
    await demo.add_person("Ольга Ким", "coordinator")
    coordinator = await demo.join("Ольга Ким", lang="ru")
    await coordinator.taps("Новая проба")
    await coordinator.says("Пекарь: выпечка хлеба")
    reply = await coordinator.says("31.02.2027 10:00-11:00")
    assert "Такой даты нет: 31.02.2027" in reply[0].text
    await coordinator.says("27.11.2026 10:00-12:00")
    reply = await coordinator.says("/skip")  # the site cannot be skipped
    assert "Этот вопрос нельзя пропустить." in reply[0].text
    assert "Где она пройдёт" in reply[-1].text
    await coordinator.taps("« Назад")
    assert "Когда она пройдёт" in coordinator.last.text  # back keeps what was typed
    async with h.db() as session:
        run = await session.scalar(select(FlowRun).where(FlowRun.flow_id == "trial.setup"))
        assert run is not None
        answers = set(await session.scalars(select(Answer.step_id).where(
            Answer.run_id == run.id)))
    assert answers == {"title", "when"}
