"""A joined person cannot probe invite codes: someone else's code is answered exactly as a
wrong one, and refused codes are limited per sender as they are for strangers."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Identity
from storage.repos.invites import MAX_FAILED_CODES

from .demo_school import PARENTS, PUPILS


async def test_a_joined_person_can_neither_tell_a_foreign_code_nor_try_codes_at_will(h, demo):
    aruzhan = await demo.join(PUPILS[0], lang="en")
    aruzhan.new()
    [wrong] = await aruzhan.says("/start AAAA2222")
    [foreign] = await aruzhan.says(f"/start {await demo.code(PUPILS[1])}")
    assert foreign.text == wrong.text  # nothing tells them the second one is real
    answered = 2
    for n in range(20):
        [reply] = await aruzhan.says(await demo.code((PUPILS[1:] + PARENTS)[n % 5]))  # typed bare
        if "Too many wrong codes" in reply.text:
            break
        assert reply.text == wrong.text
        answered += 1
    assert answered == MAX_FAILED_CODES, f"{answered} codes tried before any limit"
    async with h.db() as session:  # and none of them took effect
        assert [i.person_id for i in await session.scalars(select(Identity))] == [
            demo.id(PUPILS[0])]
    h.clock.advance(minutes=16)
    [reply] = await aruzhan.says("/start AAAA2222")
    assert reply.text == wrong.text
