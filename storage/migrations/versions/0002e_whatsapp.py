"""WhatsApp chat state, messages sent through Twilio, interactive Content resources

Revision ID: 0002e
Revises: 0001
Create Date: 2026-11-28 12:00:00

A numbered list answered by "2" must still be understood after a restart, a status callback
must find the outbox row of the message it is about, and the generic quick-reply and
list-picker Content resources are created once per account.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = '0002e'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'whatsapp_chat',
        sa.Column('identity_id', sa.Integer(), nullable=False),
        sa.Column('choices', sa.JSON(), nullable=True),
        sa.Column('choices_at', storage.models.base.UTCDateTime(), nullable=True),
        sa.Column('window_closed_at', storage.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['identity_id'], ['identity.id'],
                                name=op.f('fk_whatsapp_chat_identity_id_identity'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('identity_id', name=op.f('pk_whatsapp_chat')),
    )
    op.create_table(
        'whatsapp_message',
        sa.Column('sid', sa.String(length=64), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=True),
        sa.Column('identity_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('error_code', sa.Integer(), nullable=True),
        sa.Column('created_at', storage.models.base.UTCDateTime(), nullable=False),
        sa.Column('updated_at', storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['identity_id'], ['identity.id'],
                                name=op.f('fk_whatsapp_message_identity_id_identity'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'],
                                name=op.f('fk_whatsapp_message_outbox_id_outbox'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('sid', name=op.f('pk_whatsapp_message')),
    )
    with op.batch_alter_table('whatsapp_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_whatsapp_message_identity_id'), ['identity_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_whatsapp_message_outbox_id'), ['outbox_id'],
                              unique=False)
    op.create_table(
        'whatsapp_content',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('sid', sa.String(length=64), nullable=False),
        sa.Column('created_at', storage.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_whatsapp_content')),
    )


def downgrade() -> None:
    op.drop_table('whatsapp_content')
    with op.batch_alter_table('whatsapp_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_whatsapp_message_outbox_id'))
        batch_op.drop_index(batch_op.f('ix_whatsapp_message_identity_id'))
    op.drop_table('whatsapp_message')
    op.drop_table('whatsapp_chat')
