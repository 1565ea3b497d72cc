"""Generated inbound events against every flow: any text (10 000 characters, control
characters, right-to-left scripts, emoji), any button data (random bytes, real prefixes with
random or other people's ids, other people's real buttons), media of any kind, size, type and
file name, in any order, from every person of the demo school and from strangers.

After every event: no exception escaped and the service never fell back to its apology
(``Service._apologise``), and the database is consistent (tests/robust_support.py
``Invariants``: open runs stand at a step of their flow, history steps answered, no answer
for a step a run did not reach, the consent ledger only grows, every media row has its
file). Two phases cover every flow: before the trial (consent, before-questionnaire,
language, a mentor's "can't come" reason, a coordinator setting up, copying, moving and
staffing trials) and after it (rubric, after- and trace reflections, a summary's rewrite).
The examples are derandomised, so CI runs the same cases every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from flows import FLOWS
from flows.model import Text, Upload
from handlers.coordinator.buttons import AssignStaff, DuplicateTrial, MoveTrial, NewTrial
from handlers.features import WIRING
from handlers.mentor.buttons import ANYWAY, CannotCome, RateCard, RubricOverview, SubmitCard
from handlers.parent.buttons import AnswerConsent
from handlers.pupil.buttons import StartAfter, StartBefore, StartTrace
from storage.files import EXTENSIONS
from storage.models import FlowRun, RunStatus, School, Trial

from ..demo_school import COORDINATOR, MENTOR, PARENTS, PUPILS, TEACHER, jpeg
from .support import Invariants, callback, figure

EXAMPLES = 120
EVENTS_PER_EXAMPLE = 10
# Questionnaires a person may go through again and again in the fuzz.
RECYCLED = ("pupil.before", "pupil.after", "pupil.trace", "mentor.decline", "person.language",
            "mentor.rubric", "trial.setup", "trial.copy", "trial.move", "trial.staff")
SAULE, MARAT, _KAIRAT = PARENTS
ARUZHAN, DIAS, MADINA = PUPILS

SPECIAL_TEXTS = [
    "", " ", "/start", "/start AAAA2222", "/back", "/skip", "/done", "/menu", "/help",
    "/language", "/mydata", "/forgetme", "/undelivered", "/nonsense", "1", "2", "3", "9",
    "1, 2", "0", "-1", "ABCD2345", "JOIN ABCD2345", "27.11.2026 10:00-12:00",
    "31.02.2027 10:00-11:00", "Иә", "Да", "Yes", "\u202eevil\u202c", "مرحبا بالعالم",
    "👍🏽👨‍👩‍👧", "\x00\x07\x1b[31m", "<b>bold</b> & <i>", "{child} {trial}", "%s %d",
    "A" * 4096, "Ә" * 10_000, "\n" * 50,
]
ALL_MIMES = [*EXTENSIONS, "application/x-msdownload", "image/svg+xml", "text/html", ""]
TRICKY_NAMES = ["../../../etc/passwd", "..\\..\\boot.ini", "/etc/shadow", "a/../../b.pdf",
                "normal.pdf", "file\x00.jpg", "ы" * 300 + ".pdf", "CON", ".", "", None]


@dataclass
class Scene:
    users: dict[str, Any]
    ids: list[int]  # ids that exist somewhere in the database, for forged payloads
    busy: list[str] = field(default_factory=list)  # those the starters put into a flow
    person_ids: dict[int, int] = field(default_factory=dict)  # chat id → person id
    counts: dict[str, int] = field(default_factory=lambda: {"examples": 0, "events": 0})


async def join_all(h, demo) -> dict[str, Any]:
    users = {name: await demo.join(name, lang=lang) for name, lang in (
        (ARUZHAN, "en"), (DIAS, "kk"), (SAULE, "en"), (MARAT, "ru"), (MENTOR, "en"),
        (TEACHER, "en"), (COORDINATOR, "en"))}
    users["stranger"] = h.user("Бейтаныс", lang="kk")
    return users


def chats(demo, users: dict[str, Any]) -> dict[int, int]:
    return {user.id: demo.id(name) for name, user in users.items() if name in demo.people}


async def known_ids(h) -> list[int]:
    from storage.models import Participant, Person, Summary, Trial

    found: set[int] = set()
    async with h.db() as s:
        for model in (Person, Trial, FlowRun, Participant, Summary):
            found.update(await s.scalars(select(model.id)))
    return sorted(found)


def event_strategy(scene: Scene) -> st.SearchStrategy[tuple[str, str, Any]]:
    people = sorted(scene.users)
    actor = st.one_of(st.sampled_from(people), st.sampled_from(scene.busy or people))
    answers = st.sampled_from(["To see real work", "I wired a lamp", "Sharp wires",
                               "My hands", "1, 2", "Ok"])
    text = st.one_of(st.sampled_from(SPECIAL_TEXTS), answers, answers,
                     st.text(max_size=80),
                     st.text(alphabet="абвгдӘәҒғҚқ xyz0123456789:.,-", min_size=1, max_size=40))
    ident = st.one_of(st.sampled_from(scene.ids), st.integers(-5, 2**63),
                      st.sampled_from(["", "x", "1e3", "٣", "0x10", " 1", "1;2"]))
    prefixed = st.builds(lambda p, a, b: ":".join(str(x) for x in (p, a, b)),
                         st.sampled_from(sorted(WIRING.buttons)), ident, ident)
    raw = st.binary(max_size=64).map(lambda b: b.decode("utf-8", "replace"))
    # A real button: of the person's own latest message (the flow goes on), or of someone
    # else's (a button that is not theirs).
    own = st.tuples(st.just("own"), st.integers(0, 9))
    other = st.tuples(st.just("other"), st.sampled_from(people), st.integers(0, 30))
    data = st.one_of(own, own, own, other, prefixed, raw, st.text(max_size=64))
    media = st.fixed_dictionaries({
        "kind": st.sampled_from(["photo", "document", "voice", "sticker"]),
        "mime": st.sampled_from(ALL_MIMES), "name": st.sampled_from(TRICKY_NAMES),
        "size": st.sampled_from([None, 10, 25 * 2**20]),
        "data": st.sampled_from([b"", b"\xff\xd8\xff not really", b"%PDF-1.4 x", None])})
    # A well-formed answer to whatever the person is asked now: flows reach their later
    # steps, where the other events then land.
    answer = st.tuples(answers, st.integers(0, 9))
    return st.one_of(st.tuples(actor, st.just("answer"), answer),
                     st.tuples(actor, st.just("text"), text),
                     st.tuples(actor, st.just("button"), data),
                     st.tuples(actor, st.just("answer"), answer),
                     st.tuples(actor, st.just("media"), media))


def real_button(scene: Scene, user: Any, value: tuple[Any, ...]) -> str:
    if value[0] == "own":
        latest = next((m for m in reversed(user.inbox) if m.buttons), None)
        buttons = [d for row in latest.buttons for _l, d in row] if latest else []
    else:
        buttons = [d for m in scene.users[value[1]].inbox for row in m.buttons
                   for _l, d in row]
    return buttons[value[-1] % len(buttons)] if buttons else "m"


async def current_step(h, person_id: int | None) -> Any:
    if person_id is None:
        return None
    async with h.db() as s:
        run = await s.scalar(select(FlowRun).where(
            FlowRun.person_id == person_id, FlowRun.status == RunStatus.ACTIVE)
            .order_by(FlowRun.updated_at.desc(), FlowRun.id.desc()).limit(1))
    return FLOWS[run.flow_id].by_id.get(run.step_id or "") if run else None


async def send(h, scene: Scene, user: Any, kind: str, value: Any) -> None:
    """One event of ``kind``."""
    if kind == "answer":
        step = await current_step(h, scene.person_ids.get(user.id))
        text, k = value
        if isinstance(step, Text):
            await user.says(text)
        elif isinstance(step, Upload):
            await user.sends_photo(jpeg())
        else:
            await h.feed(user, callback(user, real_button(scene, user, ("own", k))))
    elif kind == "text":
        await user.says(value)
    elif kind == "button":
        data = real_button(scene, user, value) if isinstance(value, tuple) else value
        await h.feed(user, callback(user, data[:64]))
    elif kind == "media" and isinstance(value, dict):
        data = value["data"] if value["data"] is not None else jpeg()
        if value["kind"] == "photo":
            await user.sends_photo(data, size=value["size"])
        elif value["kind"] == "voice":
            await user.sends_voice(data or b"OggS")
        elif value["kind"] == "sticker":
            await user.sends_sticker()
        else:
            file_id = f"doc{next(h.message_ids)}"
            h.fake.files[file_id] = data
            content: dict[str, Any] = {"file_id": file_id, "file_unique_id": file_id,
                                       "file_size": value["size"] or len(data)}
            if value["mime"]:
                content["mime_type"] = value["mime"]
            if value["name"] is not None:
                content["file_name"] = value["name"]
            await h.feed(user, user.message_update(document=content))
    else:
        raise AssertionError((kind, value))


async def restart(h, scene: Scene, data: st.DataObject,
                  starters: list[tuple[str, str]]) -> None:
    """Open (or resume) a few conversations first, so that the generated events land in
    the middle of questionnaires as often as outside them. Finished questionnaires are set
    aside (cancelled) so that their buttons open them afresh."""
    async with h.db() as s:
        await s.execute(update(FlowRun).where(FlowRun.status == RunStatus.COMPLETED,
                                              FlowRun.flow_id.in_(RECYCLED))
                        .values(status=RunStatus.CANCELLED))
    scene.busy = sorted({name for name, _p in starters if name in scene.users})
    for name, payload in data.draw(st.lists(st.sampled_from(starters), min_size=1,
                                            max_size=3)):
        user = scene.users[name]
        await h.feed(user, callback(user, payload))


def no_apology(h) -> list[str]:
    """Every fall-back to "sorry, something went wrong" is recorded as a failure."""
    failures: list[str] = []
    original = h.service._apologise

    async def record(inbound: Any) -> None:
        failures.append(f"{inbound.channel}:{inbound.text!r}:{inbound.callback!r}")
        await original(inbound)

    h.service._apologise = record
    return failures


async def run_examples(h, scene: Scene, invariants: Invariants, failures: list[str],
                       events: list[tuple[str, str, Any]]) -> None:
    scene.counts["examples"] += 1
    for name, kind, value in events:
        user = scene.users[name]
        await send(h, scene, user, kind, value)
        scene.counts["events"] += 1
        assert not failures, failures
        await invariants.observe(h)
        h.clock.advance(seconds=7)


# --- before the trial ------------------------------------------------------------------------


async def before_the_trial(h, demo) -> tuple[Scene, Invariants, list[str]]:
    users = await join_all(h, demo)
    await demo.remind("consent.request")
    saule, aruzhan, coordinator = users[SAULE], users[ARUZHAN], users[COORDINATOR]
    await saule.taps("Answer: consent", next(m for m in reversed(saule.inbox)
                                            if "Answer: consent" in " ".join(m.labels)))
    await aruzhan.presses(StartBefore(demo.trial_id).pack())
    await users[MARAT].says("/language")
    await users[MENTOR].presses(CannotCome(demo.trial_id).pack())
    for start in (AssignStaff(demo.trial_id), MoveTrial(demo.trial_id),
                  DuplicateTrial(demo.trial_id)):
        await coordinator.presses(start.pack())  # staff, move and copy, each left at its first step
    await coordinator.presses(NewTrial().pack())
    await coordinator.says("Аспаз: салат дайындау")
    await users[DIAS].presses(StartBefore(demo.trial_id).pack())
    scene = Scene(users, await known_ids(h), person_ids=chats(demo, users))
    failures = no_apology(h)
    invariants = Invariants()
    await invariants.observe(h)
    return scene, invariants, failures


@dataclass
class Phase:
    scene: Scene
    invariants: Invariants
    failures: list[str]
    start: Any


@pytest.fixture
async def before(h, demo):
    """Set up once for all the examples (hypothesis runs them inside one test); the figures
    and the flows covered are checked when they are done."""
    scene, invariants, failures = await before_the_trial(h, demo)
    yield Phase(scene, invariants, failures, h.clock.now)
    async with h.db() as s:
        flows = set(await s.scalars(select(FlowRun.flow_id)))
    assert {"parent.consent", "pupil.before", "person.language", "mentor.decline",
            "trial.setup", "trial.copy", "trial.move", "trial.staff"} <= flows, flows
    figure(f"generated events before the trial: {scene.counts['examples']} examples, "
           f"{scene.counts['events']} events, {invariants.checks} invariant checks")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_generated_events_before_the_trial_break_nothing(h, demo, before, data):
    scene = before.scene
    await restart(h, scene, data, [
        (COORDINATOR, DuplicateTrial(demo.trial_id).pack()),
        (COORDINATOR, MoveTrial(demo.trial_id).pack()),
        (COORDINATOR, AssignStaff(demo.trial_id).pack()), (COORDINATOR, NewTrial().pack()),
        (SAULE, AnswerConsent(demo.trial_id, demo.id(ARUZHAN)).pack()),
        (ARUZHAN, StartBefore(demo.trial_id).pack()),
        (DIAS, StartBefore(demo.trial_id).pack()), (MARAT, "m"),
        (MENTOR, CannotCome(demo.trial_id).pack())])
    events = data.draw(st.lists(event_strategy(scene), min_size=1, max_size=EVENTS_PER_EXAMPLE))
    await run_examples(h, scene, before.invariants, before.failures, events)
    if h.clock.now > before.start + timedelta(hours=20):  # stay before the trial
        h.clock.set(before.start)


# --- after the trial -------------------------------------------------------------------------


@pytest.fixture
async def after(h, demo):
    async with h.db() as s:
        (await s.scalar(select(School))).summary_needs_approval = True
    for pupil in (ARUZHAN, DIAS):
        await demo.record_consent(pupil)
    users = await join_all(h, demo)
    trial = await demo.trial()
    h.clock.set(trial.ends_at + timedelta(minutes=10))
    mentor, aruzhan, dias, teacher = (users[MENTOR], users[ARUZHAN], users[DIAS],
                                      users[TEACHER])
    await mentor.presses(RateCard(demo.trial_id).pack())
    for label in ("3", "2", "3", "3", "3", "Yes"):
        await mentor.taps(label)
    await demo.reflect(aruzhan)
    await mentor.presses(SubmitCard(demo.trial_id, ANYWAY).pack())
    await h.tick(h.now)  # the summary draft goes to the class teacher
    draft = next(m for m in reversed(teacher.inbox) if "Edit the personal line" in
                 " ".join(m.labels))
    await teacher.taps("Edit the personal line", draft)
    await dias.presses(StartAfter(demo.trial_id).pack())
    h.clock.advance(days=1)
    await aruzhan.presses(StartTrace(demo.trial_id).pack())
    scene = Scene(users, await known_ids(h), person_ids=chats(demo, users))
    failures = no_apology(h)
    invariants = Invariants()
    await invariants.observe(h)
    yield Phase(scene, invariants, failures, h.clock.now)
    async with h.db() as s:
        flows = set(await s.scalars(select(FlowRun.flow_id)))
    assert {"mentor.rubric", "pupil.after", "pupil.trace", "summary.edit"} <= flows, flows
    figure(f"generated events after the trial: {scene.counts['examples']} examples, "
           f"{scene.counts['events']} events, {invariants.checks} invariant checks")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_generated_events_after_the_trial_break_nothing(h, demo, after, data):
    await restart(h, after.scene, data, [
        (MENTOR, RateCard(demo.trial_id).pack()), (MENTOR, RubricOverview(demo.trial_id).pack()),
        (ARUZHAN, StartTrace(demo.trial_id).pack()), (DIAS, StartAfter(demo.trial_id).pack()),
        (DIAS, StartTrace(demo.trial_id).pack()), (TEACHER, "m"), (SAULE, "m")])
    events = data.draw(st.lists(event_strategy(after.scene), min_size=1,
                                max_size=EVENTS_PER_EXAMPLE))
    await run_examples(h, after.scene, after.invariants, after.failures, events)


async def test_control_characters_never_reach_the_database(h, demo):
    """Found by fuzzing on PostgreSQL, which cannot store NUL: a trial typed with control
    characters in its name and fields is created, without them."""
    failures = no_apology(h)
    coordinator = await demo.join(COORDINATOR, lang="en")
    await coordinator.taps("New trial")
    await coordinator.says("Аспаз\x00: салат\x07 дайындау")
    await coordinator.says("27.11.2026 10:00-12:00")
    await coordinator.says("1")
    await coordinator.taps("Skip")
    await coordinator.taps("Skip")
    await coordinator.taps("8А")
    await coordinator.taps("Done")
    for typed in ("Goal\x00 of the day", "Wash\x1b; cut", "Gloves\x00", "Apron", "Knives"):
        await coordinator.says(typed)
    await coordinator.taps("Skip")
    created = await coordinator.taps("Create")
    assert "The trial is created" in created[0].text and not failures
    async with h.db() as s:
        trial = await s.scalar(select(Trial).where(Trial.title.like("Аспаз%")))
    assert (trial.title, trial.pupil_goal, trial.mini_task, trial.ppe) == (
        "Аспаз: салат дайындау", "Goal of the day", ["Wash", "cut"], "Gloves")
