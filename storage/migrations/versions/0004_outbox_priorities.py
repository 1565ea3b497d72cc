"""the outbox's order (priority, fair turns per school), live senders, one shared budget

Revision ID: 0004_outbox
Revises: 0004_faults
Create Date: 2026-12-08 01:00:00

``outbox.priority`` / ``lane`` / ``fair_seq``: replies before time-sensitive notices before
routine bulk, and schools taking turns within each (issue 13). ``outbox.claimed_by`` and
``outbox_process``: a process that stopped being seen hands its claims back at once
(issue 20, item 5). ``send_budget``: one bot's sending schedule shared by all processes.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = '0004_outbox'
down_revision = '0004_faults'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('priority', sa.SmallInteger(), server_default='2',
                                   nullable=False))
        batch.add_column(sa.Column('lane', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('fair_seq', sa.Integer(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('claimed_by', sa.String(length=40), nullable=True))
    op.create_index('ix_outbox_claim_order', 'outbox',
                    ['status', 'priority', 'fair_seq', 'id'], unique=False)
    op.create_index('ix_outbox_lane', 'outbox', ['status', 'priority', 'lane', 'fair_seq'],
                    unique=False)
    op.create_table(
        'outbox_process',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('started_at', storage.models.base.UTCDateTime(), nullable=False),
        sa.Column('seen_at', storage.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_process')),
    )
    op.create_table(
        'send_budget',
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('next_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('channel', name=op.f('pk_send_budget')),
    )


def downgrade() -> None:
    op.drop_table('send_budget')
    op.drop_table('outbox_process')
    op.drop_index('ix_outbox_lane', table_name='outbox')
    op.drop_index('ix_outbox_claim_order', table_name='outbox')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('claimed_by')
        batch.drop_column('fair_seq')
        batch.drop_column('lane')
        batch.drop_column('priority')
