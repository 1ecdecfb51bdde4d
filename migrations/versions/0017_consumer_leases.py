"""consumer leases: which change-feed worker holds each consumer (and the sweeps)

One row per consumer name: the holder (host:pid:random) and when its lease expires. A
worker renews its leases every few seconds; another takes an expired one over
(credit/leases.py, flask credit worker).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 17:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consumer_lease',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_consumer_lease'))
    )


def downgrade():
    op.drop_table('consumer_lease')
