"""Helpers of the robustness tests: a snapshot of everything the database holds (to show that
a refused action changed nothing) and the invariants every state must keep."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from sqlalchemy import select

from flows import FLOWS
from flows.model import Note
from storage.files import MediaStore
from storage.models import Answer, Base, Consent, FlowRun, Media, RunStatus

# The suite's figures, printed at the end of the run (tests/robustness/conftest.py).
FIGURES: list[str] = []


def figure(line: str) -> None:
    FIGURES.append(line)
    print(f"\nFIGURES {line}")


# What every inbound event touches whatever it means: its de-duplication mark, the reply in
# the outbox, the time the person last wrote (and a wrong code's hashed sender); and the
# outbox's own bookkeeping (its senders' heartbeats, the shared sending schedule).
VOLATILE_TABLES = {"processed_inbound", "outbox", "code_attempt", "whatsapp_chat",
                   "whatsapp_message", "outbox_process", "send_budget"}
VOLATILE_COLUMNS = {"identity": {"last_inbound_at", "blocked_at"},
                    "person": {"unreachable_since", "unreachable_reason"}}


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


async def snapshot(h: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the volatile ones, as plain sorted tuples."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with h.db() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            skip = VOLATILE_COLUMNS.get(table.name, set())
            columns = [c for c in table.columns if c.name not in skip]
            rows = (await s.execute(select(*columns))).all()
            found[table.name] = sorted((tuple(_plain(v) for v in row) for row in rows),
                                       key=repr)
    return found


class Invariants:
    """What must hold after every event, whatever came in.

    - every open run's current step is a step (not a note) of its flow, and every step in
      its history is a step of the flow and has an answer;
    - answers only for steps of the flow, and only for steps the run was seen to reach
      (``reached`` is kept across events: a run's current steps as observed);
    - the consent ledger only grows: earlier rows never change;
    - every media row has its file, inside the media folder.
    """

    def __init__(self) -> None:
        self.reached: dict[int, set[str]] = {}
        self.consents: dict[int, tuple[Any, ...]] = {}
        self.checks = 0

    async def observe(self, h: Any) -> None:
        async with h.db() as s:
            runs = list(await s.scalars(select(FlowRun)))
            answers = list(await s.scalars(select(Answer)))
            consents = list(await s.scalars(select(Consent).order_by(Consent.id)))
            media = list(await s.scalars(select(Media)))
        by_run: dict[int, set[str]] = {}
        for a in answers:
            by_run.setdefault(a.run_id, set()).add(a.step_id)
        for run in runs:
            flow = FLOWS[run.flow_id]
            reached = self.reached.setdefault(run.id, set())
            now_at = set(run.history) | ({run.step_id} if run.step_id else set())
            if run.status == RunStatus.ACTIVE:
                step = flow.by_id.get(run.step_id or "")
                assert step is not None and not isinstance(step, Note), (run.flow_id,
                                                                        run.step_id)
            for done in run.history:
                assert done in flow.by_id, (run.flow_id, done)
                assert done in by_run.get(run.id, set()), (run.flow_id, run.id, done,
                                                           run.history)
            for answered in by_run.get(run.id, set()):
                assert answered in flow.by_id, (run.flow_id, answered)
                if run.status == RunStatus.ACTIVE:
                    # An answer for a step the run was never seen to stand at: the engine
                    # stored a step it did not ask. (A finished run may have been closed by
                    # a handler, e.g. a rubric card submitted before its feedback.)
                    assert (answered in reached | now_at
                            or answered in _handler_steps(run.flow_id)), \
                        (run.flow_id, run.id, answered, sorted(reached | now_at))
            reached |= now_at
        rows = {c.id: (c.trial_id, c.pupil_id, c.parent_id, c.action, c.participation,
                       c.photo_tier, c.medical_note, c.safety_read, c.text_version,
                       c.created_at) for c in consents}
        for consent_id, row in self.consents.items():
            assert rows.get(consent_id) == row, f"consent {consent_id} changed or vanished"
        self.consents = rows
        store = MediaStore(h.settings.media_dir)
        for m in media:
            assert store.path(m.storage_key).is_file(), m.storage_key
        self.checks += 1


def _handler_steps(flow_id: str) -> set[str]:
    """Steps a feature answers itself, outside the question-and-answer order: the rubric's
    "more" (set by the feedback button, never asked)."""
    return {"more"} if flow_id == "mentor.rubric" else set()


_query_ids = itertools.count(9_000_000)


def callback(user: Any, data: str) -> dict[str, Any]:
    """A button press with any data, whether or not the user has a message with buttons
    (a forged press needs none)."""
    sender = {"id": user.id, "is_bot": False, "first_name": user.first_name}
    if user.lang:
        sender["language_code"] = user.lang
    return {"update_id": user.h.fake.next_update_id(), "callback_query": {
        "id": str(next(_query_ids)), "from": sender, "chat_instance": str(user.id),
        "data": data, "message": {
            "message_id": 1, "date": int(time.time()), "text": "",
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name}}}}


async def press(user: Any, data: str) -> list[Any]:
    return list(await user.h.feed(user, callback(user, data)))
