"""one pending repair application per record

A partial unique index allows at most one pending credit-repair application per
violation: the service's check alone let two concurrent applications both through.

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-30 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('repair_application', schema=None) as batch_op:
        batch_op.create_index(
            'uq_repair_application_pending',
            ['violation_id'],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade():
    with op.batch_alter_table('repair_application', schema=None) as batch_op:
        batch_op.drop_index('uq_repair_application_pending')
