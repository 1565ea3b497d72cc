"""the teacher's short evaluation of a trial, for the journal

Revision ID: 0002f
Revises: 0001
Create Date: 2026-11-28 14:00:00

The journal entry (forms.md, l. 7588–7642) ends with a short final evaluation from the
teacher's and the pupils' point of view; the pupils' side is read from their reflections,
the teacher's is written here (by import, or later from the chat).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002f'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('trial', schema=None) as batch_op:
        batch_op.add_column(sa.Column('teacher_evaluation', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('trial', schema=None) as batch_op:
        batch_op.drop_column('teacher_evaluation')
