"""log records and checkpoints: what each log entry stands for, and the signed checkpoints

One row per entry (the record's kind and id, the event, its time, the commitment, and the
canonical content and salt while the record is public), and one row per signed checkpoint
(size, root hash, the signed note served at /api/v1/log/checkpoint).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('log_record',
    sa.Column('index', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('commitment', sa.LargeBinary(length=32), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('salt', sa.LargeBinary(length=32), nullable=True),
    sa.PrimaryKeyConstraint('index', name=op.f('pk_log_record'))
    )
    op.create_index('ix_log_record_record', 'log_record', ['kind', 'record_id', 'index'], unique=False)
    op.create_table('log_checkpoint',
    sa.Column('size', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('size', name=op.f('pk_log_checkpoint'))
    )


def downgrade():
    op.drop_table('log_checkpoint')
    op.drop_index('ix_log_record_record', table_name='log_record')
    op.drop_table('log_record')
