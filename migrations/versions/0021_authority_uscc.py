"""authority uscc: an authority's own unified social credit code

The national penalty format names the deciding authority and the data source by their
codes (CF_CFJGDM, CF_SJLYDM): exports carry it, and an upload's CF_CFJGDM must be the
uploader's (credit/exchange). Nullable: an operator records it
(`flask credit authorities set-uscc`); the demo's authorities get made-up valid codes.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 02:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('authority', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uscc', sa.String(length=18), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_authority_uscc'), ['uscc'])


def downgrade():
    with op.batch_alter_table('authority', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_authority_uscc'), type_='unique')
        batch_op.drop_column('uscc')
