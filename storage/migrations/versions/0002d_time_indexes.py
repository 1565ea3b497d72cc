"""indexes for due work and the outbox

Revision ID: 0002d
Revises: 0001
Create Date: 2026-11-28 10:00:00

The timeline job looks for trials near ``now`` by their end and participants by when they
were added; the outbox sender keeps each chat's messages in order by looking up a chat's
unfinished messages. Without these indexes each of those is a full table scan.
"""
from __future__ import annotations

from alembic import op

revision = '0002d'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_trial_ends_at', 'trial', ['ends_at'], unique=False)
    op.create_index('ix_participant_added_at', 'participant', ['added_at'], unique=False)
    op.create_index('ix_outbox_chat_status', 'outbox', ['channel', 'address', 'status'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_chat_status', table_name='outbox')
    op.drop_index('ix_participant_added_at', table_name='participant')
    op.drop_index('ix_trial_ends_at', table_name='trial')
