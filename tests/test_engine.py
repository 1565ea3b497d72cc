"""The flow engine on its own: answers stored as they come, back, skip, conditions, races."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from flows.engine import BACK, DONE, SKIP, ButtonInput, Engine, MediaInput, TextInput
from flows.model import Choice, Eq, Flow, Note, Option, Scale3, Text, Upload
from storage.db import create_engine, session_factory
from storage.models import Answer, FlowRun, Person
from storage.repos.flows import FlowRuns

FLOW = Flow(
    id="test.engine",
    steps=(
        Note(id="intro", text="intro"),
        Choice(id="colour", text="Colour?", options=(Option("r", "Red"), Option("g", "Green"))),
        Text(id="why", text="Why red?", max_len=10, when=Eq("colour", "r")),
        Scale3(id="score", text="Score?"),
        Upload(id="files", text="Files?", many=True, optional=True),
        Text(id="last", text="Anything else?", optional=True, voice=False),
    ),
)
NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def label(msgid: str) -> str:
    return msgid


@pytest.fixture
async def sessions(db_url):
    engine = create_engine(db_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def person_id(sessions) -> int:
    async with sessions() as s, s.begin():
        person = Person(full_name="Test Pupil")
        s.add(person)
        await s.flush()
        return person.id


async def step_of(sessions, run_id: int) -> str | None:
    async with sessions() as s:
        run = await s.get(FlowRun, run_id)
        return run.step_id


async def answers_of(sessions, run_id: int) -> dict:
    async with sessions() as s:
        return await FlowRuns(s).answers(run_id)


async def apply(sessions, run_id: int, given, at: datetime = NOW):
    async with sessions() as s, s.begin():
        run = await s.get(FlowRun, run_id)
        return await Engine(FlowRuns(s), at).accept(run, FLOW, given, label)


async def start(sessions, person_id: int):
    async with sessions() as s, s.begin():
        return await Engine(FlowRuns(s), NOW).start(person_id, FLOW)


async def test_start_shows_notes_then_first_question(sessions, person_id):
    outcome = await start(sessions, person_id)
    assert [n.id for n in outcome.notes] == ["intro"]
    assert outcome.step.id == "colour"
    assert await step_of(sessions, outcome.run.id) == "colour"


async def test_start_twice_resumes_the_open_run(sessions, person_id):
    first = await start(sessions, person_id)
    await apply(sessions, first.run.id, TextInput("2"))
    again = await start(sessions, person_id)
    assert again.run.id == first.run.id
    assert again.step.id == "score"


async def test_typed_number_label_or_value_pick_an_option(sessions, person_id):
    run_id = (await start(sessions, person_id)).run.id
    outcome = await apply(sessions, run_id, TextInput("  red "))
    assert outcome.status == "advanced" and outcome.step.id == "why"
    assert (await answers_of(sessions, run_id))["colour"] == {"choice": "r"}


async def test_condition_skips_a_step_that_does_not_apply(sessions, person_id):
    run_id = (await start(sessions, person_id)).run.id
    outcome = await apply(sessions, run_id, TextInput("2"))
    assert outcome.step.id == "score"


async def test_invalid_choice_is_reasked_and_nothing_is_stored(sessions, person_id):
    run_id = (await start(sessions, person_id)).run.id
    outcome = await apply(sessions, run_id, TextInput("purple"))
    assert outcome.status == "invalid" and outcome.problem and outcome.step.id == "colour"
    assert await answers_of(sessions, run_id) == {}
    outcome = await apply(sessions, run_id, MediaInput(1, "photo"))
    assert outcome.status == "invalid"


async def test_too_long_text_says_how_long_and_stores_nothing(sessions, person_id):
    run_id = (await start(sessions, person_id)).run.id
    await apply(sessions, run_id, TextInput("1"))
    outcome = await apply(sessions, run_id, TextInput("x" * 11))
    assert outcome.status == "invalid"
    assert outcome.problem_params == {"length": 11, "limit": 10}
    assert "why" not in await answers_of(sessions, run_id)
    assert await step_of(sessions, run_id) == "why"


async def test_back_returns_to_the_previous_question_and_keeps_answers(sessions, person_id):
    run_id = (await start(sessions, person_id)).run.id
    await apply(sessions, run_id, TextInput("1"))
    await apply(sessions, run_id, TextInput("because"))
    outcome = await apply(sessions, run_id, ButtonInput("score", BACK))
    assert outcome.status == "back" and outcome.step.id == "why"
    assert (await answers_of(sessions, run_id))["why"] == {"text": "because"}
    first = await apply(sessions, run_id, ButtonInput("why", BACK))
    assert first.step.id == "colour"
    assert (await apply(sessions, run_id, ButtonInput("colour", BACK))).status == "invalid"


async def test_a_changed_branch_drops_answers_that_no_longer_apply(sessions, person_id):
    run_id = (await start(sessions, person_id)).run.id
    await apply(sessions, run_id, TextInput("1"))
    await apply(sessions, run_id, TextInput("because"))
    await apply(sessions, run_id, ButtonInput("score", BACK))
    await apply(sessions, run_id, ButtonInput("why", BACK))
    await apply(sessions, run_id, ButtonInput("colour", "g"))
    await apply(sessions, run_id, ButtonInput("score", "3"))
    await apply(sessions, run_id, ButtonInput("files", DONE))
    outcome = await apply(sessions, run_id, ButtonInput("last", SKIP))
    assert outcome.status == "completed"
    answers = await answers_of(sessions, run_id)
    assert "why" not in answers
    assert answers["colour"] == {"choice": "g"} and answers["score"] == {"choice": "3"}
    assert answers["files"] == {"skipped": True} and answers["last"] == {"skipped": True}


async def test_skip_is_refused_on_a_required_question(sessions, person_id):
    run_id = (await start(sessions, person_id)).run.id
    outcome = await apply(sessions, run_id, ButtonInput("colour", SKIP))
    assert outcome.status == "invalid"
    assert await step_of(sessions, run_id) == "colour"


async def test_several_uploads_then_done(sessions, person_id):
    run_id = (await start(sessions, person_id)).run.id
    await apply(sessions, run_id, TextInput("2"))
    await apply(sessions, run_id, TextInput("3"))
    assert (await apply(sessions, run_id, MediaInput(11, "photo"))).status == "collected"
    assert (await apply(sessions, run_id, MediaInput(12, "document"))).status == "collected"
    assert (await apply(sessions, run_id, MediaInput(13, "voice"))).status == "invalid"
    outcome = await apply(sessions, run_id, TextInput("/done"))
    assert outcome.step.id == "last"
    assert (await answers_of(sessions, run_id))["files"] == {"media": [11, 12]}


async def test_a_button_of_another_question_is_stale_and_changes_nothing(sessions, person_id):
    run_id = (await start(sessions, person_id)).run.id
    await apply(sessions, run_id, TextInput("2"))
    outcome = await apply(sessions, run_id, ButtonInput("colour", "r"))
    assert outcome.status == "stale" and outcome.step.id == "score"
    assert (await answers_of(sessions, run_id))["colour"] == {"choice": "g"}
    forged = await apply(sessions, run_id, ButtonInput("score", "7"))
    assert forged.status == "stale"


async def test_two_deliveries_racing_for_one_step_store_one_answer(sessions, person_id):
    run_id = (await start(sessions, person_id)).run.id
    # Both read the run at the same version, as two workers handling two taps would.
    readings = []
    for _ in range(2):
        async with sessions() as s:
            readings.append(await s.get(FlowRun, run_id))
    outcomes = []
    for reading, typed in zip(readings, ("1", "2"), strict=True):
        async with sessions() as s, s.begin():
            run = await s.merge(reading, load=False)
            outcomes.append(await Engine(FlowRuns(s), NOW).accept(run, FLOW, TextInput(typed),
                                                                  label))
    assert [o.status for o in outcomes] == ["advanced", "stale"]
    assert (await answers_of(sessions, run_id))["colour"] == {"choice": "r"}
    async with sessions() as s:
        count = await s.scalar(select(func.count()).select_from(Answer)
                               .where(Answer.run_id == run_id))
    assert count == 1


async def test_a_run_resumes_at_the_same_step_after_a_restart(db_url, person_id):
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    run_id = (await start(sessions, person_id)).run.id
    await apply(sessions, run_id, TextInput("1"))
    await engine.dispose()  # the process is gone; only the database remains

    engine = create_engine(db_url)
    sessions = session_factory(engine)
    async with sessions() as s, s.begin():
        run = await s.get(FlowRun, run_id)
        outcome = await Engine(FlowRuns(s), NOW + timedelta(hours=1)).current(run, FLOW)
    assert outcome.step.id == "why"
    outcome = await apply(sessions, run_id, TextInput("bright"))
    assert outcome.step.id == "score"
    await engine.dispose()


async def test_voice_is_not_accepted_where_the_step_does_not_allow_it(sessions, person_id):
    run_id = (await start(sessions, person_id)).run.id
    for given in (TextInput("2"), TextInput("3"), ButtonInput("files", DONE)):
        await apply(sessions, run_id, given)
    outcome = await apply(sessions, run_id, MediaInput(5, "voice"))
    assert outcome.status == "invalid"
    outcome = await apply(sessions, run_id, TextInput("all good"))
    assert outcome.status == "completed"
