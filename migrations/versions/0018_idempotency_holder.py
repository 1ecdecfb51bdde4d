"""idempotency holder: the process that holds a key's claim

A claim names its process (host:pid:start time), so a duplicate that finds the claim held
by a process of the same host that no longer runs takes it over at once instead of after
the claim's 60 s lease (credit/idempotency.py). Existing claims have none: they keep the
lease rule.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 04:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('idempotency_key') as batch_op:
        batch_op.add_column(sa.Column('holder', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('idempotency_key') as batch_op:
        batch_op.drop_column('holder')
