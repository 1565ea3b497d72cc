"""one head again: the six 0002 branches, each written beside the others, join here

Revision ID: 0003
Revises: 0002d, 0002e, 0002f, 0002g, 0002h, 0002i
Create Date: 2026-11-27 07:00:00

No schema change. With a single head, ``alembic upgrade head`` and the next migration's
``down_revision`` are unambiguous again.
"""
from __future__ import annotations

revision = '0003'
down_revision = ('0002d', '0002e', '0002f', '0002g', '0002h', '0002i')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
