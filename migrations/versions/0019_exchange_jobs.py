"""exchange jobs: large penalty-format uploads imported by the worker, with progress

An upload of more rows than the request imports itself is stored with its parsed rows;
the worker holding the exchange-jobs lease imports it and records each row's result
(credit/exchange/jobs.py).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 23:49:54.890195

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exchange_job',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('authority_id', sa.String(length=36), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('done_rows', sa.Integer(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('ignored_columns', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['authority_id'], ['authority.id'], name=op.f('fk_exchange_job_authority_id_authority')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_job'))
    )
    with op.batch_alter_table('exchange_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_job_authority_id'), ['authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_job_status'), ['status'], unique=False)

    op.create_table('exchange_job_row',
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('decision_number', sa.String(length=100), nullable=False),
    sa.Column('violation_id', sa.String(length=36), nullable=True),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['exchange_job.id'], name=op.f('fk_exchange_job_row_job_id_exchange_job')),
    sa.PrimaryKeyConstraint('job_id', 'position', name=op.f('pk_exchange_job_row'))
    )


def downgrade():
    op.drop_table('exchange_job_row')
    with op.batch_alter_table('exchange_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_job_status'))
        batch_op.drop_index(batch_op.f('ix_exchange_job_authority_id'))

    op.drop_table('exchange_job')
