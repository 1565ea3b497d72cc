"""What the trial set-up added to the flow engine, on its own (options from a source, checked
texts, a pick list), and how a typed date and time is read."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from flows.engine import DONE, ButtonInput, Checked, Engine, TextInput
from flows.model import Choice, Flow, Option, Pick, Text
from handlers.coordinator.when import (
    END_FIRST,
    NO_SUCH_DATE,
    NO_SUCH_TIME,
    PAST,
    UNREADABLE,
    When,
    parse_steps,
    parse_when,
)
from storage.db import create_engine, session_factory
from storage.models import FlowRun, Person
from storage.repos.flows import FlowRuns

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # Monday 09:00 in Astana
ASTANA = ZoneInfo("Asia/Almaty")

FLOW = Flow(id="test.sources", steps=(
    Text(id="day", text="Which day?", check="even"),
    Choice(id="room", text="Which room?", source="rooms"),
    Pick(id="people", text="Who?", source="people"),
))
ROOMS = (Option("7", "Room 7", literal=True), Option("9", "Room 9", literal=True))
PEOPLE = (Option("1", "Ann", literal=True), Option("2", "Bob", literal=True),
          Option("3", "Cat", literal=True))


async def options(run: FlowRun, step: Choice) -> tuple[Option, ...]:
    return ROOMS if step.source == "rooms" else PEOPLE


async def even(run: FlowRun, step: Text, text: str) -> Checked:
    if not text.isdigit() or int(text) % 2:
        return Checked(problem="An even number, please")
    return Checked({"day": int(text)})


@pytest.fixture
async def sessions(db_url):
    engine = create_engine(db_url)
    yield session_factory(engine)
    await engine.dispose()


async def test_sources_checks_and_a_pick_list(sessions):
    async with sessions() as s, s.begin():
        person = Person(full_name="Coordinator")
        s.add(person)
        await s.flush()
        engine = Engine(FlowRuns(s), NOW, options, even)
        outcome = await engine.start(person.id, FLOW)
        run = outcome.run

        bad = await engine.accept(run, FLOW, TextInput("3"), str)
        assert (bad.status, bad.problem) == ("invalid", "An even number, please")
        good = await engine.accept(run, FLOW, TextInput("4"), str)
        assert good.step is not None and good.step.id == "room"
        # A value the source does not offer (a forged button) changes nothing.
        assert (await engine.accept(run, FLOW, ButtonInput("room", "8"), str)).status == "stale"
        assert (await engine.accept(run, FLOW, TextInput("Room 9"), str)).step.id == "people"

        toggled = await engine.accept(run, FLOW, TextInput("1, 3"), str)  # Ann and Cat off
        assert toggled.status == "toggled"
        await engine.accept(run, FLOW, ButtonInput("people", "3"), str)  # Cat back on
        assert (await engine.accept(run, FLOW, ButtonInput("people", "4"), str)).status == "stale"
        done = await engine.accept(run, FLOW, ButtonInput("people", DONE), str)
        assert done.status == "completed"
        answers = await FlowRuns(s).answers(run.id)
    assert answers == {"day": {"text": "4", "day": 4}, "room": {"choice": "9"},
                       "people": {"off": ["1"], "chosen": ["2", "3"]}}


@pytest.mark.parametrize(("typed", "expected"), [
    ("27.11.2026 10:00-12:00", (datetime(2026, 11, 27, 10), datetime(2026, 11, 27, 12))),
    ("27.11.26, 9.30 – 11.00", (datetime(2026, 11, 27, 9, 30), datetime(2026, 11, 27, 11))),
    ("2026-11-27 10:00 до 12:00", (datetime(2026, 11, 27, 10), datetime(2026, 11, 27, 12))),
    ("27/11 10:00-12:00", (datetime(2026, 11, 27, 10), datetime(2026, 11, 27, 12))),
    ("20.11 10:00-12:00", (datetime(2027, 11, 20, 10), datetime(2027, 11, 20, 12))),  # next year
    ("23.11.2026 08:00-10:00", PAST),
    ("27.11.2026 12:00-10:00", END_FIRST),
    ("27.11.2026 10:00-10:00", END_FIRST),
    ("30.02.2027 10:00-12:00", NO_SUCH_DATE),
    ("27.11.2026 10:00-24:00", NO_SUCH_TIME),
    ("next Friday", UNREADABLE),
    ("27.11.2026", UNREADABLE),
])
def test_a_typed_date_and_time_is_read_in_the_schools_zone(typed, expected):
    got = parse_when(typed, NOW, ASTANA)
    if isinstance(expected, str):
        assert not isinstance(got, When) and got[0] == expected
    else:
        assert got == When(*(d.replace(tzinfo=ASTANA).astimezone(UTC) for d in expected))


def test_the_mini_task_steps_lose_their_numbers_and_bullets():
    assert parse_steps("1) Choose\n2. Wire\n\n- Check") == ["Choose", "Wire", "Check"]
    assert parse_steps("Wash; cut; mix") == ["Wash", "cut", "mix"]
