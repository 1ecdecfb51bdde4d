"""idempotency keys remember their resource; one pending repair application per record

The resource (entity type and id) a request with an Idempotency-Key created or changed is
stored with the key in the same commit, so a retry after a crash between that commit and
storing the response can be told where the result is (409 with its location).

A partial unique index allows at most one pending credit-repair application per
violation: the service's check alone let two concurrent applications both through.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resource_type', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('resource_id', sa.String(length=64), nullable=True))

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

    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.drop_column('resource_id')
        batch_op.drop_column('resource_type')
