"""The wiring is checked: one handler per button kind, command, due job, reminder and flow;
no two kinds of button share a prefix; no flow names a hook, an option source or a text check
that no feature provides; every button packs within Telegram's 64 bytes and parses back."""

from __future__ import annotations

import pytest

from flows import FLOWS
from flows.model import Choice, Flow, Text
from handlers.buttons import MAX_BYTES, Payload, PayloadError, unpack
from handlers.feature import Feature, Wiring, WiringError
from handlers.features import FEATURES, WIRING


async def _nothing(*args: object) -> list:  # type: ignore[type-arg]
    return []


def test_the_service_wiring_has_no_problems():
    assert WIRING.problems(FLOWS.values()) == []
    assert Wiring.of(FEATURES, FLOWS.values()).buttons.keys() == WIRING.buttons.keys()
    # Every kind of button declared anywhere is handled by exactly one feature.
    unhandled = sorted(p for p in Payload.KINDS if p not in WIRING.buttons)
    assert unhandled == []


def test_two_kinds_of_button_cannot_share_a_prefix():
    taken = next(iter(Payload.KINDS))
    with pytest.raises(PayloadError, match="is used by"):
        type("Again", (Payload,), {"__annotations__": {"n": "int"}}, prefix=taken)


def test_two_features_cannot_handle_one_kind_of_button():
    kind = WIRING.buttons["m"][0]
    first, second = Feature("first"), Feature("second")
    first.button(kind)(_nothing)
    second.button(kind)(_nothing)
    with pytest.raises(WiringError, match="claimed twice"):
        Wiring.of([first, second])


def test_a_flow_naming_a_source_or_check_nobody_provides_is_refused():
    flow = Flow(id="test.wiring", steps=(
        Choice(id="site", text="Where?", source="no_such_source"),
        Text(id="when", text="When?", check="no_such_check"),
    ))
    with pytest.raises(WiringError) as refused:
        Wiring.of(FEATURES, [*FLOWS.values(), flow])
    assert "no_such_source" in str(refused.value) and "no_such_check" in str(refused.value)


def test_hooks_bound_to_a_flow_that_does_not_exist_are_refused():
    stray = Feature("stray")
    stray.flow(Flow(id="test.unknown", steps=(Text(id="t", text="?"),)), guard=_nothing)
    with pytest.raises(WiringError, match="unknown flow"):
        Wiring.of([*FEATURES, stray], FLOWS.values())


@pytest.mark.parametrize("prefix", sorted(Payload.KINDS))
def test_every_button_packs_within_64_bytes_and_parses_back(prefix):
    kind = Payload.KINDS[prefix]
    widest = {name: (2**62 - 1 if base is int else "x" * 8)
              for name, base, _optional, _default in kind._fields}
    value = kind(**widest)
    data = value.pack()
    assert len(data.encode()) <= MAX_BYTES
    assert unpack(data) == value


@pytest.mark.parametrize("forged", ["m:1:2:3", "zz:1", "", "f:-1:x:y", "f:1", "f:99999999999999999999:x:y"])
def test_a_forged_payload_parses_to_nothing(forged):
    assert unpack(forged) is None


def test_the_rubric_criteria_are_the_same_everywhere():
    from flows.criteria import CRITERIA
    from flows.mentor_rubric import QUESTIONS
    from storage.repos.rubric import CRITERION_IDS

    assert CRITERION_IDS == tuple(c.id for c in CRITERIA) == tuple(QUESTIONS)
