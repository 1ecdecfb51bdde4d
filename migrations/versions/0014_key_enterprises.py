"""key e-commerce enterprises: the list, its history, reminders

key_listing holds each firm's listing by a commerce department (category, reason, period,
who added it; removal keeps the row with who, when and why); key_listing_event is the
append-only history of every change; key_reminder the reminders sent to listed firms
without a pledge in force (shown on the firm's console, emitted as change events).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('key_listing',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('enterprise_id', sa.String(length=36), nullable=False),
    sa.Column('authority_id', sa.String(length=36), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('listed_from', sa.Date(), nullable=False),
    sa.Column('listed_until', sa.Date(), nullable=True),
    sa.Column('added_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_by', sa.String(length=100), nullable=True),
    sa.Column('removal_reason', sa.Text(), nullable=True),
    sa.Column('listed_when_recorded', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['authority.id'], name=op.f('fk_key_listing_authority_id_authority')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_key_listing_enterprise_id_enterprise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_listing'))
    )
    with op.batch_alter_table('key_listing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_listing_authority_id'), ['authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_key_listing_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_key_listing_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('key_listing_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('listing_id', sa.String(length=36), nullable=False),
    sa.Column('enterprise_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_key_listing_event_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['listing_id'], ['key_listing.id'], name=op.f('fk_key_listing_event_listing_id_key_listing')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_listing_event'))
    )
    with op.batch_alter_table('key_listing_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_listing_event_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_key_listing_event_listing_id'), ['listing_id'], unique=False)

    op.create_table('key_reminder',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('enterprise_id', sa.String(length=36), nullable=False),
    sa.Column('authority_id', sa.String(length=36), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('required_pledge_types', sa.JSON(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('sent_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['authority.id'], name=op.f('fk_key_reminder_authority_id_authority')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_key_reminder_enterprise_id_enterprise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_reminder'))
    )
    with op.batch_alter_table('key_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_reminder_enterprise_id'), ['enterprise_id'], unique=False)


def downgrade():
    with op.batch_alter_table('key_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_reminder_enterprise_id'))
    op.drop_table('key_reminder')
    with op.batch_alter_table('key_listing_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_listing_event_listing_id'))
        batch_op.drop_index(batch_op.f('ix_key_listing_event_enterprise_id'))
    op.drop_table('key_listing_event')
    with op.batch_alter_table('key_listing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_listing_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_key_listing_category'))
        batch_op.drop_index(batch_op.f('ix_key_listing_authority_id'))
    op.drop_table('key_listing')
