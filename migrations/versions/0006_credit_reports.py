"""credit reports: issued report snapshots for verification

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credit_report',
    sa.Column('report_no', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=36), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('model_version', sa.String(length=32), nullable=False),
    sa.Column('grade', sa.String(length=3), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('content_digest', sa.String(length=64), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_credit_report_enterprise_id_enterprise')),
    sa.PrimaryKeyConstraint('report_no', name=op.f('pk_credit_report'))
    )
    with op.batch_alter_table('credit_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_report_enterprise_id'), ['enterprise_id'], unique=False)


def downgrade():
    with op.batch_alter_table('credit_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_report_enterprise_id'))

    op.drop_table('credit_report')
