"""Joining by invite, the language, and the polite refusal of everyone else."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import CodeAttempt, FlowRun, Identity, Invite, Person
from storage.repos.invites import Invites

from .demo_school import PUPILS


async def count(h, model) -> int:
    async with h.db() as s:
        return int(await s.scalar(select(func.count()).select_from(model)))


async def test_a_stranger_is_refused_kindly_and_stored_nowhere(h, demo):
    people_before = await count(h, Person)
    stranger = h.user("Stranger")
    [reply] = await stranger.says("Сәлем! Мен кіммін?")
    assert "Synaq" in reply.text and "Сәлеметсіз бе" in reply.text  # kk, the default
    russian = h.user("Гость", lang="ru")
    [reply] = await russian.says("привет")
    assert "Здравствуйте" in reply.text  # the client's language, when we have it
    assert await count(h, Person) == people_before
    assert await count(h, Identity) == 0
    assert await count(h, CodeAttempt) == 0


async def test_deep_link_joins_asks_the_language_and_shows_the_role_menu(h, demo):
    aruzhan = h.user("Аружан")
    code = await demo.code(PUPILS[0])
    welcome, prompt = await aruzhan.says(f"/start {code}")
    assert PUPILS[0] in welcome.text
    assert "Тілді таңдаңыз" in prompt.text and "Please choose your language" in prompt.text
    assert prompt.labels == ["Қазақша", "Русский", "English"]
    saved, menu = await aruzhan.taps("Русский")
    assert "Язык сохранён" in saved.text
    assert "Меню" in menu.text and "Перед пробой" in menu.labels[0]
    async with h.db() as s:
        person = await s.get(Person, demo.id(PUPILS[0]))
        assert person.locale == "ru"
        identity = await s.scalar(select(Identity).where(Identity.person_id == person.id))
        assert identity.channel == "telegram" and identity.address == str(aruzhan.id)
        invite = await s.scalar(select(Invite).where(Invite.person_id == person.id))
        assert invite.used_at is not None
        assert code not in invite.code_hash  # only a hash is kept


async def test_the_code_can_be_typed_instead_of_following_the_link(h, demo):
    dias = h.user("Диас")
    code = await demo.code(PUPILS[1])
    spaced = f"{code[:4].lower()} {code[4:]}"
    replies = await dias.says(spaced)
    assert PUPILS[1] in replies[0].text


async def test_a_used_code_is_explained(h, demo):
    code = await demo.code(PUPILS[0])
    await h.user("First").says(f"/start {code}")
    [reply] = await h.user("Second").says(f"/start {code}")
    assert "бұрын пайдаланылған" in reply.text  # "already used"
    async with h.db() as s:
        assert await s.scalar(select(func.count()).select_from(Identity)) == 1


async def test_a_replaced_or_expired_code_is_explained(h, demo):
    old = await demo.code(PUPILS[0])
    await demo.code(PUPILS[0])  # re-issued: the old one stops working
    [reply] = await h.user("Old").says(f"/start {old}")
    assert "жаңасы берілген" in reply.text
    code = await demo.code(PUPILS[1])
    h.clock.advance(days=31)
    [reply] = await h.user("Late").says(f"/start {code}")
    assert "мерзімі өтіп кеткен" in reply.text


async def test_guessing_codes_is_slowed_down(h, demo):
    guesser = h.user("Guesser", lang="en")
    for _ in range(5):
        [reply] = await guesser.says("/start AAAA2222")
        assert "I do not know this code" in reply.text
    real = await demo.code(PUPILS[2])
    [reply] = await guesser.says(f"/start {real}")
    assert "Too many wrong codes" in reply.text
    async with h.db() as s:
        attempts = list(await s.scalars(select(CodeAttempt)))
        assert len(attempts) == 5
        assert all(str(guesser.id) not in a.sender_hash for a in attempts)
    h.clock.advance(minutes=16)
    replies = await guesser.says(f"/start {real}")
    assert PUPILS[2] in replies[0].text


async def test_typed_text_at_the_language_question_is_reasked(h, demo):
    madina = h.user("Мадина")
    await madina.says(f"/start {await demo.code(PUPILS[2])}")
    problem, again = await madina.says("what?")
    assert "Жауаптардың бірін таңдаңыз" in problem.text
    assert again.labels == ["Қазақша", "Русский", "English"]
    saved, _menu = await madina.says("english")
    assert "Language saved: English" in saved.text


async def test_language_can_be_changed_and_old_buttons_do_nothing(h, demo):
    user = await demo.join(PUPILS[0], lang="kk")
    first_prompt = user.inbox[1]
    await user.says("/language")
    saved, _menu = await user.taps("English")
    assert "Language saved: English" in saved.text
    [reply] = await user.taps("Русский", message=first_prompt)
    assert "already saved" in reply.text
    async with h.db() as s:
        assert (await s.get(Person, demo.id(PUPILS[0]))).locale == "en"
        runs = list(await s.scalars(select(FlowRun).where(FlowRun.flow_id == "person.language")))
        assert all(r.status == "completed" for r in runs)


async def test_help_and_menu_speak_the_persons_language_and_roles(h, demo):
    mentor = await demo.join("Ерлан Жақсыбеков", lang="ru")
    [help_text] = await mentor.says("/help")
    assert "тәлімгер" in help_text.text.lower() or "наставник" in help_text.text.lower()
    assert "/language" in help_text.text
    [menu] = await mentor.says("/menu")
    assert "Наставник" in menu.text


async def test_a_registered_chat_cannot_take_another_persons_code(h, demo):
    aruzhan = await demo.join(PUPILS[0], lang="en")
    other = await demo.code(PUPILS[1])
    [reply] = await aruzhan.says(f"/start {other}")
    assert "I do not know this code" in reply.text  # as any wrong code (issue 20.9)
    async with h.db() as s:
        invite = await Invites(s).find(other)
        assert invite.used_at is None
        identities = list(await s.scalars(select(Identity)))
        assert [i.person_id for i in identities] == [demo.id(PUPILS[0])]
