"""an index for the consent ledger's newest decision

Revision ID: 0002h
Revises: 0001
Create Date: 2026-12-01 10:00:00

Every answer to a reflection, every reminder's check and the mentor's list ask for the newest
consent of one pupil on one trial. With separate indexes on ``trial_id`` and ``pupil_id`` the
database reads one pupil's whole ledger (or one trial's) and sorts it; this index finds the
newest row directly.
"""
from __future__ import annotations

from alembic import op

revision = '0002h'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_consent_trial_pupil_created', 'consent',
                    ['trial_id', 'pupil_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_consent_trial_pupil_created', table_name='consent')
