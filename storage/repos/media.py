"""Media rows: what was kept of the files people sent (the bytes are in storage.files)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Media


class MediaRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, **fields: object) -> Media:
        media = Media(**fields)
        self.session.add(media)
        await self.session.flush()
        return media

    async def get(self, media_id: int) -> Media | None:
        return await self.session.get(Media, media_id)
