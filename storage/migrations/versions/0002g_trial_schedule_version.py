"""a trial's schedule version, for reminders that follow a moved trial

Revision ID: 0002g
Revises: 0001
Create Date: 2026-11-30 12:00:00

When the coordinator moves a trial, the timeline's reminders must follow the new time. Their
dedup keys carry the schedule version, so the reminders already sent for the old time do not
block those of the new time, and ``rescheduled_at`` keeps the new schedule from catching up
occurrences that fell before the move.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = '0002g'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('trial', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule_version', sa.Integer(), nullable=False,
                                      server_default='1'))
        batch_op.add_column(sa.Column('rescheduled_at', storage.models.base.UTCDateTime(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('trial', schema=None) as batch_op:
        batch_op.drop_column('rescheduled_at')
        batch_op.drop_column('schedule_version')
