"""a school's own quiet hours, or none: QUIET_HOURS is the default for the rest

Revision ID: 0004_faults
Revises: 0004_data
Create Date: 2026-12-08 01:00:00

``school.quiet_start`` / ``quiet_end`` were NOT NULL with 21:00 / 08:00 filled in for every
school (nothing ever set them otherwise), so the deployment's QUIET_HOURS never applied. They
become one nullable ``quiet_hours`` ("HH:MM-HH:MM"): a school keeps hours of its own only if
someone gave it other hours than those defaults. The old columns are dropped with ALTER TABLE
DROP COLUMN (SQLite 3.35+), never by recreating the table: with foreign keys on, SQLite's
DROP TABLE would cascade into every class, partner and person of the school.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_faults'
down_revision = '0004_data'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('school', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('quiet_hours', sa.String(length=11), nullable=True))
    op.execute("UPDATE school SET quiet_hours = quiet_start || '-' || quiet_end "
               "WHERE NOT (quiet_start = '21:00' AND quiet_end = '08:00')")
    with op.batch_alter_table('school', recreate='never') as batch_op:
        batch_op.drop_column('quiet_end')
        batch_op.drop_column('quiet_start')


def downgrade() -> None:
    with op.batch_alter_table('school', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('quiet_start', sa.String(length=5), nullable=False,
                                      server_default='21:00'))
        batch_op.add_column(sa.Column('quiet_end', sa.String(length=5), nullable=False,
                                      server_default='08:00'))
    op.execute("UPDATE school SET quiet_start = substr(quiet_hours, 1, 5), "
               "quiet_end = substr(quiet_hours, 7, 5) WHERE quiet_hours IS NOT NULL")
    with op.batch_alter_table('school', recreate='never') as batch_op:
        batch_op.drop_column('quiet_hours')
