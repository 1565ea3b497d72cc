"""The roles × actions matrix of the access policy (handlers/access.py): every role — and the
"other" people each role could be confused with — against every action on the demo
school's data (Аружан on the demo trial), allowed and refused; then a representative set of
the same decisions through the real dispatcher, where a refusal must change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from handlers.access import RULES, Action, Ask, decide
from storage.models import DeletionRequest, Person, Trial
from storage.repos.access import AccessRepo
from storage.repos.flows import FlowRuns
from storage.repos.invites import Invites
from storage.repos.people import People
from storage.repos.privacy import PrivacyRepo
from storage.repos.schools import Schools
from storage.repos.summaries import Summaries
from storage.repos.trials import Trials

from .demo_school import COORDINATOR, MENTOR, PARENTS, PUPILS, TEACHER
from .robustness.support import figure, press, snapshot

SAULE, MARAT, _KAIRAT = PARENTS
ARUZHAN, DIAS, _MADINA = PUPILS
OTHER_MENTOR, OTHER_PUPIL = "Бауыржан Сейітов", "Ерасыл Нұрланұлы"
OTHER_COORDINATOR, REGIONAL = "Бақыт Ахметов", "Сәбит Облыстық"

# The personas: each role, and the one it could be mistaken for.
PERSONAS = {
    "stranger": None, "pupil": ARUZHAN, "classmate": DIAS, "other trial's pupil": OTHER_PUPIL,
    "parent": SAULE, "other family's parent": MARAT, "mentor": MENTOR,
    "other trial's mentor": OTHER_MENTOR, "teacher (escort)": TEACHER,
    "coordinator": COORDINATOR, "other school's coordinator": OTHER_COORDINATOR,
    "regional": REGIONAL,
}
COORDINATORS = {"coordinator", "other school's coordinator"}

# (label, action, what it is asked about) → who is allowed. Everyone else is refused.
MATRIX: list[tuple[str, Action, str, set[str]]] = [
    ("answer Аружан's questionnaire", Action.ANSWER_RUN, "run", {"pupil"}),
    ("Аружан's data file", Action.MY_DATA, "pupil", {"pupil", "parent"}),
    ("ask to delete Аружан's data", Action.REQUEST_DELETION, "pupil", {"parent"}),
    ("questionnaires of the demo trial", Action.PUPIL_TRIAL, "trial", {"pupil", "classmate"}),
    ("consent for Аружан", Action.CONSENT, "trial+pupil", {"parent"}),
    ("Аружан's summary", Action.FAMILY_SUMMARY, "summary", {"parent"}),
    ("Аружан's portfolio", Action.PORTFOLIO, "pupil", {"pupil", "parent"}),
    ("confirm / rate the demo trial", Action.MENTOR_TRIAL, "trial", {"mentor"}),
    ("the rubric card about Аружан", Action.RUBRIC_RUN, "rubric", {"mentor"}),
    ("short card: pupils and flags", Action.SHORT_CARD, "trial",
     {"mentor", "teacher (escort)", "coordinator"}),
    ("attendance list", Action.ATTENDANCE, "trial", {"teacher (escort)", "coordinator"}),
    ("mark Аружан present", Action.MARK_PUPIL, "participant",
     {"teacher (escort)", "coordinator"}),
    ("approve Аружан's summary", Action.APPROVE_SUMMARY, "summary",
     {"teacher (escort)", "coordinator"}),
    ("set up a trial", Action.SET_UP_TRIAL, "-", COORDINATORS),
    ("status / move / cancel / invites of the demo trial", Action.MANAGE_TRIAL, "trial",
     {"coordinator"}),
    ("invite codes of class 8А", Action.INVITE_CLASS, "class", {"coordinator"}),
    ("import the school's lists", Action.IMPORT, "-", COORDINATORS),
    ("export the journal and targets", Action.EXPORT, "-", COORDINATORS),
    ("export the demo trial's report", Action.EXPORT, "trial", {"coordinator"}),
    ("delivery problems", Action.DELIVERY_REPORT, "-", COORDINATORS),
    ("confirm the deletion of Аружан's data", Action.CONFIRM_DELETION, "request",
     {"coordinator"}),
    ("the demo school's digest", Action.DIGEST, "school", {"coordinator"}),
    ("figures across schools", Action.REGIONAL_FIGURES, "-", {"regional"}),
]


@dataclass
class World:
    ids: dict[str, int]  # what the payloads name


async def arrange(h, demo) -> World:
    """Another trial (its mentor and pupil), another school's coordinator, a regional
    officer; Аружан's open questionnaire, the mentor's card about her, her sent summary and
    a deletion request for her data."""
    other_trial = await demo.other_trial(OTHER_MENTOR, OTHER_PUPIL)
    async with h.db() as s:
        people = People(s)
        school = await Schools(s).add(name="№ 12 мектеп", timezone="Asia/Almaty")
        demo.people[OTHER_COORDINATOR] = await people.add(OTHER_COORDINATOR, ["coordinator"],
                                                          school_id=school.id)
        demo.people[REGIONAL] = await people.add(REGIONAL, ["regional"])
        trial = await s.get(Trial, demo.trial_id)
        assert trial is not None
        aruzhan = demo.id(ARUZHAN)
        runs = FlowRuns(s)
        run = await runs.create(aruzhan, "pupil.before", "expect", h.now, demo.trial_id)
        card = await runs.create(demo.id(MENTOR), "mentor.rubric", "understanding", h.now,
                                 demo.trial_id, aruzhan)
        summary = await Summaries(s).create(demo.trial_id, aruzhan, "sent", h.now)
        assert summary is not None
        participant = await Trials(s).participant(demo.trial_id, aruzhan)
        assert participant is not None
        request = await PrivacyRepo(s).add_request(
            subject_id=aruzhan, requested_by=demo.id(SAULE), school_id=demo.school_id,
            channel="telegram", now=h.now, due_at=h.now + timedelta(days=30))
        return World({"run": run.id, "rubric": card.id, "summary": summary.id,
                      "participant": participant.id, "request": request.id,
                      "trial": demo.trial_id, "pupil": aruzhan, "class": trial.class_id or 0,
                      "school": demo.school_id, "other_trial": other_trial})


def ask_for(target: str, ids: dict[str, int]) -> Ask:
    return {
        "-": Ask(), "run": Ask(run_id=ids["run"]), "rubric": Ask(run_id=ids["rubric"]),
        "pupil": Ask(pupil_id=ids["pupil"]), "trial": Ask(trial_id=ids["trial"]),
        "trial+pupil": Ask(trial_id=ids["trial"], pupil_id=ids["pupil"]),
        "summary": Ask(summary_id=ids["summary"]),
        "participant": Ask(participant_id=ids["participant"]),
        "class": Ask(class_id=ids["class"]), "request": Ask(request_id=ids["request"]),
        "school": Ask(school_id=ids["school"]),
    }[target]


async def test_every_role_against_every_action_through_the_policy(h, demo):
    world = await arrange(h, demo)
    assert {action for _l, action, _t, _w in MATRIX} == set(Action) == set(RULES)
    allowed = refused = 0
    wrong = []
    async with h.db() as s:
        repo = AccessRepo(s)
        for label, action, target, who in MATRIX:
            for persona, name in PERSONAS.items():
                person = await s.get(Person, demo.id(name)) if name else None
                grant = await decide(repo, person, action, ask_for(target, world.ids))
                if (grant is not None) != (persona in who):
                    wrong.append((label, persona, grant is not None))
                allowed += grant is not None
                refused += grant is None
    assert not wrong, wrong
    assert allowed == sum(len(who) for *_x, who in MATRIX)
    figure(f"access matrix: {len(PERSONAS)} personas × {len(MATRIX)} actions = "
           f"{len(PERSONAS) * len(MATRIX)} decisions ({allowed} allowed, {refused} refused)")


async def test_forged_and_missing_ids_are_refused_for_everyone(h, demo):
    """Ids that name nothing, or the other trial, refuse every role."""
    world = await arrange(h, demo)
    ids = dict(world.ids)
    forged = {key: 987_654 for key in ids}
    other = {**ids, "trial": ids["other_trial"]}
    async with h.db() as s:
        repo = AccessRepo(s)
        for _label, action, target, _who in MATRIX:
            if target in ("-", "school"):
                continue
            for name in filter(None, PERSONAS.values()):
                person = await s.get(Person, demo.id(name))
                assert await decide(repo, person, action, ask_for(target, forged)) is None
                if action not in (Action.INVITE_CLASS, Action.EXPORT):  # no id: the list
                    assert await decide(repo, person, action, Ask()) is None, action
        # The demo trial's people have no say over the other trial.
        for name in (ARUZHAN, SAULE, MENTOR, TEACHER):
            person = await s.get(Person, demo.id(name))
            for action, target in ((Action.PUPIL_TRIAL, "trial"), (Action.MENTOR_TRIAL, "trial"),
                                   (Action.SHORT_CARD, "trial"), (Action.ATTENDANCE, "trial"),
                                   (Action.CONSENT, "trial+pupil")):
                assert await decide(repo, person, action, ask_for(target, other)) is None


async def test_an_anonymised_person_is_refused_everything(h, demo):
    world = await arrange(h, demo)
    async with h.db() as s:
        person = await s.get(Person, demo.id(COORDINATOR))
        assert person is not None
        person.anonymised_at = h.now
        repo = AccessRepo(s)
        for _label, action, target, _who in MATRIX:
            assert await decide(repo, person, action, ask_for(target, world.ids)) is None


# --- the same decisions through the real dispatcher ----------------------------------------

REFUSALS = ("no longer active", "cannot find", "Only a school coordinator", "only the school's",
            "Hello! Synaq helps schools")

# callback → who gets a real answer (a representative set of the matrix's rows).
BUTTONS = [
    ("pcv:{trial}:{pupil}", {"parent"}),
    ("pcx:{trial}:{pupil}", {"parent"}),
    ("pf:{pupil}", {"pupil", "parent"}),
    ("pqa:{trial}", {"pupil", "classmate"}),
    ("mc:{trial}", {"mentor"}),
    ("mr:{trial}", {"mentor"}),
    ("sc:{trial}", {"mentor", "teacher (escort)", "coordinator"}),
    ("ea:{trial}", {"teacher (escort)", "coordinator"}),
    ("et:{participant}", {"teacher (escort)", "coordinator"}),
    ("gv:{trial}:{pupil}", {"parent"}),
    ("ts:{trial}", {"coordinator"}),
    ("tcx:{trial}", set()),  # the trial has begun by now: the coordinator is told so
    ("xp:t:{trial}", {"coordinator"}),
    ("ci:{class}", {"coordinator"}),
    ("pdy:{pupil}", {"parent"}),
    ("pdc:{request}", {"coordinator"}),
    ("rg", {"regional"}),
]


async def test_a_representative_set_through_the_dispatcher(h, demo):
    world = await arrange(h, demo)
    trial = await demo.trial()
    users = {}
    for persona, name in PERSONAS.items():
        if name is None:
            users[persona] = h.user("Бейтаныс", lang="en")
            continue
        async with h.db() as s:
            person = await s.get(Person, demo.id(name))
            assert person is not None
            code = await Invites(s).issue(person.id, sorted(person.role_names)[0],
                                          person.school_id, h.now, h.config.invite_ttl)
        user = h.user(name.split()[0])
        await user.says(f"/start {code}")
        await user.taps("English")
        users[persona] = user
    await demo.record_consent(ARUZHAN)  # the parent's consent, so the card and marks apply
    h.clock.set(trial.starts_at + timedelta(minutes=30))  # the trial is under way
    checked = 0
    for data, who in BUTTONS:
        payload = data.format(**world.ids)
        for persona, user in users.items():
            before = await snapshot(h)
            reply = await press(user, payload)
            refused = any(r in reply[0].text for r in REFUSALS)
            expected_refusal = persona not in who
            if data.startswith("tcx") and persona == "coordinator":
                assert "has already begun" in reply[0].text
                refused = True
            assert refused == expected_refusal, (payload, persona, reply[0].text[:120])
            if refused:
                assert await snapshot(h) == before, (payload, persona)
            checked += 1
    async with h.db() as s:
        requests = await s.scalar(select(func.count()).select_from(DeletionRequest))
    assert requests == 1  # the arranged one: the parent was told it is recorded already
    figure(f"access through the dispatcher: {len(BUTTONS)} buttons × "
           f"{len(users)} personas = {checked} presses")
