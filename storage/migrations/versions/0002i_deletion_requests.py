"""deletion requests: the subject's (or their legal representative's) right to erasure

Revision ID: 0002i
Revises: 0001
Create Date: 2026-12-01 12:00:00

A request waits for the school coordinator's confirmation in the chat, then the ``deletion``
due job anonymises the person; the row keeps ids and counts only.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = '0002i'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'deletion_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.Column('school_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('requested_at', storage.models.base.UTCDateTime(), nullable=False),
        sa.Column('due_at', storage.models.base.UTCDateTime(), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', storage.models.base.UTCDateTime(), nullable=True),
        sa.Column('done_at', storage.models.base.UTCDateTime(), nullable=True),
        sa.Column('outcome', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['subject_id'], ['person.id'],
                                name=op.f('fk_deletion_request_subject_id_person'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by'], ['person.id'],
                                name=op.f('fk_deletion_request_requested_by_person'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['school_id'], ['school.id'],
                                name=op.f('fk_deletion_request_school_id_school'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by'], ['person.id'],
                                name=op.f('fk_deletion_request_decided_by_person'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deletion_request')),
    )
    with op.batch_alter_table('deletion_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deletion_request_subject_id'), ['subject_id'],
                              unique=False)
        batch_op.create_index('ix_deletion_request_status_due', ['status', 'due_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deletion_request', schema=None) as batch_op:
        batch_op.drop_index('ix_deletion_request_status_due')
        batch_op.drop_index(batch_op.f('ix_deletion_request_subject_id'))
    op.drop_table('deletion_request')
