"""The regional career centre sees figures across schools, never people."""

from __future__ import annotations

from sqlalchemy import select

from handlers.reports.buttons import RegionalFigures
from storage.models import AuditLog

from .demo_school import PARENTS, PUPILS


async def test_regional_operator_gets_depersonalised_figures_and_the_read_is_audited(h, demo):
    centre = await demo.add_person("Алия Мансұрова", "regional", locale="ru")
    operator = await demo.join(centre.full_name, lang="ru")
    assert any("Показатели по школам" in label for label in operator.last.labels)
    replies = await operator.taps("Показатели по школам")
    document = replies[0]
    assert document.method == "senddocument" and "пяти" in document.text
    content = document.file_bytes.decode("utf-8-sig")
    for name in (*PUPILS, *PARENTS, "Ерлан Жақсыбеков", "+7701"):
        assert name not in content
    districts = replies[1]
    assert districts.method == "senddocument" and "наставник" in districts.text
    content = districts.file_bytes.decode("utf-8-sig")
    assert content.startswith("Район;")
    for name in (*PUPILS, *PARENTS, "Ерлан Жақсыбеков", "+7701"):
        assert name not in content
    async with h.db() as s:
        audit = await s.scalar(select(AuditLog).where(AuditLog.action == "export.region"))
        assert audit is not None and audit.actor_id == centre.id


async def test_the_figures_button_is_refused_to_everyone_else(h, demo):
    parent = await demo.join(PARENTS[0], lang="en")
    [reply] = await parent.presses(RegionalFigures().pack())
    assert "no longer active" in reply.text
    async with h.db() as s:
        assert await s.scalar(select(AuditLog).where(AuditLog.action == "export.region")) is None
