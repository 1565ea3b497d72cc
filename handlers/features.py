"""Every feature of Synaq, in the order a person's menu shows their sections.

This list is the only wiring: a feature not named here handles nothing. Within a role's menu,
sections appear in this order; due jobs run in this order too (the retention purge first, the
deletions last).
"""

from __future__ import annotations

from flows import FLOWS
from handlers import conversation, menu, onboarding
from handlers.coordinator import changes, file_import, invite_sheet, setup, status, trials
from handlers.digest import agreements, daily, delivery_report, quarterly
from handlers.escort import attendance
from handlers.feature import Feature, Wiring
from handlers.mentor import confirm, rubric, short_card
from handlers.parent import consent
from handlers.portfolio import view as portfolio
from handlers.privacy import deletion, mydata, retention
from handlers.pupil import questionnaires
from handlers.reports import chat, regional
from handlers.schedule import reminders
from handlers.summary import family

FEATURES: tuple[Feature, ...] = (
    menu.feature,
    onboarding.feature,
    conversation.feature,
    trials.feature,  # "New trial" and "My trials" head the coordinator's menu
    questionnaires.feature,
    short_card.feature,
    confirm.feature,
    rubric.feature,
    attendance.feature,
    consent.feature,
    retention.feature,
    portfolio.feature,
    family.feature,
    reminders.feature,
    daily.feature,
    quarterly.feature,
    agreements.feature,
    delivery_report.feature,
    file_import.feature,
    invite_sheet.feature,
    chat.feature,
    regional.feature,
    setup.feature,
    changes.feature,
    status.feature,
    mydata.feature,
    deletion.feature,
)

WIRING = Wiring.of(FEATURES, FLOWS.values())
