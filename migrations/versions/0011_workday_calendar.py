"""working-day calendar years loaded by operators; due dates computed, not stored

``workday_calendar_year`` keeps every year an operator loads (``flask --app wsgi credit
calendar load FILE``) as a revision; the latest revision of a year replaces the packaged
year (credit/data/workdays_cn.json).

Objections and repair applications no longer store a due date: they store the number of
working days they are due within (``due_workdays``), and the date is computed when read on
the calendar in force, so loading a year's notice moves every pending deadline at once.
The count is exact for existing rows: an objection was due 5 working days after filing
plus its extensions, a repair application 3 (every regime gave 3 before this release; ``add_workdays(add_workdays(d, a), b) ==
add_workdays(d, a + b)``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 12:00:00.000000

"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OBJECTION_WORKDAYS = 5
REPAIR_WORKDAYS = 3
CHINA = timezone(timedelta(hours=8))


def upgrade():
    op.create_table('workday_calendar_year',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('loaded_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workday_calendar_year')),
    sa.UniqueConstraint('year', 'revision', name=op.f('uq_workday_calendar_year_year'))
    )

    with op.batch_alter_table('violation_objection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_workdays', sa.Integer(), nullable=True))
    op.execute(
        f"UPDATE violation_objection SET due_workdays = {OBJECTION_WORKDAYS} + extended_days"
    )
    with op.batch_alter_table('violation_objection', schema=None) as batch_op:
        batch_op.alter_column('due_workdays', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('due_date')

    # The partial unique index of 0009 is dropped and made again around the table rebuild
    # SQLite needs for a dropped column, so its WHERE clause is never lost.
    with op.batch_alter_table('repair_application', schema=None) as batch_op:
        batch_op.drop_index('uq_repair_application_pending')
    with op.batch_alter_table('repair_application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_workdays', sa.Integer(), nullable=True))
    op.execute(f"UPDATE repair_application SET due_workdays = {REPAIR_WORKDAYS}")
    with op.batch_alter_table('repair_application', schema=None) as batch_op:
        batch_op.alter_column('due_workdays', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('due_date')
    with op.batch_alter_table('repair_application', schema=None) as batch_op:
        batch_op.create_index(
            'uq_repair_application_pending',
            ['violation_id'],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def _weekdays_after(day, n):
    """``n`` Monday-to-Friday days after ``day``: the downgrade's approximation, since a
    migration does not read the application's calendar (holidays are not skipped)."""
    while n:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return day


def downgrade():
    # The old schema stores a due date: it is written back counting weekdays only (run
    # `credit calendar show` first and correct the pending ones by hand if it matters).
    with op.batch_alter_table('repair_application', schema=None) as batch_op:
        batch_op.drop_index('uq_repair_application_pending')
    bind = op.get_bind()
    for table in ('violation_objection', 'repair_application'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('due_date', sa.Date(), nullable=True))
        rows = bind.execute(sa.text(f"SELECT id, filed_at, due_workdays FROM {table}")).all()
        for row_id, filed_at, n in rows:
            if isinstance(filed_at, str):
                filed_at = datetime.fromisoformat(filed_at)
            if filed_at.tzinfo is None:
                filed_at = filed_at.replace(tzinfo=timezone.utc)
            filed_on = filed_at.astimezone(CHINA).date()
            bind.execute(
                sa.text(f"UPDATE {table} SET due_date = :d WHERE id = :i"),
                {"d": _weekdays_after(filed_on, n), "i": row_id},
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('due_date', existing_type=sa.Date(), nullable=False)
            batch_op.drop_column('due_workdays')
    with op.batch_alter_table('repair_application', schema=None) as batch_op:
        batch_op.create_index(
            'uq_repair_application_pending',
            ['violation_id'],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
    op.drop_table('workday_calendar_year')
