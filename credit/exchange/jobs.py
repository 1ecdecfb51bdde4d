"""Large uploads run as jobs in the worker, with progress anyone who uploaded can follow.

An upload of more rows than ``SYNC_ROWS`` is stored as a job (its rows, parsed and
checked as a file) and answered at once with 202; the worker (``flask credit worker``)
that holds the ``exchange-jobs`` lease imports it row by row, oldest job first, and
records each row's result in steps of ``STEP`` rows, with the count done so far. When that
worker dies, another takes the lease within seconds and goes on from the last step
recorded: a row imported after that step and before the death is met again and reported
``unchanged`` (every row is idempotent by decision number), never recorded twice.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from credit import clock
from credit.accounts.models import Authority
from credit.enterprises.models import new_id
from credit.errors import FieldError, NotFound
from credit.exchange import penalty_import
from credit.exchange.penalty_import import RowResult, Upload
from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.permissions import require
from credit.types import UtcDateTime
from credit.uow import unit_of_work

#: Uploads up to this many rows are imported within the request; larger ones are jobs.
SYNC_ROWS = 200
#: Rows whose results are recorded together (the progress a reader sees moves by these).
STEP = 100
#: The lease under which one worker runs the jobs.
LEASE_NAME = "exchange-jobs"


class ExchangeJob(db.Model):
    """One upload being imported: who sent it, its rows, how far it has come."""

    __tablename__ = "exchange_job"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)  # penalties
    authority_id: Mapped[str] = mapped_column(
        sa.ForeignKey("authority.id"), nullable=False, index=True
    )
    created_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    scopes: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    total_rows: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    done_rows: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    #: The parsed rows ([row number, {column: text}]), emptied when the job is done.
    rows: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    ignored_columns: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ExchangeJobRow(db.Model):
    """The result of one row of a job."""

    __tablename__ = "exchange_job_row"

    job_id: Mapped[str] = mapped_column(sa.ForeignKey("exchange_job.id"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    row: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    outcome: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    decision_number: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    violation_id: Mapped[str | None] = mapped_column(sa.String(36))
    errors: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)


def _may_import(identity: Identity) -> bool:
    return (
        identity.kind == IdentityKind.REGULATOR
        and identity.authority_id is not None
        and "violations:write" in identity.scopes
    )


def queue_penalty_import(identity: Identity, uow: Any, upload: Upload) -> ExchangeJob:
    """Store ``upload`` as a job for the worker."""
    require(_may_import(identity), "只有监管机关可以导入行政处罚信息")
    job = ExchangeJob(
        kind="penalties",
        authority_id=identity.authority_id,
        created_by=identity.subject,
        scopes=sorted(identity.scopes),
        status="queued",
        total_rows=len(upload.rows),
        done_rows=0,
        rows=[[n, row] for n, row in upload.rows],
        ignored_columns=upload.ignored_columns,
        created_at=clock.now(),
    )
    uow.session.add(job)
    uow.session.flush()
    return job


def get_job(identity: Identity, job_id: str) -> ExchangeJob:
    """A job, to the authority that uploaded it (anyone else is told it does not exist)."""
    require(_may_import(identity), "只有监管机关可以查看导入任务")
    job = db.session.get(ExchangeJob, job_id)
    if job is None or job.authority_id != identity.authority_id:
        raise NotFound("未找到该导入任务 / no such import job")
    return job


def job_results(job: ExchangeJob) -> list[RowResult]:
    rows = db.session.scalars(
        sa.select(ExchangeJobRow)
        .where(ExchangeJobRow.job_id == job.id)
        .order_by(ExchangeJobRow.position)
    )
    return [
        RowResult(
            r.row,
            r.outcome,
            r.decision_number,
            r.violation_id,
            [FieldError(e["field"], e["message"], e["code"]) for e in r.errors],
        )
        for r in rows
    ]


def _identity(job: ExchangeJob) -> Identity:
    authority = db.session.get(Authority, job.authority_id)
    return Identity(
        IdentityKind.REGULATOR,
        job.created_by,
        authority_id=job.authority_id,
        scopes=frozenset(job.scopes),
        jurisdiction=frozenset(authority.jurisdiction if authority else ()),
    )


def run_next_job(stop: threading.Event | None = None) -> bool:
    """Import the oldest unfinished job (from where it stands) until it is done or
    ``stop`` is set. False when there was none."""
    job_id = db.session.scalar(
        sa.select(ExchangeJob.id)
        .where(ExchangeJob.status.in_(("queued", "running")))
        .order_by(ExchangeJob.created_at, ExchangeJob.id)
        .limit(1)
    )
    if job_id is None:
        db.session.rollback()
        return False
    with unit_of_work() as uow:
        job = uow.session.get(ExchangeJob, job_id)
        job.status = "running"
        job.started_at = job.started_at or clock.now()
    job = db.session.get(ExchangeJob, job_id)
    identity, rows, done = _identity(job), job.rows, job.done_rows
    while done < len(rows) and not (stop is not None and stop.is_set()):
        step = [(int(n), row) for n, row in rows[done : done + STEP]]
        results = penalty_import.import_rows(identity, step)
        with unit_of_work() as uow:
            for i, r in enumerate(results):
                uow.session.add(
                    ExchangeJobRow(
                        job_id=job_id,
                        position=done + i,
                        row=r.row,
                        outcome=r.outcome,
                        decision_number=r.decision_number[:100],
                        violation_id=r.violation_id,
                        errors=[
                            {"field": e.field, "message": e.message, "code": e.code}
                            for e in r.errors
                        ],
                    )
                )
            current = uow.session.get(ExchangeJob, job_id)
            current.done_rows = done + len(results)
        done += len(results)
    if done >= len(rows):
        with unit_of_work() as uow:
            finished = uow.session.get(ExchangeJob, job_id)
            finished.status = "done"
            finished.finished_at = clock.now()
            finished.rows = []
    return True
