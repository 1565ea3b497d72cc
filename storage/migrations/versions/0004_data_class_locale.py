"""a class's own language (a Russian-language class in a Kazakh school)

Revision ID: 0004_data
Revises: 0003
Create Date: 2026-12-08 01:00:00

Set by the import's ``classes`` sheet; the pupils and parents of the class who have no
language of their own get it instead of the school's.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_data'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('school_class', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('school_class', schema=None) as batch_op:
        batch_op.drop_column('locale')
