"""publicity regimes: authority kinds, and each record's regime, publication and deadlines

An authority has a ``kind`` (market_regulation, commerce, cyberspace, tax, other) that
decides which publicity rules its records follow (``authority_kinds`` in
credit/data/publicity_rules.json). A violation keeps the regime it was computed under, the
day it was published and the first day it is public (SAMR's periods run from
publication), the minor-publication flag of NDRC Order 36 and its reason, whether SAMR
Order 45 Art. 14(3) excludes an early end, and its deadlines (publish by, withdraw by).

Existing authorities become ``other`` and existing records ``NDRC``, published (if at all)
on their decision date: exactly what their windows were computed with. Windows are not
recomputed here (a migration does not run the application's rules): set each authority's
kind (``flask --app wsgi credit authorities set-kind``) and run ``flask --app wsgi credit
publicity recompute``, which records each change as an event for search and ratings.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('authority', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('kind', sa.String(length=32), nullable=False, server_default='other')
        )

    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('regime', sa.String(length=16), nullable=False, server_default='NDRC')
        )
        batch_op.add_column(
            sa.Column('publish_minor', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column('publish_minor_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('published_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('public_from', sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column('repair_excluded', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column('publish_by', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('decision_revoked_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('withdraw_by', sa.Date(), nullable=True))

    violation = sa.table(
        'violation',
        sa.column('published', sa.Boolean()),
        sa.column('decision_date', sa.Date()),
        sa.column('published_on', sa.Date()),
        sa.column('public_from', sa.Date()),
    )
    op.execute(
        violation.update()
        .where(violation.c.published == sa.true())
        .values(published_on=violation.c.decision_date, public_from=violation.c.decision_date)
    )


def downgrade():
    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.drop_column('withdraw_by')
        batch_op.drop_column('decision_revoked_on')
        batch_op.drop_column('publish_by')
        batch_op.drop_column('repair_excluded')
        batch_op.drop_column('public_from')
        batch_op.drop_column('published_on')
        batch_op.drop_column('publish_minor_reason')
        batch_op.drop_column('publish_minor')
        batch_op.drop_column('regime')

    with op.batch_alter_table('authority', schema=None) as batch_op:
        batch_op.drop_column('kind')
