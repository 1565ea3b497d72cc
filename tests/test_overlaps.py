"""The same mentor or the same class on two trials at once: warned at import (the rest is
imported) and on the set-up card before "Create"."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.coordinator.file_import import report_lines
from locales import translator

from .demo_school import COORDINATOR, MENTOR
from .test_coordinator_changes import open_status
from .test_coordinator_setup import create_in_chat
from .test_import import EXAMPLES, csv_files, edited, run

EN = translator("en")


def copy_of_first(title: str, start: str, end: str, **changes: str):
    """trials.csv with one more row: the first trial (8А, Бақыт Оспанов, 08.12.2026
    10:00–11:30) under another title and time, with ``changes``."""

    def change(rows: list[list[str]]) -> None:
        row = list(rows[1])
        row[rows[0].index("title")] = title
        row[rows[0].index("start")], row[rows[0].index("end")] = start, end
        for column, value in changes.items():
            row[rows[0].index(column)] = value
        rows.append(row)

    return change


async def test_an_import_warns_of_the_same_mentor_or_class_at_the_same_time(h):
    files = edited(csv_files(EXAMPLES), "trials.csv",
                   copy_of_first("Агроном: суару", "11:00", "12:00", **{"class": "7А"}))
    files = edited(files, "trials.csv",
                   copy_of_first("Зертханашы: микроскоп", "09:30", "10:15", mentor="",
                                 partner="090340005678", site="Зертхана"))
    files = edited(files, "trials.csv",
                   copy_of_first("Агроном: кешкі күтім", "11:30", "12:30", **{"class": "7А"}))
    result = await run(h, files)

    assert result.ok and result.counts is not None and result.counts.created["trials"] == 7
    warned = [(p.row, p.render(EN)) for p in result.problems if "overlaps" in p.msgid]
    assert warned == [
        (6, "trials.csv, row 6: This trial overlaps “Агроном: көшетті отырғызу және күтім” "
            "(08.12.2026 10:00) and has the same mentor, Бақыт Оспанов."),
        (7, "trials.csv, row 7: This trial overlaps “Агроном: көшетті отырғызу және күтім” "
            "(08.12.2026 10:00) and has the same class, 8А."),
        (8, "trials.csv, row 8: This trial overlaps “Агроном: суару” (08.12.2026 11:00) and "
            "has the same mentor, Бақыт Оспанов.")]  # 11:30 is when the first one ends
    assert any("has the same mentor" in line for line in report_lines(result, EN))


async def test_an_import_warns_of_an_overlap_with_a_trial_already_stored(h):
    await run(h, csv_files(EXAMPLES))

    def only_a_new_one(rows: list[list[str]]) -> None:
        copy_of_first("Агроном: суару", "11:00", "12:00", **{"class": "7А"})(rows)
        del rows[1:-1]

    result = await run(h, edited(csv_files(EXAMPLES)[-1:], "trials.csv", only_a_new_one))
    assert result.ok and result.counts is not None and result.counts.created == {"trials": 1}
    assert [p.render(EN) for p in result.problems] == [
        "trials.csv, row 2: This trial overlaps “Агроном: көшетті отырғызу және күтім” "
        "(08.12.2026 10:00) and has the same mentor, Бақыт Оспанов."]


async def set_up_card(demo, when: str) -> str:
    """The coordinator's set-up card for a trial of the demo site, mentor and class."""
    coordinator = await demo.join(COORDINATOR, lang="en")
    await coordinator.says("/menu")
    await coordinator.taps("New trial")
    await coordinator.says("Электрик: шамды қосу")
    await coordinator.says(when)
    await coordinator.taps("Электр шеберханасы")
    await coordinator.taps(MENTOR)
    await coordinator.taps("Skip")
    await coordinator.taps("8А")
    await coordinator.taps("Done")
    for _step in ("goal", "task", "ppe", "bring", "risks", "photo"):
        await coordinator.taps("Skip")
    assert "Please check the new trial" in coordinator.last.text
    return coordinator.last.text


async def test_the_set_up_card_warns_of_the_same_mentor_and_class_at_the_same_time(h, demo):
    trial = await demo.trial()
    start = trial.starts_at.astimezone(ZoneInfo("Asia/Almaty"))
    card = await set_up_card(demo, f"{start:%d.%m.%Y} {start.hour + 1:02d}:00-"
                                   f"{start.hour + 3:02d}:00")
    assert f"⚠️ The mentor has another trial at the same time: “{trial.title}”" in card


async def test_the_set_up_card_says_nothing_when_nothing_overlaps(h, demo):
    trial = await demo.trial()
    start = trial.starts_at.astimezone(ZoneInfo("Asia/Almaty"))
    card = await set_up_card(demo, f"{start:%d.%m.%Y} {start.hour + 2:02d}:00-"
                                   f"{start.hour + 3:02d}:00")
    assert "⚠️" not in card and "Please check the new trial" in card


async def test_moving_a_trial_onto_another_of_its_mentor_is_warned(h, demo):
    demo_trial = await demo.trial()
    start = demo_trial.starts_at.astimezone(ZoneInfo("Asia/Almaty"))
    coordinator = await demo.join(COORDINATOR, lang="en")
    await create_in_chat(coordinator, when=f"{start:%d.%m.%Y} {start.hour + 4:02d}:00-"
                                           f"{start.hour + 5:02d}:00")
    await open_status(coordinator)
    await coordinator.taps("Move")
    await coordinator.says(f"{start:%d.%m.%Y} {start.hour + 1:02d}:00-{start.hour + 2:02d}:00")
    done = (await coordinator.taps("Move it"))[0].text
    assert "📅 Moved" in done
    assert f"⚠️ The mentor has another trial at the same time: “{demo_trial.title}”" in done
