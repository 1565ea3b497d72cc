"""Reports: the meaningful check, the year's targets, and the regional figures that name no
one and show no group of fewer than five pupils."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from handlers.participation import meaningful_on as meaningful
from handlers.reports.figures import (
    MIN_CELL,
    Cell,
    district_rows,
    districts_csv,
    regional_cells,
    regional_charts,
    regional_csv,
    suppress,
)
from handlers.reports.targets import targets
from locales import translator
from storage.importer import import_files
from storage.models import Participant, Person, School, Trial
from storage.reads.journal import Journal
from storage.repos.consents import Consents
from storage.repos.people import People
from storage.repos.schools import Schools

from .demo_school import PUPILS
from .harness import Harness
from .test_export import AFTER, RUBRIC, TRACE, held
from .test_import import to_csv


async def demo_facts(h: Harness, demo):  # type: ignore[no-untyped-def]
    async with h.db() as session:
        journal = Journal(session)
        facts = await journal.facts(await journal.trials(demo.school_id))
        classes = await Schools(session).classes(demo.school_id)
        pupils = await People(session).with_role(demo.school_id, "pupil")
    return facts, classes, pupils


async def test_meaningful_needs_goal_mini_task_mentor_card_and_reflection(h, demo):
    await held(h, demo)
    facts, _classes, _pupils = await demo_facts(h, demo)
    (trial,) = facts
    aruzhan, dias, madina = (demo.id(n) for n in PUPILS)
    assert meaningful(trial, aruzhan).ok and meaningful(trial, dias).ok
    check = meaningful(trial, madina)  # declined: no card, no reflection
    assert (check.goal, check.mini_task, check.feedback, check.reflection) == \
        (True, True, False, False)
    trial.trial.mini_task = []  # an excursion, not a trial (l. 7165–7211)
    assert not meaningful(trial, aruzhan).ok


async def test_the_years_targets_count_contacts_portfolio_items_and_feedback(h, demo):
    await held(h, demo)
    facts, classes, pupils = await demo_facts(h, demo)
    result = targets(facts, classes, pupils, h.now)

    by_name = {p.pupil.full_name: p for p in result.pupils}
    aruzhan, dias, madina = (by_name[n] for n in PUPILS)
    assert (aruzhan.contacts, aruzhan.meaningful, aruzhan.portfolio) == (1, 1, 1)
    assert (dias.contacts, dias.meaningful, dias.portfolio) == (1, 1, 0)
    assert (madina.contacts, madina.meaningful) == (0, 0)  # her parent declined
    # Trace "liked: yes", "useful: yes" → 5, 5; the rubric 3,3,2,3,3 (2.8 of 3) → 4.6 of 5.
    assert aruzhan.pupil_view == [5, 5] and aruzhan.mentor_view == [4.6]
    assert dias.feedback == 4.6
    (eighth,) = result.classes
    assert eighth.counted and eighth.trials == eighth.meaningful_trials == {facts[0].trial.id}
    assert (eighth.pupils, eighth.with_four_contacts, eighth.with_portfolio) == (3, 0, 1)


# --- the region --------------------------------------------------------------------------------

SCHOOLS = [
    # name, district, rural, {class: (grade, pupils)}, partner's sector
    ("Ауыл мектебі", "Қарасай ауданы", "иә", {"7А": (7, 6), "10А": (10, 3)},
     "Ауыл шаруашылығы"),
    ("Қала мектебі", "Алмалы ауданы", "жоқ", {"8Б": (8, 8)}, "Энергетика"),
]


def school_files(index: int) -> list[tuple[str, bytes]]:
    name, district, rural, classes, sector = SCHOOLS[index]
    pupils, parents, trials = [], [], []
    for class_name, (grade, size) in classes.items():
        for n in range(size):
            pupil = f"Оқушы{index}{class_name}{n} Тестова"
            pupils.append([pupil, class_name, str(grade)])
            parents.append([f"Ата{index}{class_name}{n} Тестов",
                            f"+7 777 {index}{grade:02d} {n:02d} 00", f"{pupil} ({class_name})"])
        trials.append([f"Сынақ {class_name}", "15.10.2026", "10:00", "11:00", class_name,
                       "Серіктес", "Цех", "Тәлімгер Тестов", "Бүгін мен сынап көремін.",
                       "Бір қадам", sector])
    return [
        ("school.csv", to_csv([["name", "district", "rural"], [name, district, rural]])),
        ("classes.csv", to_csv([["name", "grade"], *[[c, str(g)] for c, (g, _s)
                                                       in classes.items()]])),
        ("pupils.csv", to_csv([["name", "class", "grade"], *pupils])),
        ("parents.csv", to_csv([["name", "phone", "pupils"], *parents])),
        ("partners.csv", to_csv([["name", "sector"], ["Серіктес", sector]])),
        ("sites.csv", to_csv([["partner", "name", "address"], ["Серіктес", "Цех", "Көше, 1"]])),
        ("mentors.csv", to_csv([["name", "partner", "phone"],
                                ["Тәлімгер Тестов", "Серіктес", f"+7 778 000 00 0{index}"]])),
        ("trials.csv", to_csv([["title", "date", "start", "end", "class", "partner", "site",
                                "mentor", "pupil_goal", "mini_task_1", "sector"], *trials])),
    ]


async def region(h: Harness) -> list[Person]:
    """Two schools, three trials in October; every parent agrees; every second pupil gets a
    mentor's card and writes a reflection."""
    for index in range(len(SCHOOLS)):
        async with h.db() as session:
            result = await import_files(session, school_files(index), now=h.now)
            assert result.ok, [p.render(translator("en")) for p in result.problems]
    async with h.db() as session:
        members = (await session.execute(
            select(Participant, Trial).join(Trial, Trial.id == Participant.trial_id)
            .order_by(Participant.id))).all()
        pupils = list(await session.scalars(select(Person).where(Person.class_id.is_not(None))))
        for member, trial in members:
            await Consents(session).record(
                trial_id=trial.id, pupil_id=member.pupil_id, parent_id=None, action="given",
                participation="agree", photo_tier="portfolio", medical_note=None,
                safety_read=True, text_version=trial.text_version, channel="telegram",
                now=h.now)
    h.clock.set(members[-1][1].ends_at + timedelta(days=3))
    for number, (member, trial) in enumerate(members):
        if number % 2 == 0:
            await h.complete_flow(member.pupil_id, "pupil.after", AFTER, trial_id=trial.id)
            await h.complete_flow(trial.mentor_id, "mentor.rubric", RUBRIC, trial_id=trial.id,
                                  pupil_id=member.pupil_id)
            await h.complete_flow(member.pupil_id, "pupil.trace", TRACE, trial_id=trial.id)
    return pupils


