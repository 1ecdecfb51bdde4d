"""credit report log proof: the public-log proof a report embeds at issue time

The signed checkpoint and, for each record the report shows and its rating, the entry and
its RFC 9162 inclusion proof; NULL for reports issued before the log (they verify as
before: the snapshot and its digest are unchanged).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('credit_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('log_proof', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('credit_report', schema=None) as batch_op:
        batch_op.drop_column('log_proof')
