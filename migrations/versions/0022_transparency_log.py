"""transparency log: the leaves, the complete-subtree hashes and the head of the public log

An append-only Merkle tree hashed as RFC 9162 (credit/translog): one row per entry, one row
per complete subtree keyed by level << 48 | index, and one head row holding the size, moved
forward only by a compare-and-set update.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('log_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_head'))
    )
    op.create_table('log_leaf',
    sa.Column('index', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('entry', sa.LargeBinary(), nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('index', name=op.f('pk_log_leaf'))
    )
    op.create_table('log_node',
    sa.Column('key', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_log_node'))
    )


def downgrade():
    op.drop_table('log_node')
    op.drop_table('log_leaf')
    op.drop_table('log_head')