def table(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


async def test_the_regional_file_names_no_one_and_hides_every_group_under_five(h):
    pupils = await region(h)
    async with h.db() as session:
        journal = Journal(session)
        cells = regional_cells(await journal.facts(await journal.trials()), h.now)
        phones = [p.phone for p in await session.scalars(select(Person)) if p.phone]
        schools = [s.name for s in await session.scalars(select(School))]
    data = regional_csv(cells, translator("en"))
    text = data.decode("utf-8-sig")

    for secret in [p.full_name for p in pupils] + phones + ["Тестов", "Тестова", "+7"]:
        assert secret not in text
    assert not any(name in text for name in schools)
    rows = table(data)
    assert list(rows[0]) == ["Dimension", "Group", "Trials", "Pupils reached",
                             "Pupil participations", "Meaningful, %", "Note"]
    for row in rows:
        if row["Pupils reached"]:
            assert int(row["Pupils reached"]) >= MIN_CELL
            assert int(row["Pupil participations"]) >= MIN_CELL
        else:
            assert row["Note"] and not row["Trials"] and not row["Meaningful, %"]
    shown = {(r["Dimension"], r["Group"]): r for r in rows}
    assert shown[("All", "All")]["Pupils reached"] == "17"
    assert shown[("Grade band", "8-9")]["Pupils reached"] == "8"
    # 10–11 has three pupils: hidden; 5–7 (six) is hidden too, or 3 = 17 − 8 − 6.
    assert shown[("Grade band", "10-11")]["Note"] == "hidden: fewer than 5 pupils"
    assert shown[("Grade band", "5-7")]["Note"].startswith("hidden so that")
    assert shown[("District", "Қарасай ауданы")]["Pupils reached"] == "9"
    assert shown[("Area", "rural")]["Pupils reached"] == "9"
    assert shown[("Sector", "Энергетика")]["Meaningful, %"] == "50"

    charts = regional_charts(cells, translator("kk"))
    assert set(charts) == {"grade_band", "sector", "district", "area"}
    assert all(png.startswith(b"\x89PNG") for png in charts.values())


async def test_the_command_line_writes_the_regional_csv_and_charts(h, db_url, tmp_path):
    await region(h)
    from .test_import import cli_env, synaq

    code, out, err = await synaq(cli_env(db_url, tmp_path), "export", "region", "-o",
                                 str(tmp_path / "region"), "--lang", "ru")
    assert code == 0, err
    rows = table((tmp_path / "region" / "region.csv").read_bytes())
    assert rows[0]["Разрез"] == "Всего" and rows[0]["Охвачено учеников"] == "17"
    assert len(list((tmp_path / "region").glob("region-*.png"))) == 4
    districts = table((tmp_path / "region" / "region-districts.csv").read_bytes())
    assert [d["Район"] for d in districts] == ["Всего", "Алмалы ауданы", "Қарасай ауданы"]


async def test_hosts_and_mentors_by_district_name_the_missing_sectors(h):
    """Each district: the sectors with a partner there and the region's sectors with none;
    three trials ended, too few for a mentor's share to be shown."""
    await region(h)
    async with h.db() as session:
        journal = Journal(session)
        rows = district_rows(await journal.facts(await journal.trials()),
                             await journal.partner_sectors(), await journal.school_districts(),
                             h.now)
    data = table(districts_csv(rows, translator("en")))
    by_name = {d["District"]: d for d in data}
    assert by_name["All"]["Sectors with a partner"] == "Ауыл шаруашылығы, Энергетика"
    assert by_name["All"]["Trials ended"] == "3"
    rural = by_name["Қарасай ауданы"]
    assert rural["Schools"] == "1" and rural["Trials ended"] == "2"
    assert rural["Sectors with a partner"] == "Ауыл шаруашылығы"
    assert rural["The region's sectors with no partner here"] == "Энергетика"
    assert by_name["Алмалы ауданы"]["The region's sectors with no partner here"] == \
        "Ауыл шаруашылығы"
    for row in data:
        assert row["Mentor declined or did not answer, %"] == ""
        assert row["Note"] == "shares hidden: fewer than 5 trials"
    assert "Тестов" not in districts_csv(rows, translator("en")).decode("utf-8-sig")


def test_mentor_shares_count_trials_that_ended():
    """Of six ended trials two mentors never confirmed and three sent no card; a trial still
    to come is not counted."""
    from types import SimpleNamespace as Facts

    now = datetime(2026, 11, 27, tzinfo=UTC)
    school = Facts(district="Алмалы ауданы")

    def trial(status: str, card: bool, days: int = -3) -> Facts:
        return Facts(trial=Facts(ends_at=now + timedelta(days=days), mentor_status=status),
                     school=school, rubric={1: "card"} if card else {})

    facts = [trial("confirmed", True), trial("confirmed", True), trial("confirmed", True),
             trial("confirmed", False), trial("pending", False), trial("declined", False),
             trial("pending", False, days=2)]
    rows = district_rows(facts, [], ["Алмалы ауданы"], now)  # type: ignore[arg-type]
    [region, almaly] = table(districts_csv(rows, translator("en")))
    for row in (region, almaly):
        assert row["Trials ended"] == "6"
        assert row["Mentor declined or did not answer, %"] == "33"
        assert row["No mentor's card, %"] == "50"
        assert row["Note"] == ""


@given(st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=7))
def test_no_hidden_group_can_be_worked_out_from_the_total(sizes):
    start = 0
    cells = []
    for index, size in enumerate(sizes):
        cells.append(Cell("sector", f"g{index}", pupils=set(range(start, start + size))))
        start += size
    total = Cell("all", "all", pupils=set(range(start)))
    suppress(cells, total)
    hidden = [c for c in cells if c.suppressed]
    shown = [c for c in cells if not c.suppressed]
    assert all(len(c.pupils) >= MIN_CELL for c in shown)
    if hidden and shown:
        assert len(hidden) >= 2
        assert len(set().union(*(c.pupils for c in hidden))) >= MIN_CELL
