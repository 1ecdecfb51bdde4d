"""breaches that make sense, serious-list removal, and a scoring catalog every process reads

- violation.conduct_date: the day of the conduct (the pledge version in force on it is the
  one a breach may name); existing rows take their decision date.
- violation_clause.breach_reason: why a clause outside the breach table was named.
- serious_list_entry: the record a listing rests on, and early removal (date, ground,
  reason, who).
- scoring_model and scoring_catalog: model versions published while the servers run, read
  by every process at its next transaction.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conduct_date', sa.Date(), nullable=True))
    op.execute("UPDATE violation SET conduct_date = decision_date")
    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.alter_column('conduct_date', existing_type=sa.Date(), nullable=False)

    with op.batch_alter_table('violation_clause', schema=None) as batch_op:
        batch_op.add_column(sa.Column('breach_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('serious_list_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('violation_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('removed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('removal_ground', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('removal_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('removed_by', sa.String(length=100), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_serious_list_entry_violation_id'), ['violation_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_serious_list_entry_violation_id_violation'),
            'violation',
            ['violation_id'],
            ['id'],
        )

    op.create_table(
        'scoring_model',
        sa.Column('version', sa.String(length=32), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('published_on', sa.Date(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_by', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('version', name=op.f('pk_scoring_model')),
    )
    op.create_table(
        'scoring_catalog',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('current', sa.String(length=32), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('stamp', sa.String(length=36), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_catalog')),
    )


def downgrade():
    op.drop_table('scoring_catalog')
    op.drop_table('scoring_model')
    with op.batch_alter_table('serious_list_entry', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_serious_list_entry_violation_id_violation'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_serious_list_entry_violation_id'))
        batch_op.drop_column('removed_by')
        batch_op.drop_column('removal_reason')
        batch_op.drop_column('removal_ground')
        batch_op.drop_column('removed_on')
        batch_op.drop_column('violation_id')
    with op.batch_alter_table('violation_clause', schema=None) as batch_op:
        batch_op.drop_column('breach_reason')
    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.drop_column('conduct_date')
