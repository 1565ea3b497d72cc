"""A re-imported spreadsheet that gives a trial a new time has the consequences of a move."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from storage.models import Trial

from .demo_school import COORDINATOR, MENTOR, PARENTS, PUPILS

CSV = "text/csv"


async def test_a_new_time_in_the_trials_file_tells_people_and_restarts_the_schedule(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="ru")
    parent = await demo.join(PARENTS[0], lang="kk")
    mentor = await demo.join(MENTOR, lang="en")
    trial = await demo.trial()
    day = trial.starts_at.astimezone(ZoneInfo("Asia/Almaty")).strftime("%d.%m.%Y")
    rows = ["title;date;start;end;partner;site",
            f"{trial.title};{day};11:00;13:00;«Qazaq Energy Service» ЖШС;Электр шеберханасы"]
    replies = await coordinator.sends_document(("\n".join(rows) + "\n").encode(), "trials.csv",
                                               CSV)
    assert "ошиб" not in replies[0].text.lower()
    async with h.db() as s:
        moved = await s.get(Trial, demo.trial_id)
    assert moved.starts_at.astimezone(ZoneInfo("Asia/Almaty")).hour == 11
    assert moved.schedule_version == trial.schedule_version + 1
    assert moved.mentor_status == "pending"
    assert any("11:00" in m.text for m in parent.new())
    assert any("confirm again" in m.text for m in mentor.new())
    assert not any(PUPILS[1] in m.text for m in parent.inbox)  # only her own child
