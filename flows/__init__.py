"""Conversations as data and the engine that runs them. ``FLOWS`` maps flow ids to flows."""

from .language import LANGUAGE
from .mentor_decline import DECLINE
from .mentor_rubric import RUBRIC
from .model import Flow
from .parent_consent import PARENT_CONSENT
from .pupil_after import AFTER_TRIAL
from .pupil_before import BEFORE_TRIAL
from .pupil_trace import TRACE
from .summary_edit import SUMMARY_EDIT
from .trial_setup import TRIAL_COPY, TRIAL_MOVE, TRIAL_SETUP, TRIAL_STAFF

FLOWS: dict[str, Flow] = {
    flow.id: flow
    for flow in (
        LANGUAGE,
        BEFORE_TRIAL,
        RUBRIC,
        DECLINE,
        PARENT_CONSENT,
        AFTER_TRIAL,
        TRACE,
        SUMMARY_EDIT,
        TRIAL_SETUP, TRIAL_COPY, TRIAL_MOVE, TRIAL_STAFF,
    )
}

