"""Bad input gets a clear answer in the person's language; nothing crashes or changes."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Answer, FlowRun, Media, Trial

from .demo_school import PUPILS


async def before_questionnaire(demo, lang="kk"):
    pupil = await demo.join(PUPILS[0], lang=lang)
    await pupil.taps(pupil.last.labels[0])  # the before-trial questionnaire
    return pupil


async def answers(h) -> dict[str, dict]:
    async with h.db() as s:
        rows = await s.scalars(select(Answer))
        return {a.step_id: a.value for a in rows}


async def current_step(h) -> str | None:
    async with h.db() as s:
        run = await s.scalar(select(FlowRun).where(FlowRun.flow_id == "pupil.before"))
        return run.step_id


async def test_a_10000_character_answer_is_refused_with_the_limit_and_kept_at_the_question(h, demo):
    pupil = await before_questionnaire(demo, lang="ru")
    problem, again = await pupil.says("а" * 10_000)
    assert "10000" in problem.text and "1000" in problem.text
    assert "Что я ожидаю" in again.text or "ожида" in again.text.lower()
    assert "expect" not in await answers(h)
    assert await current_step(h) == "expect"
    await pupil.says("Нормальный ответ")
    assert (await answers(h))["expect"] == {"text": "Нормальный ответ"}


async def test_a_photo_where_text_is_expected_is_explained_and_not_kept(h, demo):
    pupil = await before_questionnaire(demo, lang="en")
    problem, again = await pupil.sends_photo()
    assert "answer in words" in problem.text
    assert "What do I expect?" in again.text
    async with h.db() as s:
        assert await s.scalar(select(func.count()).select_from(Media)) == 0
    assert not list((h.settings.media_dir).glob("**/*.*"))


async def test_text_where_a_button_is_expected_is_reasked(h, demo):
    user = h.user("Dias")
    await user.says(f"/start {await demo.code(PUPILS[1])}")
    problem, again = await user.says("I would like Kazakh please")
    assert "Жауаптардың бірін таңдаңыз" in problem.text
    assert again.labels == ["Қазақша", "Русский", "English"]


async def test_a_sticker_is_explained_and_the_question_asked_again(h, demo):
    pupil = await before_questionnaire(demo, lang="en")
    replies = await pupil.sends_sticker()
    assert "cannot read this kind of message" in replies[0].text
    assert "What do I expect?" in replies[-1].text


async def test_forged_and_garbage_buttons_are_refused_and_change_nothing(h, demo):
    pupil = await before_questionnaire(demo, lang="en")
    await pupil.says("To learn")
    other = await demo.join(PUPILS[1], lang="en")
    async with h.db() as s:
        run_id = await s.scalar(select(FlowRun.id).where(FlowRun.flow_id == "pupil.before"))
    before = await answers(h)
    for data in (f"f:{run_id}:worry:~back", "f:999999:expect:x", "f:abc", "f", "zz:1:2",
                 "pb:999999", "pb:-5", "l:xx", ":::", "f:" + "9" * 40):
        replies = await other.presses(data)
        assert replies and "no longer active" in replies[0].text, data
    assert await answers(h) == before
    assert await current_step(h) == "worry"


async def test_a_stale_button_says_where_we_are_now(h, demo):
    pupil = await before_questionnaire(demo, lang="en")
    await pupil.says("To learn")
    back_on_worry = pupil.last
    await pupil.says("Getting hurt")
    replies = await pupil.taps("Back", message=back_on_worry)
    assert "earlier question" in replies[0].text
    assert "guess about yourself" in replies[-1].text
    assert await current_step(h) == "hypothesis"


async def test_an_unknown_command_is_answered(h, demo):
    pupil = await demo.join(PUPILS[0], lang="ru")
    [reply] = await pupil.says("/teleport now")
    assert "/teleport" in reply.text and "/help" in reply.text


async def test_user_written_text_is_escaped_in_html_messages(h, demo):
    async with h.db() as s:
        trial = await s.get(Trial, demo.trial_id)
        trial.title = "Welding <b>&</b> co"
        trial.pupil_goal = "to try 2 < 3 & see"
    pupil = await demo.join(PUPILS[0], lang="en")
    assert "Welding <b>&</b> co" in pupil.last.labels[0]  # labels are plain text, not HTML
    replies = await pupil.taps(pupil.last.labels[0])
    goal = replies[0].text
    assert "Welding &lt;b&gt;&amp;&lt;/b&gt; co" in goal
    assert "to try 2 &lt; 3 &amp; see" in goal
    await pupil.says("<i>my</i> answer & more")
    assert (await answers(h))["expect"] == {"text": "<i>my</i> answer & more"}


async def test_commands_for_questions_without_an_open_questionnaire(h, demo):
    pupil = await demo.join(PUPILS[0], lang="en")
    replies = await pupil.says("/back")
    assert "no open questionnaire" in replies[0].text


async def test_the_same_update_delivered_twice_is_handled_once(h, demo):
    pupil = await before_questionnaire(demo, lang="en")
    update = pupil.message_update(text="To learn")
    await h.feed_raw(update)
    await h.feed_raw(update)
    await h.deliver()
    fresh = pupil.new()
    assert len(fresh) == 1 and "worried" in fresh[0].text
    async with h.db() as s:
        assert await s.scalar(select(func.count()).select_from(Answer)) == 2  # language, expect
