"""Invite codes: random, single-use, expiring, bound to one person and role.

Only a SHA-256 of the code is stored; the code itself exists when it is issued and in the
hands of the person it was given to.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CodeAttempt, Invite

# No 0/O, 1/I/L: codes are read off paper slips and typed on phones.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
# Refused codes a sender (stranger or joined person) may send per window before every code
# from them is refused unread: 31^8 codes cannot be guessed at this pace.
MAX_FAILED_CODES = 5
FAILED_CODE_WINDOW = timedelta(minutes=15)


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def looks_like_code(text: str) -> bool:
    code = normalise_code(text)
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


class Invites:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def issue(
        self, person_id: int, role: str, school_id: int | None, now: datetime, ttl: timedelta
    ) -> str:
        """A new code for ``person_id`` as ``role``; earlier open codes for them stop working."""
        await self.session.execute(
            update(Invite)
            .where(Invite.person_id == person_id, Invite.role == role,
                   Invite.used_at.is_(None), Invite.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        self.session.add(Invite(
            person_id=person_id, role=role, school_id=school_id, code_hash=hash_code(code),
            created_at=now, expires_at=now + ttl,
        ))
        await self.session.flush()
        return code

    async def find(self, code: str) -> Invite | None:
        return await self.session.scalar(select(Invite).where(Invite.code_hash == hash_code(code)))

    async def redeem(self, invite: Invite, now: datetime) -> bool:
        """Mark used; False if somebody else used it in the meantime."""
        result = await self.session.execute(
            update(Invite).where(Invite.id == invite.id, Invite.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    # --- guessing ------------------------------------------------------------------------

    async def too_many_failures(self, channel: str, address: str, now: datetime) -> bool:
        """Whether this sender has used up their refused codes for now."""
        since = now - FAILED_CODE_WINDOW
        await self.session.execute(delete(CodeAttempt).where(CodeAttempt.at < since))
        count = await self.session.scalar(
            select(func.count()).select_from(CodeAttempt)
            .where(CodeAttempt.sender_hash == _sender_hash(channel, address),
                   CodeAttempt.at >= since))
        return (count or 0) >= MAX_FAILED_CODES

    async def failed(self, channel: str, address: str, now: datetime) -> None:
        """Count a refused code against this sender."""
        self.session.add(CodeAttempt(sender_hash=_sender_hash(channel, address), at=now))
        await self.session.flush()

    async def forget_failures(self, channel: str, address: str) -> None:
        await self.session.execute(
            delete(CodeAttempt).where(CodeAttempt.sender_hash == _sender_hash(channel, address)))

    async def open_for(self, person_ids: list[int], now: datetime) -> list[Invite]:
        rows = await self.session.scalars(
            select(Invite).where(
                Invite.person_id.in_(person_ids), Invite.used_at.is_(None),
                Invite.revoked_at.is_(None), Invite.expires_at > now,
            )
        )
        return list(rows)


def _sender_hash(channel: str, address: str) -> str:
    # Only a hash: a stranger's address is stored nowhere.
    return hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()
