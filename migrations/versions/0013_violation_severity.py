"""a violation's severity is called severity, not tier

violation.tier (minor | general | serious: how grave the record is) becomes
violation.severity, and its index ix_violation_tier becomes ix_violation_severity. The
word tier stays with the rating (current_rating.tier, rating_record.tier: A | B | C).
Values are kept as they are, in both directions.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _rename(old: str, new: str) -> None:
    # Three batches: SQLite rebuilds the table in each, and its index must not name the
    # column while the column is being renamed.
    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f'ix_violation_{old}'))
    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.alter_column(
            old, new_column_name=new, existing_type=sa.String(length=16), existing_nullable=False
        )
    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_violation_{new}'), [new], unique=False)


def upgrade():
    _rename('tier', 'severity')


def downgrade():
    _rename('severity', 'tier')
